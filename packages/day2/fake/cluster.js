// @ts-check
/**
 * The fake cluster: N fake Talos nodes and one fake Kubernetes API, in process, on
 * 127.0.0.1, port 0, with throwaway certificates. Every later day-two test runs against
 * it. Faults are constructor options; the call log records what each server answered
 * and every node state change.
 */
"use strict";

const fs = require("node:fs");
const path = require("node:path");
const certs = require("./certs");
const { CallLog } = require("./callLog");
const { FakeEtcd } = require("./etcd");
const { FakeKubeApi } = require("./kubeApi");
const { FakeTalosNode, STATIC_PODS } = require("./talosNode");
const { makeTalosconfig } = require("../lib/credentials");
const { applyManifests, createManifestsV112 } = require("./talos/manifests");

/** @typedef {import("./kubeApi").FakePod} FakePod */

/**
 * What Talos's manifest controller does on this node's release: v1.13's keeps an
 * inventory, v1.12's (`node.legacy`) only creates what is missing.
 * @param {FakeTalosNode} node
 */
const manifestController = (node) => (node.legacy ? createManifestsV112 : applyManifests);

/** How many bootstrap states `FakeCluster#bootstrap` keeps. */
const BOOTSTRAPS_KEPT = 16;
/** @type {Map<string, { state: import("./objects").StoreState, lines: string[] }>} */
const bootstraps = new Map();

/**
 * Fault injection. Every list names nodes (or pods, or calls) the fault applies to.
 * @typedef {object} FakeFaults
 * @property {string[]} neverComesBack Nodes that stay down after their next reboot.
 * @property {Record<string, string>} wrongVersionAfterUpgrade Node -> the Talos version it boots after an upgrade, whatever was staged.
 * @property {string[]} unhealthyEtcd Control planes whose etcd member reports errors.
 * @property {string[]} unhealthyKubelet Nodes whose `kubelet` service reports unhealthy.
 * @property {string[] | undefined} etcdMembers The control planes that are etcd members (default: all); two names make a 2-member etcd.
 * @property {string[]} etcdLearners Members that are learners.
 * @property {string[]} pdbNeverAllows Pods (`namespace/name`) whose PodDisruptionBudget answers 429 for ever.
 * @property {{ node: string, call: string }[]} hang Talos calls that never answer (`node` may be `*`); `call` as in the log, e.g. `Version`, `LifecycleService.Upgrade`.
 * @property {string[]} connectionRefused Nodes whose endpoint refuses connections from the start.
 * @property {string[]} wrongCertIp Nodes whose server certificate carries another IP.
 * @property {string[]} legacyOnly Nodes that start at Talos v1.12.9: LifecycleService and ImageService answer Unimplemented, the manifest controller keeps no inventory, until an upgrade brings them to v1.13.
 * @property {string[]} rebootDropsConnection Nodes whose Reboot drops the connection instead of answering.
 * @property {string[]} badImages Image references that cannot be pulled.
 * @property {string[]} configNeedsReboot Nodes on which any configuration change needs a reboot.
 * @property {string[]} kubeHang Kubernetes calls that never answer, as `METHOD /path`.
 * @property {Record<string, number>} resetIgnored Node -> how many Reset calls it answers and then ignores (the node keeps running).
 * @property {string[]} readDenied Nodes whose Read answers PermissionDenied, as for a talosconfig without the os:admin role.
 * @property {string[]} staticPodsNeverReady Control planes whose static pods stay not Ready after a boot.
 * @property {{ node: string, component: string, version: string, flag?: string }[]} crashloops A control-plane component that crashloops (never Ready) on that node while its image is at that version (and, with `flag`, while its configuration's extraArgs carry that flag), e.g. a kube-apiserver at a release that rejects a flag an operator patch still sets.
 * @property {string[]} snapshotFails Control planes whose EtcdSnapshot stream breaks after its first chunk.
 * @property {string[]} snapshotEmpty Control planes whose EtcdSnapshot stream ends with no bytes.
 * @property {string[]} snapshotTruncated Control planes whose EtcdSnapshot stream ends early, cutting its sha256 trailer short (the stream itself ends well).
 * @property {string[]} etcdWaiting Control planes whose etcd service stays `Waiting` (its /var/lib volume not mounted, CRI not up: early in a boot), until removed from `cluster.etcdWaiting`.
 * @property {string[]} rejectObjects Objects the Kubernetes API refuses to apply (422 Invalid), as `Kind/namespace/name` (namespace empty for a cluster-wide kind), e.g. a manifest whose field the new release no longer takes.
 * @property {string[]} clockBehindAfterReboot Nodes whose clock is an hour behind after their next reboot, so their boot time goes backwards (a VM whose RTC drifted): only the boot id tells that they rebooted.
 */

