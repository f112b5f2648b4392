// @ts-check
/**
 * A thin Kubernetes API client over node:https with the admin kubeconfig's client
 * certificate. It covers what a drain and an upgrade need, and no more: nodes (Ready,
 * kubelet version, cordon), a node's pods, policy/v1 evictions, Node deletion, a
 * DaemonSet's image, and any object found through API discovery (get, list, server-side
 * apply, delete) for the bootstrap manifests. TLS is verified against the kubeconfig's server name even when an
 * endpoint override dials somewhere else.
 */
"use strict";

const https = require("node:https");
const net = require("node:net");
const tls = require("node:tls");
const { Day2Error, Day2InputError, secretFragments, redact, isTlsRefusal } = require("./errors");
const { nodeKeyPem, parseYamlFile } = require("./credentials");
const { parseHostPort, formatHostPort } = require("./endpoints");
const { DEFAULT_RETRY, backoffMs, delay } = require("./retry");
const { clientContext } = require("./tlsContext");
const { ticketsFor, ticketKey } = require("./tlsSessions");

/** Connections whose tickets are kept already (a kept-alive one serves many requests). */
const watched = new WeakSet();

/**
 * @typedef {import("./endpoints").HostPort} HostPort
 * @typedef {import("./retry").RetryPolicy} RetryPolicy
 */

/**
 * What the client needs from a kubeconfig.
 * @typedef {object} KubeAccess
 * @property {string} server e.g. `https://10.20.0.10:6443`.
 * @property {string} ca PEM.
 * @property {string} cert PEM.
 * @property {string} key PEM, relabelled for Node when needed.
 */

/**
 * @typedef {object} KubeNode
 * @property {string} name
 * @property {boolean | null} ready The Ready condition; null when it has none.
 * @property {string} readyReason
 * @property {string} kubeletVersion e.g. `v1.36.0`.
 * @property {boolean} unschedulable
 * @property {Record<string, string>} annotations
 * @property {Record<string, string>} labels
 * @property {Record<string, string>} allocatable status.allocatable: resource name -> quantity, e.g. `nvidia.com/gpu: "1"`.
 */

/**
 * @typedef {object} KubePod
 * @property {string} namespace
 * @property {string} name
 * @property {string} nodeName
 * @property {string} ownerKind The controller's kind, or "" for a bare pod.
 * @property {boolean} mirror A static pod's mirror (the kubelet owns it).
 * @property {Record<string, string>} annotations
 * @property {string} phase
 * @property {boolean} ready Its Ready condition is True.
 * @property {{ name: string, image: string }[]} containers
 */

/**
 * @typedef {object} KubeClientOptions
 * @property {string | KubeAccess} kubeconfig The kubeconfig YAML, or what was read from it.
 * @property {HostPort | string} [endpoint] Dial here instead of the kubeconfig's server (`em-infra:kubernetesEndpoint`).
 * @property {number} [timeoutMs] Deadline of each request. Default: 10000.
 * @property {Partial<RetryPolicy>} [retry] Default: {attempts: 4, baseMs: 100, maxMs: 1000}.
 * @property {number} [unreachableBudgetMs] When set, a request that cannot reach the API
 *   server at all (refused, reset, no answer) keeps retrying past `retry.attempts` until
 *   this long after its first try: the time a Talos VIP takes to move to another node.
 */

/**
 * The current context's server and credentials from a kubeconfig.
 * @param {string} text
 * @param {string} [file] Names the kubeconfig in errors.
 * @returns {KubeAccess}
 */
