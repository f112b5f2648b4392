// @ts-check
/**
 * A thin typed client for the Talos machine API: gRPC over mutual TLS, one channel per
 * node. The server certificate must chain to the talosconfig CA and carry the node's
 * inventory IP, even when the node is dialed at another address (an endpoint override).
 * Every call has a deadline; transient failures are retried with bounded backoff; an
 * error names the node, the call and what came back.
 */
"use strict";

const crypto = require("node:crypto");
const fs = require("node:fs");
const tls = require("node:tls");
const grpc = require("@grpc/grpc-js");
const { talosServices } = require("./proto");
const { talosCredentials } = require("./credentials");
const { parseHostPort, formatHostPort, talosDialTarget } = require("./endpoints");
const { Day2Error, Day2InputError, secretFragments, redact, isTlsRefusal } = require("./errors");
const { DEFAULT_RETRY, backoffMs, delay } = require("./retry");
const { readTarGz } = require("./tar");
const { clientContext } = require("./tlsContext");
const { resumingCredentials } = require("./tlsSessions");

/**
 * @typedef {import("./credentials").TlsCredentials} TlsCredentials
 * @typedef {import("./credentials").ClientConfiguration} ClientConfiguration
 * @typedef {import("./credentials").TalosconfigContext} TalosconfigContext
 * @typedef {import("./endpoints").HostPort} HostPort
 * @typedef {import("./retry").RetryPolicy} RetryPolicy
 */

/**
 * A node as the client knows it: its inventory name and IP. The IP is what its
 * server certificate must carry.
 * @typedef {object} TalosNode
 * @property {string} name
 * @property {string} ip
 */

/**
 * One finished call, for progress lines and tests. Carries no request or response data.
 * @typedef {object} TalosCallEvent
 * @property {string} node
 * @property {string} call
 * @property {number} attempt
 * @property {number} ms
 * @property {string} outcome `ok` or the code that came back.
 */

/**
 * @typedef {object} TalosClientOptions
 * @property {TlsCredentials | ClientConfiguration | TalosconfigContext} credentials
 * @property {readonly TalosNode[]} nodes Every node the client may address.
 * @property {Readonly<Record<string, HostPort | string>>} [endpoints] Node name -> where to dial instead of `<ip>:50000`.
 * @property {number} [timeoutMs] Deadline of a quick call. Default: 10000.
 * @property {number} [longTimeoutMs] Deadline of an image pull or upgrade. Default: 600000.
 * @property {Partial<RetryPolicy>} [retry] Default: {attempts: 4, baseMs: 100, maxMs: 1000}.
 * @property {(event: TalosCallEvent) => void} [onCall]
 */

/**
 * @typedef {object} TalosVersion
 * @property {string} tag e.g. `v1.13.3`.
 * @property {string} sha
 * @property {string} built
 * @property {string} goVersion
 * @property {string} os
 * @property {string} arch
 * @property {{ name: string, mode: string }} platform
 */

/**
 * @typedef {object} TalosService
 * @property {string} id e.g. `etcd`, `kubelet`.
 * @property {string} state e.g. `Running`.
 * @property {boolean} healthy
 * @property {boolean} healthUnknown
 * @property {string} lastMessage
 */

/**
 * @typedef {object} EtcdMember
 * @property {string} id uint64 as a decimal string.
 * @property {string} hostname
 * @property {string[]} peerUrls
 * @property {string[]} clientUrls
 * @property {boolean} isLearner
 */

/**
 * @typedef {object} EtcdMemberStatus
 * @property {string} memberId uint64 as a decimal string.
 * @property {string} leader The leader's member id.
 * @property {boolean} isLearner
 * @property {string[]} errors Empty on a healthy member.
 * @property {string} protocolVersion
 * @property {string} storageVersion
 * @property {string} raftIndex
 * @property {string} raftTerm
 */

/** @typedef {"REBOOT" | "AUTO" | "NO_REBOOT" | "STAGED" | "TRY"} ApplyMode */

/**
 * Where a resource of Talos's resource API lives (see ./resources for the ones read).
 * @typedef {object} ResourceRef
 * @property {string} namespace e.g. `controlplane`.
 * @property {string} type e.g. `APIServerConfigs.kubernetes.talos.dev`.
 * @property {string} [id]
 */

/**
 * A resource as read: its metadata, and its spec as the YAML text Talos marshals.
 * @typedef {object} TalosResource
 * @property {string} namespace
 * @property {string} type
 * @property {string} id
 * @property {string} version COSI's version: a decimal counter that moves at every change.
 * @property {string} phase
 * @property {Record<string, string>} labels
 * @property {Record<string, string>} annotations
 * @property {string} yaml
 */

