/**
 * `npm run day2 -- status`: what the running cluster is, against what the inventory
 * says. {@link observeCluster} asks the nodes and the API server (read-only calls
 * only); {@link statusReport} and {@link formatStatus} are pure, so every decision
 * (what matches, what is a problem) is unit-tested without a cluster.
 */
import type { Inventory, Role } from "../../lib/inventory";
import type * as day2 from "../../packages/day2";
import { TERMINAL_WIDTH, table } from "../cli";
import { bootstrapManifests, rolloutPlan } from "../../packages/day2";
import { componentTags } from "../../packages/day2/rollout/kubernetes";
import { DEFAULT_CLASS_ANNOTATION, buildAddons } from "../../lib/addons/objects";
import { hasGpuNodes } from "../../lib/talos/patches";

type TalosClient = ReturnType<typeof day2.createTalosClient>;
type KubeClient = ReturnType<typeof day2.createKubeClient>;
type EtcdMember = Awaited<ReturnType<TalosClient["etcdMemberList"]>>[number];
type EtcdMemberStatus = Awaited<ReturnType<TalosClient["etcdStatus"]>>;
type KubeNode = Awaited<ReturnType<KubeClient["listNodes"]>>[number];
type PveClient = ReturnType<typeof day2.createPveClient>;

/** A call's answer, or the error text it ended with. */
export type Answer<T> = { readonly ok: T } | { readonly error: string };

/** What was seen of one node. */
export interface NodeObservation {
  /** Where its Talos API was dialed, `host:port`. */
  readonly endpoint: string;
  readonly version: Answer<string>;
  /** Its own etcd member status; control planes only. */
  readonly etcd?: Answer<EtcdMemberStatus>;
  /**
   * The image tag each Kubernetes component runs on it, read through Talos
   * (`kube-apiserver`, ..., `kube-proxy` on control planes, `kubelet` everywhere), as the
   * rollout reads them; absent where not asked.
   */
  readonly components?: Answer<Readonly<Record<string, string>>>;
}

/** Everything {@link observeCluster} saw. */
export interface Observations {
  readonly nodes: Readonly<Record<string, NodeObservation>>;
  /** The etcd member list, from the first control plane that answered. */
  readonly etcdMembers: Answer<{ readonly from: string; readonly members: readonly EtcdMember[] }>;
  /** The Kubernetes Nodes; undefined when no kubeconfig was given. */
  readonly kubernetes?: Answer<readonly KubeNode[]>;
  /**
   * The bootstrap manifests the cluster holds other than a control plane renders them
   * (`Kind/namespace/name (missing|differs)`); undefined without a kubeconfig.
   */
  readonly manifests?: Answer<{ readonly from: string; readonly stale: readonly string[] }>;
  /** The add-ons' workloads and StorageClass as found; undefined without a kubeconfig. */
  readonly addons?: Answer<readonly AddonState[]>;
  /**
   * Each node's VM hardware pending in Proxmox (`memory 4096 -> 8192`), which only a
   * restart through Proxmox applies; undefined when Proxmox was not asked (no
   * credentials).
   */
  readonly hardware?: Readonly<Record<string, Answer<readonly string[]>>>;
}

/** One add-on object status looks at: a Deployment, a DaemonSet or the StorageClass. */
export interface AddonState {
  readonly addon: string;
  /** `Deployment kube-system/metrics-server`. */
  readonly object: string;
  readonly ok: boolean;
  /** `rolled out`, `missing`, `not rolled out (generation 1/1, updated 0/1, ...)`. */
  readonly seen: string;
}

