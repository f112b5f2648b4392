/**
 * The helper that builds the invalid fixtures from the valid base (test/support/
 * invalidFixtures.ts): the base is valid, a change moves no line it does not touch, and
 * a fixture that is ambiguous is refused rather than read one way.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { checkInventory } from "../lib/inventory";
import {
  applyChange,
  BASE,
  expectedLines,
  fixtureNames,
  fixtureText,
  INVALID,
  materialise,
  parsePath,
} from "./support/invalidFixtures";

describe("invalid fixture helper", () => {
  it("starts from a base that is valid, with no warnings", () => {
    const { inventory, problems } = checkInventory(BASE);
    assert.deepEqual(problems, []);
    assert.equal(inventory?.nodes.length, 2);
  });

  it("reads dotted paths, numbers stepping into lists", () => {
    assert.deepEqual(parsePath("nodes.1.vmId"), ["nodes", 1, "vmId"]);
    assert.deepEqual(parsePath("network"), ["network"]);
  });

  it("changes a value in place and appends a new key at the end of its mapping", () => {
    const base = "# head\na: 1\nb:\n  c: x\n  d: y\ne: 2\n";
    assert.equal(
      applyChange(base, { set: { "b.c": "z", "b.f": 3 }, delete: ["e"] }),
      "# head\na: 1\nb:\n  c: z\n  d: y\n  f: 3\n",
    );
    assert.equal(
      applyChange(base, { set: { a: "201" } }),
      '# head\na: "201"\nb:\n  c: x\n  d: y\ne: 2\n',
    );
  });

  it("refuses a change to a path the base does not have", () => {
    assert.throws(
      () => applyChange("a: 1\n", { delete: ["b"] }),
      /delete b: the base has no such path/,
    );
    assert.throws(
      () => applyChange("a: 1\n", { set: { "x.y.z": 1 } }),
      /set x\.y\.z: the base has nothing at x\.y/,
    );
  });

  it("keeps the base file where a fixture neither changes nor replaces it", () => {
    const base = fs.readFileSync(path.join(BASE, "cluster.yaml"), "utf8");
    assert.equal(fixtureText("duplicate-vmid", "cluster.yaml"), base);
    assert.notEqual(
      fixtureText("duplicate-vmid", "nodes.yaml"),
      fs.readFileSync(path.join(BASE, "nodes.yaml"), "utf8"),
    );
  });

  it("leaves out a file the fixture marks absent", () => {
    const dir = materialise("missing-cluster-file");
    assert.deepEqual(fs.readdirSync(dir).sort(), ["nodes.yaml"]);
  });

  it("names every materialised folder after its fixture", () => {
    assert.equal(path.basename(materialise("vmid-below-100")), "vmid-below-100");
  });

  it("no fixture both replaces a file and changes it, and every expected.txt names a file", () => {
    for (const name of fixtureNames()) {
      for (const file of ["cluster.yaml", "nodes.yaml"] as const) {
        assert.doesNotThrow(() => fixtureText(name, file), name);
      }
      assert.ok(expectedLines(name).length > 0, `${name}/expected.txt is empty`);
      const extra = fs
        .readdirSync(path.join(INVALID, name))
        .filter((f) => !["expected.txt", "change.yaml", "cluster.yaml", "nodes.yaml"].includes(f));
      assert.deepEqual(extra, [], `${name} holds files the helper ignores`);
    }
  });
});
