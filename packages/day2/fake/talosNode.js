// @ts-check
/**
 * One fake Talos node: a grpc-js server on 127.0.0.1 speaking em-infra's minimal
 * machine API over mutual TLS, driven by a small state machine. While a node reboots
 * (or is down, or reset) its server is really stopped, so a client sees what it would
 * see against a machine: refused connections, then a new boot.
 */
"use strict";

const crypto = require("node:crypto");
const grpc = require("@grpc/grpc-js");
const protoLoader = require("@grpc/proto-loader");
const { PROTO_FILES, LOADER_OPTIONS } = require("../lib/proto");
const { writeTarGz } = require("../lib/tar");
const { maintenanceServerCert } = require("./certs");
const { isDeepStrictEqual } = require("node:util");
const resources = require("./talosResources");
const { parseYaml } = require("./yamlMemo");
const { FakeEtcd } = require("./etcd");
const { Spares } = require("./spares");

/**
 * @typedef {"running" | "upgrading" | "rebooting" | "down" | "reset" | "maintenance"} NodePhase
 * `running`: serving. `upgrading`: serving while an upgrade is staged (legacy path: about
 * to reboot). `rebooting`: stopped, coming back. `down`: stopped for good (a fault).
 * `reset`: wiped by a Reset call and powered off. `maintenance`: wiped by a Reset that
 * asked for a reboot, booted again without a configuration: Talos then serves its
 * maintenance API with a self-signed certificate, and none of the cluster's calls
 * (`internal/app/maintenance`, v1.13).
 */

/**
 * @typedef {object} FakeService
 * @property {string} id
 * @property {string} state
 * @property {boolean} healthy
 * @property {string} lastMessage
 */

/** @typedef {import("./cluster").FakeCluster} FakeCluster */

/** @type {Record<string, grpc.ServiceDefinition> | undefined} */
let serviceDefs;
function definitions() {
  if (serviceDefs === undefined) {
    const pkg = protoLoader.loadSync(PROTO_FILES, { ...LOADER_OPTIONS });
    serviceDefs = {
      MachineService: /** @type {grpc.ServiceDefinition} */ (
        /** @type {unknown} */ (pkg["machine.MachineService"])
      ),
      LifecycleService: /** @type {grpc.ServiceDefinition} */ (
        /** @type {unknown} */ (pkg["machine.LifecycleService"])
      ),
      ImageService: /** @type {grpc.ServiceDefinition} */ (
        /** @type {unknown} */ (pkg["machine.ImageService"])
      ),
      State: /** @type {grpc.ServiceDefinition} */ (
        /** @type {unknown} */ (pkg["cosi.resource.State"])
      ),
    };
  }
  return serviceDefs;
}

/** The control-plane static pods whose images a configuration sets. */
const STATIC_PODS = ["kube-apiserver", "kube-controller-manager", "kube-scheduler"];

/** The installer image's tag: `…/installer:v1.13.3` -> `v1.13.3`. @param {string} image */
function imageTag(image) {
  const m = /:([^:/@]+)(?:@sha256:[0-9a-f]+)?$/.exec(image);
  return m === null ? undefined : m[1];
}

/** @param {number} code @param {string} details */
function rpcError(code, details) {
  return /** @type {grpc.ServiceError} */ (
    Object.assign(new Error(details), { code, details, metadata: new grpc.Metadata() })
  );
}

class FakeTalosNode {
  /**
   * @param {FakeCluster} cluster
   * @param {{ name: string, ip: string, role: "controlplane" | "worker" }} spec
   * @param {{ cert: string, key: string }} serverCert
   * @param {string} caCert
   */
  constructor(cluster, spec, serverCert, caCert) {
    /** @readonly */ this.cluster = cluster;
    /** @readonly */ this.name = spec.name;
    /** @readonly */ this.ip = spec.ip;
    /** @readonly */ this.role = spec.role;
    /** @private */ this.serverCert = serverCert;
    /** @private */ this.caCert = caCert;
    /** The Talos release it runs. */
    // A node the legacy fault names runs the last v1.12 release (unless the cluster
    // already starts older): what it serves follows from its version (`legacy`).
    this.version =
      cluster.faults.legacyOnly.includes(spec.name) && !olderThan113(cluster.options.talosVersion)
        ? LEGACY_VERSION
        : cluster.options.talosVersion;
    /** A staged upgrade's release, applied at the next boot. @type {string | undefined} */
    this.pendingVersion = undefined;
    /** A new random id at every boot. */
    this.bootId = crypto.randomUUID();
    /** Seconds since the epoch, strictly increasing across boots. */
    this.bootTime = Math.floor(Date.now() / 1000);
    /** How many times it booted since the fake started. */
    this.boots = 1;
    /**
     * The control-plane static pods the kubelet does not report Ready: each from a boot,
     * or from a change of its manifest, until `staticPodReadyMs` later, as the kubelet
     * starts its container anew (for ever, when a fault says it crashloops).
     * @type {Set<string>}
     */
    this.podsNotReady = new Set();
    /** @type {NodePhase} */
    this.phase = "running";
    /** Its kubelet restarts at a new image (`kubeletRestartMs`): its Node is NotReady. */
    this.kubeletRestarting = false;
    /** The kubelet release its configuration asks for. */
    this.kubeletVersion = `v${cluster.options.kubernetesVersion.replace(/^v/, "")}`;
    const k8s = cluster.options.kubernetesVersion.replace(/^v/, "");
    /**
     * Control planes: each static pod's image (kube-apiserver, kube-controller-manager,
     * kube-scheduler), as the configuration sets it; their mirror pods report it.
     * @type {Record<string, string>}
     */
    this.staticPodImages =
      spec.role === "controlplane"
        ? Object.fromEntries(STATIC_PODS.map((c) => [c, `registry.k8s.io/${c}:v${k8s}`]))
        : {};
    /**
     * Control planes: the version of each component's configuration resource its static
     * pod was started from (the `talos.dev/config-version` annotation).
     * @type {Record<string, string>}
     */
    this.staticPodVersions = {};
    /** Its resources (COSI), as its controllers keep them. */
    this.resources = new resources.ResourceStore();
    /**
     * The configuration it runs (a node always runs one: the fake starts from a minimal
     * one at its versions), and one staged for the next boot.
     * @type {string | undefined}
     */
    this.config = cluster.options.initialConfig?.(spec) ?? resources.initialConfig(spec.role, k8s);
    /** @type {string | undefined} */
    this.stagedConfig = undefined;
    /** Every image pulled, with the containerd namespace it went to. @type {{ ref: string, namespace: string }[]} */
    this.pulled = [];
    /** The snapshot an EtcdRecover call uploaded. @type {Buffer | undefined} */
    this.uploadedSnapshot = undefined;
    /** The partitions a Reset wiped. @type {string[]} */
    this.wiped = [];
    /** The port its server listens on (fixed across restarts). */
    this.port = 0;
    this.refresh({ restart: false });
    /** @private @type {grpc.Server | undefined} */
    this.server = undefined;
    /** @private @type {Set<NodeJS.Timeout>} */
    this.timers = new Set();
    /** @private */ this.stopped = false;
    /** @private @type {Set<import("node:net").Socket>} */
    this.sockets = new Set();
  }

