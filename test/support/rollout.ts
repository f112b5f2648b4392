/**
 * Set-up for the rollout engine's tests: provider inputs that describe a fake cluster,
 * a provider whose clients dial only the fake with short deadlines, and questions
 * about the fake's call log ("what touched this node").
 */
import * as fs from "fs";
import * as YAML from "yaml";
import { FAST, fake } from "./day2";
import * as day2 from "../../packages/day2";
import type { FakeCluster } from "../../packages/day2/fake";
import { tempDir } from "./tmp";

export type RolloutInputs = import("../../packages/day2/rollout/types").RolloutInputs;
export type RolloutOutputs = import("../../packages/day2/rollout/types").RolloutOutputs;

/**
 * A rendered configuration: the images a Kubernetes version sets, plus `extra` as a
 * sysctl (a real change to Talos, which compares documents, not text). Without `extra`
 * it is what the fake's nodes run at first.
 */
export function configText(role: string, kubernetesVersion: string, extra = ""): string {
  const v = `v${kubernetesVersion}`;
  const lines = [
    "version: v1alpha1",
    "machine:",
    `  type: ${role}`,
    "  kubelet:",
    `    image: ghcr.io/siderolabs/kubelet:${v}`,
  ];
  if (extra !== "") lines.push("  sysctls:", `    em-infra.test/extra: ${JSON.stringify(extra)}`);
  if (role === "controlplane") {
    lines.push(
      "cluster:",
      `  apiServer: { image: registry.k8s.io/kube-apiserver:${v} }`,
      `  controllerManager: { image: registry.k8s.io/kube-controller-manager:${v} }`,
      `  scheduler: { image: registry.k8s.io/kube-scheduler:${v} }`,
      `  proxy: { image: registry.k8s.io/kube-proxy:${v} }`,
    );
  }
  return lines.join("\n") + "\n";
}

export interface InputOptions {
  talosVersion?: string;
  kubernetesVersion?: string;
  maxUnavailableWorkers?: number;
  bootstrapNode?: string;
  /** Only these nodes of the fake are in the inventory. */
  only?: string[];
  schematic?: string;
  protect?: string[];
  extraConfig?: string;
  timing?: Partial<RolloutInputs["timing"]>;
  backups?: NonNullable<RolloutInputs["backups"]>["etcd"];
}

/** Provider inputs for a fake cluster: every node dialed at its loopback endpoint. */
export function inputsFor(cluster: FakeCluster, o: InputOptions = {}): RolloutInputs {
  const talosVersion = o.talosVersion ?? "v1.13.0";
  const kubernetesVersion = o.kubernetesVersion ?? "1.36.0";
  const schematic = o.schematic ?? "a".repeat(64);
  const names = cluster.nodes.map((n) => n.name).filter((n) => !o.only || o.only.includes(n));
  const role = (n: string) => cluster.node(n).role;
  const cps = names.filter((n) => role(n) === "controlplane");
  const bootstrapNode = o.bootstrapNode ?? cps[0];
  const width = o.maxUnavailableWorkers ?? 1;
  const workers = names.filter((n) => role(n) === "worker");
  const batches = [...cps.filter((n) => n !== bootstrapNode).map((n) => [n]), [bootstrapNode]];
  for (let i = 0; i < workers.length; i += width) batches.push(workers.slice(i, i + width));
  const nodes: RolloutInputs["nodes"] = {};
  const configs: Record<string, string> = {};
  for (const n of names) {
    const f = cluster.node(n);
    nodes[n] = {
      role: f.role,
      ip: f.ip,
      endpoint: f.endpoint,
      installer: `factory.talos.dev/nocloud-installer/${schematic}:${talosVersion}`,
      schematic,
      protect: o.protect?.includes(n) ?? false,
      network: { cidr: "10.20.0.0/24", gateway: "10.20.0.1", prefixLength: 24 },
    };
    configs[n] = configText(f.role, kubernetesVersion, o.extraConfig ?? "");
  }
  return {
    schema: 1,
    cluster: "fake",
    stack: "test",
    talosVersion,
    kubernetesVersion,
    bootstrapNode,
    maxUnavailableWorkers: width,
    batches,
    nodes,
    configs,
    credentials: cluster.clientConfiguration,
    kubernetesEndpoint: cluster.kubernetesEndpoint,
    timing: { nodeTimeoutSeconds: 2, drainTimeoutSeconds: 1, pollMs: 5, ...(o.timing ?? {}) },
    ...(o.backups === undefined ? {} : { backups: { etcd: o.backups } }),
  };
}