function readKubeconfig(text, file = "kubeconfig") {
  const doc = parseYamlFile(text, file);
  // A talosconfig has `context` and a map of `contexts` (kubeconfig: a list of them).
  if (
    doc !== null &&
    typeof doc === "object" &&
    (typeof doc.context === "string" ||
      (doc.contexts !== undefined && !Array.isArray(doc.contexts)))
  )
    throw new Day2InputError(
      `${file}: this is a talosconfig, not a kubeconfig (it has ${typeof doc.context === "string" ? "a context field" : "a map of contexts"}); export the kubeconfig with npx pulumi stack output kubeconfig --show-secrets and pass that`,
    );
  for (const list of ["contexts", "clusters", "users"])
    if (doc?.[list] !== undefined && !Array.isArray(doc[list]))
      throw new Day2InputError(`${file}: ${list} must be a list; not a kubeconfig`);
  const ctxName = doc?.["current-context"];
  const ctx = (doc?.contexts ?? []).find((/** @type {any} */ c) => c?.name === ctxName)?.context;
  if (ctx === undefined)
    throw new Day2InputError(`${file}: current-context "${ctxName ?? ""}" not found`);
  const cluster = (doc?.clusters ?? []).find(
    (/** @type {any} */ c) => c?.name === ctx.cluster,
  )?.cluster;
  const user = (doc?.users ?? []).find((/** @type {any} */ u) => u?.name === ctx.user)?.user;
  if (cluster === undefined)
    throw new Day2InputError(`${file}: cluster "${ctx.cluster}" not found`);
  if (user === undefined) throw new Day2InputError(`${file}: user "${ctx.user}" not found`);
  const pem = (/** @type {unknown} */ v, /** @type {string} */ what) => {
    if (typeof v !== "string" || v === "")
      throw new Day2InputError(`${file}: ${what} is missing (only inline *-data fields are read)`);
    const out = Buffer.from(v, "base64").toString("utf8");
    if (!out.includes("-----BEGIN "))
      throw new Day2InputError(`${file}: ${what} is not base64-encoded PEM`);
    return out;
  };
  if (typeof cluster.server !== "string" || !/^https:\/\//.test(cluster.server)) {
    throw new Day2InputError(`${file}: cluster "${ctx.cluster}" server must be an https:// URL`);
  }
  return {
    server: cluster.server,
    ca: pem(
      cluster["certificate-authority-data"],
      `cluster "${ctx.cluster}" certificate-authority-data`,
    ),
    cert: pem(user["client-certificate-data"], `user "${ctx.user}" client-certificate-data`),
    key: nodeKeyPem(pem(user["client-key-data"], `user "${ctx.user}" client-key-data`)),
  };
}

/**
 * `Kind/namespace/name` (or `Kind/name` for a cluster-wide object), for messages.
 * @param {{ kind: string, namespace?: string, name?: string }} ref
 */
function objectName(ref) {
  return `${ref.kind}/${ref.namespace === undefined ? "" : `${ref.namespace}/`}${ref.name ?? ""}`;
}

/**
 * An object's reference from the object itself.
 * @param {any} obj
 * @returns {{ apiVersion: string, kind: string, namespace?: string, name: string }}
 */
function refOfObject(obj) {
  return {
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    name: obj.metadata?.name,
    ...(obj.metadata?.namespace === undefined ? {} : { namespace: obj.metadata.namespace }),
  };
}

/** Codes worth another try: the API server is restarting, or overloaded. */
const RETRY_STATUS = new Set([500, 502, 503, 504]);