/**
 * @typedef {object} FakeNodeSpec
 * @property {string} name
 * @property {string} ip The inventory IP: the only IP SAN of its server certificate.
 * @property {"controlplane" | "worker"} role
 */

/**
 * @typedef {object} FakeClusterOptions
 * @property {readonly FakeNodeSpec[]} nodes In inventory order.
 * @property {string} [clusterName] Default: "fake".
 * @property {string} [endpointHost] The cluster endpoint in the kubeconfig (the API server certificate's name). Default: the first control plane's IP.
 * @property {string} [talosVersion] What every node runs at first. Default: "v1.13.0".
 * @property {string} [kubernetesVersion] What every kubelet runs at first, without `v`. Default: "1.36.0".
 * @property {number} [rebootMs] Simulated reboot time. Default: 5.
 * @property {number} [upgradeMs] Simulated time to stage an upgrade. Default: 5.
 * @property {number} [staticPodReadyMs] How long after a boot a control plane's static pods turn Ready. Default: 5.
 * @property {number} [kubeletRestartMs] How long a running kubelet takes to restart at a new image (its Node NotReady, still at the old version). Default: 0.
 * @property {number} [etcdRestoreMs] How long after a Bootstrap etcd's restart takes (service `Finished`, "Bootstrap requested"), before it restores and runs or fails. Default: 5.
 * @property {number} [rolloutMs] How long after a change of its pod template a Deployment, DaemonSet or StatefulSet takes to replace its old pods (reported as kstatus reads them: fake/objects.js). Default: 5.
 * @property {(node: FakeNodeSpec) => string} [initialConfig] The configuration a node runs at first. Default: a minimal v1alpha1 document at the fake's Kubernetes version.
 * @property {Record<string, number>} [gpus] Node -> the nvidia.com/gpu count its Node advertises as allocatable (what the NVIDIA device plugin reports); a node not named advertises none.
 * @property {string[]} [awaitingBootstrap] Control planes whose etcd waits for a bootstrap (they were reset, or their VMs recreated): not members, their etcd service `Preparing`. With every control plane here and `faults.etcdMembers: []`, the cluster has lost etcd.
 * @property {{ holder: string, moveMs: number }} [vip] The cluster endpoint is a Talos VIP held by `holder`: when the holder stops serving, the Kubernetes API is unreachable for `moveMs` while another control plane takes the address over.
 * @property {boolean} [defaultPods] A kube-proxy DaemonSet pod on every node, mirror pods of the three control-plane static pods on every control plane, and an app pod on every worker. Default: true.
 * @property {readonly FakePod[]} [pods] More pods.
 * @property {Partial<FakeFaults>} [faults]
 * @property {(node: FakeTalosNode, configText: string) => void} [onApplyConfiguration] Called when a configuration takes effect.
 */

/** @returns {FakeFaults} */
function noFaults() {
  return {
    neverComesBack: [],
    wrongVersionAfterUpgrade: {},
    unhealthyEtcd: [],
    unhealthyKubelet: [],
    etcdMembers: undefined,
    etcdLearners: [],
    pdbNeverAllows: [],
    hang: [],
    connectionRefused: [],
    wrongCertIp: [],
    legacyOnly: [],
    rebootDropsConnection: [],
    badImages: [],
    configNeedsReboot: [],
    kubeHang: [],
    resetIgnored: {},
    readDenied: [],
    staticPodsNeverReady: [],
    crashloops: [],
    clockBehindAfterReboot: [],
    snapshotFails: [],
    snapshotEmpty: [],
    snapshotTruncated: [],
    etcdWaiting: [],
    rejectObjects: [],
  };
}

