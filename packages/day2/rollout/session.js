// @ts-check
/**
 * One rollout run's connections and progress log: a Talos client over every node the
 * run may address (removed ones included), and a Kubernetes client whose admin
 * kubeconfig is fetched at run time from a control plane through the Talos Kubeconfig
 * call, never from a node being removed.
 */
"use strict";

const { createTalosClient } = require("../lib/talos");
const { createKubeClient } = require("../lib/kube");
const { createPveClient } = require("../lib/pve");
const { Day2Error } = require("../lib/errors");
const { StopRequested } = require("./stop");
const { duration, table } = require("../lib/text");

/**
 * @typedef {import("./types").RolloutInputs} RolloutInputs
 * @typedef {import("./types").RolloutOutputs} RolloutOutputs
 * @typedef {import("./types").RolloutLog} RolloutLog
 * @typedef {import("../lib/talos").TalosClient} TalosClient
 * @typedef {import("../lib/talos").TalosClientOptions} TalosClientOptions
 * @typedef {import("../lib/kube").KubeClient} KubeClient
 * @typedef {import("../lib/kube").KubeClientOptions} KubeClientOptions
 */

/**
 * How a run makes its clients; tests pass factories with short deadlines.
 * @typedef {object} RolloutConnect
 * @property {(opts: TalosClientOptions) => TalosClient} [talos]
 * @property {(opts: KubeClientOptions) => KubeClient} [kube]
 * @property {(opts: import("../lib/pve").PveClientOptions) => import("../lib/pve").PveClient} [pve]
 */

/** Codes that mean a node did not answer at all (as opposed to answering "no"). */
const UNREACHABLE = new Set(["UNAVAILABLE", "DEADLINE_EXCEEDED", "REFUSED", "TIMEOUT"]);

/**
 * Whether an error says the node could not be reached.
 * @param {unknown} e
 */
function isUnreachable(e) {
  return e instanceof Day2Error && UNREACHABLE.has(e.code);
}

/**
 * What a run checks at its boundaries; the provider passes a {@link import("./stop").StopWatch}.
 * @typedef {object} StopSignal
 * @property {() => boolean} requested
 * @property {string | undefined} reason
 */

class Session {
  /**
   * @param {{ news: RolloutInputs, olds: RolloutOutputs, connect?: RolloutConnect, log: RolloutLog, stop?: StopSignal }} opts
   */
  constructor(opts) {
    /** @private */ this.stop = opts.stop;
    /** @readonly */ this.news = opts.news;
    /** @readonly */ this.olds = opts.olds;
    /** @readonly */ this.timing = {
      nodeTimeoutMs: Math.max(0, opts.news.timing?.nodeTimeoutSeconds ?? 900) * 1000,
      drainTimeoutMs: Math.max(0, opts.news.timing?.drainTimeoutSeconds ?? 300) * 1000,
      pollMs: Math.max(1, opts.news.timing?.pollMs ?? 2000),
    };
    const waits = opts.news.waits;
    const node = this.timing.nodeTimeoutMs;
    /**
     * The Kubernetes upgrade's waits (inputs `waits`, upstream's by default); without
     * them (state from before) the node timeout, as before.
     * @readonly
     */
    this.waits = {
      podMs: waits === undefined ? node : Math.max(0, waits.controlPlanePodSeconds) * 1000,
      kubeletMs: waits === undefined ? node : Math.max(0, waits.kubeletSeconds) * 1000,
      manifestsMs: waits === undefined ? node : Math.max(0, waits.manifestsSeconds) * 1000,
    };
    /** @private */ this.emit = opts.log;
    /** Every node the run may address: the old inventory's and the new one's. */
    const all = { ...(opts.olds.nodes ?? {}), ...opts.news.nodes };
    /** @readonly @type {Record<string, import("./types").RolloutNode>} */
    this.allNodes = all;
    /** @type {Record<string, string>} */
    const endpoints = {};
    for (const [name, n] of Object.entries(all)) if (n.endpoint) endpoints[name] = n.endpoint;
    const makeTalos = opts.connect?.talos ?? createTalosClient;
    /** @readonly */
    this.talos = makeTalos({
      credentials: opts.news.credentials,
      nodes: Object.entries(all).map(([name, n]) => ({ name, ip: n.ip })),
      endpoints,
    });
    /**
     * The same, without retries: for watching a node come back, where the next poll is
     * the retry and a fresh channel after each failure beats gRPC's reconnect backoff.
     * @readonly
     */
    this.poller = makeTalos({
      credentials: opts.news.credentials,
      nodes: Object.entries(all).map(([name, n]) => ({ name, ip: n.ip })),
      endpoints,
      retry: { attempts: 1 },
    });
    /** @private */ this.makeKube = opts.connect?.kube ?? createKubeClient;
    /** @private */ this.makePve = opts.connect?.pve ?? createPveClient;
    /** @private @type {import("../lib/pve").PveClient | undefined} */ this.pveClient = undefined;
    /**
     * Nodes whose VM must be restarted through Proxmox in this run (pending hardware, or
     * a disk grown), with why; set by the hardware check before anything is touched.
     * @type {Map<string, string>}
     */
    this.hardwareReboots = new Map();
    /** Nodes this run restarted through Proxmox. @type {Set<string>} */
    this.viaProxmox = new Set();
    /** @private @type {KubeClient | undefined} */ this.kubeClient = undefined;
    /** @private @type {Promise<KubeClient> | undefined} */ this.kubePromise = undefined;
    /** The control plane the kubeconfig came from. @type {string | undefined} */
    this.kubeconfigSource = undefined;
    /** Nodes leaving in this run: never asked for a kubeconfig or used as an etcd peer. @type {Set<string>} */
    this.leaving = new Set();
    /** @type {string[]} */
    this.warnings = [];
    /** Where the run is (`Talos v1.13.3, control plane 2/3`), named on every line; "" between phases. */
    this.place = "";
    /**
     * What this run asked each node's components to run (`kube-apiserver`, ...,
     * `kubelet`), and whether each got there: recorded in `lastRun.asked`.
     * @type {Record<string, Record<string, { image: string, done: boolean }>>}
     */
    this.asked = {};
    /** What each node had done, for the closing summary. @type {{ node: string, what: string, ms: number }[]} */
    this.done = [];
  }