  /** `127.0.0.1:<port>`: where a client dials this node. */
  get endpoint() {
    return `127.0.0.1:${this.port}`;
  }

  /**
   * Whether it runs a release older than v1.13: no LifecycleService, no ImageService
   * (both added in v1.13.0), the v1.12 manifest controller.
   */
  get legacy() {
    return olderThan113(this.version);
  }

  /** Whether its Kubernetes Node is cordoned (spec.unschedulable). */
  get cordoned() {
    return this.cluster.kube.cordoned(this.name);
  }

  /** Whether its Kubernetes Node is Ready: serving, kubelet up. */
  get ready() {
    return this.phase === "running" || this.phase === "upgrading";
  }

  /** The services it reports, healthy unless a fault says otherwise. @returns {FakeService[]} */
  services() {
    const ids =
      this.role === "controlplane"
        ? ["apid", "containerd", "cri", "etcd", "kubelet", "machined", "trustd"]
        : ["apid", "containerd", "cri", "kubelet", "machined"];
    const c = this.cluster;
    const etcdState = this.etcdServiceState();
    return ids
      .filter((id) => id !== "etcd" || etcdState !== undefined)
      .map((id) => {
        if (id === "etcd" && etcdState !== undefined && etcdState.state !== "Running")
          return { id, healthy: false, ...etcdState };
        const sick =
          (id === "etcd" && !c.etcd.healthy(this.name)) ||
          (id === "kubelet" && c.faults.unhealthyKubelet.includes(this.name));
        return {
          id,
          state: "Running",
          healthy: !sick,
          lastMessage: !sick
            ? ""
            : id === "kubelet"
              ? "kubelet is unhealthy (fault injected)"
              : c.etcd.quorumLost
                ? "etcdserver: no leader"
                : "etcd member is unhealthy (fault injected)",
        };
      });
  }

  /**
   * The etcd service's state, as Talos's service runner reports it
   * (`internal/app/machined/pkg/system/service_runner.go`): `Waiting` while its
   * conditions and its `/var/lib` volume are not there yet, `Preparing` while its
   * pre-start step waits to join or be bootstrapped (data directory empty), `Failed`
   * when that step failed (a restore that did not verify), `Finished` ("Bootstrap
   * requested") while a Bootstrap replaces the waiting service, `Running` as a member.
   * Undefined on a worker, or a control plane the fake keeps out of etcd.
   * @returns {{ state: string, lastMessage: string } | undefined}
   */
  etcdServiceState() {
    const c = this.cluster;
    if (this.role !== "controlplane") return undefined;
    const failed = c.etcdFailed.get(this.name);
    if (failed !== undefined) return { state: "Failed", lastMessage: failed };
    if (c.etcdBootstrapping.has(this.name))
      return { state: "Finished", lastMessage: "Bootstrap requested" };
    if (c.etcdWaiting.has(this.name))
      return { state: "Waiting", lastMessage: "Waiting for volume /var/lib to be mounted" };
    if (c.awaitingBootstrap.has(this.name))
      return { state: "Preparing", lastMessage: "Running pre state" };
    if (c.etcd.memberOf(this.name) !== undefined) return { state: "Running", lastMessage: "" };
    return undefined;
  }

  /**
   * Starts serving (on a fresh port the first time, on the same port afterwards).
   * With the connection-refused fault it only reserves a closed port.
   */
  async start() {
    if (this.cluster.faults.connectionRefused.includes(this.name)) {
      this.port = await closedPort();
      this.setPhase("down");
      return;
    }
    await this.listen();
  }