class FakeCluster {
  /** @param {FakeClusterOptions} options */
  constructor(options) {
    const cps = options.nodes.filter((n) => n.role === "controlplane");
    if (cps.length === 0) throw new Error("a fake cluster needs at least one control plane");
    /** @readonly */
    this.options = {
      clusterName: options.clusterName ?? "fake",
      endpointHost: options.endpointHost ?? cps[0].ip,
      talosVersion: options.talosVersion ?? "v1.13.0",
      kubernetesVersion: (options.kubernetesVersion ?? "1.36.0").replace(/^v/, ""),
      rebootMs: options.rebootMs ?? 5,
      upgradeMs: options.upgradeMs ?? 5,
      staticPodReadyMs: options.staticPodReadyMs ?? 5,
      rolloutMs: options.rolloutMs ?? 5,
      etcdRestoreMs: options.etcdRestoreMs ?? 5,
      kubeletRestartMs: options.kubeletRestartMs ?? 0,
      initialConfig: options.initialConfig,
      gpus: { ...(options.gpus ?? {}) },
      onApplyConfiguration: options.onApplyConfiguration,
    };
    /** @readonly @type {FakeFaults} */
    this.faults = { ...noFaults(), ...(options.faults ?? {}) };
    /** Control planes whose etcd waits for a bootstrap. @type {Set<string>} */
    this.awaitingBootstrap = new Set(options.awaitingBootstrap ?? []);
    /** Control planes whose etcd service is `Waiting`. @type {Set<string>} */
    this.etcdWaiting = new Set(this.faults.etcdWaiting);
    /** Control plane -> why its etcd service `Failed` (a restore that failed). @type {Map<string, string>} */
    this.etcdFailed = new Map();
    /** Control planes whose etcd a Bootstrap is restarting (`Finished`). @type {Set<string>} */
    this.etcdBootstrapping = new Set();
    /** Who holds the VIP now, when the cluster has one. @type {{ holder: string, moveMs: number } | undefined} */
    this.vip = options.vip === undefined ? undefined : { ...options.vip };
    /** @readonly */
    this.log = new CallLog();
    const talosCa = certs.talosAuthority();
    const client = certs.talosClientCert();
    /** @readonly @type {FakeTalosNode[]} */
    this.nodes = options.nodes.map((spec, i) => {
      const ip = this.faults.wrongCertIp.includes(spec.name)
        ? `10.255.255.${(i % 250) + 1}`
        : spec.ip;
      return new FakeTalosNode(this, spec, certs.talosServerCert(ip), talosCa.caCert);
    });
    const members = this.faults.etcdMembers ?? cps.map((n) => n.name);
    /** @readonly */
    this.etcd = new FakeEtcd(
      {
        isUp: (name) =>
          this.node(name).phase === "running" || this.node(name).phase === "upgrading",
        unhealthy: this.faults.unhealthyEtcd,
      },
      cps.filter((n) => members.includes(n.name)),
      this.faults.etcdLearners,
    );
    /** @type {FakePod[]} */
    const pods = [];
    if (options.defaultPods !== false) {
      for (const n of options.nodes) {
        pods.push({
          namespace: "kube-system",
          name: `kube-proxy-${n.name}`,
          node: n.name,
          ownerKind: "DaemonSet",
        });
        if (n.role === "controlplane") {
          for (const component of STATIC_PODS) {
            pods.push({
              namespace: "kube-system",
              name: `${component}-${n.name}`,
              node: n.name,
              ownerKind: "Node",
              mirror: true,
              component,
            });
          }
        } else {
          pods.push({
            namespace: "default",
            name: `app-${n.name}`,
            node: n.name,
            ownerKind: "ReplicaSet",
          });
        }
      }
    }
    pods.push(...(options.pods ?? []));
    for (const p of pods)
      if (this.faults.pdbNeverAllows.includes(`${p.namespace}/${p.name}`)) p.pdb = "never";
    const kubeCa = certs.kubernetesAuthority();
    /** @readonly */
    this.kube = new FakeKubeApi(
      this,
      certs.kubernetesServerCert(this.options.endpointHost),
      kubeCa.caCert,
      pods,
    );
    /** @private */
    this.pems = { talosCa, client, kubeCa, kubeClient: certs.kubernetesClientCert() };
    this.bootstrap(this.node(cps[0].name));
  }