  /** @private */
  where() {
    return this.place === "" ? "" : `[${this.place}] `;
  }

  /** @param {string} line */
  log(line) {
    this.emit(this.where() + line);
  }

  /** @param {string} line */
  warn(line) {
    this.warnings.push(line);
    this.emit(`${this.where()}WARNING: ${line}`);
  }

  /**
   * Records what a node had done, for the summary at the end of the run.
   * @param {string} node
   * @param {string} what
   * @param {number} ms
   */
  finished(node, what, ms) {
    this.done.push({ node, what, ms });
  }

  /** The closing summary: one row per node and thing done, with its time. */
  summary() {
    if (this.done.length === 0) return [];
    return [
      "summary:",
      ...table([
        ["NODE", "DONE", "TIME"],
        ...this.done.map((d) => [d.node, d.what, duration(d.ms)]),
      ]).map((l) => `  ${l}`),
    ];
  }

  /**
   * Runs `fn` for each batch in turn, with the place named on every line it logs
   * (`<phase>, control plane 2/3`, `<phase>, workers batch 1/4`), and after each batch
   * that did something, how long it took and about how long the rest will take.
   * @param {string} phase e.g. `Talos v1.13.3`.
   * @param {readonly string[][]} batches
   * @param {(batch: string[]) => Promise<boolean>} fn Resolves whether the batch did any work.
   */
  async eachBatch(phase, batches, fn) {
    const cps = batches.filter((b) => this.allNodes[b[0]]?.role === "controlplane").length;
    const workers = batches.length - cps;
    const started = Date.now();
    let cp = 0;
    let w = 0;
    try {
      for (const [i, batch] of batches.entries()) {
        const isCp = this.allNodes[batch[0]]?.role === "controlplane";
        this.place = isCp
          ? `${phase}, control plane ${++cp}/${cps}`
          : `${phase}, workers batch ${++w}/${workers}`;
        const t0 = Date.now();
        if (!(await fn(batch))) continue;
        const left = batches.length - i - 1;
        const each = (Date.now() - started) / (i + 1);
        this.log(
          `${batch.join(", ")} done in ${duration(Date.now() - t0)}${left > 0 ? `; about ${duration(each * left)} left for ${left} more batch${left === 1 ? "" : "es"}` : ""}`,
        );
      }
    } finally {
      this.place = "";
    }
  }

