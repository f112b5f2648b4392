/** The small shared helpers: deep freeze, LastUsed, the project root, tables, the nodes output. */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { deepFreeze } from "../lib/freeze";
import { LastUsed } from "../lib/lastUsed";
import { nodesOutput } from "../lib/outputs";
import { PROJECT_ROOT, findProjectRoot } from "../lib/projectRoot";
import { table } from "../tools/cli";
import { haWithGpu } from "./support/talosInventories";
import { tempDir } from "./support/tmp";

describe("shared helpers", () => {
  describe("LastUsed", () => {
    it("makes a value once per key, and lets go of the key used longest ago", () => {
      const made: string[] = [];
      const kept = new LastUsed<string>(2);
      const get = (k: string) => kept.get(k, () => (made.push(k), k.toUpperCase()));
      assert.equal(get("a"), "A");
      assert.equal(get("b"), "B");
      assert.equal(get("a"), "A"); // kept; now used after b
      assert.equal(get("c"), "C"); // b goes, not a
      assert.equal(get("a"), "A");
      assert.equal(get("b"), "B");
      assert.deepEqual(made, ["a", "b", "c", "b"]);
    });
  });

  describe("deepFreeze", () => {
    it("freezes nested objects and arrays, even under an already frozen parent", () => {
      const inner = { list: [1, { x: 1 }] };
      const outer = Object.freeze({ inner });
      deepFreeze(outer);
      assert.ok(Object.isFrozen(inner));
      assert.ok(Object.isFrozen(inner.list));
      assert.ok(Object.isFrozen(inner.list[1]));
    });

    it("returns its argument, and leaves values that are not objects alone", () => {
      const value = { a: { b: [1, { c: 2 }] } };
      assert.equal(deepFreeze(value), value);
      assert.equal(deepFreeze(null), null);
      assert.equal(deepFreeze(3), 3);
    });

    it("ends on a cycle", () => {
      const a: { self?: unknown } = {};
      a.self = a;
      assert.equal(deepFreeze(a), a);
      assert.ok(Object.isFrozen(a));
    });
  });

  describe("findProjectRoot", () => {
    it("walks up to the folder holding Pulumi.yaml", () => {
      assert.equal(findProjectRoot(path.join(PROJECT_ROOT, "lib", "inventory")), PROJECT_ROOT);
      assert.ok(fs.existsSync(path.join(PROJECT_ROOT, "Pulumi.yaml")));
    });

    it("says where it looked when there is none", () => {
      const dir = tempDir("noroot");
      assert.throws(() => findProjectRoot(dir), new RegExp(`no Pulumi.yaml in ${dir}`));
    });
  });

  describe("table", () => {
    it("aligns columns two spaces apart and trims trailing blanks", () => {
      assert.deepEqual(
        table([
          ["name", "role", "x"],
          ["cp-1", "controlplane", ""],
        ]),
        ["name  role          x", "cp-1  controlplane"],
      );
      assert.deepEqual(table([]), []);
    });
  });

  describe("nodesOutput", () => {
    it("shows role, host, VM id, address and GPU mapping per node", () => {
      const out = nodesOutput(haWithGpu().nodes);
      assert.deepEqual(out["gpu-1"], {
        role: "worker",
        host: "pve1",
        vmId: 301,
        ip: "192.168.10.31",
        gpu: "rtx-a2000",
      });
      assert.equal(out["cp-1"].gpu, null);
    });
  });
});