  /**
   * At bootstrap Talos created the manifests the first control plane rendered, in an
   * API server that held nothing: what `createBootstrapManifests` does, without logging
   * what it created (that was before any call). The store this leaves depends on the
   * manifests, the node's Talos release and the objects the faults reject, and on
   * nothing else. So it is made once per process for each of those (the last
   * {@link BOOTSTRAPS_KEPT}), and copied into the next cluster that starts from the same
   * (ObjectStore `restore`, at the present time). A test run starts about 200 fake
   * clusters from about 20 such sets; a copy took 0.5-0.7 ms against 3.0-4.6 ms for the
   * applies (warm, 2026-12-08), and the run's bootstraps 0.6 s of CPU against 1.1 s.
   * @private
   * @param {FakeTalosNode} node
   */
  bootstrap(node) {
    const store = this.kube.objects;
    const manifests = node.manifestsById();
    const key = JSON.stringify([node.legacy, this.faults.rejectObjects, manifests]);
    let kept = bootstraps.get(key);
    if (kept === undefined) {
      /** @type {string[]} */
      const lines = [];
      manifestController(node)(store, manifests, (line) => lines.push(line));
      kept = { state: store.saved(), lines };
      bootstraps.set(key, kept);
      // A Map keeps insertion order: the first key is the oldest.
      if (bootstraps.size > BOOTSTRAPS_KEPT)
        bootstraps.delete(/** @type {string} */ (bootstraps.keys().next().value));
    } else store.restore(kept.state);
    for (const line of kept.lines) this.log.record(node.name, "manifest-apply", line);
  }

  /**
   * What Talos's manifest controller does on a control plane whose manifests changed:
   * on v1.13, create what is missing and keep the inventory (./talos/manifests.js
   * `applyManifests`); on a v1.12 node (`node.legacy`), create what is missing,
   * no inventory. It never updates or deletes an object.
   * @param {FakeTalosNode} node
   */
  createBootstrapManifests(node) {
    if (this.kube === undefined) return;
    const log = (/** @type {string} */ line) => this.log.record(node.name, "manifest-apply", line);
    const created = manifestController(node)(this.kube.objects, node.manifestsById(), log);
    for (const o of created) this.log.record(node.name, "manifest-created", o);
  }

  /**
   * Disaster: etcd loses its quorum on every control plane at once (its peers' data
   * gone, say), as in Talos's disaster-recovery guide. Each member still runs, with
   * its own data, but reports "etcdserver: no leader"; Kubernetes cannot write. Only a
   * recovery brings etcd back: wipe each control plane's EPHEMERAL (a Reset that keeps
   * STATE), then a recovering Bootstrap on one of them.
   */
  loseEtcd() {
    this.etcd.loseQuorum();
    this.log.record("etcd", "quorum", "lost", "every member reports no leader");
  }

  /**
   * Every control plane loses its etcd data at once, as when their EPHEMERAL
   * partitions are wiped (or their VMs recreated) and STATE kept, without the reboots
   * a Reset would take: no member is left, and each control plane's etcd waits for a
   * bootstrap (`Preparing`), as after the runbook's wipe. The demo's `--keep` mode
   * calls it, so that `recover` can be tried and seen to succeed.
   */
  wipeEtcd() {
    for (const n of this.nodes) {
      if (n.role !== "controlplane") continue;
      this.etcd.remove(n.name);
      this.etcdFailed.delete(n.name);
      this.awaitingBootstrap.add(n.name);
      this.log.record(n.name, "etcd", "lost its data");
    }
  }

  /** @param {string} name */
  node(name) {
    const n = this.nodes.find((x) => x.name === name);
    if (n === undefined) throw new Error(`the fake cluster has no node ${name}`);
    return n;
  }

  /**
   * A node stopped serving (reboot, reset, fault). If it held the VIP, the address moves
   * to another serving control plane, and the Kubernetes API behind it is unreachable
   * meanwhile, as when Talos's VIP fails over (the new holder is elected through etcd).
   * @param {string} name
   */
  nodeStoppedServing(name) {
    if (this.vip === undefined || this.vip.holder !== name) return;
    const next = this.nodes.find((n) => n.role === "controlplane" && n.name !== name && n.ready);
    this.log.record("kubernetes", "vip", "moving", `from ${name} to ${next?.name ?? "nobody"}`);
    if (next !== undefined) this.vip.holder = next.name;
    void this.kube.outage(this.vip.moveMs);
  }

  /** Node name -> `127.0.0.1:<port>`: the `em-infra:talosEndpoints` a test passes. */
  get endpoints() {
    return Object.fromEntries(this.nodes.map((n) => [n.name, n.endpoint]));
  }

  /** `127.0.0.1:<port>`: the `em-infra:kubernetesEndpoint` a test passes. */
  get kubernetesEndpoint() {
    return this.kube.endpoint;
  }

