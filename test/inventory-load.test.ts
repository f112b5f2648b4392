/** lib/inventory/load.ts: reading a folder, ordering problems, and what stops a load. */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { checkInventory, loadInventory } from "../lib/inventory/load";
import { formatProblem, InventoryError } from "../lib/inventory/problems";
import { BASE_CLUSTER, BASE_NODES, yamlText } from "./support/inventorySource";
import { tempDir } from "./support/tmp";

/** A temporary inventory folder holding the given files. */
function folder(files: Readonly<Record<string, readonly string[]>>): string {
  const dir = tempDir("load");
  for (const [name, lines] of Object.entries(files)) {
    fs.writeFileSync(path.join(dir, name), yamlText(...lines));
  }
  return dir;
}

/** Problem lines with the folder left out. */
function problemLines(dir: string): string[] {
  return checkInventory(dir).problems.map((p) => formatProblem(p).slice(dir.length + 1));
}

describe("load", () => {
  it("builds the inventory of a valid folder, with its absolute path", () => {
    const dir = folder({ "cluster.yaml": BASE_CLUSTER, "nodes.yaml": BASE_NODES });
    const { inventory, problems } = checkInventory(dir);
    assert.deepEqual(problems, []);
    assert.equal(inventory?.dir, dir);
    assert.equal(loadInventory(dir).nodes.length, 2);
  });

  it("reports a missing folder, and a file given as the folder", () => {
    const dir = folder({ "cluster.yaml": BASE_CLUSTER });
    const missing = path.join(dir, "nope");
    assert.deepEqual(
      checkInventory(missing).problems.map((p) => p.message),
      ["inventory folder not found"],
    );
    const file = path.join(dir, "cluster.yaml");
    assert.deepEqual(
      checkInventory(file).problems.map((p) => p.message),
      ["is a file; expected the inventory folder"],
    );
  });

  it("orders cluster.yaml before nodes.yaml, each by line", () => {
    const badCluster = [...BASE_CLUSTER];
    badCluster[12] = "  gateway: 10.0.1.1";
    badCluster[0] = "name: Demo";
    const badNodes = [...BASE_NODES];
    badNodes[7] = "    vmId: 101";
    badNodes[3] = "    vmId: 99";
    const dir = folder({ "cluster.yaml": badCluster, "nodes.yaml": badNodes });
    const lines = problemLines(dir);
    assert.deepEqual(
      lines.map((l) => l.split(": ")[0]),
      ["cluster.yaml:1:7", "cluster.yaml:13:12", "nodes.yaml:4:11"],
    );
  });

  it("checks nodes.yaml on its own when cluster.yaml is broken, but not against it", () => {
    const nodesOutside = [...BASE_NODES];
    nodesOutside[8] = "    ip: 192.168.0.5";
    nodesOutside[7] = "    vmId: 101";
    const dir = folder({ "cluster.yaml": BASE_CLUSTER.slice(1), "nodes.yaml": nodesOutside });
    assert.deepEqual(problemLines(dir), [
      "cluster.yaml:1:1: name: required field is missing",
      'nodes.yaml:8:11: nodes[1] "worker-1".vmId: 101 is already used by nodes[0] "cp-1" on line 4',
    ]);
  });

  it("loads despite warnings, and throws an InventoryError listing everything on an error", () => {
    const evenCp = [...BASE_NODES];
    evenCp[6] = "    role: controlplane";
    const warned = folder({ "cluster.yaml": BASE_CLUSTER, "nodes.yaml": evenCp });
    assert.equal(loadInventory(warned).warnings.length, 1);

    const broken = folder({ "nodes.yaml": BASE_NODES });
    assert.throws(
      () => loadInventory(broken),
      (e: unknown) =>
        e instanceof InventoryError &&
        e.problems.length === 1 &&
        e.message === `${broken}/cluster.yaml:1:1: file not found`,
    );
  });
});
