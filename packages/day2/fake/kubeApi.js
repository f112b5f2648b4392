// @ts-check
/**
 * The fake Kubernetes API: an https server on 127.0.0.1 that asks for the admin client
 * certificate, and answers the handful of REST calls a drain and an upgrade make.
 * It agrees with the fake Talos nodes: a node that is not serving is NotReady, and its
 * kubelet version is what its configuration says.
 */
"use strict";

const https = require("node:https");
const YAML = require("yaml");
const { ObjectStore, KINDS, kindOf, serves } = require("./objects");
const { Spares } = require("./spares");

/** @typedef {import("./cluster").FakeCluster} FakeCluster */

/**
 * A pod as the fake keeps it.
 * @typedef {object} FakePod
 * @property {string} namespace
 * @property {string} name
 * @property {string} node
 * @property {string} [ownerKind] e.g. `ReplicaSet`, `DaemonSet`.
 * @property {boolean} [mirror] A static pod's mirror.
 * @property {string} [component] For a control-plane mirror pod: the static pod (`kube-apiserver`, ...), whose image the node's configuration sets.
 * @property {string} [image] Its one container's image. Default: `registry.example/<name>:1`, or the static pod's image.
 * @property {"never" | number} [pdb] A PodDisruptionBudget that refuses eviction: for ever, or this many times.
 */

/**
 * Closed servers by what they present and trust: a stopped cluster's, taken by the next
 * fake API with the same certificates (a later cluster of the same test process, whose
 * endpoint and so certificate are the same; ./spares.js).
 * @type {Spares<https.Server, FakeKubeApi>}
 */
const spares = new Spares();

/**
 * @param {number} code
 * @param {string} reason
 * @param {string} message
 */
function status(code, reason, message) {
  return {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message,
    reason,
    code,
  };
}

/** The reason kube-apiserver gives with each error code. @type {Record<number, string>} */
const REASONS = {
  400: "BadRequest",
  404: "NotFound",
  409: "Conflict",
  422: "Invalid",
};

/**
 * A store answer as the API server sends it: the object, or a Status. A create's 409
 * is AlreadyExists, any other 409 a Conflict.
 * @param {[number, any]} r
 * @returns {[number, unknown]}
 */
function answer([code, out]) {
  if (code < 400) return [code, out];
  const reason =
    code === 409 && / already exists$/.test(String(out))
      ? "AlreadyExists"
      : (REASONS[code] ?? "BadRequest");
  return [code, status(code, reason, String(out))];
}

/** `dryRun=All`: validated and computed, not stored. @param {URL} url */
function dryRun(url) {
  return url.searchParams.getAll("dryRun").includes("All");
}

/**
 * Who an update (POST, PUT) is recorded under: its `fieldManager`, else, as
 * kube-apiserver does, the client's user agent up to its first `/`.
 * @param {URL} url
 * @param {string} [userAgent]
 */
function updateManager(url, userAgent = "") {
  return url.searchParams.get("fieldManager") ?? (userAgent.split("/")[0] || "unknown");
}

/**
 * A YAML text's value, read as JSON when it is JSON (every JSON text is YAML with the
 * same value).
 * @param {string} text
 * @returns {unknown}
 */