/** One node's line of the report (also its `--json` object). */
export interface StatusRow {
  readonly name: string;
  readonly role: Role;
  /** The inventory IP. */
  readonly address: string;
  /** Where its Talos API was dialed. */
  readonly endpoint: string;
  /** The running Talos version; null when the node did not answer. */
  readonly talosVersion: string | null;
  readonly wantTalosVersion: string;
  /** Whether it is an etcd member; null for workers, or when no member list was read. */
  readonly etcdMember: boolean | null;
  /** Whether its member is a healthy voter; null for workers and when unknown. */
  readonly etcdHealthy: boolean | null;
  /** Its Node's Ready condition; null without a kubeconfig or when unknown. */
  readonly ready: boolean | null;
  /** Its Node's kubelet version; null without a kubeconfig or when unknown. */
  readonly kubeletVersion: string | null;
  /**
   * Who cordoned its Node: `rollout` (the rollout's annotation: an earlier run stopped
   * before uncordoning it), `other`, or null when it is schedulable or unknown.
   */
  readonly cordoned: "rollout" | "other" | null;
  /**
   * For a GPU worker: the nvidia.com/gpu its Node advertises as allocatable (0 when
   * none); null for other nodes, or without a kubeconfig.
   */
  readonly gpus: number | null;
  /** `v<inventory kubernetes version>`; null without a kubeconfig. */
  readonly wantKubeletVersion: string | null;
  /**
   * Its VM's hardware pending in Proxmox (`memory 4096 -> 8192`), empty when none;
   * null when Proxmox was not asked or did not answer.
   */
  readonly pendingHardware: readonly string[] | null;
  readonly matches: boolean;
  /** Why it does not match, each naming the node. */
  readonly problems: readonly string[];
}

/** What the local backups folder holds, for the report. */
export interface BackupsSeen {
  /** The folder, as shown to the operator. */
  readonly dir: string;
  /** The cluster's snapshots there, oldest first. */
  readonly snapshots: readonly { readonly file: string; readonly takenAt: string }[];
  /** When the stack's last rollout update ran (`lastRun.at` in the local state), if known. */
  readonly lastRollout?: string;
  readonly now: Date;
}

/**
 * Seconds in a `backups.etcd.maxAge` (`30m`, `24h`, `7d`; the schema's pattern). Pure.
 * @param text
 */
export function durationSeconds(text: string): number {
  const m = /^([1-9][0-9]*)([mhd])$/.exec(text);
  if (m === null) throw new Error(`not a duration: ${JSON.stringify(text)} (30m, 24h, 7d)`);
  return Number(m[1]) * { m: 60, h: 3600, d: 86400 }[m[2] as "m" | "h" | "d"];
}

/** The report's view of the etcd snapshots. */
export interface BackupsStatus {
  readonly dir: string;
  readonly count: number;
  readonly newest: {
    readonly file: string;
    readonly takenAt: string;
    readonly ageSeconds: number;
  } | null;
  readonly lastRollout: string | null;
}

/** The whole report. */
export interface StatusReport {
  readonly cluster: string;
  readonly inventory: string;
  readonly talosVersion: string;
  readonly kubernetesVersion: string;
  /** Whether Kubernetes was asked (a kubeconfig was given). */
  readonly kubernetesChecked: boolean;
  readonly nodes: readonly StatusRow[];
  /** Every problem: the nodes' and the cluster's, each naming what it is about. */
  readonly problems: readonly string[];
  /** Risks that do not make the cluster differ from the inventory (a 2-member etcd). */
  readonly warnings: readonly string[];
  /** The local etcd snapshots; null when not looked at. */
  readonly backups: BackupsStatus | null;
  /** The add-ons' workloads and StorageClass; null without a kubeconfig or when unread. */
  readonly addons: readonly AddonState[] | null;
  readonly matches: boolean;
}

/** The error text of a failed call, whatever was thrown. */
function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

async function answer<T>(p: Promise<T>): Promise<Answer<T>> {
  try {
    return { ok: await p };
  } catch (e) {
    return { error: errorText(e) };
  }
}

/**
 * Asks every node its version (and each control plane its etcd status), one control
 * plane for the etcd member list, and the API server for its Nodes. Read-only calls,
 * all nodes at once; a node that does not answer is recorded, never thrown.
 */
