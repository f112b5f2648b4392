/** lib/inventory/schema.ts: schema.json's failures, in our own words at the right line. */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { formatProblem } from "../lib/inventory/problems";
import {
  findProjectRoot,
  loadSchema,
  quote,
  schemaFile,
  schemaProblems,
  type FileKind,
} from "../lib/inventory/schema";
import { BASE_CLUSTER, BASE_NODES, sourceOf, yamlText } from "./support/inventorySource";

/** The problem lines schema.json gives for a file of `kind` made of `lines`. */
function problems(kind: FileKind, lines: readonly string[]): string[] {
  const file = kind === "cluster" ? "cluster.yaml" : "nodes.yaml";
  return schemaProblems(sourceOf(yamlText(...lines), file), kind).map(formatProblem);
}

/** The base nodes.yaml with `extra` lines appended to the second node. */
function nodesWith(...extra: string[]): string[] {
  return [...BASE_NODES, ...extra];
}

describe("schema", () => {
  it("finds the project root and schema.json from anywhere below it", () => {
    const root = findProjectRoot();
    assert.ok(fs.existsSync(path.join(root, "Pulumi.yaml")));
    assert.equal(findProjectRoot(path.join(root, "lib", "inventory")), root);
    assert.equal(schemaFile(), path.join(root, "schema.json"));
    assert.throws(() => findProjectRoot(path.parse(root).root), /no Pulumi\.yaml in /);
  });

  it("loads schema.json once, with both file schemas", () => {
    const schema = loadSchema();
    assert.equal(schema, loadSchema());
    const defs = schema.$defs as Record<string, unknown>;
    assert.ok(defs.clusterFile !== undefined && defs.nodesFile !== undefined);
  });

  it("quotes strings and names other values", () => {
    assert.equal(quote("a"), '"a"');
    assert.equal(quote(12), "12");
    assert.equal(quote(true), "true");
    assert.equal(quote(null), "an empty value");
    assert.equal(quote(undefined), "an empty value");
    assert.equal(quote([1]), "a list");
    assert.equal(quote({ a: 1 }), "a mapping");
  });

  it("passes the base files", () => {
    assert.deepEqual(problems("cluster", BASE_CLUSTER), []);
    assert.deepEqual(problems("nodes", BASE_NODES), []);
  });

  it("words a missing field, an unknown field with a suggestion, and a wrong type", () => {
    assert.deepEqual(
      problems("nodes", ["nodes:", "  - name: a", "    role: worker", "    vmid: 5"]),
      [
        `nodes.yaml:2:5: nodes[0] "a".vmId: required field is missing`,
        `nodes.yaml:2:5: nodes[0] "a".ip: required field is missing`,
        'nodes.yaml:4:5: nodes[0] "a": unknown field "vmid" (did you mean "vmId"?)',
      ],
    );
    assert.deepEqual(problems("nodes", nodesWith('    cores: "4"')), [
      'nodes.yaml:10:12: nodes[1] "worker-1".cores: expected a whole number, got the string "4"; remove the quotes',
    ]);
    assert.deepEqual(problems("nodes", ["- a"]), [
      "nodes.yaml:1:1: expected a mapping of fields at the top of the file, got a list",
    ]);
  });

  it("names the limit and its source for a number above its maximum", () => {
    assert.deepEqual(problems("nodes", nodesWith("    memoryMiB: 40960000")), [
      `nodes.yaml:10:16: nodes[1] "worker-1".memoryMiB: 40960000 is above the maximum of 4194304 MiB (4 TiB, Proxmox VE qemu-server's memory limit for a VM)`,
    ]);
    assert.deepEqual(problems("nodes", nodesWith("    diskGiB: 9")), [
      'nodes.yaml:10:14: nodes[1] "worker-1".diskGiB: 9 is below the minimum of 10',
    ]);
  });

  it("lets rollout.waits raise upstream's Kubernetes waits, never lower them", () => {
    const withWaits = (lines: string[]) =>
      problems("cluster", [...BASE_CLUSTER, "rollout:", "  waits:", ...lines]);
    assert.deepEqual(withWaits(["    controlPlanePodSeconds: 900", "    kubeletSeconds: 600"]), []);
    assert.deepEqual(
      withWaits(["    kubeletSeconds: 60"]).map((p) => p.replace(/^cluster\.yaml:\d+:\d+: /, "")),
      ["rollout.waits.kubeletSeconds: 60 is below the minimum of 180"],
    );
  });

  it("quotes a number past 2^53 - 1 as written, since the parsed value is rounded", () => {
    assert.deepEqual(problems("nodes", nodesWith("    cores: 9007199254740993")), [
      `nodes.yaml:10:12: nodes[1] "worker-1".cores: 9007199254740993 is not a safe integer (it is past 2^53 - 1 = 9007199254740991, where numbers stop being exact) and is above the maximum of 512 cores (em-infra's own limit; Proxmox VE refuses to start a VM with more vCPUs than its host has)`,
    ]);
    assert.deepEqual(problems("nodes", nodesWith("    cores: 1.5")), [
      'nodes.yaml:10:12: nodes[1] "worker-1".cores: expected a whole number, got the number 1.5',
    ]);
  });

  it("words patterns with their rule, enums with their values, and version hints", () => {
    const cluster = (line: number, text: string): string[] => {
      const lines = [...BASE_CLUSTER];
      lines[line] = text;
      return problems("cluster", lines);
    };
    assert.deepEqual(cluster(3, "  version: 1.13.0"), [
      'cluster.yaml:4:12: talos.version: "1.13.0" is not a Talos version (vX.Y.Z, such as "v1.13.0"); add a leading "v"',
    ]);
    assert.deepEqual(cluster(5, "  version: 1.36"), [
      'cluster.yaml:6:12: kubernetes.version: expected a Kubernetes version (X.Y.Z, such as "1.36.0"), got the number 1.36',
    ]);
    assert.deepEqual(
      problems("nodes", [
        "nodes:",
        "  - name: a",
        "    role: Worker",
        "    vmId: 100",
        "    ip: 10.0.0.1",
      ]),
      ['nodes.yaml:3:11: nodes[0] "a".role: "Worker" is not one of "controlplane", "worker"'],
    );
  });

  it("reports a label key at the key and an extra list entry at that entry", () => {
    assert.deepEqual(problems("nodes", nodesWith("    labels:", "      Bad Key: x")), [
      'nodes.yaml:11:7: nodes[1] "worker-1".labels: key "Bad Key" is not a valid key (an optional DNS subdomain and "/", then at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit)',
    ]);
    assert.deepEqual(problems("cluster", [...BASE_CLUSTER, "    - 10.0.0.1"]), [
      'cluster.yaml:16:7: network.nameservers[1]: "10.0.0.1" is listed twice (also at network.nameservers[0])',
    ]);
  });
});