function jsonOrYaml(text) {
  if (/^\s*[{[]/.test(text)) {
    try {
      return JSON.parse(text);
    } catch {
      // YAML's flow style also starts with a brace: read it as YAML.
    }
  }
  return YAML.parse(text);
}

class FakeKubeApi {
  /**
   * @param {FakeCluster} cluster
   * @param {{ cert: string, key: string }} serverCert
   * @param {string} caCert
   * @param {readonly FakePod[]} pods
   */
  constructor(cluster, serverCert, caCert, pods) {
    /** @private */ this.cluster = cluster;
    /** @private */ this.serverCert = serverCert;
    /** @private */ this.caCert = caCert;
    /** Pods by `namespace/name`. @type {Map<string, FakePod>} */
    this.pods = new Map(pods.map((p) => [`${p.namespace}/${p.name}`, { ...p }]));
    /** Node names whose Node object was deleted. @type {Set<string>} */
    this.deletedNodes = new Set();
    /** spec.unschedulable per node. @type {Map<string, boolean>} */
    this.unschedulable = new Map();
    /** metadata.annotations per node. @type {Map<string, Record<string, string>>} */
    this.annotations = new Map();
    /** Every other object: the bootstrap manifests Talos created, what was applied since. */
    this.objects = new ObjectStore({
      rolloutMs: () => cluster.options.rolloutMs,
      desiredPods: () => cluster.nodes.filter((n) => !this.deletedNodes.has(n.name)).length,
      badImages: () => cluster.faults.badImages,
      rejects: () => cluster.faults.rejectObjects,
    });
    this.port = 0;
    /** @private */ this.stopped = false;
    /** @private @type {https.Server | undefined} */
    this.server = undefined;
    /** Its connections, to drop at a stop or an outage. @type {Set<import("node:stream").Duplex>} */
    this.sockets = new Set();
  }

  /** `127.0.0.1:<port>`. */
  get endpoint() {
    return `127.0.0.1:${this.port}`;
  }

  /** @param {number} [port] Default: any free one (the first start). */
  async start(port = 0) {
    const key = JSON.stringify([this.serverCert.cert, this.serverCert.key, this.caCert]);
    const server = spares.take(key, this) ?? this.newServer(key);
    try {
      this.port = await new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, "127.0.0.1", () => {
          server.off("error", reject);
          resolve(/** @type {import("node:net").AddressInfo} */ (server.address()).port);
        });
      });
    } catch (e) {
      // Not listening (the port is taken, say): back to the pool, answering for no one.
      spares.give(server);
      throw e;
    }
    this.server = server;
  }

  /**
   * An https server answering for whichever fake API its route names (this one, now).
   * @private
   * @param {string} key what it presents and trusts (spare)
   */
  newServer(key) {
    const server = https.createServer(
      {
        cert: this.serverCert.cert,
        key: this.serverCert.key,
        ca: this.caCert,
        requestCert: true,
        rejectUnauthorized: true,
      },
      (req, res) => {
        if (route.owner === undefined) res.destroy();
        else route.owner.handle(req, res);
      },
    );
    // The API it answers for: this one now, another later if it is handed on.
    const route = spares.add(server, key, this);
    server.on("connection", (/** @type {import("node:net").Socket} */ s) => {
      const api = route.owner;
      if (api === undefined) {
        s.destroy();
        return;
      }
      api.sockets.add(s);
      s.on("close", () => api.sockets.delete(s));
    });
    return server;
  }

  /** Closes the listener and every connection; the server goes spare (spares.take). @private */
  closeServer() {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    if (server === undefined) return undefined;
    const closed = new Promise((resolve) => server.close(() => resolve(undefined)));
    spares.give(server);
    return closed;
  }

  stop() {
    this.stopped = true;
    void this.closeServer();
  }

  /**
   * Stops answering for `ms` (connections refused, open ones dropped), then listens again
   * on the same port: the API server behind a VIP that moves to another node.
   * @param {number} ms
   */
  async outage(ms) {
    if (this.server === undefined) return;
    await this.closeServer();
    this.cluster.log.record("kubernetes", "api", "down", `for ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, ms));
    if (this.stopped) return;
    await this.start(this.port);
    this.cluster.log.record("kubernetes", "api", "up");
  }

  /** Whether `name` is cordoned. @param {string} name */
  cordoned(name) {
    return this.unschedulable.get(name) === true;
  }

  /** The pods on a node. @param {string} node */
  podsOn(node) {
    return [...this.pods.values()].filter((p) => p.node === node);
  }

  /** @private @param {import("./talosNode").FakeTalosNode} n */
  nodeObject(n) {
    return {
      apiVersion: "v1",
      kind: "Node",
      metadata: {
        name: n.name,
        labels: n.role === "controlplane" ? { "node-role.kubernetes.io/control-plane": "" } : {},
        annotations: { ...(this.annotations.get(n.name) ?? {}) },
      },
      spec: this.cordoned(n.name) ? { unschedulable: true } : {},
      status: {
        conditions: [
          {
            type: "Ready",
            status: n.ready && !n.kubeletRestarting ? "True" : "Unknown",
            reason: n.ready ? "KubeletReady" : "NodeStatusUnknown",
            message: n.ready
              ? "kubelet is posting ready status"
              : "Kubelet stopped posting node status.",
          },
        ],
        nodeInfo: { kubeletVersion: n.kubeletVersion },
        // What the kubelet advertises; a device plugin adds extended resources such as
        // nvidia.com/gpu (the fake's `gpus` option), and a NotReady node keeps its last.
        allocatable: {
          cpu: "4",
          memory: "8Gi",
          pods: "110",
          ...(this.cluster.options.gpus[n.name] === undefined
            ? {}
            : { "nvidia.com/gpu": String(this.cluster.options.gpus[n.name]) }),
        },
      },
    };
  }

  /**
   * The Kubernetes minor the API server serves at: the oldest kube-apiserver running on
   * a control plane (a request may reach any of them), else the cluster's starting one.
   */
  servingMinor() {
    const minors = this.cluster.nodes
      .filter((n) => n.role === "controlplane")
      .map((n) => /:v?1\.(\d+)\./.exec(n.staticPodImages["kube-apiserver"] ?? "")?.[1])
      .filter((m) => m !== undefined)
      .map(Number);
    if (minors.length > 0) return Math.min(...minors);
    return Number(this.cluster.options.kubernetesVersion.split(".")[1]);
  }

  /** @private @param {FakePod} p */
  podObject(p) {
    /** @type {Record<string, unknown>} */
    const metadata = { namespace: p.namespace, name: p.name };
    if (p.ownerKind !== undefined)
      metadata.ownerReferences = [{ kind: p.ownerKind, name: `${p.name}-owner`, controller: true }];
    const node = this.cluster.nodes.find((n) => n.name === p.node);
    // A static pod's manifest carries the version of the configuration it was rendered
    // from (Talos's static pod controller), and its mirror pod shows it.
    if (p.mirror === true)
      metadata.annotations = {
        "kubernetes.io/config.mirror": "fake",
        ...(p.component === undefined || node?.staticPodVersions[p.component] === undefined
          ? {}
          : { "talos.dev/config-version": node.staticPodVersions[p.component] }),
      };
    const image =
      (p.component === undefined ? undefined : node?.staticPodImages[p.component]) ??
      p.image ??
      `registry.example/${p.name}:1`;
    // The kubelet reports a static pod Ready once its container runs again after a boot.
    const ready =
      node?.ready === true &&
      (p.mirror !== true || p.component === undefined || !node.podsNotReady.has(p.component));
    return {
      apiVersion: "v1",
      kind: "Pod",
      metadata,
      spec: { nodeName: p.node, containers: [{ name: p.component ?? p.name, image }] },
      status: {
        phase: "Running",
        conditions: [{ type: "Ready", status: ready ? "True" : "False" }],
      },
    };
  }

  /**
   * @private
   * @param {import("node:http").IncomingMessage} req
   * @param {import("node:http").ServerResponse} res
   */
  handle(req, res) {
    /** @type {Buffer[]} */
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "https://fake");
      const method = req.method ?? "GET";
      const route = this.route(method, url.pathname);
      // A dry run (dryRun=All) writes nothing: the log says so, so a test can tell it from a write.
      const label = `${method} ${route.kind}${url.searchParams.getAll("dryRun").includes("All") ? " (dry run)" : ""}`;
      // No kube-apiserver runs behind the endpoint when every control plane's crashloops
      // (a crashloops fault holds): the connection is dropped, as nothing listens there.
      const cps = this.cluster.nodes.filter((n) => n.role === "controlplane");
      if (cps.length > 0 && cps.every((n) => n.crashloops("kube-apiserver"))) {
        this.cluster.log.record(route.target, label, "refused", "no kube-apiserver running");
        req.socket.destroy();
        return;
      }
      if (this.cluster.faults.kubeHang.includes(`${method} ${url.pathname}`)) {
        this.cluster.log.record(route.target, label, "hung");
        return;
      }
      /** @type {[number, unknown]} */
      let answer;
      try {
        const text = Buffer.concat(chunks).toString("utf8");
        const type = req.headers["content-type"] ?? "";
        // An apply patch is YAML (JSON being YAML); everything else is JSON. A patch in
        // JSON form, as our client sends it, is read as JSON: the same value, at a
        // fraction of the YAML parser's cost.
        const body =
          chunks.length === 0
            ? undefined
            : type.startsWith("application/apply-patch+yaml")
              ? jsonOrYaml(text)
              : JSON.parse(text);
        answer = route.run(
          url,
          body,
          req.headers["content-type"] ?? "",
          req.headers["user-agent"] ?? "",
        );
      } catch (e) {
        answer = [400, status(400, "BadRequest", String(/** @type {Error} */ (e).message))];
      }
      const [code, obj] = answer;
      const detail = /** @type {{ message?: string }} */ (obj).message;
      this.cluster.log.record(
        route.target,
        label,
        String(code),
        code >= 400 ? detail : route.detail,
      );
      res.writeHead(code, { "content-type": "application/json" });
      res.end(JSON.stringify(obj));
    });
  }

  /**
   * @private
   * @param {string} method
   * @param {string} path
   * @returns {{ kind: string, target: string, detail?: string, run: (url: URL, body: any, contentType: string, userAgent: string) => [number, unknown] }}
   */
  route(method, path) {
    const notFound = (/** @type {string} */ what) =>
      /** @type {[number, unknown]} */ ([404, status(404, "NotFound", `${what} not found`)]);
    const nodeOf = (/** @type {string} */ name) =>
      this.deletedNodes.has(name) ? undefined : this.cluster.nodes.find((n) => n.name === name);
    let m;
    if (path === "/api/v1/nodes" && method === "GET") {
      return {
        kind: "nodes",
        target: "kubernetes",
        run: () => [
          200,
          {
            kind: "NodeList",
            apiVersion: "v1",
            items: this.cluster.nodes
              .filter((n) => !this.deletedNodes.has(n.name))
              .map((n) => this.nodeObject(n)),
          },
        ],
      };
    }
    if ((m = /^\/api\/v1\/nodes\/([^/]+)$/.exec(path)) !== null) {
      const name = decodeURIComponent(m[1]);
      return {
        kind: "node",
        target: name,
        run: (_url, body, contentType) => {
          const n = nodeOf(name);
          if (n === undefined) return notFound(`nodes "${name}"`);
          if (method === "GET") return [200, this.nodeObject(n)];
          if (method === "DELETE") {
            this.deletedNodes.add(name);
            return [200, { kind: "Status", apiVersion: "v1", status: "Success" }];
          }
          if (method === "PATCH") {
            if (!contentType.startsWith("application/merge-patch+json")) {
              return [
                415,
                status(
                  415,
                  "UnsupportedMediaType",
                  `the fake takes merge patches, not ${contentType}`,
                ),
              ];
            }
            if (body?.spec !== undefined && "unschedulable" in body.spec)
              this.unschedulable.set(name, body.spec.unschedulable === true);
            const ann = body?.metadata?.annotations;
            if (ann !== undefined && ann !== null) {
              const cur = { ...(this.annotations.get(name) ?? {}) };
              for (const [k, v] of Object.entries(ann)) {
                if (v === null) delete cur[k];
                else cur[k] = String(v);
              }
              this.annotations.set(name, cur);
            }
            return [200, this.nodeObject(n)];
          }
          return [405, status(405, "MethodNotAllowed", `${method} on a node`)];
        },
      };
    }
    if (path === "/api/v1/pods" && method === "GET") {
      return {
        kind: "pods",
        target: "kubernetes",
        run: (url) => {
          const sel = url.searchParams.get("fieldSelector") ?? "";
          const on = /^spec\.nodeName=(.+)$/.exec(sel);
          const pods = [...this.pods.values()].filter((p) => on === null || p.node === on[1]);
          return [
            200,
            { kind: "PodList", apiVersion: "v1", items: pods.map((p) => this.podObject(p)) },
          ];
        },
      };
    }
    if (
      (m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/eviction$/.exec(path)) !== null &&
      method === "POST"
    ) {
      const key = `${decodeURIComponent(m[1])}/${decodeURIComponent(m[2])}`;
      const pod = this.pods.get(key);
      return {
        kind: "eviction",
        target: pod?.node ?? "kubernetes",
        detail: key,
        run: (_url, body) => {
          if (body?.kind !== "Eviction" || body?.apiVersion !== "policy/v1") {
            return [400, status(400, "BadRequest", "expected a policy/v1 Eviction")];
          }
          if (pod === undefined) return notFound(`pods "${key}"`);
          if (pod.pdb === "never" || (typeof pod.pdb === "number" && pod.pdb > 0)) {
            if (typeof pod.pdb === "number") pod.pdb--;
            return [
              429,
              status(
                429,
                "TooManyRequests",
                "Cannot evict pod as it would violate the pod's disruption budget.",
              ),
            ];
          }
          this.pods.delete(key);
          return [201, { kind: "Status", apiVersion: "v1", status: "Success" }];
        },
      };
    }
    // The discovery roots (k8s.io/apimachinery pkg/apis/meta/v1 types.go: APIVersions for
    // the legacy group, APIGroupList for the named ones), what a REST mapper reads first.
    if (path === "/api" && method === "GET")
      return {
        kind: "discovery",
        target: "kubernetes",
        detail: path,
        run: () => [200, { kind: "APIVersions", apiVersion: "v1", versions: ["v1"] }],
      };
    if (path === "/apis" && method === "GET") {
      const minor = this.servingMinor();
      /** @type {Map<string, Set<string>>} */
      const groups = new Map();
      for (const [kind, k] of Object.entries(KINDS)) {
        if (k.group === "") continue;
        const versions = groups.get(k.group) ?? new Set();
        for (const v of [k.version, ...Object.keys(k.older ?? {})])
          if (serves(kind, v, minor)) versions.add(v);
        groups.set(k.group, versions);
      }
      return {
        kind: "discovery",
        target: "kubernetes",
        detail: path,
        run: () => [
          200,
          {
            kind: "APIGroupList",
            apiVersion: "v1",
            groups: [...groups].map(([name, versions]) => {
              const preferred = Object.values(KINDS).find((k) => k.group === name)?.version ?? "v1";
              return {
                name,
                versions: [...versions].map((v) => ({ groupVersion: `${name}/${v}`, version: v })),
                preferredVersion: { groupVersion: `${name}/${preferred}`, version: preferred },
              };
            }),
          },
        ],
      };
    }
    if ((m = /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))$/.exec(path)) !== null && method === "GET") {
      const group = m[2] ?? "";
      const version = m[1] ?? m[3];
      const minor = this.servingMinor();
      const served = Object.entries(KINDS).filter(
        ([kind, k]) => k.group === group && serves(kind, version, minor),
      );
      return {
        kind: "discovery",
        target: "kubernetes",
        detail: path,
        run: () =>
          served.length === 0
            ? [404, status(404, "NotFound", "the server could not find the requested resource")]
            : [
                200,
                {
                  kind: "APIResourceList",
                  apiVersion: "v1",
                  groupVersion: group === "" ? version : `${group}/${version}`,
                  resources: served.map(([kind, k]) => ({
                    name: k.plural,
                    singularName: kind.toLowerCase(),
                    namespaced: k.namespaced,
                    kind,
                    verbs: ["create", "delete", "get", "list", "patch", "update", "watch"],
                  })),
                },
              ],
      };
    }
    const generic = this.objectRoute(method, path);
    if (generic !== undefined) return generic;
    return { kind: "unknown", target: "kubernetes", run: () => notFound(`${method} ${path}`) };
  }
  /**
   * The REST paths of the object store: `/api/v1[/namespaces/<ns>]/<plural>[/<name>]`
   * and `/apis/<group>/<version>[/namespaces/<ns>]/<plural>[/<name>]`.
   * @private
   * @param {string} method
   * @param {string} path
   * @returns {ReturnType<FakeKubeApi["route"]> | undefined}
   */
  objectRoute(method, path) {
    const m =
      /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))(?:\/namespaces\/([^/]+))?\/([a-z]+)(?:\/([^/]+))?$/.exec(
        path,
      );
    if (m === null) return undefined;
    const group = m[2] ?? "";
    const version = m[1] ?? m[3];
    const namespace = m[4] === undefined ? undefined : decodeURIComponent(m[4]);
    const plural = m[5];
    const name = m[6] === undefined ? undefined : decodeURIComponent(m[6]);
    const kind = kindOf(group, plural);
    const info = kind === undefined ? undefined : KINDS[kind];
    const resource = `${plural}${group === "" ? "" : `.${group}`}`;
    const notFound = (/** @type {string} */ what) =>
      /** @type {[number, unknown]} */ ([404, status(404, "NotFound", `${what} not found`)]);
    const label = name === undefined ? plural : plural.replace(/s$/, "");
    const target = name === undefined ? "kubernetes" : `${namespace ?? ""}/${name}`;
    return {
      kind: label,
      target: "kubernetes",
      detail: target,
      run: (url, body, contentType, userAgent) => {
        // An unknown resource, or one at a version this release does not serve, is not
        // served at all; an older served version reads and writes the same objects.
        if (kind === undefined || info === undefined || !serves(kind, version, this.servingMinor()))
          return notFound(`the server could not find the requested resource (${resource})`);
        if (info.namespaced !== (namespace !== undefined) && name !== undefined)
          return notFound(`${resource} "${name}"`);
        const ns = namespace ?? "";
        const gv = info.group === "" ? version : `${info.group}/${version}`;
        if (name === undefined) {
          if (method === "POST" && (namespace !== undefined) === info.namespaced) {
            if (body?.metadata?.namespace !== undefined && body.metadata.namespace !== ns)
              return [
                400,
                status(
                  400,
                  "BadRequest",
                  "the namespace of the provided object does not match the namespace sent on the request",
                ),
              ];
            return answer(
              this.objects.create(kind, ns, body, {
                manager: updateManager(url, userAgent),
                apiVersion: gv,
                dryRun: dryRun(url),
              }),
            );
          }
          if (method !== "GET")
            return [405, status(405, "MethodNotAllowed", `${method} on a list`)];
          const items = this.objects.list(kind, namespace).map((o) => ({ ...o, apiVersion: gv }));
          return [200, { kind: `${kind}List`, apiVersion: gv, items }];
        }
        if (method === "GET") {
          const o = this.objects.get(kind, ns, name);
          return o === undefined
            ? notFound(`${resource} "${name}"`)
            : [200, { ...o, apiVersion: info.group === "" ? version : `${info.group}/${version}` }];
        }
        if (method === "DELETE")
          return this.objects.delete(kind, ns, name)
            ? [200, { kind: "Status", apiVersion: "v1", status: "Success" }]
            : notFound(`${resource} "${name}"`);
        if (method === "PATCH" && contentType.startsWith("application/apply-patch+yaml")) {
          const manager = url.searchParams.get("fieldManager") ?? "";
          if (manager === "")
            return [
              400,
              status(400, "BadRequest", "PATCH with apply requires a fieldManager query parameter"),
            ];
          return answer(
            this.objects.apply(kind, ns, name, body, {
              manager,
              apiVersion: gv,
              force: url.searchParams.get("force") === "true",
              dryRun: dryRun(url),
            }),
          );
        }
        if (method === "PUT")
          return answer(
            this.objects.update(kind, ns, name, body, {
              manager: updateManager(url, userAgent),
              apiVersion: gv,
              dryRun: dryRun(url),
            }),
          );
        return [
          415,
          status(415, "UnsupportedMediaType", `${method} ${contentType} on ${resource}`),
        ];
      },
    };
  }
}

module.exports = { FakeKubeApi };