let scratchDir: string | undefined;

/**
 * A folder for the rollout's stop markers and snapshots (the program's directory, for
 * a real run), one per test file: made again after a file's cleanup removed it.
 */
export function rolloutWorkDir(): string {
  if (scratchDir === undefined || !fs.existsSync(scratchDir)) scratchDir = tempDir("rollout");
  return scratchDir;
}

/** A rollout provider whose clients have short deadlines; its log lines collected. */
export function providerFor(extra: { longTimeoutMs?: number; now?: () => Date } = {}) {
  const lines: string[] = [];
  const provider = day2.createRolloutProvider({
    workDir: rolloutWorkDir(),
    log: (l) => lines.push(l),
    now: extra.now ?? (() => new Date("2026-11-30T09:00:00Z")),
    connect: {
      talos: (opts) =>
        day2.createTalosClient({ ...FAST, ...opts, longTimeoutMs: extra.longTimeoutMs ?? 3000 }),
      kube: (opts) => day2.createKubeClient({ ...opts, ...FAST }),
    },
  });
  return { provider, lines };
}

/** Calls that only read: anything else changed something on the node. */
const READS = new Set([
  "Version",
  "SystemStat",
  "ServiceList",
  "EtcdMemberList",
  "EtcdStatus",
  "Kubeconfig",
  "EtcdSnapshot",
  "snapshot-sent",
  "Read",
  "GET node",
  "GET nodes",
  "GET pods",
  "GET daemonset",
  "resource Get",
  "resource List",
]);

/** The log entries that changed something on `node` (from `since`, a log position). */
export function touches(cluster: FakeCluster, node: string, since = 0) {
  return cluster.log.entries.filter(
    (e) => e.seq >= since && e.node === node && e.call !== "state" && !READS.has(e.call),
  );
}

/** The position of the first entry matching, or -1. */
export function seqOf(
  cluster: FakeCluster,
  filter: { node?: string; call?: string | RegExp; outcome?: string | RegExp },
  since = 0,
): number {
  return (
    cluster.log.entries.find(
      (e) =>
        e.seq >= since &&
        (filter.node === undefined || e.node === filter.node) &&
        (filter.call === undefined ||
          (typeof filter.call === "string" ? e.call === filter.call : filter.call.test(e.call))) &&
        (filter.outcome === undefined ||
          (typeof filter.outcome === "string"
            ? e.outcome === filter.outcome
            : filter.outcome.test(e.outcome))),
    )?.seq ?? -1
  );
}

/** The position of the last entry of `node` with this call (and outcome), or -1. */
export function lastSeqOf(
  cluster: FakeCluster,
  node: string,
  call: string,
  outcome?: string,
): number {
  const hits = cluster.log.entries.filter(
    (e) => e.node === node && e.call === call && (outcome === undefined || e.outcome === outcome),
  );
  return hits.length === 0 ? -1 : hits[hits.length - 1].seq;
}

/** Three control planes and `workers` workers. */
export function clusterNodes(workers: number) {
  const nodes: { name: string; ip: string; role: "controlplane" | "worker" }[] = [];
  for (let i = 1; i <= 3; i++)
    nodes.push({ name: `cp-${i}`, ip: `10.20.0.${10 + i}`, role: "controlplane" });
  for (let i = 1; i <= workers; i++)
    nodes.push({ name: `w-${i}`, ip: `10.20.0.${20 + i}`, role: "worker" });
  return nodes;
}

export { fake };

/** The control planes' configurations with `cluster.inlineManifests` set to these. */
export function withInline(
  inputs: RolloutInputs,
  manifests: { name: string; contents: string }[],
): RolloutInputs {
  const configs = { ...inputs.configs };
  for (const [n, node] of Object.entries(inputs.nodes)) {
    if (node.role !== "controlplane") continue;
    const doc = YAML.parse(configs[n]);
    doc.cluster.inlineManifests = manifests;
    configs[n] = YAML.stringify(doc);
  }
  return { ...inputs, configs };
}
