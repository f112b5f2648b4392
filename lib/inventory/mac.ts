import { createHash } from "crypto";

/**
 * The MAC address em-infra gives a node that does not set one: the first six bytes of
 * sha256("<cluster>/<node>"), with the first octet marked unicast (bit 0 clear) and
 * locally administered (bit 1 set) so it can never clash with a vendor-assigned address.
 * Stable across runs, so a DHCP reservation or firewall rule can be written before the VM
 * exists. '/' cannot appear in either name, so no two name pairs hash the same input.
 *
 * @returns lower-case, colon-separated, e.g. `6a:1f:03:9c:d2:40`.
 */
export function deriveMac(clusterName: string, nodeName: string): string {
  const digest = createHash("sha256").update(`${clusterName}/${nodeName}`).digest();
  const bytes = [...digest.subarray(0, 6)];
  bytes[0] = (bytes[0] & 0b1111_1100) | 0b0000_0010;
  return bytes.map((b) => b.toString(16).padStart(2, "0")).join(":");
}

/** Whether a colon-separated MAC is unicast: the lowest bit of the first octet is clear. */
export function isUnicastMac(mac: string): boolean {
  return (parseInt(mac.slice(0, 2), 16) & 1) === 0;
}