class KubeClient {
  /** @param {KubeClientOptions} opts */
  constructor(opts) {
    /** @private */ this.access =
      typeof opts.kubeconfig === "string" ? readKubeconfig(opts.kubeconfig) : opts.kubeconfig;
    /** @private */ this.fragments = secretFragments([
      this.access.ca,
      this.access.cert,
      this.access.key,
    ]);
    const url = new URL(this.access.server);
    /** The host TLS verifies: the kubeconfig server's. */
    this.serverHost = url.hostname.replace(/^\[(.*)\]$/, "$1");
    const serverPort = Number(url.port || 443);
    /** @type {HostPort} */
    let dial = { host: this.serverHost, port: serverPort };
    if (opts.endpoint !== undefined) {
      const hp = typeof opts.endpoint === "string" ? parseHostPort(opts.endpoint) : opts.endpoint;
      if (typeof hp === "string") throw new Day2InputError(`Kubernetes endpoint: ${hp}`);
      dial = hp;
    }
    /** Where requests go. @readonly */
    this.dial = dial;
    /** @private */ this.timeoutMs = opts.timeoutMs ?? 10000;
    /** @private @type {RetryPolicy} */ this.retry = { ...DEFAULT_RETRY, ...(opts.retry ?? {}) };
    /** @private */ this.unreachableBudgetMs = opts.unreachableBudgetMs ?? 0;
    /** @private */ this.agent = new https.Agent({ keepAlive: true, maxSockets: 8 });
    /** Made at the first request (secureContext()). @private @type {tls.SecureContext | undefined} */
    this.context = undefined;
    /** Discovery by group/version: kind -> its REST name and scope. @private @type {Map<string, Promise<Map<string, { plural: string, namespaced: boolean }>>>} */
    this.discovery = new Map();
  }

  /**
   * The client's TLS context, for every connection it opens: the kubeconfig's CA and
   * client certificate, TLS 1.3 only (kube-apiserver offers it: the client certificate
   * travels encrypted, and a server that fails verification is dropped before it
   * leaves), shared with the process's other clients of the same credentials
   * (./tlsContext.js). Made at the first request, whose caller gets the error when the kubeconfig's
   * key or certificates do not load; parsing them for each new connection cost a
   * millisecond apiece.
   * @private
   * @returns {tls.SecureContext}
   */
  secureContext() {
    try {
      this.context ??= clientContext(this.access);
    } catch (e) {
      throw new Day2InputError(
        `Kubernetes client credentials could not be loaded: ${redact(String(/** @type {Error} */ (e).message), this.fragments)}`,
      );
    }
    return this.context;
  }

  /** Closes idle connections. */
  close() {
    this.agent.destroy();
  }

  /**
   * One request with deadline and bounded retries; resolves with status and parsed body.
   * @private
   * @param {string} method
   * @param {string} path
   * @param {{ target: string, body?: unknown, contentType?: string, okStatus?: number[], retryStatus?: number[] }} how
   * @returns {Promise<{ status: number, body: any }>}
   */
  async request(method, path, how) {
    const label = `${method} ${path.split("?")[0]}`;
    const budgetEnds = Date.now() + this.unreachableBudgetMs;
    for (let attempt = 1; ; attempt++) {
      /** @type {{ status: number, body: any } | { error: string, code: string }} */
      const r = await this.once(method, path, how);
      if ("status" in r) {
        const ok = how.okStatus ?? [200, 201];
        if (ok.includes(r.status)) return r;
        const retryable = RETRY_STATUS.has(r.status) || (how.retryStatus ?? []).includes(r.status);
        if (!retryable || attempt >= this.retry.attempts) {
          const reason = r.body?.reason ?? "";
          const message =
            typeof r.body?.message === "string"
              ? r.body.message
              : JSON.stringify(r.body ?? "").slice(0, 200);
          throw this.error(
            how.target,
            label,
            `${r.status}${reason === "" ? "" : ` ${reason}`}`,
            message,
            attempt,
          );
        }
      } else {
        const transient = r.code !== "TLS";
        const withinBudget = Date.now() < budgetEnds;
        if (!transient || (attempt >= this.retry.attempts && !withinBudget)) {
          throw this.error(
            how.target,
            label,
            r.code,
            r.error,
            attempt,
            r.code === "TLS" ? "check the kubeconfig's CA and server address" : undefined,
          );
        }
      }
      await delay(backoffMs(this.retry, attempt));
    }
  }

