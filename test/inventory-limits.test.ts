/** lib/inventory/limits.ts: every number in schema.json has an upper bound with a source. */
import { strict as assert } from "assert";
import * as fs from "fs";
import { NUMBER_LIMITS, schemaFile } from "../lib/inventory";
import { aboveMaximum } from "../lib/inventory/limits";

type Node = Record<string, unknown>;

/** Every property of schema.json typed integer or number, as [name, schema, pointer]. */
function numericProperties(): [string, Node, string][] {
  const schema = JSON.parse(fs.readFileSync(schemaFile(), "utf8")) as Node;
  const found: [string, Node, string][] = [];
  const walk = (node: unknown, where: string): void => {
    if (node === null || typeof node !== "object") return;
    const properties = (node as Node).properties as Record<string, Node> | undefined;
    for (const [name, property] of Object.entries(properties ?? {})) {
      if (property.type === "integer" || property.type === "number") {
        found.push([name, property, `${where}/properties/${name}`]);
      }
    }
    for (const [key, child] of Object.entries(node)) walk(child, `${where}/${key}`);
  };
  walk(schema, "#");
  return found;
}

describe("inventory limits", () => {
  it("every number in schema.json is an integer with a minimum and the table's maximum", () => {
    const numbers = numericProperties();
    // cores, memoryMiB, diskGiB three times each (node, two role defaults), vmId, vlan,
    // rollout.maxUnavailableWorkers, the three rollout.waits, backups.etcd.keep.
    assert.equal(numbers.length, 16, numbers.map(([, , at]) => at).join("\n"));
    for (const [name, property, at] of numbers) {
      assert.equal(property.type, "integer", at);
      assert.equal(typeof property.minimum, "number", `${at} has no minimum`);
      assert.ok(NUMBER_LIMITS[name] !== undefined, `${at}: no row in NUMBER_LIMITS`);
      assert.equal(property.maximum, NUMBER_LIMITS[name].maximum, at);
      assert.ok(
        (property.minimum as number) < (property.maximum as number),
        `${at}: minimum not below maximum`,
      );
      // The description tells an editor user the same bound the message gives.
      assert.ok(
        String(property.description).includes(String(NUMBER_LIMITS[name].maximum)),
        `${at}: the description does not state the maximum`,
      );
    }
  });

  it("every table row is used, and every bound is a safe integer", () => {
    const names = new Set(numericProperties().map(([name]) => name));
    assert.deepEqual(Object.keys(NUMBER_LIMITS).sort(), [...names].sort());
    for (const limit of Object.values(NUMBER_LIMITS)) {
      assert.ok(Number.isSafeInteger(limit.maximum));
    }
  });

  it("cites the upstream limits", () => {
    assert.equal(NUMBER_LIMITS.memoryMiB.maximum, 4194304);
    assert.match(NUMBER_LIMITS.memoryMiB.source, /qemu-server/);
    assert.equal(NUMBER_LIMITS.vmId.maximum, 999999999);
    assert.equal(NUMBER_LIMITS.vlan.maximum, 4094);
    assert.match(NUMBER_LIMITS.diskGiB.source, /em-infra's own limit/);
  });

  it("writes the maximum with its unit and source, or bare for an unknown field", () => {
    assert.equal(
      aboveMaximum("diskGiB", 65536),
      "above the maximum of 65536 GiB (64 TiB, em-infra's own limit)",
    );
    assert.equal(
      aboveMaximum("vlan", 4094),
      "above the maximum of 4094 (Proxmox VE's VLAN tag range, 1 to 4094)",
    );
    assert.equal(aboveMaximum("somethingElse", 7), "above the maximum of 7");
    assert.equal(aboveMaximum(undefined, 7), "above the maximum of 7");
    // A schema bound that drifted from the table is not given the table's source.
    assert.equal(aboveMaximum("diskGiB", 100), "above the maximum of 100");
  });
});
