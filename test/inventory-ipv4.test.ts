/** lib/inventory/ipv4.ts: IPv4 address and CIDR arithmetic. */
import { strict as assert } from "assert";
import * as ipv4 from "../lib/inventory/ipv4";

describe("ipv4", () => {
  it("parses addresses, rejecting leading zeros and out-of-range octets", () => {
    assert.equal(ipv4.parseIpv4("10.20.0.1"), 0x0a140001);
    assert.equal(ipv4.parseIpv4("255.255.255.255"), 0xffffffff);
    for (const bad of [
      "10.0.0.300",
      "010.0.0.1",
      "10.0.0",
      "10.0.0.1.2",
      "",
      "a.b.c.d",
      " 10.0.0.1",
    ]) {
      assert.equal(ipv4.parseIpv4(bad), undefined, bad);
    }
    assert.equal(ipv4.formatIpv4(0xc0a80132), "192.168.1.50");
  });

  it("computes network, broadcast and containment", () => {
    const cidr = ipv4.parseCidr("10.20.0.7/24")!;
    assert.equal(ipv4.formatIpv4(cidr.network), "10.20.0.0");
    assert.equal(ipv4.formatIpv4(cidr.broadcast), "10.20.0.255");
    assert.equal(cidr.prefix, 24);
    assert.ok(ipv4.hasHostBits(cidr));
    assert.equal(ipv4.canonicalCidr(cidr), "10.20.0.0/24");
    assert.ok(ipv4.cidrContains(cidr, ipv4.parseIpv4("10.20.0.255")!));
    assert.ok(!ipv4.cidrContains(cidr, ipv4.parseIpv4("10.20.1.0")!));
    const all = ipv4.parseCidr("0.0.0.0/0")!;
    assert.deepEqual([all.network, all.broadcast], [0, 0xffffffff]);
    const one = ipv4.parseCidr("10.0.0.5/32")!;
    assert.deepEqual([one.network, one.broadcast], [0x0a000005, 0x0a000005]);
    assert.equal(ipv4.prefixMask(20), 0xfffff000);
    assert.equal(ipv4.parseCidr("10.0.0.0/33"), undefined);
    assert.equal(ipv4.parseCidr("10.0.0.0"), undefined);
  });

  it("detects overlapping blocks", () => {
    const c = (t: string) => ipv4.parseCidr(t)!;
    assert.ok(ipv4.cidrsOverlap(c("10.96.0.0/12"), c("10.100.0.0/16")));
    assert.ok(ipv4.cidrsOverlap(c("10.0.0.0/8"), c("10.244.0.0/16")));
    assert.ok(!ipv4.cidrsOverlap(c("10.244.0.0/16"), c("10.96.0.0/12")));
    assert.ok(!ipv4.cidrsOverlap(c("10.0.0.0/24"), c("10.0.1.0/24")));
  });

  it("tells an address from anything else", () => {
    assert.equal(ipv4.isIpv4("10.0.0.1"), true);
    assert.equal(ipv4.isIpv4("10.0.0.01"), false);
    assert.equal(ipv4.isIpv4("::1"), false);
  });

  it("formats the edges of the address space", () => {
    assert.equal(ipv4.formatIpv4(0), "0.0.0.0");
    assert.equal(ipv4.formatIpv4(0xffffffff), "255.255.255.255");
    assert.equal(ipv4.formatIpv4(ipv4.parseIpv4("172.16.254.3")!), "172.16.254.3");
  });

  it("builds every prefix mask as an unsigned number", () => {
    assert.equal(ipv4.prefixMask(0), 0);
    assert.equal(ipv4.prefixMask(1), 0x80000000);
    assert.equal(ipv4.prefixMask(24), 0xffffff00);
    assert.equal(ipv4.prefixMask(32), 0xffffffff);
  });

  it("refuses a CIDR with a bad address or prefix", () => {
    for (const bad of [
      "10.0.0.0/",
      "10.0.0.0/-1",
      "10.0.0.0/08",
      "10.0.0.256/24",
      "/24",
      "10.0.0.0/24/1",
    ]) {
      assert.equal(ipv4.parseCidr(bad), undefined, bad);
    }
    const clean = ipv4.parseCidr("10.20.0.0/24")!;
    assert.equal(ipv4.hasHostBits(clean), false);
    assert.equal(ipv4.canonicalCidr(ipv4.parseCidr("192.168.1.77/20")!), "192.168.0.0/20");
  });

  it("counts touching blocks as apart and nested ones as overlapping", () => {
    const c = (t: string) => ipv4.parseCidr(t)!;
    assert.equal(ipv4.cidrsOverlap(c("10.0.0.0/25"), c("10.0.0.128/25")), false);
    assert.equal(ipv4.cidrsOverlap(c("10.0.0.128/25"), c("10.0.0.0/24")), true);
    assert.equal(ipv4.cidrsOverlap(c("10.0.0.5/32"), c("10.0.0.5/32")), true);
    const net = c("10.0.0.0/30");
    assert.equal(ipv4.cidrContains(net, ipv4.parseIpv4("10.0.0.3")!), true);
    assert.equal(ipv4.cidrContains(net, ipv4.parseIpv4("10.0.0.4")!), false);
    assert.equal(ipv4.cidrContains(net, ipv4.parseIpv4("9.255.255.255")!), false);
  });
});