  /**
   * @private
   * @param {string} method
   * @param {string} path
   * @param {{ body?: unknown, contentType?: string }} how
   * @returns {Promise<{ status: number, body: any } | { error: string, code: string }>}
   */
  once(method, path, how) {
    const secureContext = this.secureContext();
    // The process's last session with this endpoint for this identity (./tlsSessions.js).
    const tickets = ticketsFor(secureContext);
    const ticket = ticketKey(formatHostPort(this.dial), this.serverHost);
    const payload = how.body === undefined ? undefined : Buffer.from(JSON.stringify(how.body));
    const serverHost = this.serverHost;
    return new Promise((resolve) => {
      let settled = false;
      const done = (/** @type {any} */ v) => {
        if (!settled) {
          settled = true;
          resolve(v);
        }
      };
      const req = https.request(
        // secureContext reaches tls.connect, though Node's types leave it out here.
        /** @type {https.RequestOptions} */ ({
          host: this.dial.host,
          port: this.dial.port,
          method,
          path,
          agent: this.agent,
          secureContext,
          // Whatever NODE_TLS_REJECT_UNAUTHORIZED says: a server that fails the checks
          // is dropped (and issues no ticket we keep).
          rejectUnauthorized: true,
          // Used by a new connection only; a kept-alive one is already secured.
          session: tickets.get(ticket),
          // SNI only for a name; the identity checked is the kubeconfig server's host.
          servername: net.isIP(serverHost) ? "" : serverHost,
          checkServerIdentity: (_host, cert) => {
            const err = tls.checkServerIdentity(serverHost, cert);
            return err === undefined
              ? undefined
              : new Error(
                  `server certificate is not valid for ${serverHost} (its names: ${cert.subjectaltname ?? "none"})`,
                );
          },
          headers: {
            accept: "application/json",
            ...(payload === undefined
              ? {}
              : {
                  "content-type": how.contentType ?? "application/json",
                  "content-length": payload.length,
                }),
          },
        }),
        (res) => {
          /** @type {Buffer[]} */
          const chunks = [];
          res.on("data", (c) => chunks.push(c));
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            /** @type {any} */
            let body = text;
            try {
              body = text === "" ? undefined : JSON.parse(text);
            } catch {
              // keep the text
            }
            done({ status: res.statusCode ?? 0, body });
          });
          res.on("error", (e) => done({ code: "NETWORK", error: e.message }));
        },
      );
      const timer = setTimeout(() => {
        done({ code: "TIMEOUT", error: `no answer within ${this.timeoutMs} ms` });
        req.destroy();
      }, this.timeoutMs);
      req.on("close", () => clearTimeout(timer));
      req.on("socket", (socket) => {
        if (watched.has(socket)) return;
        watched.add(socket);
        socket.on("session", (/** @type {Buffer} */ t) => {
          if (/** @type {tls.TLSSocket} */ (socket).authorized) tickets.keep(ticket, t);
        });
      });
      req.on("error", (/** @type {NodeJS.ErrnoException} */ e) => {
        const tlsFailure = isTlsRefusal(`${e.code ?? ""} ${e.message}`);
        if (tlsFailure) tickets.drop(ticket);
        const code = tlsFailure
          ? "TLS"
          : e.code === "ECONNREFUSED"
            ? "REFUSED"
            : (e.code ?? "NETWORK");
        done({ code, error: `${e.message} (dialed ${formatHostPort(this.dial)})` });
      });
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  /**
   * @private
   * @param {string} target
   * @param {string} call
   * @param {string} code
   * @param {string} details
   * @param {number} attempts
   * @param {string} [hint]
   */
  error(target, call, code, details, attempts, hint) {
    return new Day2Error({
      target,
      call: `Kubernetes ${call}`,
      code,
      details: redact(details, this.fragments),
      attempts,
      ...(hint === undefined ? {} : { hint }),
    });
  }

  /** @private @param {any} n @returns {KubeNode} */
  static node(n) {
    const ready = (n?.status?.conditions ?? []).find((/** @type {any} */ c) => c.type === "Ready");
    return {
      name: n.metadata.name,
      ready: ready === undefined ? null : ready.status === "True",
      readyReason: ready?.reason ?? "",
      kubeletVersion: n?.status?.nodeInfo?.kubeletVersion ?? "",
      unschedulable: n?.spec?.unschedulable === true,
      annotations: n?.metadata?.annotations ?? {},
      labels: n?.metadata?.labels ?? {},
      allocatable: n?.status?.allocatable ?? {},
    };
  }

  /** Every Node. @returns {Promise<KubeNode[]>} */
  async listNodes() {
    const r = await this.request("GET", "/api/v1/nodes", { target: "nodes" });
    return (r.body?.items ?? []).map(KubeClient.node);
  }

  /**
   * One Node, or null when there is none.
   * @param {string} name
   * @returns {Promise<KubeNode | null>}
   */
  async getNode(name) {
    const r = await this.request("GET", `/api/v1/nodes/${encodeURIComponent(name)}`, {
      target: `node/${name}`,
      okStatus: [200, 404],
    });
    return r.status === 404 ? null : KubeClient.node(r.body);
  }

  /**
   * Marks a Node unschedulable, optionally with an annotation that says who did it (so
   * that a later run can tell its own cordon from someone else's).
   * @param {string} name
   * @param {{ annotation?: { key: string, value: string } }} [opts]
   */
  async cordon(name, opts = {}) {
    /** @type {any} */
    const patch = { spec: { unschedulable: true } };
    if (opts.annotation !== undefined)
      patch.metadata = { annotations: { [opts.annotation.key]: opts.annotation.value } };
    const r = await this.request("PATCH", `/api/v1/nodes/${encodeURIComponent(name)}`, {
      target: `node/${name}`,
      body: patch,
      contentType: "application/merge-patch+json",
    });
    return KubeClient.node(r.body);
  }

  /**
   * Makes a Node schedulable again, removing the named annotation if given.
   * @param {string} name
   * @param {{ removeAnnotation?: string }} [opts]
   */
  async uncordon(name, opts = {}) {
    /** @type {any} */
    const patch = { spec: { unschedulable: null } };
    if (opts.removeAnnotation !== undefined)
      patch.metadata = { annotations: { [opts.removeAnnotation]: null } };
    const r = await this.request("PATCH", `/api/v1/nodes/${encodeURIComponent(name)}`, {
      target: `node/${name}`,
      body: patch,
      contentType: "application/merge-patch+json",
    });
    return KubeClient.node(r.body);
  }

  /**
   * The pods scheduled on a node.
   * @param {string} nodeName
   * @returns {Promise<KubePod[]>}
   */
  async listPods(nodeName) {
    const q = encodeURIComponent(`spec.nodeName=${nodeName}`);
    const r = await this.request("GET", `/api/v1/pods?fieldSelector=${q}`, {
      target: `node/${nodeName}`,
    });
    return (r.body?.items ?? []).map((/** @type {any} */ p) => {
      const owner =
        (p.metadata?.ownerReferences ?? []).find((/** @type {any} */ o) => o.controller === true) ??
        p.metadata?.ownerReferences?.[0];
      return {
        namespace: p.metadata.namespace,
        name: p.metadata.name,
        nodeName: p.spec?.nodeName ?? "",
        ownerKind: owner?.kind ?? "",
        mirror: typeof p.metadata?.annotations?.["kubernetes.io/config.mirror"] === "string",
        annotations: { ...(p.metadata?.annotations ?? {}) },
        phase: p.status?.phase ?? "",
        ready: (p.status?.conditions ?? []).some(
          (/** @type {any} */ c) => c.type === "Ready" && c.status === "True",
        ),
        containers: (p.spec?.containers ?? []).map((/** @type {any} */ c) => ({
          name: c.name,
          image: c.image,
        })),
      };
    });
  }

  /**
   * Asks for one pod's eviction (policy/v1). Resolves `evicted`, or `blocked` when a
   * PodDisruptionBudget refuses it now (429); other answers throw.
   * @param {string} namespace
   * @param {string} name
   * @returns {Promise<"evicted" | "blocked" | "gone">}
   */
  async evictPod(namespace, name) {
    const r = await this.request(
      "POST",
      `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}/eviction`,
      {
        target: `pod/${namespace}/${name}`,
        body: { apiVersion: "policy/v1", kind: "Eviction", metadata: { namespace, name } },
        okStatus: [200, 201, 404, 429],
      },
    );
    return r.status === 429 ? "blocked" : r.status === 404 ? "gone" : "evicted";
  }

  /**
   * Evicts every pod on a node except DaemonSet and mirror pods, retrying PDB refusals
   * (429) with bounded backoff until the drain deadline, then waits for the pods to go.
   * Fails naming the node and the first pod still there. Does not cordon.
   * @param {string} nodeName
   * @param {{ timeoutMs?: number, retry?: Partial<RetryPolicy>, onProgress?: (line: string) => void }} [opts]
   * @returns {Promise<{ evicted: string[], skipped: string[] }>}
   */
  async drain(nodeName, opts = {}) {
    const timeoutMs = opts.timeoutMs ?? 300000;
    const policy = { ...DEFAULT_RETRY, baseMs: 200, maxMs: 5000, ...(opts.retry ?? {}) };
    const deadline = Date.now() + timeoutMs;
    const pods = await this.listPods(nodeName);
    const skipped = pods
      .filter((p) => p.ownerKind === "DaemonSet" || p.mirror)
      .map((p) => `${p.namespace}/${p.name}`);
    const pending = pods.filter((p) => !(p.ownerKind === "DaemonSet" || p.mirror));
    /** @type {string[]} */
    const evicted = [];
    for (const pod of pending) {
      const id = `${pod.namespace}/${pod.name}`;
      for (let attempt = 1; ; attempt++) {
        const outcome = await this.evictPod(pod.namespace, pod.name);
        if (outcome !== "blocked") {
          evicted.push(id);
          opts.onProgress?.(`${nodeName}: evicted ${id}`);
          break;
        }
        const pause = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(attempt - 1, 20));
        if (Date.now() + pause > deadline) {
          throw new Day2Error({
            target: `node/${nodeName}`,
            call: "drain",
            code: "429 TooManyRequests",
            details: `pod ${id} could not be evicted within the ${timeoutMs} ms drain deadline: its PodDisruptionBudget refused ${attempt} times`,
            attempts: attempt,
            hint: "let the budget allow it (more replicas) or raise the drain deadline; nothing was reset",
          });
        }
        opts.onProgress?.(`${nodeName}: ${id} blocked by its PodDisruptionBudget, retrying`);
        await delay(pause);
      }
    }
    // Evicted pods take their grace period to go; wait for them within the same deadline.
    for (;;) {
      const left = (await this.listPods(nodeName)).filter((p) =>
        evicted.includes(`${p.namespace}/${p.name}`),
      );
      if (left.length === 0) return { evicted, skipped };
      if (Date.now() >= deadline) {
        throw new Day2Error({
          target: `node/${nodeName}`,
          call: "drain",
          code: "TIMEOUT",
          details: `pod ${left[0].namespace}/${left[0].name} was evicted but still exists after the ${timeoutMs} ms drain deadline`,
          attempts: 1,
        });
      }
      await delay(Math.min(500, Math.max(5, deadline - Date.now())));
    }
  }