/**
 * @typedef {object} UpgradeResult
 * @property {"lifecycle" | "legacy"} via Which call staged it.
 * @property {boolean} rebootsItself True for the legacy call: the node reboots on its own.
 * @property {string[]} messages Progress lines (lifecycle) or the acknowledgement (legacy).
 */

const CODE_NAMES = /** @type {Record<number, string>} */ (
  Object.fromEntries(Object.entries(grpc.status).map(([k, v]) => [v, k]))
);

/** A connection that was never made: safe to retry whatever the call. */
/** How a call is named in errors and the call log, by stub. */
const SERVICE_LABELS = Object.freeze({
  machine: "",
  lifecycle: "LifecycleService.",
  image: "ImageService.",
  state: "resource ",
});

const NOT_CONNECTED =
  /No connection established|ECONNREFUSED|ECONNRESET before|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|getaddrinfo|Failed to connect/i;

class TalosClient {
  /** @param {TalosClientOptions} opts */
  constructor(opts) {
    /** @private */ this.creds =
      "ca" in opts.credentials && "cert" in opts.credentials
        ? /** @type {TlsCredentials} */ (opts.credentials)
        : talosCredentials(/** @type {Record<string, unknown>} */ (opts.credentials));
    /** @private */ this.fragments = secretFragments([
      this.creds.ca,
      this.creds.cert,
      this.creds.key,
    ]);
    /** @private @type {Map<string, TalosNode>} */
    this.nodes = new Map(opts.nodes.map((n) => [n.name, n]));
    /** @private @type {Record<string, HostPort>} */
    this.endpoints = {};
    for (const [name, ep] of Object.entries(opts.endpoints ?? {})) {
      const hp = typeof ep === "string" ? parseHostPort(ep) : ep;
      if (typeof hp === "string") throw new Day2InputError(`Talos endpoint for ${name}: ${hp}`);
      this.endpoints[name] = hp;
    }
    /** @private */ this.timeoutMs = opts.timeoutMs ?? 10000;
    /** @private */ this.longTimeoutMs = opts.longTimeoutMs ?? 600000;
    /** @private @type {RetryPolicy} */
    this.retry = { ...DEFAULT_RETRY, ...(opts.retry ?? {}) };
    /** @private */ this.onCall = opts.onCall;
    /** @private @type {Map<string, { machine: grpc.Client, lifecycle: grpc.Client, image: grpc.Client, state: grpc.Client }>} */
    this.clients = new Map();
    /** @private @type {Map<string, string>} the last TLS identity failure per node */
    this.tlsFailures = new Map();
    /** @private @type {tls.SecureContext | undefined} */
    this.context = undefined;
  }

  /**
   * Where a node is dialed, as `host:port`.
   * @param {string} nodeName
   */
  dialTarget(nodeName) {
    return formatHostPort(talosDialTarget(this.node(nodeName), this.endpoints));
  }

  /** @private @param {string} nodeName */
  node(nodeName) {
    const node = this.nodes.get(nodeName);
    if (node === undefined)
      throw new Day2InputError(`${nodeName}: not a node this Talos client knows`);
    return node;
  }

  /**
   * The client's TLS context: one for every node and every redial (they share the
   * cluster's CA and this client's certificate), and for every client of the process
   * with the same credentials (./tlsContext.js), made at the first call; a failure to
   * load it is thrown to that call and tried again at the next. Parsing the key and
   * certificates per node and per redial was 1.8 s of CPU in the day-two tests.
   * @private
   * @returns {tls.SecureContext}
   */
  secureContext() {
    this.context ??= clientContext({
      ca: this.creds.ca,
      key: this.creds.key,
      cert: this.creds.cert,
    });
    return this.context;
  }

