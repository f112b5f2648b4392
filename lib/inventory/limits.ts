/**
 * The upper bound of every number in the inventory, with where it comes from. schema.json
 * states the same bounds in its `maximum` keywords (a test keeps the two in step); this
 * table adds what a message needs to be acted on: the unit, and whose limit it is.
 *
 * A bound that upstream sets is cited; where upstream sets none, em-infra sets its own,
 * high enough for any real VM and low enough that a typo with extra zeros is refused
 * before it reaches Proxmox.
 */

/** One numeric field's upper bound. */
export interface NumberLimit {
  /** The largest value accepted. */
  readonly maximum: number;
  /** The unit a message writes after the number (`MiB`), or "" for a count or an id. */
  readonly unit: string;
  /** Whose limit it is, and what it means, in a few words. */
  readonly source: string;
}

/**
 * Upper bounds by field name: the name is the same wherever the field appears (a node's
 * `cores` and `defaults.worker.cores` share one bound).
 */
export const NUMBER_LIMITS: Readonly<Record<string, NumberLimit>> = {
  // qemu-server (src/PVE/QemuServer/Memory.pm, get_max_mem) caps the memory a VM can be
  // given at 4 TiB, less on hosts with fewer physical address bits.
  memoryMiB: {
    maximum: 4 * 1024 * 1024,
    unit: "MiB",
    source: "4 TiB, Proxmox VE qemu-server's memory limit for a VM",
  },
  // qemu-server's `cores` has no maximum in its schema; it refuses to start a VM with
  // more vCPUs than the host has. 512 is more than any single host em-infra targets.
  cores: {
    maximum: 512,
    unit: "cores",
    source:
      "em-infra's own limit; Proxmox VE refuses to start a VM with more vCPUs than its host has",
  },
  // Proxmox VE sets no upper bound on a disk's size; the storage does.
  diskGiB: {
    maximum: 65536,
    unit: "GiB",
    source: "64 TiB, em-infra's own limit",
  },
  // pve-common's `pve-vmid` format: 100 to 999999999.
  vmId: {
    maximum: 999_999_999,
    unit: "",
    source: "Proxmox VE's VM ID range, 100 to 999999999",
  },
  // qemu-server's network `tag`: 1 to 4094 (802.1Q reserves 0 and 4095).
  vlan: {
    maximum: 4094,
    unit: "",
    source: "Proxmox VE's VLAN tag range, 1 to 4094",
  },
  maxUnavailableWorkers: {
    maximum: 1000,
    unit: "",
    source: "em-infra's own limit",
  },
  keep: {
    maximum: 1000,
    unit: "",
    source: "em-infra's own limit",
  },
  // A day: longer than any upgrade step should take, short enough to catch a typo.
  controlPlanePodSeconds: { maximum: 86400, unit: "s", source: "em-infra's own limit, a day" },
  kubeletSeconds: { maximum: 86400, unit: "s", source: "em-infra's own limit, a day" },
  manifestsSeconds: { maximum: 86400, unit: "s", source: "em-infra's own limit, a day" },
};

/**
 * The part of a message after the value: `above the maximum of 4194304 MiB (4 TiB, …)`.
 * A field without a row gets the bare number.
 */
export function aboveMaximum(field: string | undefined, maximum: number): string {
  const limit = field === undefined ? undefined : NUMBER_LIMITS[field];
  if (limit === undefined || limit.maximum !== maximum) return `above the maximum of ${maximum}`;
  const unit = limit.unit === "" ? "" : ` ${limit.unit}`;
  return `above the maximum of ${maximum}${unit} (${limit.source})`;
}