  /**
   * @private
   * @param {{ maintenance?: boolean }} [how] Maintenance mode: a self-signed certificate,
   *   no client certificate asked for, and none of the cluster's services.
   */
  async listen(how = {}) {
    const kind = serverKind(how, this.legacy);
    const cert = how.maintenance === true ? maintenanceServerCert(this.ip) : this.serverCert;
    const ca = how.maintenance === true ? null : this.caCert;
    // A closed server that serves the same with the same certificate: the one this node
    // left at its last halt, or one a stopped node left (spare).
    const key = spareKey(kind, cert, ca);
    const kept = spares.take(key, this);
    if (kept !== undefined) {
      this.port = await listenAgain(kept, this.port);
      return this.serveFrom(kept);
    }
    // No channelz statistics: nothing reads them, and grpc-js keeps them per connection.
    const server = new grpc.Server({ "grpc.enable_channelz": 0 });
    // The node the server answers for: this one now, another node later if it is
    // handed on (spares.take). Every handler looks it up at each call.
    const route = spares.add(server, key, this);
    const defs = definitions();
    if (how.maintenance !== true) {
      server.addService(
        defs.MachineService,
        routed(route, (n) => ({
          ...n.machineHandlers(),
          EtcdRecover: (
            /** @type {grpc.ServerReadableStream<any, any>} */ c,
            /** @type {grpc.sendUnaryData<any>} */ cb,
          ) => n.etcdRecover(c, cb),
        })),
      );
      server.addService(
        defs.LifecycleService,
        routed(route, (n) => ({
          Upgrade: n.wrapStream("LifecycleService.Upgrade", (c) => n.lifecycleUpgrade(c)),
        })),
      );
      // ImageService exists from Talos v1.13.0: an older node answers Unimplemented, as
      // grpc-go does for a service it does not register.
      if (!this.legacy)
        server.addService(
          defs.ImageService,
          routed(route, (n) => ({
            Pull: n.wrapStream("ImageService.Pull", (c) => n.imagePull(c)),
          })),
        );
      server.addService(
        defs.State,
        routed(route, (n) => n.stateHandlers()),
      );
    }
    const creds = grpc.ServerCredentials.createSsl(
      ca === null ? null : Buffer.from(ca),
      [{ private_key: Buffer.from(cert.key), cert_chain: Buffer.from(cert.cert) }],
      how.maintenance !== true,
    );
    this.port = await new Promise((resolve, reject) =>
      server.bindAsync(`127.0.0.1:${this.port}`, creds, (err, port) =>
        err ? reject(err) : resolve(port),
      ),
    );
    // grpc-js forgets a connection still in its TLS handshake when it shuts down, and
    // that socket would keep the test process alive: track raw connections to end them.
    for (const h of listenersOf(server)) {
      h.on("connection", (/** @type {import("node:net").Socket} */ socket) => {
        // A closed spare server accepts nothing; it answers for a node while it listens.
        const sockets = route.owner?.sockets;
        if (sockets === undefined) return void socket.destroy();
        sockets.add(socket);
        socket.on("close", () => sockets.delete(socket));
      });
    }
    this.serveFrom(server);
  }

  /**
   * @private
   * @param {grpc.Server} server listening now
   */
  serveFrom(server) {
    // The cluster stopped while this node was booting: do not outlive it.
    if (this.stopped) {
      closeAll(server);
      this.dropSockets();
      giveSpare(server);
      return;
    }
    this.server = server;
  }

  /** @private Ends every raw connection left after a shutdown. */
  dropSockets() {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  /**
   * Stops serving as a machine going down would: no new connections, calls in flight
   * (the Reboot that asked for it) finish, then every connection drops. A hung call
   * does not finish: it is dropped after a short grace. The server goes spare, closed,
   * for the next boot that serves the same (a new one cost a TLS context and 1.4 ms of
   * CPU per boot, a thousand boots in a test run).
   * @private
   * @returns {Promise<void>}
   */
  halt() {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return Promise.resolve();
    /** @type {import("node:http2").ServerHttp2Session[]} */
    const sessions = [];
    for (const [h, info] of listenerEntries(server)) {
      h.close();
      sessions.push(...info.sessions);
    }
    return new Promise((resolve) => {
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        clearTimeout(force);
        for (const session of sessions) session.destroy();
        this.dropSockets();
        giveSpare(server);
        resolve();
      };
      const force = setTimeout(finish, 20);
      let open = sessions.length;
      if (open === 0) finish();
      for (const session of sessions) session.close(() => --open === 0 && finish());
    });
  }

  /**
   * Stops everything for good (the cluster is stopping). Its server stops listening,
   * drops every connection, and goes spare, closed, for a node of a later fake cluster
   * that presents the same certificate (spares.take).
   */
  stop() {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const server = this.server;
    this.server = undefined;
    if (server !== undefined) closeAll(server);
    this.dropSockets();
    if (server !== undefined) giveSpare(server);
  }

  /**
   * @private
   * @param {number} ms
   * @param {() => void | Promise<void>} fn
   */
  after(ms, fn) {
    const t = setTimeout(() => {
      this.timers.delete(t);
      void Promise.resolve(fn()).catch((e) =>
        this.cluster.log.record(this.name, "fake-error", String(e)),
      );
    }, ms);
    this.timers.add(t);
  }

  /** @param {NodePhase} phase @param {string} [detail] */
  setPhase(phase, detail) {
    const wasServing = this.ready;
    this.phase = phase;
    this.cluster.log.record(this.name, "state", phase, detail);
    if (wasServing && !this.ready) this.cluster.nodeStoppedServing(this.name);
  }

  /** Whether every control-plane static pod is Ready. */
  get staticPodsReady() {
    return this.podsNotReady.size === 0;
  }

  /**
   * Whether a crashloops fault holds for this component as it is configured now: its
   * image at the fault's version and, with a `flag`, that flag among its extraArgs.
   * @param {string} component
   */
  crashloops(component) {
    const args = parseYaml(this.componentResource(component)?.yaml ?? "{}")?.extraArgs ?? {};
    return this.cluster.faults.crashloops.some(
      (f) =>
        f.node === this.name &&
        f.component === component &&
        imageTag(this.staticPodImages[component] ?? "") === f.version &&
        (f.flag === undefined || f.flag in args),
    );
  }

  /**
   * The kubelet (re)starts static pods, after a boot (all of them) or when their
   * manifests changed: each Ready only after the fake's `staticPodReadyMs`; never with
   * the staticPodsNeverReady fault, nor one that crashloops at its current image.
   * @private
   * @param {readonly string[]} [components]
   */
  startStaticPods(components = Object.keys(this.staticPodImages)) {
    if (this.role !== "controlplane" || components.length === 0) return;
    for (const c of components) {
      this.podsNotReady.add(c);
      this.staticPodVersions[c] = this.componentVersion(c);
    }
    const faults = this.cluster.faults;
    this.after(this.cluster.options.staticPodReadyMs, () => {
      if (!this.ready || faults.staticPodsNeverReady.includes(this.name)) return;
      for (const c of components) if (!this.crashloops(c)) this.podsNotReady.delete(c);
      if (this.podsNotReady.size === 0) this.cluster.log.record(this.name, "static-pods", "ready");
    });
  }