  /** @private @param {string} nodeName */
  stubs(nodeName) {
    const existing = this.clients.get(nodeName);
    if (existing !== undefined) return existing;
    const node = this.node(nodeName);
    const { MachineService, LifecycleService, ImageService, State } = talosServices();
    const target = this.dialTarget(nodeName);
    /** @type {tls.SecureContext} */
    let context;
    try {
      // TLS 1.3 only (apid offers it, as Go's crypto/tls does by default): the client
      // certificate then travels encrypted, and Node drops a connection whose server
      // fails verification before our certificate flight leaves (over TLS 1.2 it is sent,
      // in the clear, before the check).
      context = this.secureContext();
    } catch (e) {
      throw new Day2InputError(
        `Talos client credentials could not be loaded: ${redact(String(/** @type {Error} */ (e).message), this.fragments)}`,
      );
    }
    const credentials = resumingCredentials({
      context,
      dialed: target,
      // The identity checked is the inventory IP, whatever address was dialed.
      identity: node.ip,
      check: (cert) => {
        const err = tls.checkServerIdentity(node.ip, cert);
        if (err === undefined) return undefined;
        const sans = cert.subjectaltname ?? "none";
        const msg = `server certificate is not valid for ${node.ip} (its names: ${sans})`;
        this.tlsFailures.set(nodeName, msg);
        return new Error(msg);
      },
    });
    const options = {
      "grpc.enable_http_proxy": 0,
      "grpc.enable_retries": 0,
      "grpc.use_local_subchannel_pool": 1,
      "grpc.initial_reconnect_backoff_ms": 50,
      "grpc.max_reconnect_backoff_ms": 1000,
      // Nothing reads grpc-js's channelz statistics, which it keeps per channel,
      // connection and call by default (about a sixth of a call's cost here).
      "grpc.enable_channelz": 0,
    };
    const machine = new MachineService(target, credentials, options);
    const channelOverride = machine.getChannel();
    const stubs = {
      machine,
      lifecycle: new LifecycleService(target, credentials, { ...options, channelOverride }),
      image: new ImageService(target, credentials, { ...options, channelOverride }),
      state: new State(target, credentials, { ...options, channelOverride }),
    };
    this.clients.set(nodeName, stubs);
    return stubs;
  }

  /**
   * Drops the node's channel, so that the next call dials afresh instead of waiting out
   * gRPC's reconnect backoff (for a node that is coming back from a reboot).
   * @param {string} nodeName
   */
  forget(nodeName) {
    this.clients.get(nodeName)?.machine.close();
    this.clients.delete(nodeName);
  }

  /** Closes every channel. */
  close() {
    for (const { machine } of this.clients.values()) machine.close();
    this.clients.clear();
  }

  /**
   * One unary or server-streaming call with deadline and retries.
   * @private
   * @param {string} nodeName
   * @param {"machine" | "lifecycle" | "image" | "state"} service
   * @param {string} method
   * @param {object} request
   * @param {{ stream?: boolean, idempotent: boolean, long?: boolean, onMessage?: (m: any) => void, unavailableIsSuccess?: boolean, keep?: boolean }} how
   *   `keep: false`: a stream's messages go to `onMessage` only, not into the result
   *   (a snapshot is never held in memory whole).
   * @returns {Promise<any>}
   */
  async call(nodeName, service, method, request, how) {
    const label = `Talos ${SERVICE_LABELS[service]}${method}`;
    const stubs = this.stubs(nodeName);
    const client = /** @type {Record<string, Function>} */ (
      /** @type {unknown} */ (stubs[service])
    );
    const timeoutMs = how.long === true ? this.longTimeoutMs : this.timeoutMs;
    for (let attempt = 1; ; attempt++) {
      const started = Date.now();
      this.tlsFailures.delete(nodeName);
      /** @type {{ code: number, details: string } | undefined} */
      let failure;
      /** @type {any} */
      let result;
      let received = 0;
      try {
        result = await new Promise((resolve, reject) => {
          const deadline = new Date(Date.now() + timeoutMs);
          if (how.stream === true) {
            /** @type {any[]} */
            const messages = [];
            const call = client[method].call(client, request, new grpc.Metadata(), { deadline });
            call.on("data", (/** @type {any} */ m) => {
              received++;
              if (how.keep !== false) messages.push(m);
              how.onMessage?.(m);
            });
            call.on("error", reject);
            call.on("status", (/** @type {grpc.StatusObject} */ s) => {
              if (s.code === grpc.status.OK) resolve(messages);
            });
          } else {
            client[method].call(
              client,
              request,
              new grpc.Metadata(),
              { deadline },
              (/** @type {any} */ err, /** @type {any} */ res) =>
                err ? reject(err) : resolve(res),
            );
          }
        });
      } catch (e) {
        const err = /** @type {grpc.ServiceError} */ (e);
        failure = {
          code: typeof err.code === "number" ? err.code : grpc.status.UNKNOWN,
          details: String(err.details ?? err.message),
        };
      }
      const ms = Date.now() - started;
      if (failure === undefined) {
        this.onCall?.({ node: nodeName, call: label, attempt, ms, outcome: "ok" });
        const proxied = firstMetadataError(result);
        if (proxied !== undefined) throw this.error(nodeName, label, "UNKNOWN", proxied, attempt);
        return result;
      }
      const codeName = CODE_NAMES[failure.code] ?? String(failure.code);
      const tlsFailure = this.tlsFailures.get(nodeName);
      const connected = !NOT_CONNECTED.test(failure.details);
      this.onCall?.({ node: nodeName, call: label, attempt, ms, outcome: codeName });
      if (
        tlsFailure !== undefined ||
        (failure.code === grpc.status.UNAVAILABLE && isTlsRefusal(failure.details))
      ) {
        throw this.error(
          nodeName,
          label,
          "TLS",
          tlsFailure ?? failure.details,
          attempt,
          "check the talosconfig CA and the node's IP in the inventory",
        );
      }
      if (
        how.unavailableIsSuccess === true &&
        failure.code === grpc.status.UNAVAILABLE &&
        connected
      ) {
        return { connectionLost: true };
      }
      const transient =
        received === 0 &&
        ((failure.code === grpc.status.UNAVAILABLE && (how.idempotent || !connected)) ||
          (failure.code === grpc.status.DEADLINE_EXCEEDED && how.idempotent));
      if (!transient || attempt >= this.retry.attempts) {
        let details = failure.details;
        if (/ECONNREFUSED/.test(details))
          details = `connection refused at ${this.dialTarget(nodeName)}`;
        if (failure.code === grpc.status.DEADLINE_EXCEEDED)
          details = `no answer within ${timeoutMs} ms (${details})`;
        throw this.error(nodeName, label, codeName, details, attempt);
      }
      await delay(backoffMs(this.retry, attempt));
    }
  }