  /**
   * Deletes a Node object; a Node already gone is not an error.
   * @param {string} name
   * @returns {Promise<"deleted" | "absent">}
   */
  async deleteNode(name) {
    const r = await this.request("DELETE", `/api/v1/nodes/${encodeURIComponent(name)}`, {
      target: `node/${name}`,
      okStatus: [200, 202, 404],
    });
    return r.status === 404 ? "absent" : "deleted";
  }

  /**
   * Where an object lives: its REST path from API discovery (`/api/v1`,
   * `/apis/<group>/<version>`), as kubectl and client-go's REST mapper find it.
   * A kind the server does not serve at that version is an error naming both.
   * @param {{ apiVersion: string, kind: string, namespace?: string, name?: string }} ref
   * @returns {Promise<string>}
   */
  async pathOf(ref) {
    const { base, kind } = await this.served(ref.apiVersion, ref.kind, ref.name);
    const ns = kind.namespaced
      ? `/namespaces/${encodeURIComponent(ref.namespace ?? "default")}`
      : "";
    return `${base}${ns}/${kind.plural}${ref.name === undefined ? "" : `/${encodeURIComponent(ref.name)}`}`;
  }

  /**
   * How the API server serves a kind at a version: its REST name and whether it is
   * namespaced (API discovery, cached per group version). A kind not served is an error
   * with code NOT_SERVED naming both.
   * @param {string} apiVersion
   * @param {string} kindName
   * @param {string} [name] For the error's target.
   * @returns {Promise<{ base: string, kind: { plural: string, namespaced: boolean } }>}
   */
  async served(apiVersion, kindName, name) {
    const base = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    let kinds = this.discovery.get(base);
    if (kinds === undefined) {
      kinds = this.request("GET", base, { target: apiVersion, okStatus: [200, 404] }).then(
        (r) =>
          new Map(
            (r.status === 404 ? [] : (r.body?.resources ?? []))
              .filter((/** @type {any} */ x) => !String(x.name).includes("/"))
              .map((/** @type {any} */ x) => [
                String(x.kind),
                { plural: String(x.name), namespaced: x.namespaced === true },
              ]),
          ),
      );
      this.discovery.set(base, kinds);
      kinds.catch(() => this.discovery.delete(base));
    }
    const kind = (await kinds).get(kindName);
    if (kind === undefined)
      throw new Day2Error({
        target: `${kindName}/${name ?? ""}`,
        call: `Kubernetes GET ${base}`,
        code: "NOT_SERVED",
        details: `the API server does not serve ${kindName} at ${apiVersion}`,
        attempts: 1,
      });
    return { base, kind };
  }

