/**
 * `npm run day2 -- rollout --dry-run`: the steps the next `pulumi up` would take
 * against the live cluster, from what the nodes say now. Pure: it takes the model and
 * what `observeCluster` saw, and decides per node, in rollout order, whether it is
 * included and why.
 *
 * The rollout itself compares the inventory with its own state and asks the nodes; this
 * asks only the nodes, so it cannot see a configuration change (that lives in Pulumi's
 * state) or a node the stack still holds but the inventory dropped. It says so. What
 * each Kubernetes component runs it reads as the update does (through Talos), so after
 * a failed upgrade it shows what a revert or a rerun rolls.
 */
import type { ClusterModel } from "../../lib/model";
import type { Observations } from "./status";

/** One node's entry of the dry run. */
export interface DryRunNode {
  readonly batch: number;
  readonly name: string;
  readonly role: "controlplane" | "worker";
  /** What the rollout would do to it: nothing, or the steps in order. */
  readonly steps: readonly string[];
  /** Why it is included or skipped, in words. */
  readonly why: string;
}

/** The whole dry run. */
export interface DryRun {
  readonly cluster: string;
  readonly talosVersion: string;
  readonly kubernetesVersion: string;
  readonly nodes: readonly DryRunNode[];
  /**
   * The Kubernetes upgrade's steps across nodes, in order (upgrade-k8s's): empty when
   * every kubelet seen runs the inventory's version.
   */
  readonly kubernetes: readonly string[];
  /** What would stop the rollout before it touches a node. */
  readonly refusals: readonly string[];
  readonly notes: readonly string[];
}

const v = (s: string) => (s.startsWith("v") ? s : `v${s}`);