  /**
   * @private
   * @param {string} nodeName
   * @param {string} call
   * @param {string} code
   * @param {string} details
   * @param {number} attempts
   * @param {string} [hint]
   */
  error(nodeName, call, code, details, attempts, hint) {
    const node = this.node(nodeName);
    const where = this.dialTarget(nodeName);
    const via = where === formatHostPort({ host: node.ip, port: 50000 }) ? "" : ` via ${where}`;
    return new Day2Error({
      target: `${nodeName} (${node.ip}${via})`,
      call,
      code,
      details: redact(details, this.fragments),
      attempts,
      ...(hint === undefined ? {} : { hint }),
    });
  }

  /**
   * One resource of Talos's resource API (COSI `State.Get`, what `talosctl get` reads),
   * or null when the node has none by that id. Its spec is read as the YAML text Talos
   * marshals it to: the machine configuration's holds every cluster secret, so a caller
   * never logs or stores it.
   * @param {string} node
   * @param {ResourceRef & { id: string }} ref
   * @returns {Promise<TalosResource | null>}
   */
  async resource(node, ref) {
    try {
      const res = await this.call(
        node,
        "state",
        "Get",
        { namespace: ref.namespace, type: ref.type, id: ref.id },
        { idempotent: true },
      );
      return toResource(res.resource);
    } catch (e) {
      if (e instanceof Day2Error && e.code === "NOT_FOUND") return null;
      throw e;
    }
  }

  /**
   * Every resource of a type in a namespace (COSI `State.List`, a stream).
   * @param {string} node
   * @param {ResourceRef} ref
   * @returns {Promise<TalosResource[]>}
   */
  async resources(node, ref) {
    const list = await this.call(
      node,
      "state",
      "List",
      { namespace: ref.namespace, type: ref.type },
      { idempotent: true, stream: true },
    );
    return list.map((/** @type {any} */ m) => toResource(m.resource));
  }

  /**
   * The Talos release the node runs.
   * @param {string} node
   * @returns {Promise<TalosVersion>}
   */
  async version(node) {
    const res = await this.call(node, "machine", "Version", {}, { idempotent: true });
    const m = res.messages?.[0] ?? {};
    const v = m.version ?? {};
    return {
      tag: v.tag ?? "",
      sha: v.sha ?? "",
      built: v.built ?? "",
      goVersion: v.goVersion ?? "",
      os: v.os ?? "",
      arch: v.arch ?? "",
      platform: { name: m.platform?.name ?? "", mode: m.platform?.mode ?? "" },
    };
  }

  /**
   * When the node last booted, in seconds since the epoch; a change means a reboot.
   * @param {string} node
   * @returns {Promise<{ bootTime: number }>}
   */
  async systemStat(node) {
    const res = await this.call(node, "machine", "SystemStat", {}, { idempotent: true });
    return { bootTime: Number(res.messages?.[0]?.bootTime ?? 0) };
  }

  /**
   * The node's system services and their health.
   * @param {string} node
   * @returns {Promise<TalosService[]>}
   */
  async serviceList(node) {
    const res = await this.call(node, "machine", "ServiceList", {}, { idempotent: true });
    return (res.messages?.[0]?.services ?? []).map((/** @type {any} */ s) => ({
      id: s.id,
      state: s.state,
      healthy: s.health?.healthy === true,
      healthUnknown: s.health?.unknown === true,
      lastMessage: s.health?.lastMessage ?? "",
    }));
  }