export async function observeCluster(
  inventory: Inventory,
  talos: TalosClient,
  kube?: KubeClient,
  pve?: PveClient,
): Promise<Observations> {
  const cps = inventory.nodes.filter((n) => n.role === "controlplane");
  const [entries, memberLists, kubernetes] = await Promise.all([
    Promise.all(
      inventory.nodes.map(async (n): Promise<[string, NodeObservation]> => {
        const [version, etcd, components] = await Promise.all([
          answer(talos.version(n.name).then((v) => v.tag)),
          n.role === "controlplane" ? answer(talos.etcdStatus(n.name)) : Promise.resolve(undefined),
          answer(componentTags(talos, n.name, n.role)),
        ]);
        const obs: NodeObservation = {
          endpoint: talos.dialTarget(n.name),
          version,
          ...(etcd === undefined ? {} : { etcd }),
          components,
        };
        return [n.name, obs];
      }),
    ),
    Promise.all(cps.map((n) => answer(talos.etcdMemberList(n.name)))),
    kube === undefined ? Promise.resolve(undefined) : answer(kube.listNodes()),
  ]);
  const manifests = kube === undefined ? undefined : await staleFrom(cps, talos, kube);
  const addons = kube === undefined ? undefined : await answer(addonStates(inventory, kube));
  const hardware =
    pve === undefined
      ? undefined
      : Object.fromEntries(
          await Promise.all(
            inventory.nodes.map(
              async (n) =>
                [
                  n.name,
                  await answer(
                    pve
                      .pending({ host: n.host, vmid: n.vmId, name: n.name })
                      .then((list) => pendingLines(list)),
                  ),
                ] as const,
            ),
          ),
        );
  const i = memberLists.findIndex((m) => "ok" in m);
  const etcdMembers: Observations["etcdMembers"] =
    i === -1
      ? {
          error: `no control plane answered EtcdMemberList (${memberLists.map((m) => ("error" in m ? m.error : "")).join("; ")})`,
        }
      : { ok: { from: cps[i].name, members: (memberLists[i] as { ok: EtcdMember[] }).ok } };
  return {
    nodes: Object.fromEntries(entries),
    etcdMembers,
    ...(kubernetes === undefined ? {} : { kubernetes }),
    ...(manifests === undefined ? {} : { manifests }),
    ...(addons === undefined ? {} : { addons }),
    ...(hardware === undefined ? {} : { hardware }),
  };
}

/** Pending entries as `key value -> pending` (or `key deleted`). */
function pendingLines(list: Awaited<ReturnType<PveClient["pending"]>>): string[] {
  return list
    .filter((e) => e.pending !== undefined || (e.delete ?? 0) !== 0)
    .map((e) =>
      e.pending !== undefined
        ? `${e.key} ${e.value ?? "(unset)"} -> ${e.pending}`
        : `${e.key} deleted`,
    );
}

/** What runs each add-on the inventory turns on (lib/addons), as the cluster has it. */
async function addonStates(inventory: Inventory, kube: KubeClient): Promise<AddonState[]> {
  const out: AddonState[] = [];
  for (const a of buildAddons(inventory.cluster, hasGpuNodes(inventory.nodes))) {
    for (const o of a.objects) {
      if (!["Deployment", "DaemonSet", "StorageClass"].includes(o.kind)) continue;
      const ns = o.metadata.namespace;
      const object = `${o.kind} ${ns === undefined ? "" : `${ns}/`}${o.metadata.name}`;
      const live = await kube.getObject({
        apiVersion: o.apiVersion,
        kind: o.kind,
        name: o.metadata.name,
        ...(ns === undefined ? {} : { namespace: ns }),
      });
      if (live === null) {
        out.push({ addon: a.name, object, ok: false, seen: "missing" });
      } else if (o.kind === "StorageClass") {
        const isDefault = live.metadata?.annotations?.[DEFAULT_CLASS_ANNOTATION] === "true";
        out.push({
          addon: a.name,
          object,
          ok: isDefault,
          seen: isDefault ? "the default class" : "not the default class",
        });
      } else {
        const r = bootstrapManifests.rolloutState(live);
        const nowhere = o.kind === "DaemonSet" && r.desired === 0;
        out.push({
          addon: a.name,
          object,
          ok: r.done && !nowhere,
          seen: nowhere
            ? "scheduled on no node"
            : r.done
              ? "rolled out"
              : `not rolled out (${r.seen})`,
        });
      }
    }
  }
  return out;
}