  /** A talosconfig text whose context `fake` holds the client credentials (key under its Talos label). */
  get talosconfig() {
    const { talosCa, client } = this.pems;
    return makeTalosconfig(
      "fake",
      { ca: talosCa.caCert, cert: client.cert, key: client.key },
      this.nodes.map((n) => n.ip),
    );
  }

  /**
   * Writes what a day-two command needs to reach this cluster into `dir`: its
   * talosconfig and kubeconfig (0600: they hold client keys) and its endpoints, as the
   * `--talosconfig`, `--kubeconfig` and `--endpoints` files. Returns their paths, and
   * `flags`: those options and `--kubernetes-endpoint`, as the day2 CLI takes them.
   * @param {string} dir
   */
  writeFiles(dir) {
    const talosconfig = path.join(dir, "talosconfig");
    const kubeconfig = path.join(dir, "kubeconfig");
    const endpoints = path.join(dir, "endpoints.json");
    fs.writeFileSync(talosconfig, this.talosconfig, { mode: 0o600 });
    fs.writeFileSync(kubeconfig, this.kubeconfig, { mode: 0o600 });
    fs.writeFileSync(endpoints, JSON.stringify(this.endpoints));
    const flags = [
      ...["--talosconfig", talosconfig, "--kubeconfig", kubeconfig],
      ...["--endpoints", endpoints, "--kubernetes-endpoint", this.kubernetesEndpoint],
    ];
    return { talosconfig, kubeconfig, endpoints, flags };
  }

  /** The Secrets resource's `clientConfiguration` shape, each field base64 PEM. */
  get clientConfiguration() {
    const b64 = (/** @type {string} */ s) => Buffer.from(s).toString("base64");
    const { talosCa, client } = this.pems;
    return {
      caCertificate: b64(talosCa.caCert),
      clientCertificate: b64(client.cert),
      clientKey: b64(client.key),
    };
  }

  /** The admin kubeconfig the control planes serve; its server is the cluster endpoint, not the fake's port. */
  get kubeconfig() {
    const b64 = (/** @type {string} */ s) => Buffer.from(s).toString("base64");
    const { kubeCa, kubeClient } = this.pems;
    const name = this.options.clusterName;
    const host = this.options.endpointHost.includes(":")
      ? `[${this.options.endpointHost}]`
      : this.options.endpointHost;
    return [
      "apiVersion: v1",
      "kind: Config",
      "clusters:",
      `  - name: ${name}`,
      "    cluster:",
      `      server: https://${host}:6443`,
      `      certificate-authority-data: ${b64(kubeCa.caCert)}`,
      "users:",
      `  - name: admin@${name}`,
      "    user:",
      `      client-certificate-data: ${b64(kubeClient.cert)}`,
      `      client-key-data: ${b64(kubeClient.key)}`,
      "contexts:",
      `  - name: admin@${name}`,
      "    context:",
      `      cluster: ${name}`,
      "      namespace: default",
      `      user: admin@${name}`,
      `current-context: admin@${name}`,
      "",
    ].join("\n");
  }

  /**
   * Every piece of private or credential material the fake handed out, PEM text, for
   * secrets audits: search outputs for distinctive substrings of these.
   */
  secretMaterial() {
    const { talosCa, client, kubeCa, kubeClient } = this.pems;
    return {
      talosCaKey: talosCa.caKey,
      talosClientKey: client.key,
      talosClientCert: client.cert,
      kubernetesCaKey: kubeCa.caKey,
      kubernetesClientKey: kubeClient.key,
      kubernetesClientCert: kubeClient.cert,
    };
  }

  /** Starts every server; {@link startFakeCluster} calls it. */
  async start() {
    await Promise.all([...this.nodes.map((n) => n.start()), this.kube.start()]);
    for (const n of this.nodes)
      if (n.phase === "running") this.log.record(n.name, "state", "running", `boot 1 ${n.version}`);
  }

  /** Stops every server and timer. */
  stop() {
    for (const n of this.nodes) n.stop();
    this.kube.stop();
  }
}

/**
 * Starts a fake cluster and resolves once every server listens.
 * @param {FakeClusterOptions} options
 */
async function startFakeCluster(options) {
  const cluster = new FakeCluster(options);
  await cluster.start();
  return cluster;
}

module.exports = { FakeCluster, startFakeCluster };