  /**
   * The etcd members as a control plane sees them.
   * @param {string} node
   * @param {{ queryLocal?: boolean }} [opts]
   * @returns {Promise<EtcdMember[]>}
   */
  async etcdMemberList(node, opts = {}) {
    const res = await this.call(
      node,
      "machine",
      "EtcdMemberList",
      { queryLocal: opts.queryLocal === true },
      { idempotent: true },
    );
    return (res.messages?.[0]?.members ?? []).map((/** @type {any} */ m) => ({
      id: String(m.id),
      hostname: m.hostname,
      peerUrls: m.peerUrls ?? [],
      clientUrls: m.clientUrls ?? [],
      isLearner: m.isLearner === true,
    }));
  }

  /**
   * The node's own etcd member status.
   * @param {string} node
   * @returns {Promise<EtcdMemberStatus>}
   */
  async etcdStatus(node) {
    const res = await this.call(node, "machine", "EtcdStatus", {}, { idempotent: true });
    const s = res.messages?.[0]?.memberStatus ?? {};
    return {
      memberId: String(s.memberId ?? "0"),
      leader: String(s.leader ?? "0"),
      isLearner: s.isLearner === true,
      errors: s.errors ?? [],
      protocolVersion: s.protocolVersion ?? "",
      storageVersion: s.storageVersion ?? "",
      raftIndex: String(s.raftIndex ?? "0"),
      raftTerm: String(s.raftTerm ?? "0"),
    };
  }

  /**
   * Makes the node's etcd member leave the cluster. Run on the node that leaves.
   * @param {string} node
   */
  async etcdLeaveCluster(node) {
    await this.call(node, "machine", "EtcdLeaveCluster", {}, { idempotent: false });
  }

  /**
   * Moves etcd leadership away from the node, if it leads.
   * @param {string} node
   * @returns {Promise<{ member: string }>}
   */
  async etcdForfeitLeadership(node) {
    const res = await this.call(node, "machine", "EtcdForfeitLeadership", {}, { idempotent: true });
    return { member: res.messages?.[0]?.member ?? "" };
  }

  /**
   * Removes a member by id, asked of a peer (for a member whose node is gone).
   * @param {string} node The peer to ask.
   * @param {string} memberId uint64 as a decimal string.
   */
  async etcdRemoveMemberById(node, memberId) {
    if (!/^[0-9]+$/.test(memberId))
      throw new Day2InputError(`${node}: etcd member id "${memberId}" is not a decimal uint64`);
    await this.call(node, "machine", "EtcdRemoveMemberByID", { memberId }, { idempotent: false });
  }

  /**
   * Reboots the node. The connection dropping as the node goes down counts as success
   * (`connectionLost`); a node that cannot be reached at all is still an error.
   * @param {string} node
   * @param {{ mode?: "DEFAULT" | "POWERCYCLE" | "FORCE" }} [opts]
   * @returns {Promise<{ connectionLost: boolean }>}
   */
  async reboot(node, opts = {}) {
    const res = await this.call(
      node,
      "machine",
      "Reboot",
      { mode: opts.mode ?? "DEFAULT" },
      { idempotent: false, unavailableIsSuccess: true },
    );
    return { connectionLost: res.connectionLost === true };
  }

  /**
   * Resets the node: wipes the named system partitions (all when none are named).
   * Graceful leaves etcd first, with Talos's own health checks.
   * @param {string} node
   * @param {{ graceful: boolean, reboot?: boolean, systemPartitionsToWipe?: string[], userDisksToWipe?: string[], mode?: "ALL" | "SYSTEM_DISK" | "USER_DISKS" }} opts
   * @returns {Promise<{ connectionLost: boolean }>}
   */
  async reset(node, opts) {
    const res = await this.call(
      node,
      "machine",
      "Reset",
      {
        graceful: opts.graceful,
        reboot: opts.reboot === true,
        systemPartitionsToWipe: (opts.systemPartitionsToWipe ?? []).map((label) => ({
          label,
          wipe: true,
        })),
        userDisksToWipe: opts.userDisksToWipe ?? [],
        mode: opts.mode ?? "ALL",
      },
      { idempotent: false, unavailableIsSuccess: true },
    );
    return { connectionLost: res.connectionLost === true };
  }