  /**
   * Goes down now and, unless a fault keeps it down, boots again after the simulated
   * reboot time: a new boot id and time, any staged version and configuration applied.
   * @param {string} why
   */
  async rebootNow(why) {
    this.setPhase("rebooting", why);
    await this.halt();
    this.after(this.cluster.options.rebootMs, async () => {
      if (this.cluster.faults.neverComesBack.includes(this.name)) {
        this.setPhase("down", "never came back (fault injected)");
        return;
      }
      if (this.pendingVersion !== undefined) {
        this.version =
          this.cluster.faults.wrongVersionAfterUpgrade[this.name] ?? this.pendingVersion;
        this.pendingVersion = undefined;
      }
      if (this.stagedConfig !== undefined) {
        this.config = this.stagedConfig;
        this.stagedConfig = undefined;
        this.cluster.options.onApplyConfiguration?.(this, this.config);
      }
      this.newBoot();
      await this.listen();
      this.setPhase("running", `boot ${this.boots} ${this.version}`);
      // A new release renders its own bootstrap manifests; every static pod starts anew.
      this.refresh({ restart: false });
      this.startStaticPods();
    });
  }

  /** @private A new boot id, and a later boot time unless the clock-behind fault says otherwise. */
  newBoot() {
    this.bootId = crypto.randomUUID();
    this.bootTime = this.cluster.faults.clockBehindAfterReboot.includes(this.name)
      ? this.bootTime - 3600
      : Math.max(Math.floor(Date.now() / 1000), this.bootTime + 1);
    this.boots++;
  }

  /** @private @param {string} text */
  applyConfigText(text) {
    this.config = text;
    this.refresh({ restart: this.ready });
    this.cluster.options.onApplyConfiguration?.(this, text);
  }

  /**
   * The controllers' pass after a configuration change or a boot: the resources follow
   * the configuration; a static pod whose configuration resource moved is restarted by
   * the kubelet (when `restart`); the bootstrap manifests create what is missing.
   * @private
   * @param {{ restart: boolean }} how
   */
  refresh(how) {
    const doc = resources.v1alpha1Of(this.config ?? "");
    const kubelet = imageTag(doc.machine?.kubelet?.image ?? "");
    if (kubelet !== undefined && kubelet !== this.kubeletVersion) {
      // A running kubelet restarts at its new image: its Node is NotReady meanwhile, and
      // reports the new version once it posts status again.
      const ms = this.cluster.options.kubeletRestartMs;
      if (how.restart && ms > 0) {
        this.kubeletRestarting = true;
        this.after(ms, () => {
          this.kubeletRestarting = false;
          this.kubeletVersion = kubelet;
        });
      } else this.kubeletVersion = kubelet;
    }
    const moved = resources.reconcile(this.resources, {
      role: this.role,
      config: this.config ?? "",
      talosVersion: this.version,
      kubeletVersion: this.kubeletVersion,
    });
    if (this.role === "controlplane")
      for (const c of Object.keys(resources.COMPONENT_RESOURCES)) {
        this.staticPodImages[c] = parseYaml(this.componentResource(c)?.yaml ?? "{}")?.image ?? "";
        this.staticPodVersions[c] ??= this.componentVersion(c);
      }
    if (how.restart) this.startStaticPods(moved);
    if (this.role === "controlplane" && this.ready) this.cluster.createBootstrapManifests(this);
  }

  /** @private @param {string} component */
  componentResource(component) {
    const { type } = /** @type {Record<string, { type: string }>} */ (
      resources.COMPONENT_RESOURCES
    )[component];
    return this.resources.get("controlplane", type, component);
  }

  /** The version of a component's configuration resource. @param {string} component */
  componentVersion(component) {
    return String(this.componentResource(component)?.version ?? "");
  }

  /** The bootstrap manifests' objects, by manifest id. @returns {Record<string, any[]>} */
  manifestsById() {
    return Object.fromEntries(
      this.resources
        .list("controlplane", "Manifests.kubernetes.talos.dev")
        .map((r) => [r.id, /** @type {any[]} */ (r.objects ?? parseYaml(r.yaml) ?? [])]),
    );
  }

  /**
   * Whether the fault "hang" applies to `call` on this node.
   * @private @param {string} call
   */
  hangs(call) {
    return this.cluster.faults.hang.some(
      (h) => (h.node === this.name || h.node === "*") && h.call === call,
    );
  }

  /**
   * Wraps a unary handler: the log, hang faults, and errors thrown as gRPC statuses.
   * @private
   * @param {string} call
   * @param {(req: any) => any} fn
   * @returns {grpc.handleUnaryCall<any, any>}
   */
  wrapUnary(call, fn) {
    return (c, cb) => {
      if (this.hangs(call)) {
        this.cluster.log.record(this.name, call, "hung");
        return;
      }
      /** @type {any} */
      let res;
      try {
        res = fn(c.request);
      } catch (e) {
        const err = /** @type {grpc.ServiceError} */ (e);
        this.cluster.log.record(this.name, call, grpc.status[err.code] ?? "UNKNOWN", err.details);
        cb(err);
        return;
      }
      this.cluster.log.record(this.name, call, "ok");
      cb(null, res);
    };
  }

  /**
   * @private
   * @param {string} call
   * @param {(c: grpc.ServerWritableStream<any, any>) => Promise<void>} fn
   * @returns {grpc.handleServerStreamingCall<any, any>}
   */
  wrapStream(call, fn) {
    return (c) => {
      if (this.hangs(call)) {
        this.cluster.log.record(this.name, call, "hung");
        return;
      }
      fn(c).then(
        () => {
          this.cluster.log.record(this.name, call, "ok");
          c.end();
        },
        (e) => {
          const err = /** @type {grpc.ServiceError} */ (e);
          this.cluster.log.record(this.name, call, grpc.status[err.code] ?? "UNKNOWN", err.details);
          c.emit("error", err);
        },
      );
    };
  }