  /**
   * Runs one step of one node, logging its start and how long it took.
   * @template T
   * @param {string} node
   * @param {string} step
   * @param {() => Promise<T>} fn
   * @returns {Promise<T>}
   */
  async step(node, step, fn) {
    const started = Date.now();
    this.log(`${node}: ${step}...`);
    try {
      const v = await fn();
      this.log(`${node}: ${step} done (${duration(Date.now() - started)})`);
      return v;
    } catch (e) {
      this.log(`${node}: ${step} FAILED after ${duration(Date.now() - started)}`);
      throw e;
    }
  }

  /**
   * A node or batch boundary: throws {@link StopRequested} when a stop was asked for,
   * so that nothing new starts.
   * @param {string} next What would start now, for the message.
   */
  checkpoint(next) {
    if (this.stop?.requested() !== true) return;
    throw new StopRequested(
      `stopped before ${next}, as asked (${this.stop.reason}); the node in progress was finished and what this run finished is recorded. Run pulumi up again to resume: nodes already done are skipped`,
    );
  }

  /** Control planes of the new inventory that are not leaving, the bootstrap node first. */
  controlPlanes() {
    const cps = Object.keys(this.news.nodes).filter(
      (n) => this.news.nodes[n].role === "controlplane" && !this.leaving.has(n),
    );
    const b = this.news.bootstrapNode;
    return cps.includes(b) ? [b, ...cps.filter((n) => n !== b)] : cps;
  }

  /**
   * The Kubernetes client, its kubeconfig fetched from the first control plane that
   * answers (the bootstrap node first; never a node leaving in this run).
   */
  kube() {
    // One client per run, even when parallel steps ask at once.
    this.kubePromise ??= this.connectKube();
    return this.kubePromise;
  }

  /** @private @returns {Promise<KubeClient>} */
  async connectKube() {
    /** @type {string[]} */
    const failures = [];
    for (const cp of this.controlPlanes()) {
      try {
        const text = await this.talos.kubeconfig(cp);
        this.kubeClient = this.makeKube({
          kubeconfig: text,
          ...(this.news.kubernetesEndpoint ? { endpoint: this.news.kubernetesEndpoint } : {}),
          // Behind a VIP, the API is unreachable while the address moves to another
          // control plane (a removal or a reboot of its holder): keep retrying a call
          // for as long as a node may take, instead of failing the step.
          ...(this.news.vip ? { unreachableBudgetMs: this.timing.nodeTimeoutMs } : {}),
        });
        this.kubeconfigSource = cp;
        this.emit(`kubeconfig fetched from ${cp}`);
        return this.kubeClient;
      } catch (e) {
        failures.push(/** @type {Error} */ (e).message);
      }
    }
    this.kubePromise = undefined;
    throw new Error(
      `no control plane served an admin kubeconfig: ${failures.join("; ") || "there is no control plane"}`,
    );
  }

  /**
   * A control plane that answers etcd calls, other than `except`.
   * @param {readonly string[]} [except]
   */
  async peer(except = []) {
    /** @type {string[]} */
    const failures = [];
    for (const cp of this.controlPlanes()) {
      if (except.includes(cp)) continue;
      try {
        await this.talos.etcdMemberList(cp);
        return cp;
      } catch (e) {
        failures.push(/** @type {Error} */ (e).message);
      }
    }
    throw new Error(
      `no control plane answered an etcd member list: ${failures.join("; ") || "there is none left"}`,
    );
  }

  /**
   * The Proxmox API client, made on first use from the provider's endpoint and
   * credentials (the `proxmox` input).
   */
  pve() {
    const settings = this.news.proxmox;
    if (settings === undefined || settings === null)
      throw new Error(
        "a VM's hardware changed, but the rollout has no Proxmox API settings (the proxmox input): run pulumi up with this version of em-infra's program, which passes the provider's endpoint and credentials",
      );
    this.pveClient ??= this.makePve({ settings });
    return this.pveClient;
  }

  /**
   * A node's VM as the Proxmox client addresses it.
   * @param {string} name
   */
  vm(name) {
    const h = this.news.nodes[name]?.hardware;
    if (h === undefined) throw new Error(`${name}: no VM recorded for it (hardware input)`);
    return { host: h.host, vmid: h.vmId, name };
  }

  close() {
    this.pveClient?.close();
    this.kubeClient?.close();
    this.talos.close();
    this.poller.close();
  }
}

module.exports = { Session, isUnreachable };