  /**
   * Applies a machine configuration.
   * @param {string} node
   * @param {{ data: string | Buffer, mode?: ApplyMode, dryRun?: boolean }} opts
   * @returns {Promise<{ mode: ApplyMode, modeDetails: string, warnings: string[] }>}
   */
  async applyConfiguration(node, opts) {
    const res = await this.call(
      node,
      "machine",
      "ApplyConfiguration",
      { data: Buffer.from(opts.data), mode: opts.mode ?? "AUTO", dryRun: opts.dryRun === true },
      { idempotent: false },
    );
    const m = res.messages?.[0] ?? {};
    return { mode: m.mode, modeDetails: m.modeDetails ?? "", warnings: m.warnings ?? [] };
  }

  /**
   * The admin kubeconfig a control plane serves: a .tar.gz holding `kubeconfig`,
   * unpacked in memory.
   * @param {string} node
   * @returns {Promise<string>}
   */
  async kubeconfig(node) {
    const chunks = await this.call(
      node,
      "machine",
      "Kubeconfig",
      {},
      { idempotent: true, stream: true },
    );
    const tgz = Buffer.concat(chunks.map((/** @type {any} */ c) => Buffer.from(c.bytes ?? [])));
    let files;
    try {
      files = readTarGz(tgz);
    } catch (e) {
      throw this.error(
        node,
        "Talos Kubeconfig",
        "BAD_ARCHIVE",
        /** @type {Error} */ (e).message,
        1,
      );
    }
    const file = files.get("kubeconfig");
    if (file === undefined) {
      throw this.error(
        node,
        "Talos Kubeconfig",
        "BAD_ARCHIVE",
        `no file named kubeconfig in the archive (found: ${[...files.keys()].join(", ") || "none"})`,
        1,
      );
    }
    return file.toString("utf8");
  }

  /**
   * Pulls an image with MachineService.ImagePull, as talosctl upgrade-k8s pre-pulls
   * (Talos v1.13.9 pkg/cluster/kubernetes/talos_managed.go): into the system containerd
   * namespace (the installer, the kubelet), or with `namespace: "cri"` into the CRI's (the
   * control-plane static pods' images). Served by Talos v1.12 and v1.13 alike, unlike
   * ImageService (v1.13 on); a node that answers Unimplemented throws code UNIMPLEMENTED,
   * which callers skip as upstream does.
   * @param {string} node
   * @param {string} imageRef
   * @param {{ namespace?: "system" | "cri" }} [opts]
   * @returns {Promise<{ name: string }>}
   */
  async pullImage(node, imageRef, opts = {}) {
    await this.call(
      node,
      "machine",
      "ImagePull",
      { namespace: opts.namespace === "cri" ? "NS_CRI" : "NS_SYSTEM", reference: imageRef },
      { idempotent: true, long: true },
    );
    return { name: imageRef };
  }

  /**
   * Upgrades Talos: stages the image with LifecycleService.Upgrade (the caller reboots
   * afterwards). On a node that answers Unimplemented (before v1.13) it falls back to
   * the legacy MachineService.Upgrade, after which the node reboots by itself, unless
   * `fallback` is false: then the Unimplemented error is thrown, so that the caller can
   * drain first and call {@link legacyUpgrade} itself.
   * @param {string} node
   * @param {{ image: string, preserve?: boolean, force?: boolean, fallback?: boolean, onProgress?: (line: string) => void }} opts
   * @returns {Promise<UpgradeResult>}
   */
  async upgrade(node, opts) {
    /** @type {string[]} */
    const messages = [];
    /** @type {number | undefined} */
    let exitCode;
    try {
      await this.call(
        node,
        "lifecycle",
        "Upgrade",
        {
          containerd: { driver: "CONTAINERD", namespace: "NS_SYSTEM" },
          source: { imageName: opts.image },
        },
        {
          idempotent: false,
          stream: true,
          long: true,
          onMessage: (m) => {
            const p = m.progress ?? {};
            if (p.response === "exitCode") exitCode = p.exitCode;
            else if (typeof p.message === "string" && p.message !== "") {
              messages.push(p.message);
              opts.onProgress?.(p.message);
            }
          },
        },
      );
    } catch (e) {
      if (!(e instanceof Day2Error) || e.code !== "UNIMPLEMENTED" || opts.fallback === false)
        throw e;
      return this.legacyUpgrade(node, opts);
    }
    if (exitCode !== 0) {
      const last = messages[messages.length - 1] ?? "no progress message";
      throw this.error(
        node,
        "Talos LifecycleService.Upgrade",
        `EXIT ${exitCode ?? "missing"}`,
        last,
        1,
      );
    }
    return { via: "lifecycle", rebootsItself: false, messages };
  }