  /**
   * A reset that wiped EPHEMERAL and kept STATE: down, then up again with the same
   * configuration and an empty /var. A control plane's etcd has lost its data: it is
   * no longer a member and waits (`Preparing`), joining only an etcd that has quorum.
   * @private
   * @param {string} wiped
   */
  async rebootWithoutEtcdData(wiped) {
    const c = this.cluster;
    this.setPhase("reset", wiped);
    if (this.role === "controlplane") {
      c.etcd.remove(this.name);
      c.etcdFailed.delete(this.name);
      c.awaitingBootstrap.add(this.name);
    }
    await this.halt();
    this.after(c.options.rebootMs, async () => {
      this.newBoot();
      await this.listen();
      this.setPhase("running", `boot ${this.boots}, ${wiped}`);
      this.refresh({ restart: false });
      this.startStaticPods();
      if (this.role === "controlplane" && c.etcd.members.length > 0 && !c.etcd.quorumLost)
        this.after(5, () => this.joinEtcd());
    });
  }

  /** A control plane whose etcd waits joins the running etcd. */
  joinEtcd() {
    const c = this.cluster;
    if (!c.awaitingBootstrap.has(this.name) || c.etcd.members.length === 0) return;
    c.awaitingBootstrap.delete(this.name);
    c.etcd.join(this);
    c.log.record(this.name, "etcd", "joined");
  }

  /** @private */
  requireControlPlane() {
    if (this.role !== "controlplane")
      throw rpcError(
        grpc.status.FAILED_PRECONDITION,
        `${this.name} is a worker: etcd does not run here`,
      );
  }

  /** @private */
  requireMember() {
    this.requireControlPlane();
    const member = this.cluster.etcd.memberOf(this.name);
    if (member === undefined)
      throw rpcError(
        grpc.status.FAILED_PRECONDITION,
        `etcd is not running on ${this.name}: not a member`,
      );
    return member;
  }