/** The stale bootstrap manifests, as the first control plane that answers renders them. */
async function staleFrom(
  cps: readonly { name: string }[],
  talos: TalosClient,
  kube: KubeClient,
): Promise<NonNullable<Observations["manifests"]>> {
  const failures: string[] = [];
  for (const cp of cps) {
    try {
      const stale = await bootstrapManifests.staleManifests(talos, kube, cp.name);
      return { ok: { from: cp.name, stale } };
    } catch (e) {
      failures.push((e as Error).message);
    }
  }
  return { error: failures.join("; ") || "no control plane" };
}

/** `text`, prefixed with the node's name unless it already starts with it (a client error does). */
function aboutNode(name: string, text: string): string {
  return text.startsWith(`${name} `) || text.startsWith(`${name}:`) ? text : `${name}: ${text}`;
}

/** `v1.36.0` for `1.36.0` or `v1.36.0`. */
function withV(version: string): string {
  return version.startsWith("v") ? version : `v${version}`;
}

/** `3 h 20 min`, `45 s`: an age for a person. */
export function ageText(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 120) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 120) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return `${h} h ${min % 60} min`;
  return `${Math.floor(h / 24)} days`;
}

/** Builds the report: what each node is against what the inventory says. Pure. */
export function statusReport(
  inventory: Inventory,
  obs: Observations,
  seen?: BackupsSeen,
): StatusReport {
  const wantTalos = inventory.cluster.talos.version;
  const wantKubelet = withV(inventory.cluster.kubernetes.version);
  const members = "ok" in obs.etcdMembers ? obs.etcdMembers.ok.members : undefined;
  const kubeNodes =
    obs.kubernetes !== undefined && "ok" in obs.kubernetes ? obs.kubernetes.ok : undefined;
  const clusterProblems: string[] = [];
  const warnings: string[] = [];

  const rows = inventory.nodes.map((node): StatusRow => {
    const o = obs.nodes[node.name];
    const problems: string[] = [];
    const talosVersion = o !== undefined && "ok" in o.version ? o.version.ok : null;
    if (o === undefined) problems.push(`${node.name}: not observed`);
    else if ("error" in o.version) problems.push(aboutNode(node.name, o.version.error));
    else if (talosVersion !== wantTalos) {
      problems.push(`${node.name}: runs Talos ${talosVersion}, the inventory wants ${wantTalos}`);
    }

    let etcdMember: boolean | null = null;
    let etcdHealthy: boolean | null = null;
    if (node.role === "controlplane") {
      const status = o?.etcd !== undefined && "ok" in o.etcd ? o.etcd.ok : undefined;
      const member =
        members?.find((m) => status !== undefined && m.id === status.memberId) ??
        members?.find((m) => m.hostname === node.name);
      etcdMember =
        members === undefined ? (status !== undefined ? true : null) : member !== undefined;
      if (etcdMember === false) problems.push(`${node.name}: is not an etcd member`);
      if (status !== undefined) {
        etcdHealthy = status.errors.length === 0 && !status.isLearner;
        if (status.isLearner) problems.push(`${node.name}: its etcd member is still a learner`);
        if (status.errors.length > 0) {
          problems.push(
            `${node.name}: its etcd member reports errors: ${status.errors.join("; ")}`,
          );
        }
      } else if (
        etcdMember !== false &&
        o?.etcd !== undefined &&
        "error" in o.etcd &&
        "ok" in o.version
      ) {
        // Reachable, but etcd did not answer: that is a problem of its own.
        problems.push(aboutNode(node.name, o.etcd.error));
      }
    }

    let ready: boolean | null = null;
    let kubeletVersion: string | null = null;
    let cordoned: StatusRow["cordoned"] = null;
    let gpus: number | null = null;
    if (kubeNodes !== undefined) {
      const k = kubeNodes.find((n) => n.name === node.name);
      if (k === undefined) problems.push(`${node.name}: has no Kubernetes Node`);
      else {
        ready = k.ready;
        kubeletVersion = k.kubeletVersion === "" ? null : k.kubeletVersion;
        if (node.gpu !== undefined) {
          gpus = Number(k.allocatable["nvidia.com/gpu"] ?? 0) || 0;
          // Without a device plugin nothing advertises the GPU, and no pod can ask for it.
          if (gpus === 0)
            problems.push(
              `${node.name}: a GPU worker whose Node advertises no nvidia.com/gpu, so no pod can request its GPU (is the NVIDIA device plugin running on it?)`,
            );
        }
        const { key, value } = rolloutPlan.CORDON_ANNOTATION;
        if (k.unschedulable) cordoned = k.annotations[key] === value ? "rollout" : "other";
        if (cordoned === "rollout") {
          problems.push(
            `${node.name}: cordoned by an earlier rollout that did not finish it (annotation ${key}); the health gate fails while it is unschedulable. The next pulumi up uncordons it once it is at its targets and healthy`,
          );
        } else if (cordoned === "other") {
          warnings.push(
            `${node.name}: cordoned, not by the rollout; the health gate fails while it is unschedulable (kubectl uncordon ${node.name})`,
          );
        }
        if (k.ready !== true) {
          problems.push(
            `${node.name}: its Kubernetes Node is not Ready (${k.readyReason || "no Ready condition"})`,
          );
        }
        if (kubeletVersion !== wantKubelet) {
          problems.push(
            `${node.name}: runs kubelet ${kubeletVersion ?? "(unknown)"}, the inventory wants ${wantKubelet}`,
          );
        }
      }
    }
    const hw = obs.hardware?.[node.name];
    const pendingHardware = hw !== undefined && "ok" in hw ? hw.ok : null;
    if (pendingHardware !== null && pendingHardware.length > 0)
      problems.push(
        `${node.name}: VM hardware pending in Proxmox (${pendingHardware.join(", ")}); the next pulumi up restarts it through Proxmox, drained`,
      );
    else if (hw !== undefined && "error" in hw)
      problems.push(`${node.name}: its VM's pending hardware could not be read: ${hw.error}`);
    return {
      name: node.name,
      role: node.role,
      address: node.ip,
      endpoint: o?.endpoint ?? "",
      talosVersion,
      wantTalosVersion: wantTalos,
      etcdMember,
      etcdHealthy,
      ready,
      kubeletVersion,
      cordoned,
      gpus,
      wantKubeletVersion: obs.kubernetes === undefined ? null : wantKubelet,
      pendingHardware,
      matches: problems.length === 0,
      problems,
    };
  });

  const cpNames = new Set(
    inventory.nodes.filter((n) => n.role === "controlplane").map((n) => n.name),
  );
  if ("error" in obs.etcdMembers)
    clusterProblems.push(`etcd: membership unknown: ${obs.etcdMembers.error}`);
  else {
    for (const m of obs.etcdMembers.ok.members) {
      if (!cpNames.has(m.hostname)) {
        clusterProblems.push(
          `etcd: member ${m.hostname} (id ${m.id}) is not a control plane in the inventory`,
        );
      }
    }
    const voters = obs.etcdMembers.ok.members.filter((m) => !m.isLearner);
    if (voters.length === 2) {
      warnings.push(
        `etcd has 2 members (${voters.map((m) => m.hostname).join(", ")}): losing either one loses quorum; add a third control plane`,
      );
    }
  }
  if (obs.kubernetes !== undefined && "error" in obs.kubernetes) {
    clusterProblems.push(`Kubernetes API unreachable: ${obs.kubernetes.error}`);
  }
  if (obs.manifests !== undefined && "error" in obs.manifests)
    warnings.push(`bootstrap manifests not compared: ${obs.manifests.error}`);
  else if (obs.manifests !== undefined && obs.manifests.ok.stale.length > 0)
    // Talos only creates these: they follow its release and configuration only through
    // a sync (the next pulumi up that rolls a control plane, or talosctl upgrade-k8s).
    warnings.push(
      `bootstrap manifests differ from what ${obs.manifests.ok.from} renders: ${obs.manifests.ok.stale.join(", ")}; the next pulumi up that changes Talos, Kubernetes or a control plane's configuration syncs them (or talosctl upgrade-k8s --to ${inventory.cluster.kubernetes.version})`,
    );
  if (obs.addons !== undefined && "error" in obs.addons)
    warnings.push(`add-ons not checked: ${obs.addons.error}`);
  else if (obs.addons !== undefined)
    for (const a of obs.addons.ok.filter((x) => !x.ok))
      clusterProblems.push(
        `add-on ${a.addon}: ${a.object} ${a.seen}${a.seen === "missing" ? " (Talos creates an inline manifest's objects when the API first answers; the next pulumi up that changes a control plane syncs them)" : ""}`,
      );
  const names = new Set(inventory.nodes.map((n) => n.name));
  for (const k of kubeNodes ?? []) {
    if (!names.has(k.name))
      clusterProblems.push(`Kubernetes: Node ${k.name} is not in the inventory`);
  }

  let backups: BackupsStatus | null = null;
  if (seen !== undefined) {
    const last = seen.snapshots[seen.snapshots.length - 1];
    backups = {
      dir: seen.dir,
      count: seen.snapshots.length,
      newest:
        last === undefined
          ? null
          : {
              file: last.file,
              takenAt: last.takenAt,
              ageSeconds: (seen.now.getTime() - Date.parse(last.takenAt)) / 1000,
            },
      lastRollout: seen.lastRollout ?? null,
    };
    if (last === undefined)
      warnings.push(
        `no etcd snapshot of ${inventory.cluster.name} in ${seen.dir}: take one with npm run day2 -- snapshot`,
      );
    else if (seen.lastRollout !== undefined && last.takenAt < seen.lastRollout)
      warnings.push(
        `no etcd snapshot in ${seen.dir} is younger than the last rollout (${seen.lastRollout}); take one with npm run day2 -- snapshot`,
      );
    const maxAge = inventory.cluster.backups.etcd.maxAge;
    if (backups.newest !== null && backups.newest.ageSeconds > durationSeconds(maxAge))
      warnings.push(
        `the newest etcd snapshot in ${seen.dir} is ${ageText(backups.newest.ageSeconds)} old (${backups.newest.takenAt}), older than backups.etcd.maxAge ${maxAge}: a recovery would lose everything since. Take one with npm run day2 -- snapshot, and on a schedule (docs/operations.md, etcd snapshots)`,
      );
  }

  const problems = [...rows.flatMap((r) => r.problems), ...clusterProblems];
  return {
    cluster: inventory.cluster.name,
    inventory: inventory.dir,
    talosVersion: wantTalos,
    kubernetesVersion: inventory.cluster.kubernetes.version,
    kubernetesChecked: obs.kubernetes !== undefined,
    nodes: rows,
    problems,
    warnings,
    backups,
    addons: obs.addons !== undefined && "ok" in obs.addons ? obs.addons.ok : null,
    matches: problems.length === 0,
  };
}