/** The dry run of the next rollout. */
export function rolloutDryRun(model: ClusterModel, obs: Observations): DryRun {
  const kubelets = new Map(
    obs.kubernetes && "ok" in obs.kubernetes
      ? obs.kubernetes.ok.map((n) => [n.name, n.kubeletVersion] as const)
      : [],
  );
  const refusals: string[] = [];
  const notes: string[] = [];
  const controlPlanes = model.nodes.filter((n) => n.role === "controlplane").length;
  if ("ok" in obs.etcdMembers && obs.etcdMembers.ok.members.length === 2) {
    refusals.push(
      "etcd has exactly 2 members: one restart would lose quorum, so an upgrade is refused; add a third control plane first",
    );
  }
  if ("error" in obs.etcdMembers) refusals.push(`etcd could not be read: ${obs.etcdMembers.error}`);
  if (controlPlanes === 1) {
    notes.push("one control plane: the Kubernetes API is down while it restarts");
  }
  const nodes: DryRunNode[] = [];
  model.rollout.batches.forEach((batch, i) => {
    for (const name of batch) {
      const node = model.nodes.find((n) => n.name === name)!;
      const seen = obs.nodes[name]?.version;
      const steps: string[] = [];
      const why: string[] = [];
      const hw = obs.hardware?.[name];
      const pending = hw !== undefined && "ok" in hw ? hw.ok : [];
      // Pending hardware is applied by one restart through Proxmox, which then replaces
      // the Talos reboot of an upgrade on the same node.
      const reboot =
        pending.length > 0
          ? `reboot through Proxmox, applying the VM's pending ${pending.join(", ")}`
          : "reboot";
      if (!seen || "error" in seen) {
        why.push(
          `did not answer (${seen && "error" in seen ? seen.error : "not asked"}): the rollout would stop at it`,
        );
      } else if (seen.ok !== model.talosVersion) {
        // talosctl upgrade's order: nothing is drained until the upgrade is staged.
        steps.push(
          `pull the ${node.schematic} installer at ${model.talosVersion}`,
          `stage the upgrade Talos ${seen.ok} → ${model.talosVersion} (installed beside the running one)`,
          "cordon and drain",
          reboot,
          node.role === "controlplane"
            ? "wait for a new boot id, the version, healthy services and etcd, its API server, controller manager and scheduler pods Ready, and the Node Ready"
            : "wait for a new boot id, the version, healthy services and the Node Ready",
          "uncordon",
        );
        why.push(`runs Talos ${seen.ok}, the inventory wants ${model.talosVersion}`);
      } else {
        why.push(`already runs Talos ${seen.ok}`);
        if (pending.length > 0)
          steps.push(
            "cordon and drain",
            reboot,
            node.role === "controlplane"
              ? "wait for a new boot id, healthy services and etcd, its control-plane pods Ready, and the Node Ready"
              : "wait for a new boot id, healthy services and the Node Ready",
            "uncordon",
          );
      }
      if (pending.length > 0)
        why.push(`its VM has hardware pending in Proxmox (${pending.join(", ")})`);
      else if (hw !== undefined && "error" in hw)
        why.push(`its VM's pending hardware could not be read (${hw.error})`);
      const kubelet = kubelets.get(name);
      const wantKubelet = v(model.kubernetesVersion);
      const running = obs.nodes[name]?.components;
      const off =
        running && "ok" in running
          ? Object.entries(running.ok).filter(([c, tag]) => c !== "kubelet" && tag !== wantKubelet)
          : [];
      if (off.length > 0) {
        const list = off.map(([c, tag]) => `${c} ${tag}`).join(", ");
        if (kubelet === undefined || kubelet === wantKubelet)
          steps.push(
            `Kubernetes ${wantKubelet}: its ${off.map(([c]) => c).join(", ")} rolled to it in the component steps below (the update reads what runs, whatever the stack's state says)`,
          );
        why.push(`runs ${list}, the inventory wants ${wantKubelet}`);
      }
      if (kubelet !== undefined && kubelet !== wantKubelet) {
        steps.push(
          node.role === "controlplane"
            ? `Kubernetes ${wantKubelet}: its kube-apiserver, kube-controller-manager and kube-scheduler in the component steps below, then its kubelet (no reboot)`
            : `Kubernetes ${wantKubelet}: its kubelet (no reboot), after every control-plane component`,
        );
        why.push(`kubelet ${kubelet}, the inventory wants ${wantKubelet}`);
      } else if (kubelet === undefined && obs.kubernetes === undefined) {
        why.push("kubelet not checked (no --kubeconfig)");
      } else if (kubelet !== undefined) {
        why.push(`kubelet already ${kubelet}`);
      }
      nodes.push({ batch: i + 1, name, role: node.role, steps, why: why.join("; ") });
    }
  });
  if (obs.kubernetes && "ok" in obs.kubernetes) {
    const known = new Set(model.nodes.map((n) => n.name));
    for (const n of obs.kubernetes.ok) {
      if (!known.has(n.name)) {
        notes.push(
          `${n.name} is a Kubernetes Node but not in the inventory: pulumi up decommissions it only if the stack still holds it`,
        );
      }
    }
  }
  notes.push(
    "configuration changes (labels, taints, settings) live in Pulumi's state, not on the nodes: npx pulumi preview --diff shows them",
  );
  notes.push(
    "after a failed Kubernetes upgrade: setting kubernetes.version back within the minor the cluster's lowest component runs rolls back every component that moved; fixing the cause (an operator patch of a component) and running again applies the fix with that component's image, before it is waited for. Preview judges from the stack's state, the update from what the nodes run",
  );
  notes.push(
    obs.hardware === undefined
      ? "VM hardware not checked: no Proxmox credentials (PROXMOX_VE_API_TOKEN, or PROXMOX_VE_USERNAME and PROXMOX_VE_PASSWORD, with proxmoxve:endpoint or PROXMOX_VE_ENDPOINT)"
      : "a disk grown online leaves nothing pending in Proxmox, so only npm run plan -- --state FILE shows the restart it brings",
  );
  const want = v(model.kubernetesVersion);
  const componentsOff = Object.values(obs.nodes).some(
    (n) =>
      n.components !== undefined &&
      "ok" in n.components &&
      Object.values(n.components.ok).some((tag) => tag !== want),
  );
  const lagging = [...kubelets.values()].some((k) => k !== want) || componentsOff;
  return {
    cluster: model.name,
    talosVersion: model.talosVersion,
    kubernetesVersion: model.kubernetesVersion,
    kubernetes: lagging ? kubernetesSteps(model, want) : [],
    nodes,
    refusals,
    notes,
  };
}