  /** @private @returns {grpc.UntypedServiceImplementation} */
  machineHandlers() {
    const etcd = this.cluster.etcd;
    return {
      // MachineService.ImagePull (machine.proto; deprecated, served by v1.12 and v1.13):
      // a unary pull into the CRI or system namespace.
      ImagePull: this.wrapUnary("ImagePull", (req) => {
        const ref = req.reference ?? "";
        if (this.cluster.faults.badImages.includes(ref) || imageTag(ref) === undefined)
          throw rpcError(grpc.status.NOT_FOUND, `failed to resolve reference "${ref}": not found`);
        this.pulled.push({ ref, namespace: req.namespace ?? "NS_UNKNOWN" });
        return { messages: [{}] };
      }),
      Version: this.wrapUnary("Version", () => ({
        messages: [
          {
            version: {
              tag: this.version,
              sha: "fake",
              built: "",
              goVersion: "go1.24",
              os: "linux",
              arch: "amd64",
            },
            platform: { name: "nocloud", mode: "cloud" },
            features: { rbac: true },
          },
        ],
      })),
      SystemStat: this.wrapUnary("SystemStat", () => ({
        messages: [{ bootTime: String(this.bootTime) }],
      })),
      ServiceList: this.wrapUnary("ServiceList", () => ({
        messages: [
          {
            services: this.services().map((s) => ({
              id: s.id,
              state: s.state,
              health: { unknown: false, healthy: s.healthy, lastMessage: s.lastMessage },
            })),
          },
        ],
      })),
      EtcdMemberList: this.wrapUnary("EtcdMemberList", () => {
        this.requireMember();
        return {
          messages: [
            {
              members: etcd.members.map((m) => ({
                id: m.id,
                hostname: m.hostname,
                peerUrls: [`https://${m.ip}:2380`],
                clientUrls: [`https://${m.ip}:2379`],
                isLearner: m.isLearner,
              })),
            },
          ],
        };
      }),
      EtcdStatus: this.wrapUnary("EtcdStatus", () => {
        const me = this.requireMember();
        return {
          messages: [
            {
              memberStatus: {
                memberId: me.id,
                leader: etcd.leader ?? "0",
                isLearner: me.isLearner,
                errors: etcd.healthy(this.name)
                  ? []
                  : [
                      etcd.quorumLost
                        ? "etcdserver: no leader"
                        : "etcdserver: member is unhealthy (fault injected)",
                    ],
                protocolVersion: "3.6.0",
                storageVersion: "3.6.0",
                dbSize: "1048576",
                dbSizeInUse: "524288",
                raftIndex: String(etcd.raftIndex),
                raftTerm: "2",
                raftAppliedIndex: String(etcd.raftIndex),
              },
            },
          ],
        };
      }),
      EtcdLeaveCluster: this.wrapUnary("EtcdLeaveCluster", () => {
        this.requireMember();
        etcd.checkCanRemove(this.name);
        etcd.remove(this.name);
        return { messages: [{}] };
      }),
      EtcdForfeitLeadership: this.wrapUnary("EtcdForfeitLeadership", () => {
        const me = this.requireMember();
        const to = etcd.forfeit(me.id);
        return { messages: [{ member: to ?? "" }] };
      }),
      EtcdRemoveMemberByID: this.wrapUnary("EtcdRemoveMemberByID", (req) => {
        this.requireMember();
        const id = String(req.memberId);
        const member = etcd.members.find((m) => m.id === id);
        if (member === undefined)
          throw rpcError(grpc.status.NOT_FOUND, `etcd member ${id} not found`);
        etcd.remove(member.hostname);
        return { messages: [{}] };
      }),
      Reboot: this.wrapUnary("Reboot", () => {
        if (this.cluster.faults.rebootDropsConnection.includes(this.name)) {
          // Go down before answering: the client sees the connection drop.
          setImmediate(() => void this.rebootNow("reboot requested"));
          throw rpcError(
            grpc.status.UNAVAILABLE,
            "Connection dropped (fake: node went down before answering)",
          );
        }
        setImmediate(() => void this.rebootNow("reboot requested"));
        return { messages: [{ actorId: crypto.randomUUID() }] };
      }),
      Reset: this.wrapUnary("Reset", (req) => {
        const ignored = this.cluster.faults.resetIgnored;
        if ((ignored[this.name] ?? 0) > 0) {
          // Answered, then nothing happens: the kind of reset Omni retries.
          ignored[this.name]--;
          return { messages: [{ actorId: crypto.randomUUID() }] };
        }
        if (
          req.graceful &&
          this.role === "controlplane" &&
          etcd.memberOf(this.name) !== undefined
        ) {
          etcd.checkCanRemove(this.name);
          etcd.remove(this.name);
        }
        this.wiped = (req.systemPartitionsToWipe ?? []).map((/** @type {any} */ p) => p.label);
        const wiped = `wiped ${this.wiped.length === 0 ? "all" : this.wiped.join(",")}`;
        // EPHEMERAL alone keeps STATE (the configuration): the node boots back into the
        // cluster with an empty /var, so a control plane's etcd has no data and waits
        // (Talos's disaster-recovery guide wipes exactly this before a recovery).
        const keepsState = this.wiped.length > 0 && this.wiped.every((l) => l === "EPHEMERAL");
        if (keepsState && req.reboot === true) {
          setImmediate(() => void this.rebootWithoutEtcdData(wiped));
          return { messages: [{ actorId: crypto.randomUUID() }] };
        }
        setImmediate(() => {
          this.setPhase("reset", wiped);
          void this.halt().then(() => {
            // With reboot, the wiped node boots into maintenance mode: no configuration,
            // no cluster certificates (a wiped STATE holds neither).
            if (req.reboot !== true) return;
            this.after(this.cluster.options.rebootMs, async () => {
              this.config = undefined;
              this.newBoot();
              await this.listen({ maintenance: true });
              this.setPhase("maintenance", `boot ${this.boots}, ${wiped}`);
            });
          });
        });
        return { messages: [{ actorId: crypto.randomUUID() }] };
      }),
      ApplyConfiguration: this.wrapUnary("ApplyConfiguration", (req) => {
        const text = Buffer.from(req.data ?? []).toString("utf8");
        // Talos diffs the new configuration against the running one, as parsed documents:
        // the same configuration is no change, so it never needs a reboot
        // (v1alpha1_server.go ApplyConfiguration).
        const same = isDeepStrictEqual(
          resources.parsedConfig(text),
          resources.parsedConfig(this.config),
        );
        const needsReboot = this.cluster.faults.configNeedsReboot.includes(this.name) && !same;
        /** @type {string} */
        let mode = req.mode;
        // As Talos does, AUTO resolves to the mode it would use, in a dry run too.
        if (mode === "AUTO" || mode === "TRY") mode = needsReboot ? "REBOOT" : "NO_REBOOT";
        if (req.dryRun)
          return {
            messages: [
              {
                mode,
                modeDetails: `dry run: nothing applied; ${same ? "no changes" : "the configuration differs"}`,
                warnings: [],
              },
            ],
          };
        if (mode === "NO_REBOOT" && needsReboot) {
          throw rpcError(
            grpc.status.INVALID_ARGUMENT,
            "this change cannot be applied without a reboot",
          );
        }
        if (mode === "STAGED") this.stagedConfig = text;
        else this.applyConfigText(text);
        if (mode === "REBOOT")
          setImmediate(() => void this.rebootNow("configuration applied with reboot"));
        return { messages: [{ mode, modeDetails: `applied in ${mode} mode`, warnings: [] }] };
      }),
      Read: this.wrapStream("Read", async (c) => {
        // apid lets only os:admin read files (Talos's role table for /machine.MachineService/Read).
        if (this.cluster.faults.readDenied.includes(this.name))
          throw rpcError(grpc.status.PERMISSION_DENIED, "not authorized");
        if (c.request.path !== "/proc/sys/kernel/random/boot_id")
          throw rpcError(grpc.status.NOT_FOUND, `open ${c.request.path}: no such file (fake)`);
        c.write({ bytes: Buffer.from(`${this.bootId}\n`) });
      }),
      EtcdSnapshot: this.wrapStream("EtcdSnapshot", async (c) => {
        this.requireMember();
        const faults = this.cluster.faults;
        if (faults.snapshotEmpty.includes(this.name)) return;
        // A member streams its own database even without quorum (etcd's Maintenance
        // Snapshot reads the local backend); the truncation fault cuts the trailer short.
        const data = faults.snapshotTruncated.includes(this.name)
          ? etcd.data.subarray(0, etcd.data.length - 7)
          : etcd.data;
        const third = Math.ceil(data.length / 3);
        for (let i = 0; i < data.length; i += third) {
          if (i > 0 && faults.snapshotFails.includes(this.name))
            throw rpcError(grpc.status.INTERNAL, "snapshot stream broke (fault injected)");
          c.write({ bytes: data.subarray(i, i + third) });
        }
        this.cluster.log.record(this.name, "snapshot-sent", sha256(data), `${data.length} bytes`);
      }),
      Bootstrap: this.wrapUnary("Bootstrap", (req) => {
        const c = this.cluster;
        // v1alpha1_server.go Bootstrap, in its order: CRI up (the fake's Waiting stands
        // for a boot not that far yet), a control plane, an empty etcd data directory.
        if (c.etcdWaiting.has(this.name))
          throw rpcError(grpc.status.FAILED_PRECONDITION, "bootstrap is not available yet");
        if (this.role !== "controlplane")
          throw rpcError(
            grpc.status.UNIMPLEMENTED,
            "bootstrap is only available on control plane nodes",
          );
        if (!c.awaitingBootstrap.has(this.name) && !c.etcdFailed.has(this.name))
          throw rpcError(grpc.status.ALREADY_EXISTS, "etcd data directory is not empty");
        const recover = req.recoverEtcd === true;
        const upload = this.uploadedSnapshot;
        this.uploadedSnapshot = undefined;
        c.awaitingBootstrap.delete(this.name);
        c.etcdFailed.delete(this.name);
        // Talos stops the waiting etcd and marks it Finished while the new one starts
        // (services/etcd.go BootstrapEtcd).
        c.etcdBootstrapping.add(this.name);
        c.log.record(this.name, "etcd", "bootstrap-requested", recover ? "recover" : "empty");
        // The restore runs in etcd's pre-start step after Bootstrap has answered
        // (services/etcd.go BootstrapEtcd, recoverFromSnapshot): a file that does not
        // verify shows as a Failed etcd service, not as an error here.
        this.after(c.options.etcdRestoreMs, () => {
          c.etcdBootstrapping.delete(this.name);
          /** @type {Buffer | undefined} */
          let db;
          if (recover) {
            const restored =
              upload === undefined
                ? {
                    error:
                      "error verifying snapshot: open /var/lib/etcd.snapshot: no such file or directory",
                  }
                : FakeEtcd.restore(upload, req.recoverSkipHashCheck === true);
            if ("error" in restored) {
              const why = restored.error.startsWith("error verifying")
                ? restored.error
                : `error recovering from the snapshot: ${restored.error}`;
              c.etcdFailed.set(this.name, `Failed to run pre stage: ${why}`);
              c.log.record(this.name, "etcd", "failed", why);
              return;
            }
            db = restored.db;
          }
          etcd.bootstrap(this, db);
          c.log.record(
            this.name,
            "etcd",
            "bootstrapped",
            // The restored database as a snapshot of it would stream (its sha256 appended).
            recover ? `from ${sha256(etcd.data)}` : "empty",
          );
          // The other control planes waiting for etcd join it, as Talos's do once it answers.
          for (const other of c.nodes) {
            if (other.role !== "controlplane" || !c.awaitingBootstrap.has(other.name)) continue;
            this.after(5, () => other.joinEtcd());
          }
        });
        return { messages: [{}] };
      }),
      Kubeconfig: this.wrapStream("Kubeconfig", async (c) => {
        if (this.role !== "controlplane") {
          throw rpcError(
            grpc.status.FAILED_PRECONDITION,
            "kubeconfig is served by control planes only",
          );
        }
        const tgz = writeTarGz({ kubeconfig: this.cluster.kubeconfig });
        const third = Math.ceil(tgz.length / 3);
        for (let i = 0; i < tgz.length; i += third) c.write({ bytes: tgz.subarray(i, i + third) });
      }),
      Upgrade: this.wrapUnary("Upgrade", (req) => {
        const tag = imageTag(req.image);
        if (tag === undefined)
          throw rpcError(grpc.status.INVALID_ARGUMENT, `image "${req.image}" has no tag`);
        if (!req.force && this.role === "controlplane") etcd.validateForUpgrade();
        this.pendingVersion = tag;
        this.setPhase("upgrading", `legacy ${req.image}`);
        this.after(this.cluster.options.upgradeMs, () =>
          this.rebootNow(`legacy upgrade to ${tag}`),
        );
        return { messages: [{ ack: "Upgrade request received", actorId: crypto.randomUUID() }] };
      }),
    };
  }

