/**
 * IPv4 address and CIDR arithmetic over unsigned 32-bit integers. Pure functions, no
 * dependencies, reused by the inventory checks and by anything that must place an
 * address inside the node network.
 */

/** A parsed IPv4 CIDR. Every address is an unsigned 32-bit integer. */
export interface Ipv4Cidr {
  /** The address as written, host bits included (`10.0.0.7` for `10.0.0.7/24`). */
  readonly address: number;
  /** Prefix length, 0 to 32. */
  readonly prefix: number;
  /** The first address of the block (host bits cleared). */
  readonly network: number;
  /** The last address of the block (host bits set). */
  readonly broadcast: number;
}

const OCTET = /^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$/;

/**
 * Parses a dotted-quad IPv4 address. Leading zeros are rejected because some tools read
 * them as octal, so `010.0.0.1` would mean different things to different readers.
 * @returns the address as an unsigned 32-bit integer, or `undefined` when `text` is not one.
 */
export function parseIpv4(text: string): number | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!OCTET.test(part)) return undefined;
    value = value * 256 + Number(part);
  }
  return value;
}

/** Whether `text` is a dotted-quad IPv4 address. */
export function isIpv4(text: string): boolean {
  return parseIpv4(text) !== undefined;
}

/** Formats an unsigned 32-bit integer as a dotted-quad address. */
export function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join(".");
}

/** The netmask of a prefix length as an unsigned 32-bit integer (`/24` → 0xffffff00). */
export function prefixMask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/**
 * Parses `a.b.c.d/n`. Host bits may be set; use {@link hasHostBits} to reject that.
 * @returns the parsed block, or `undefined` when `text` is not an IPv4 CIDR.
 */
export function parseCidr(text: string): Ipv4Cidr | undefined {
  const slash = text.indexOf("/");
  if (slash < 0) return undefined;
  const address = parseIpv4(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (address === undefined || !/^(3[0-2]|[12]?[0-9])$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  const mask = prefixMask(prefix);
  const network = (address & mask) >>> 0;
  const broadcast = (network | (~mask >>> 0)) >>> 0;
  return { address, prefix, network, broadcast };
}

/** Whether the CIDR was written with host bits set (`10.0.0.1/24` rather than `10.0.0.0/24`). */
export function hasHostBits(cidr: Ipv4Cidr): boolean {
  return cidr.address !== cidr.network;
}

/** The CIDR written canonically, host bits cleared: `10.0.0.1/24` → `10.0.0.0/24`. */
export function canonicalCidr(cidr: Ipv4Cidr): string {
  return `${formatIpv4(cidr.network)}/${cidr.prefix}`;
}

/** Whether `address` lies inside the block, network and broadcast addresses included. */
export function cidrContains(cidr: Ipv4Cidr, address: number): boolean {
  return address >= cidr.network && address <= cidr.broadcast;
}

/** Whether two blocks share at least one address. */
export function cidrsOverlap(a: Ipv4Cidr, b: Ipv4Cidr): boolean {
  return a.network <= b.broadcast && b.network <= a.broadcast;
}
