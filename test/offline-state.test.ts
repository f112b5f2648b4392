/** The offline engine carries state from one run into the next, as the real engine does. */
import { strict as assert } from "assert";
import { keepIgnored, runProgram } from "../tools/offline/engine";
import { VM, APPLY, NODE_VM } from "../lib/tokens";
import { DEV, editedInventory, ofType, stackConfig } from "./support/program";

describe("offline engine state", function () {
  describe("keepIgnored", function () {
    const old = { a: 1, disks: [{ importFrom: "old", size: 8 }], init: { x: 1 } };

    it("keeps ignored paths at their prior values, nested and indexed", function () {
      const now = { a: 2, disks: [{ importFrom: "new", size: 9 }], init: { x: 2 } };
      assert.deepEqual(keepIgnored(now, old, ["disks[0].importFrom", "init"]), {
        a: 2,
        disks: [{ importFrom: "old", size: 9 }],
        init: { x: 1 },
      });
      assert.equal(now.disks[0].importFrom, "new", "the program's inputs are not changed");
    });

    it("drops an ignored path the prior state never had", function () {
      assert.deepEqual(keepIgnored({ a: 1, b: 2 }, { a: 1 }, ["b"]), { a: 1 });
    });

    it("returns the inputs themselves when nothing is ignored", function () {
      const now = { a: 1 };
      assert.equal(keepIgnored(now, old, []), now);
    });
  });

  describe("a run over a prior state", function () {
    it("marks unchanged resources same, changed ones update, and lists removed ones as deleted", async function () {
      const first = await runProgram(stackConfig(DEV));
      assert.ok(first.resources.every((r) => r.op === "create"));
      assert.deepEqual(first.deleted, []);

      const smaller = editedInventory(DEV, ({ nodes }) => {
        nodes.deleteIn(["nodes", 2]); // dev-gpu-1
        nodes.setIn(["nodes", 1, "memoryMiB"], 12288); // dev-worker-1
      });
      const second = await runProgram({ ...stackConfig(smaller), prior: first });
      const opOf = (type: string, name: string) =>
        second.resources.find((r) => r.type === type && r.name === name)?.op;
      assert.equal(opOf(VM, "dev-cp-1-vm"), "same");
      assert.equal(opOf(VM, "dev-worker-1-vm"), "update");
      assert.equal(ofType(second, NODE_VM).length, 2);
      assert.deepEqual(second.deleted.map((urn) => urn.split("::").pop()).sort(), [
        "dev-apply-dev-gpu-1",
        "dev-gpu-1",
        "dev-gpu-1-vm",
        "talos-images-gpu",
        "talos-images-pve1-gpu",
      ]);
      assert.ok(second.deleted.some((u) => u.includes(APPLY)));
    });
  });
});