  /**
   * The resource API's reads (COSI State.Get and List), as apid serves them: a resource
   * the node does not have answers NotFound; a list of an unknown type is empty.
   * @private
   * @returns {grpc.UntypedServiceImplementation}
   */
  stateHandlers() {
    /** @param {{ namespace: string, type: string, id: string, version: number, yaml: string, annotations?: Record<string, string>, proto?: Buffer }} r */
    const wire = (r) => ({
      metadata: {
        namespace: r.namespace,
        type: r.type,
        id: r.id,
        version: String(r.version),
        owner: "",
        phase: "running",
        finalizers: [],
        labels: {},
        annotations: { ...(r.annotations ?? {}) },
      },
      spec: { protoSpec: r.proto ?? Buffer.alloc(0), yamlSpec: r.yaml },
    });
    return {
      Get: this.wrapUnary("resource Get", (req) => {
        const r = this.resources.get(req.namespace, req.type, req.id);
        if (r === undefined)
          throw rpcError(
            grpc.status.NOT_FOUND,
            `resource ${req.type}(${req.namespace}/${req.id}) doesn't exist`,
          );
        return { resource: wire(r) };
      }),
      List: this.wrapStream("resource List", async (c) => {
        for (const r of this.resources.list(c.request.namespace, c.request.type))
          c.write({ resource: wire(r) });
      }),
    };
  }

  /**
   * EtcdRecover, a client stream: the file a recovering Bootstrap restores etcd from,
   * kept as uploaded until that Bootstrap.
   * @private
   * @param {grpc.ServerReadableStream<any, any>} c
   * @param {grpc.sendUnaryData<any>} cb
   */
  etcdRecover(c, cb) {
    /** @type {Buffer[]} */
    const chunks = [];
    c.on("data", (m) => chunks.push(Buffer.from(m.bytes ?? [])));
    c.on("end", () => {
      const fail = (/** @type {number} */ code, /** @type {string} */ details) => {
        this.cluster.log.record(this.name, "EtcdRecover", grpc.status[code] ?? "UNKNOWN", details);
        cb(rpcError(code, details));
      };
      // v1alpha1_server.go EtcdRecover: refused until /var/lib exists (the etcd service
      // waits for that volume), then only on a control plane. It does not look at etcd's
      // state: an upload to a node that runs etcd is taken, and Bootstrap refuses later.
      if (this.cluster.etcdWaiting.has(this.name))
        return fail(grpc.status.FAILED_PRECONDITION, "etcd service is not ready for recovery yet");
      if (this.role !== "controlplane")
        return fail(
          grpc.status.UNIMPLEMENTED,
          "etcd recover is only available on control plane nodes",
        );
      this.uploadedSnapshot = Buffer.concat(chunks);
      this.cluster.log.record(
        this.name,
        "EtcdRecover",
        "ok",
        `${sha256(this.uploadedSnapshot)} ${this.uploadedSnapshot.length} bytes`,
      );
      cb(null, { messages: [{}] });
    });
  }

  /** @private @param {grpc.ServerWritableStream<any, any>} c */
  async lifecycleUpgrade(c) {
    if (this.legacy) {
      throw rpcError(grpc.status.UNIMPLEMENTED, "unknown service machine.LifecycleService");
    }
    const image = c.request.source?.imageName ?? "";
    const tag = imageTag(image);
    c.write({ progress: { message: `pulling ${image}` } });
    if (tag === undefined || this.cluster.faults.badImages.includes(image)) {
      c.write({ progress: { message: `failed to pull ${image}` } });
      c.write({ progress: { exitCode: 1 } });
      return;
    }
    this.setPhase("upgrading", image);
    await new Promise((resolve) =>
      this.after(this.cluster.options.upgradeMs, () => resolve(undefined)),
    );
    this.pendingVersion = tag;
    this.setPhase("running", `staged ${tag}`);
    c.write({ progress: { message: `staged ${image}; reboot to finish` } });
    c.write({ progress: { exitCode: 0 } });
  }