  /**
   * The deprecated MachineService.Upgrade, for nodes before v1.13: the node installs the
   * image and reboots by itself.
   * @param {string} node
   * @param {{ image: string, preserve?: boolean, force?: boolean }} opts
   * @returns {Promise<UpgradeResult>}
   */
  async legacyUpgrade(node, opts) {
    const res = await this.call(
      node,
      "machine",
      "Upgrade",
      {
        image: opts.image,
        preserve: opts.preserve === true,
        stage: false,
        force: opts.force === true,
      },
      { idempotent: false },
    );
    return { via: "legacy", rebootsItself: true, messages: [res.messages?.[0]?.ack ?? ""] };
  }

  /**
   * Streams a snapshot of the node's etcd (a control plane) into `file`, chunk by chunk
   * as it arrives, never whole in memory: written to `<file>.partial` (0600), hashed on
   * the way, and renamed to `file` only once the stream ended well and was not empty.
   * A failed or empty stream leaves no file that looks complete.
   * @param {string} node
   * @param {string} file
   * @returns {Promise<{ file: string, sha256: string, size: number }>}
   */
  async etcdSnapshot(node, file) {
    const partial = `${file}.partial`;
    // One an earlier run left behind (killed mid-stream) goes first; then the file is
    // created exclusively, so nothing else's file, nor a link planted there, is written.
    fs.rmSync(partial, { force: true });
    /** @type {number | undefined} */
    let fd;
    const hash = crypto.createHash("sha256");
    let size = 0;
    try {
      await this.call(
        node,
        "machine",
        "EtcdSnapshot",
        {},
        {
          idempotent: true,
          stream: true,
          long: true,
          keep: false,
          onMessage: (m) => {
            const bytes = Buffer.from(m.bytes ?? []);
            // Opened at the first chunk: a retry (only before any chunk) starts clean.
            fd ??= fs.openSync(partial, "wx", 0o600);
            fs.writeSync(fd, bytes);
            hash.update(bytes);
            size += bytes.length;
          },
        },
      );
      if (size === 0)
        throw this.error(
          node,
          "Talos EtcdSnapshot",
          "EMPTY",
          "the snapshot stream held no bytes",
          1,
        );
      fs.fsyncSync(/** @type {number} */ (fd));
      fs.closeSync(/** @type {number} */ (fd));
      fd = undefined;
      fs.renameSync(partial, file);
      return { file, sha256: hash.digest("hex"), size };
    } catch (e) {
      if (fd !== undefined) fs.closeSync(fd);
      fs.rmSync(partial, { force: true });
      throw e;
    }
  }

  /**
   * Uploads a snapshot for a recovering bootstrap (MachineService.EtcdRecover, a client
   * stream), chunk by chunk from `file`. One attempt: the node keeps what it received.
   * @param {string} node
   * @param {string} file
   * @param {{ chunkBytes?: number }} [opts]
   * @returns {Promise<{ size: number }>}
   */
  async etcdRecover(node, file, opts = {}) {
    const { machine } = this.stubs(node);
    const client = /** @type {any} */ (machine);
    const chunkBytes = opts.chunkBytes ?? 1 << 20;
    const started = Date.now();
    let size = 0;
    try {
      await new Promise((resolve, reject) => {
        const deadline = new Date(Date.now() + this.longTimeoutMs);
        const call = client.EtcdRecover(
          new grpc.Metadata(),
          { deadline },
          (/** @type {any} */ err) => (err ? reject(err) : resolve(undefined)),
        );
        const fd = fs.openSync(file, "r");
        try {
          const buf = Buffer.alloc(chunkBytes);
          for (;;) {
            const n = fs.readSync(fd, buf, 0, chunkBytes, null);
            if (n === 0) break;
            call.write({ bytes: Buffer.from(buf.subarray(0, n)) });
            size += n;
          }
        } finally {
          fs.closeSync(fd);
        }
        call.end();
      });
    } catch (e) {
      const err = /** @type {grpc.ServiceError} */ (e);
      const code =
        typeof err.code === "number" ? (CODE_NAMES[err.code] ?? String(err.code)) : "ERROR";
      this.onCall?.({
        node,
        call: "Talos EtcdRecover",
        attempt: 1,
        ms: Date.now() - started,
        outcome: code,
      });
      throw this.error(node, "Talos EtcdRecover", code, String(err.details ?? err.message), 1);
    }
    this.onCall?.({
      node,
      call: "Talos EtcdRecover",
      attempt: 1,
      ms: Date.now() - started,
      outcome: "ok",
    });
    return { size };
  }

