/** lib/inventory/mac.ts: derived MAC addresses and the unicast test. */
import { strict as assert } from "assert";
import { deriveMac, isUnicastMac } from "../lib/inventory/mac";

describe("deriveMac", () => {
  it("is stable: changing it would change every derived MAC in every cluster", () => {
    assert.equal(deriveMac("dev", "dev-cp-1"), "9a:ec:78:74:eb:c3");
    assert.equal(deriveMac("dev", "dev-cp-1"), deriveMac("dev", "dev-cp-1"));
  });

  it("is unicast, locally administered, lower-case and colon-separated", () => {
    for (let i = 0; i < 64; i++) {
      const mac = deriveMac("lab", `node-${i}`);
      assert.match(mac, /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
      const first = parseInt(mac.slice(0, 2), 16);
      assert.equal(first & 1, 0, `${mac} is multicast`);
      assert.equal(first & 2, 2, `${mac} is not locally administered`);
    }
  });

  it("differs per node and per cluster", () => {
    const macs = new Set(["a", "b", "c", "d"].map((n) => deriveMac("lab", n)));
    assert.equal(macs.size, 4);
    assert.notEqual(deriveMac("lab", "cp-1"), deriveMac("dev", "cp-1"));
    // The separator keeps ("a-b", "c") and ("a", "b-c") apart.
    assert.notEqual(deriveMac("a-b", "c"), deriveMac("a", "b-c"));
  });

  it("isUnicastMac reads the lowest bit of the first octet", () => {
    assert.equal(isUnicastMac("bc:24:11:00:00:01"), true);
    assert.equal(isUnicastMac("02:00:00:00:00:00"), true);
    assert.equal(isUnicastMac("01:00:5e:00:00:15"), false);
    assert.equal(isUnicastMac("FF:FF:FF:FF:FF:FF"), false);
    assert.equal(isUnicastMac("0B:00:00:00:00:00"), false);
  });
});