  /** @private @param {grpc.ServerWritableStream<any, any>} c */
  async imagePull(c) {
    const ref = c.request.imageRef ?? "";
    if (this.cluster.faults.badImages.includes(ref) || imageTag(ref) === undefined) {
      throw rpcError(grpc.status.NOT_FOUND, `failed to resolve reference "${ref}": not found`);
    }
    this.pulled.push({ ref, namespace: c.request.containerd?.namespace ?? "NS_UNKNOWN" });
    c.write({
      pullProgress: {
        layerId: "sha256:fake",
        progress: { status: "DOWNLOADING", offset: "0", total: "100" },
      },
    });
    c.write({
      pullProgress: {
        layerId: "sha256:fake",
        progress: { status: "EXTRACT_COMPLETE", offset: "100", total: "100" },
      },
    });
    c.write({ name: ref });
  }
}

/**
 * Servers no node listens with, closed, by what they serve and present: left by a
 * node's halt or stop, taken by the next node that boots to serve the same with the
 * same certificate, the same node after a reboot or one of a later fake cluster
 * (./spares.js). The certificates are the process's (certs.js), by node IP.
 * @type {Spares<grpc.Server, FakeTalosNode>}
 */
const spares = new Spares();

/**
 * @param {string} kind
 * @param {{ cert: string }} cert
 * @param {string | null} ca
 */
function spareKey(kind, cert, ca) {
  return `${kind}\n${cert.cert}\n${ca ?? ""}`;
}

/** @param {grpc.Server} server stopped listening, no connection left */
function giveSpare(server) {
  if (!spares.give(server)) server.forceShutdown();
}

/**
 * A service's handlers that call the handlers of whichever node the route names at the
 * time of the call (each node's table made once).
 * @param {{ owner: FakeTalosNode | undefined }} route
 * @param {(node: FakeTalosNode) => grpc.UntypedServiceImplementation} table
 * @returns {grpc.UntypedServiceImplementation}
 */
function routed(route, table) {
  /** @type {WeakMap<FakeTalosNode, grpc.UntypedServiceImplementation>} */
  const tables = new WeakMap();
  const of = (/** @type {FakeTalosNode} */ node) => {
    let t = tables.get(node);
    if (t === undefined) {
      t = table(node);
      tables.set(node, t);
    }
    return t;
  };
  const serving = () => {
    if (route.owner === undefined) throw new Error("a spare fake server was called");
    return route.owner;
  };
  /** @type {grpc.UntypedServiceImplementation} */
  const out = {};
  for (const name of Object.keys(table(serving()))) {
    out[name] = /** @type {any} */ (
      (/** @type {any[]} */ ...args) =>
        /** @type {Function} */ (of(serving())[name]).apply(undefined, args)
    );
  }
  return out;
}

/**
 * What a node's server serves, which decides whether a boot can serve again from a
 * server it had: the cluster's services or maintenance mode, and whether ImageService
 * is among them (from v1.13.0).
 * @param {{ maintenance?: boolean }} how
 * @param {boolean} legacy
 */
function serverKind(how, legacy) {
  return how.maintenance === true ? "maintenance" : legacy ? "cluster, v1.12" : "cluster";
}

/**
 * A grpc-js server's HTTP/2 listeners, with the sessions each holds. grpc-js keeps them
 * in `http2Servers` (1.14: server.ts), its own; the fake reads it to close the listeners
 * and their sessions without shutting the server down.
 * @param {grpc.Server} server
 * @returns {[import("node:http2").Http2SecureServer, { sessions: Set<import("node:http2").ServerHttp2Session> }][]}
 */
function listenerEntries(server) {
  const map = /** @type {{ http2Servers?: Map<any, any> }} */ (/** @type {unknown} */ (server))
    .http2Servers;
  if (map === undefined) throw new Error("the fake needs grpc-js's Server.http2Servers");
  return [...map.entries()];
}

/** @param {grpc.Server} server */
function listenersOf(server) {
  return listenerEntries(server).map(([h]) => h);
}

/**
 * Closes a server's listeners and ends its sessions at once (the cluster is stopping).
 * @param {grpc.Server} server
 */
function closeAll(server) {
  for (const [h, info] of listenerEntries(server)) {
    h.close();
    for (const session of info.sessions) session.destroy();
  }
}

/**
 * Listens again with a server halt() or stop() closed, on `port` (0: a new one): its TLS
 * context, services and handlers are the ones it had.
 * @param {grpc.Server} server
 * @param {number} port
 * @returns {Promise<number>} the port it listens on
 */
async function listenAgain(server, port) {
  const ports = await Promise.all(
    listenersOf(server).map(
      (h) =>
        /** @type {Promise<number>} */ (
          new Promise((resolve, reject) => {
            h.once("error", reject);
            h.listen(port, "127.0.0.1", () => {
              h.off("error", reject);
              const address = h.address();
              resolve(typeof address === "object" && address !== null ? address.port : port);
            });
          })
        ),
    ),
  );
  return ports[0] ?? port;
}

/** The release a node of the legacy fault runs. */
const LEGACY_VERSION = "v1.12.9";

/** Whether a Talos tag is older than v1.13. @param {string} tag */
function olderThan113(tag) {
  const m = /^v?(\d+)\.(\d+)\./.exec(tag);
  return m !== null && (Number(m[1]) < 1 || (Number(m[1]) === 1 && Number(m[2]) < 13));
}

/** @param {Buffer} b */
function sha256(b) {
  return crypto.createHash("sha256").update(b).digest("hex");
}

/** A port nothing listens on: reserved by binding, then released. @returns {Promise<number>} */
function closedPort() {
  const net = require("node:net");
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const addr = /** @type {import("node:net").AddressInfo} */ (s.address());
      s.close(() => resolve(addr.port));
    });
  });
}

module.exports = { FakeTalosNode, imageTag, STATIC_PODS };
