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
import {
  TERMINAL_WIDTH,
  fit,
  table,
  printHelp,
  usageError,
  wantsHelp,
  type Writer,
} from "../tools/cli";

export type { Writer };

const USAGE = `usage: npm run validate -- [inventory-folder] [--wide]  (default: inventory/dev)

  Checks the inventory without Proxmox or Pulumi: a one-screen summary and
  exit 0 when valid; each problem as file:line:col: message and exit 1 when not.

  --wide  each problem on one line (for problem matchers), not fitted to 80
          columns
`;

const ROLE_TITLE: Readonly<Record<Role, string>> = {
  controlplane: "Control planes",
  worker: "Workers",
};

/**
 * Runs the command with `args` (what follows `--`) and returns the exit code: 0 valid,
 * 1 invalid, 2 bad usage. Never throws for a bad inventory.
 */
export function runValidate(args: readonly string[], out: Writer, err: Writer): number {
  if (wantsHelp(args)) return printHelp(out, USAGE);
  const wide = args.includes("--wide");
  const rest = args.filter((a) => a !== "--wide");
  const unknownOption = rest.find((a) => a.startsWith("-"));
  if (unknownOption !== undefined || rest.length > 1)
    return usageError(
      err,
      unknownOption === undefined
        ? `one inventory folder at most, got ${rest.join(" ")}`
        : `unknown option ${unknownOption}`,
      "npm run validate --",
    );
  const shape = (lines: string[]) => (wide ? lines : fit(lines));
  const dir = rest[0] ?? "inventory/dev";
  const { inventory, problems } = checkInventory(dir);
  if (inventory === undefined) {
    // Problem lines only. Each starts with file:line:col, continuation lines indented, so
    // a problem matcher still finds them; --wide keeps each on one line.
    for (const line of shape(problems.map((p) => formatProblem(p)))) err.write(`${line}\n`);
    return 1;
  }
  for (const line of shape(summary(dir, inventory, wide ? Infinity : TERMINAL_WIDTH)))
    out.write(`${line}\n`);
  return 0;
}

/** The one-screen summary of a valid inventory, line by line; tables fit `width`. */
export function summary(dir: string, inventory: Inventory, width = Infinity): string[] {
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
    lines.push(
      ...table([NODE_HEADER, ...members.map(nodeRow)], width - 2).map((row) => `  ${row}`),
    );
  }
  if (warnings.length > 0) {
    lines.push("", `Warnings (${warnings.length})`);
    // The heading says they are warnings; each line need not say it again.
    lines.push(...warnings.map((w) => `  ${formatProblemUnlabelled(w)}`));
  }
  return lines;
}

const NODE_HEADER = ["NODE", "IP", "HOST", "VM", "CPU", "MEMORY", "DISK", "CPU TYPE", "GPU"];

function nodeRow(node: NodeSpec): string[] {
  const { cores, memoryMiB, diskGiB, cpuType } = node.sizing;
  const gpu = node.gpu === undefined ? "-" : `${node.gpu.mapping}${node.gpu.pcie ? " (pcie)" : ""}`;
  return [
    node.name,
    node.ip,
    node.host,
    String(node.vmId),
    String(cores),
    `${memoryMiB} MiB`,
    `${diskGiB} GiB`,
    cpuType,
    gpu,
  ];
}

if (require.main === module) {
  process.exitCode = runValidate(process.argv.slice(2), process.stdout, process.stderr);
}