function etcdCell(r: StatusRow): string {
  if (r.role === "worker") return "-";
  if (r.etcdMember === false) return "not a member";
  if (r.etcdHealthy === null) return r.etcdMember === true ? "member, health unknown" : "unknown";
  return r.etcdHealthy ? "member, healthy" : "member, unhealthy";
}

function readyCell(r: StatusRow, checked: boolean): string {
  if (!checked) return "-";
  if (r.ready === null)
    return r.problems.some((p) => p.endsWith("has no Kubernetes Node")) ? "no Node" : "unknown";
  const cordon =
    r.cordoned === null ? "" : r.cordoned === "rollout" ? ", cordoned (rollout)" : ", cordoned";
  const gpus = r.gpus === null ? "" : `, ${r.gpus} gpu`;
  return `${r.ready ? "yes" : "no"}${cordon}${gpus}`;
}

function versionCell(have: string | null, want: string | null, missing: string): string {
  if (want === null) return "-";
  if (have === null) return missing;
  return have === want ? have : `${have} (want ${want})`;
}

/**
 * The report as text lines; the last line says whether the cluster matches. The node
 * table fits `width` (records when it would not); the command's writer folds the prose.
 * Pure.
 */
export function formatStatus(
  report: StatusReport,
  inventoryLabel: string,
  width = TERMINAL_WIDTH,
): string[] {
  const lines = [
    `${inventoryLabel}: cluster ${report.cluster}, inventory wants Talos ${report.talosVersion}, Kubernetes ${report.kubernetesVersion}`,
    "",
    ...table(
      [
        ["NODE", "ROLE", "ADDRESS", "TALOS", "ETCD", "READY", "KUBELET"],
        ...report.nodes.map((r) => [
          r.name,
          r.role,
          r.endpoint === "" || r.endpoint === `${r.address}:50000`
            ? r.address
            : `${r.address} via ${r.endpoint}`,
          versionCell(r.talosVersion, r.wantTalosVersion, "unreachable"),
          etcdCell(r),
          readyCell(r, report.kubernetesChecked),
          versionCell(r.kubeletVersion, r.wantKubeletVersion, "unknown"),
        ]),
      ],
      width,
    ),
  ];
  if (report.addons !== null && report.addons.length > 0) {
    const byAddon = new Map<string, boolean>();
    for (const a of report.addons) byAddon.set(a.addon, (byAddon.get(a.addon) ?? true) && a.ok);
    lines.push(
      "",
      `Add-ons: ${[...byAddon].map(([name, ok]) => `${name} ${ok ? "running" : "NOT running"}`).join(", ")}`,
    );
  }
  if (report.problems.length > 0) {
    lines.push("", `Problems (${report.problems.length})`, ...report.problems.map((p) => `  ${p}`));
  }
  if (report.backups !== null) {
    const b = report.backups;
    lines.push(
      "",
      b.newest === null
        ? `etcd snapshots: none in ${b.dir}`
        : `etcd snapshots: ${b.count} in ${b.dir}, the newest ${ageText(b.newest.ageSeconds)} old (${b.newest.takenAt})`,
    );
  }
  if (report.warnings.length > 0) {
    lines.push("", `Warnings (${report.warnings.length})`, ...report.warnings.map((w) => `  ${w}`));
  }
  const scope = report.kubernetesChecked
    ? ""
    : " (Talos and etcd only: pass --kubeconfig to check Kubernetes)";
  const differing = report.nodes.filter((r) => !r.matches).length;
  lines.push(
    "",
    report.matches
      ? `The cluster matches the inventory${scope}.`
      : `The cluster does not match the inventory: ${differing} of ${report.nodes.length} nodes differ, ${report.problems.length} problem${report.problems.length === 1 ? "" : "s"}${scope}.`,
  );
  return lines;
}

/** The `--json` document. Pure. */
export function statusJson(report: StatusReport): string {
  return JSON.stringify(report, null, 2) + "\n";
}