  /**
   * Bootstraps etcd on a control plane; with `recoverEtcd`, from the snapshot an
   * EtcdRecover call uploaded (Talos's disaster-recovery path).
   * @param {string} node
   * @param {{ recoverEtcd?: boolean, recoverSkipHashCheck?: boolean }} [opts]
   */
  async bootstrap(node, opts = {}) {
    await this.call(
      node,
      "machine",
      "Bootstrap",
      {
        recoverEtcd: opts.recoverEtcd === true,
        recoverSkipHashCheck: opts.recoverSkipHashCheck === true,
      },
      { idempotent: false },
    );
  }

  /**
   * The node's boot id: a new random value at every boot, which is how talosctl tells
   * that a node rebooted. Reading it needs the os:admin role.
   * @param {string} node
   * @returns {Promise<string>}
   */
  async bootId(node) {
    const chunks = await this.call(
      node,
      "machine",
      "Read",
      { path: "/proc/sys/kernel/random/boot_id" },
      { idempotent: true, stream: true },
    );
    const text = Buffer.concat(chunks.map((/** @type {any} */ c) => Buffer.from(c.bytes ?? [])))
      .toString("utf8")
      .trim();
    if (text === "")
      throw this.error(node, "Talos Read", "EMPTY", "the boot id file read back empty", 1);
    return text;
  }

  /**
   * Who answers at the node's address, judged from the TLS handshake alone: `cluster`
   * when the server certificate chains to the talosconfig CA and carries the node's
   * inventory IP; `other` when something answers with another certificate (a node
   * wiped by a reset, in maintenance mode, serves a self-signed one); `down` when
   * nothing completes a handshake.
   * @param {string} nodeName
   * @param {{ timeoutMs?: number }} [opts]
   * @returns {Promise<{ answer: "cluster" | "other" | "down", detail: string }>}
   */
  identity(nodeName, opts = {}) {
    const node = this.node(nodeName);
    const target = talosDialTarget(node, this.endpoints);
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    return new Promise((resolve) => {
      /** @type {tls.TLSSocket} */
      let socket;
      const done = (
        /** @type {"cluster" | "other" | "down"} */ answer,
        /** @type {string} */ detail,
      ) => {
        clearTimeout(timer);
        socket.destroy();
        resolve({ answer, detail });
      };
      const timer = setTimeout(
        () => done("down", `no TLS handshake at ${formatHostPort(target)} within ${timeoutMs} ms`),
        timeoutMs,
      );
      socket = tls.connect({
        host: target.host,
        port: target.port,
        ALPNProtocols: ["h2"],
        // Judged below: a certificate from another authority is an answer, not an error.
        rejectUnauthorized: false,
        // No client certificate: this connection does not verify the server, so it must
        // not hand our certificate to whoever answers. Over TLS 1.3 the server's
        // certificate arrives before apid asks for ours, so it can still be judged.
        minVersion: "TLSv1.3",
        servername: "",
      });
      socket.once("secureConnect", () => {
        const peer = socket.getPeerX509Certificate();
        if (peer === undefined) return done("other", "the server sent no certificate");
        const ca = new crypto.X509Certificate(this.creds.ca);
        const ours =
          peer.checkIssued(ca) && peer.verify(ca.publicKey) && peer.checkIP(node.ip) !== undefined;
        done(
          ours ? "cluster" : "other",
          ours
            ? `serves the cluster's certificate for ${node.ip}`
            : `serves a certificate the cluster's CA did not issue for ${node.ip} (subject ${peer.subject.replace(/\n/g, ", ") || "empty"})`,
        );
      });
      socket.once("error", (e) =>
        done("down", redact(`${formatHostPort(target)}: ${e.message}`, this.fragments)),
      );
    });
  }
}

/**
 * A COSI resource as the client returns it.
 * @param {any} r
 * @returns {TalosResource}
 */
function toResource(r) {
  const md = r?.metadata ?? {};
  return {
    namespace: md.namespace ?? "",
    type: md.type ?? "",
    id: md.id ?? "",
    version: md.version ?? "",
    phase: md.phase ?? "",
    labels: { ...(md.labels ?? {}) },
    annotations: { ...(md.annotations ?? {}) },
    yaml: r?.spec?.yamlSpec ?? "",
  };
}

/**
 * The first per-node error a proxied response carries, if any.
 * @param {any} result
 * @returns {string | undefined}
 */
function firstMetadataError(result) {
  const list = Array.isArray(result) ? result : result?.messages;
  if (!Array.isArray(list)) return undefined;
  for (const m of list) {
    const err = m?.metadata?.error;
    if (typeof err === "string" && err !== "") return err;
  }
  return undefined;
}

/**
 * A Talos client for `opts.nodes`.
 * @param {TalosClientOptions} opts
 */
function createTalosClient(opts) {
  return new TalosClient(opts);
}

module.exports = { TalosClient, createTalosClient };
