/**
 * `npm run validate -- [dir]`: checks an inventory folder (default inventory/dev) without
 * touching Proxmox or Pulumi state. Prints a one-screen summary and exits 0 when it is
 * valid; prints every problem as `file:line:col: message` on stderr and exits 1 when not.
 */
import {
  checkInventory,
  defaults,
  formatProblem,
  formatProblemUnlabelled,
  Inventory,
  NodeSpec,
  ROLES,
  Role,
} from "../lib/inventory";
import { table, type Writer } from "../tools/cli";

export type { Writer };

const USAGE = "usage: npm run validate -- [inventory-folder]   (default: inventory/dev)\n";

const ROLE_TITLE: Readonly<Record<Role, string>> = {
  controlplane: "Control planes",
  worker: "Workers",
};

/**
 * Runs the command with `args` (what follows `--`) and returns the exit code: 0 valid,
 * 1 invalid, 2 bad usage. Never throws for a bad inventory.
 */
export function runValidate(args: readonly string[], out: Writer, err: Writer): number {
  if (args.includes("-h") || args.includes("--help")) {
    out.write(USAGE);
    return 0;
  }
  const unknownOption = args.find((a) => a.startsWith("-"));
  if (unknownOption !== undefined || args.length > 1) {
    err.write(unknownOption === undefined ? USAGE : `unknown option ${unknownOption}\n${USAGE}`);
    return 2;
  }
  const dir = args[0] ?? "inventory/dev";
  const { inventory, problems } = checkInventory(dir);
  if (inventory === undefined) {
    // Problem lines only, so editors and CI problem matchers can read stderr as is.
    for (const problem of problems) err.write(`${formatProblem(problem)}\n`);
    return 1;
  }
  for (const line of summary(dir, inventory)) out.write(`${line}\n`);
  return 0;
}

/** The one-screen summary of a valid inventory, line by line. */
export function summary(dir: string, inventory: Inventory): string[] {
  const { cluster, endpoint, nodes, warnings } = inventory;
  const { talos, kubernetes, proxmox, network } = cluster;
  const workersAtOnce =
    cluster.rollout?.maxUnavailableWorkers ?? defaults.DEFAULT_MAX_UNAVAILABLE_WORKERS;
  const lines = [
    `${dir}: valid`,
    "",
    `cluster     ${cluster.name}`,
    `talos       ${talos.version}`,
    `kubernetes  ${kubernetes.version} (cni ${kubernetes.cni}, pods on control planes: ${kubernetes.allowSchedulingOnControlPlanes ? "yes" : "no"})`,
    `endpoint    ${endpoint.url}${cluster.vip === undefined ? " (first control plane, no vip)" : " (vip)"}`,
    `network     ${network.cidr} via ${network.gateway}, dns ${network.nameservers.join(", ")}`,
    `proxmox     ${proxmox.node}, disks on ${proxmox.vmDatastore}, images on ${proxmox.imageDatastore}, bridge ${proxmox.bridge}${proxmox.vlan === undefined ? "" : ` vlan ${proxmox.vlan}`}, scsi ${proxmox.scsiController ?? defaults.DEFAULT_SCSI_CONTROLLER}`,
    `rollout     control planes one at a time, workers ${workersAtOnce} at a time`,
  ];
  for (const role of ROLES) {
    const members = nodes.filter((n) => n.role === role);
    if (members.length === 0) continue;
    lines.push("", `${ROLE_TITLE[role]} (${members.length})`);
    lines.push(...table(members.map(nodeRow)).map((row) => `  ${row}`));
  }
  if (warnings.length > 0) {
    lines.push("", `Warnings (${warnings.length})`);
    // The heading says they are warnings; each line need not say it again.
    lines.push(...warnings.map((w) => `  ${formatProblemUnlabelled(w)}`));
  }
  return lines;
}

function nodeRow(node: NodeSpec): string[] {
  const { cores, memoryMiB, diskGiB, cpuType } = node.sizing;
  const gpu =
    node.gpu === undefined ? "" : `gpu ${node.gpu.mapping}${node.gpu.pcie ? " (pcie)" : ""}`;
  return [
    node.name,
    node.ip,
    node.host,
    `vm ${node.vmId}`,
    `${cores} cpu`,
    `${memoryMiB} MiB`,
    `${diskGiB} GiB`,
    cpuType,
    gpu,
  ];
}

if (require.main === module) {
  process.exitCode = runValidate(process.argv.slice(2), process.stdout, process.stderr);
}