/** The order talosctl upgrade-k8s uses, and the rollout with it. */
function kubernetesSteps(model: ClusterModel, want: string): string[] {
  const cps = model.rollout.batches
    .flat()
    .filter((n) => model.nodes.find((x) => x.name === n)?.role === "controlplane");
  const workers = model.rollout.batches.filter(
    (b) => model.nodes.find((x) => x.name === b[0])?.role === "worker",
  );
  const each = cps.join(", then ");
  return [
    `check that nothing Kubernetes ${want} removes is in use (go-kubernetes' table: flags, feature gates and admission plugins on the static pods, the kubelets' flags, API resources still listed), and that the move from the lowest version any component runs is a path upstream allows (any patch within a minor, one minor up); a finding stops the run with nothing changed`,
    `pre-pull the ${want} kubelet image on every node and the kube-apiserver, kube-controller-manager and kube-scheduler images on the control planes; a pull that fails stops the run with nothing changed`,
    ...["kube-apiserver", "kube-controller-manager", "kube-scheduler"].map(
      (c) =>
        `${c} on ${each}: its image patched into the running configuration (no reboot; with its section as the inventory renders it, when that changed), then its pod Ready at the new configuration version before the next node; a node already there is skipped`,
    ),
    `kube-proxy's image on the control planes (no reboot)`,
    `kubelets: ${each}${workers.length === 0 ? "" : `, then the workers in ${workers.length} batch${workers.length === 1 ? "" : "es"} of up to ${model.rollout.maxUnavailableWorkers}`}; each Node Ready at ${want} before the next`,
    "sync the bootstrap manifests (CoreDNS, kube-proxy, Flannel, inline manifests) by server-side apply as field manager talos, prune what Talos no longer renders through kube-system/talos-bootstrap-manifests-inventory, and wait for their rollouts",
    "apply what else the new rendering changes through the configuration step",
  ];
}

/** The dry run as lines; the command's writer folds them to the terminal's width. */
export function formatDryRun(run: DryRun): string[] {
  const out = [
    `Rollout the next pulumi up would run for cluster ${run.cluster} (Talos ${run.talosVersion}, Kubernetes ${run.kubernetesVersion}), as the nodes are now:`,
    "",
  ];
  for (const n of run.nodes) {
    const verdict = n.steps.length === 0 ? "skipped" : "included";
    out.push(`${n.batch}. ${n.name} (${n.role}): ${verdict}: ${n.why}`);
    for (const s of n.steps) out.push(`     - ${s}`);
  }
  if (run.kubernetes.length > 0) {
    out.push("", `Kubernetes ${v(run.kubernetesVersion)}, in this order:`);
    run.kubernetes.forEach((step, i) => out.push(`  ${i + 1}. ${step}`));
  }
  if (run.refusals.length > 0) {
    out.push("", "Refused before any node is touched:");
    for (const r of run.refusals) out.push(`  ${r}`);
  }
  if (run.notes.length > 0) {
    out.push("", "Notes:");
    for (const note of run.notes) out.push(`  ${note}`);
  }
  const included = run.nodes.filter((n) => n.steps.length > 0).length;
  out.push(
    "",
    run.refusals.length > 0
      ? "pulumi up would refuse this rollout."
      : `${included} of ${run.nodes.length} nodes would be rolled; nothing was changed.`,
  );
  return out;
}