  /**
   * The version the API server prefers for a group (`/apis` discovery; `v1` for the
   * core group), as a REST mapper resolves a group and kind without a version.
   * Undefined when the server does not serve the group.
   * @param {string} group
   * @returns {Promise<string | undefined>}
   */
  async preferredVersion(group) {
    if (group === "") return "v1";
    const r = await this.request("GET", "/apis", { target: "API groups" });
    const g = (r.body?.groups ?? []).find((/** @type {any} */ x) => x?.name === group);
    const v = g?.preferredVersion?.version;
    return typeof v === "string" ? v : undefined;
  }

  /**
   * One object, or null when it does not exist.
   * @param {{ apiVersion: string, kind: string, namespace?: string, name: string }} ref
   * @returns {Promise<any>}
   */
  async getObject(ref) {
    const r = await this.request("GET", await this.pathOf(ref), {
      target: objectName(ref),
      okStatus: [200, 404],
    });
    return r.status === 404 ? null : r.body;
  }

  /**
   * Every object of a kind (in a namespace, or everywhere); none when the server does not
   * serve the kind at that version.
   * @param {{ apiVersion: string, kind: string, namespace?: string }} ref
   * @returns {Promise<any[]>}
   */
  async listObjects(ref) {
    let path;
    try {
      path = await this.pathOf(ref);
    } catch (e) {
      if (e instanceof Day2Error && e.code === "NOT_SERVED") return [];
      throw e;
    }
    if (ref.namespace === undefined) path = path.replace(/\/namespaces\/[^/]+\//, "/");
    const r = await this.request("GET", path, { target: `${ref.kind} list` });
    return r.body?.items ?? [];
  }

  /**
   * How many objects of a resource the server lists (every namespace), by its REST name
   * as go-kubernetes' upgrade checks name removed ones (`podsecuritypolicies.v1beta1.policy`);
   * null when the server does not serve it (404).
   * @param {{ group: string, version: string, resource: string }} ref
   * @returns {Promise<number | null>}
   */
  async countResource(ref) {
    const base = ref.group === "" ? `/api/${ref.version}` : `/apis/${ref.group}/${ref.version}`;
    const r = await this.request("GET", `${base}/${ref.resource}`, {
      target: `${ref.resource}.${ref.version}.${ref.group} list`,
      okStatus: [200, 404],
    });
    return r.status === 404 ? null : (r.body?.items ?? []).length;
  }

  /**
   * A server-side apply of `obj` (whole, as the manager wants it), with `force` taking
   * over fields another manager set, as `kubectl apply --server-side --force-conflicts`;
   * with `dryRun`, what the server would store, nothing stored (`dryRun=All`).
   * @param {any} obj
   * @param {{ fieldManager: string, force?: boolean, dryRun?: boolean }} how
   * @returns {Promise<any>} The object as stored (or as it would be).
   */
  async applyObject(obj, how) {
    const ref = refOfObject(obj);
    const query = `?fieldManager=${encodeURIComponent(how.fieldManager)}${how.force === true ? "&force=true" : ""}${how.dryRun === true ? "&dryRun=All" : ""}`;
    const r = await this.request("PATCH", `${await this.pathOf(ref)}${query}`, {
      target: objectName(ref),
      body: obj,
      contentType: "application/apply-patch+yaml",
    });
    return r.body;
  }

  /**
   * Creates an object (POST); throws, code `409 AlreadyExists`, when it exists.
   * @param {any} obj
   * @param {{ fieldManager: string }} how
   * @returns {Promise<any>} The object as stored.
   */
  async createObject(obj, how) {
    const ref = refOfObject(obj);
    const collection = await this.pathOf({ ...ref, name: undefined });
    const r = await this.request(
      "POST",
      `${collection}?fieldManager=${encodeURIComponent(how.fieldManager)}`,
      { target: objectName(ref), body: obj },
    );
    return r.body;
  }

  /**
   * Replaces an object (PUT): an update, conditional on `metadata.resourceVersion` when
   * the object carries one (a 409 Conflict when it moved). With `dryRun`, nothing stored.
   * @param {any} obj
   * @param {{ fieldManager: string, dryRun?: boolean }} how
   * @returns {Promise<any>} The object as stored (or as it would be).
   */
  async updateObject(obj, how) {
    const ref = refOfObject(obj);
    const query = `?fieldManager=${encodeURIComponent(how.fieldManager)}${how.dryRun === true ? "&dryRun=All" : ""}`;
    const r = await this.request("PUT", `${await this.pathOf(ref)}${query}`, {
      target: objectName(ref),
      body: obj,
    });
    return r.body;
  }

  /**
   * Deletes an object (dependents in the background); "absent" when it was not there.
   * @param {{ apiVersion: string, kind: string, namespace?: string, name: string }} ref
   * @returns {Promise<"deleted" | "absent">}
   */
  async deleteObject(ref) {
    const r = await this.request(
      "DELETE",
      `${await this.pathOf(ref)}?propagationPolicy=Background`,
      {
        target: objectName(ref),
        okStatus: [200, 202, 404],
      },
    );
    return r.status === 404 ? "absent" : "deleted";
  }
}

/**
 * A Kubernetes client for a kubeconfig.
 * @param {KubeClientOptions} opts
 */
function createKubeClient(opts) {
  return new KubeClient(opts);
}

module.exports = { KubeClient, createKubeClient, readKubeconfig, objectName };
