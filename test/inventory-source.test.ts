/** lib/inventory/source.ts: reading an inventory file and finding positions in it. */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import {
  formatPath,
  overIndentedKey,
  positionOf,
  readSource,
  startOf,
} from "../lib/inventory/source";
import { sourceOf, yamlText } from "./support/inventorySource";
import { tempDir } from "./support/tmp";

/** A file with `text` in a fresh temporary folder; problems report it by absolute path. */
function tempFile(text: string | undefined, name = "nodes.yaml"): string {
  const dir = tempDir("source");
  const file = path.join(dir, name);
  if (text !== undefined) fs.writeFileSync(file, text);
  return file;
}

/** `line:col: message` of each problem readSource returns for `text`. */
function read(text: string): string[] {
  const file = tempFile(text);
  return readSource(file, "a list").problems.map((p) => {
    assert.equal(p.file, file);
    assert.equal(p.severity, "error");
    return `${p.line}:${p.col}: ${p.message}`;
  });
}

describe("formatPath", () => {
  it("writes keys with dots, indices in brackets and other keys quoted", () => {
    assert.equal(formatPath([]), "");
    assert.equal(formatPath(["network", "gateway"]), "network.gateway");
    assert.equal(formatPath(["nodes", 2, "vmId"]), "nodes[2].vmId");
    assert.equal(
      formatPath(["nodes", 0, "labels", "topology.kubernetes.io/zone"]),
      'nodes[0].labels["topology.kubernetes.io/zone"]',
    );
    assert.equal(formatPath([3]), "[3]");
  });
});

describe("startOf", () => {
  it("is line 1, column 1 of the file", () => {
    const file = path.join(process.cwd(), "inventory", "dev", "cluster.yaml");
    assert.deepEqual(startOf(file), { file: "inventory/dev/cluster.yaml", line: 1, col: 1 });
  });
});

describe("readSource", () => {
  it("parses a plain file into data with positions", () => {
    const file = tempFile(yamlText("nodes:", "  - name: a"));
    const { source, problems } = readSource(file, "a list");
    assert.deepEqual(problems, []);
    assert.deepEqual(source?.data, { nodes: [{ name: "a" }] });
    assert.equal(source?.absolute, file);
  });

  it("reads a file again after it changed, and gives each caller data of its own", () => {
    const file = tempFile(yamlText("nodes:", "  - name: a"));
    const first = readSource(file, "a list").source;
    (first?.data as { nodes: { name: string }[] }).nodes[0].name = "changed by a caller";
    assert.deepEqual(readSource(file, "a list").source?.data, { nodes: [{ name: "a" }] });
    fs.writeFileSync(file, yamlText("nodes:", "  - name: b"));
    assert.deepEqual(readSource(file, "a list").source?.data, { nodes: [{ name: "b" }] });
    fs.writeFileSync(file, yamlText("nodes:", "  - name: b", "nodes: []"));
    assert.deepEqual(
      readSource(file, "a list").problems.map((p) => `${p.line}:${p.col}: ${p.message}`),
      ["3:1: nodes: duplicate key (first set on line 1)"],
    );
  });

  it("reports a missing file, a folder and an empty file at 1:1", () => {
    const missing = tempFile(undefined);
    assert.deepEqual(
      readSource(missing, "x").problems.map((p) => p.message),
      ["file not found"],
    );
    assert.deepEqual(
      readSource(path.dirname(missing), "x").problems.map((p) => p.message),
      ["is a folder, expected a file"],
    );
    assert.deepEqual(read("# only a comment\n"), ["1:1: file is empty; expected a list"]);
    assert.deepEqual(read(""), ["1:1: file is empty; expected a list"]);
  });

  it("reports every duplicate key and tab, but only the first other syntax error", () => {
    assert.deepEqual(read(yamlText("a: 1", "b: 2", "a: 3", "b: 4")), [
      "3:1: a: duplicate key (first set on line 1)",
      "4:1: b: duplicate key (first set on line 2)",
    ]);
    assert.deepEqual(read(yamlText("a:", "\tb: 1")), [
      "2:1: a tab is used for indentation; YAML indents with spaces only",
    ]);
    const broken = read(yamlText("a: [1", "b: {", "c: ]"));
    assert.equal(broken.length, 1);
    assert.match(broken[0], /^\d+:\d+: YAML syntax error: /);
    assert.doesNotMatch(broken[0], / at line \d+, column \d+/);
  });

  it("names a duplicate key by its full path", () => {
    assert.deepEqual(read(yamlText("nodes:", "  - name: a", "    ip: x", "    ip: y")), [
      "4:5: nodes[0].ip: duplicate key (first set on line 3)",
    ]);
  });

  it("refuses anchors, aliases, merge keys and a second document", () => {
    assert.deepEqual(read(yamlText("a: &x 1", "b: *x")), [
      '1:4: anchor "&x" is not supported; write every value out in full',
      '2:4: alias "*x" is not supported; write the value out in full',
    ]);
    assert.deepEqual(read(yamlText("a:", "  <<: {b: 1}")), [
      '2:3: merge keys ("<<") are not supported; write the fields out in full',
    ]);
    assert.deepEqual(read(yamlText("a: 1", "---", "b: 2")), [
      '2:1: more than one YAML document ("---"); an inventory file holds exactly one',
    ]);
  });

  it("reports an over-indented key at its own line", () => {
    assert.deepEqual(read(yamlText("nodes:", "  - name: a", "    vmId: 1", "      ip: x")), [
      '4:7: key "ip" is indented more than the key "vmId" above it (line 3); align it with that key, 2 spaces to the left',
    ]);
  });
});

describe("overIndentedKey", () => {
  const text = yamlText(
    "nodes:",
    "  - name: a",
    "    role: worker",
    "",
    "     # note",
    "       vmId: 1",
  );

  it("finds the key after blank and comment lines, and counts the spaces", () => {
    const offset = text.indexOf("role");
    const found = overIndentedKey(text, offset + "role: ".length);
    assert.deepEqual(found, {
      offset: text.indexOf("vmId"),
      message:
        'key "vmId" is indented more than the key "role" above it (line 3); align it with that key, 3 spaces to the left',
    });
  });

  it("measures a key after a list dash from the key, not the dash", () => {
    const t = yamlText("nodes:", "  - name: a", "     role: worker");
    assert.match(
      overIndentedKey(t, t.indexOf("a\n"))!.message,
      /"name" above it \(line 2\); .* 1 space to the left$/,
    );
  });

  it("leaves other shapes to the parser's own message", () => {
    // The next line is not a key, or is not deeper, or is a list entry.
    assert.equal(overIndentedKey(yamlText("a: b", "    c d"), 3), undefined);
    assert.equal(overIndentedKey(yamlText("  a: b", "c: d"), 5), undefined);
    assert.equal(overIndentedKey(yamlText("a: b", "  - c: d"), 3), undefined);
    assert.equal(overIndentedKey(yamlText("[a, b]"), 1), undefined);
    assert.equal(overIndentedKey(yamlText("a: b"), 3), undefined);
  });
});

describe("positionOf", () => {
  const source = sourceOf(
    yamlText("nodes:", "  - name: cp-1", "    vip:", "    labels:", "      zone: a"),
  );

  it("finds a value, or its key with part key", () => {
    assert.deepEqual(positionOf(source, ["nodes", 0, "name"]), {
      file: "nodes.yaml",
      line: 2,
      col: 11,
    });
    assert.deepEqual(positionOf(source, ["nodes", 0, "name"], "key"), {
      file: "nodes.yaml",
      line: 2,
      col: 5,
    });
    assert.deepEqual(positionOf(source, ["nodes", 0, "labels", "zone"]), {
      file: "nodes.yaml",
      line: 5,
      col: 13,
    });
  });

  it("points at the key of an empty value", () => {
    assert.deepEqual(positionOf(source, ["nodes", 0, "vip"]), {
      file: "nodes.yaml",
      line: 3,
      col: 5,
    });
  });

  it("falls back to the deepest part of the path that exists", () => {
    assert.deepEqual(positionOf(source, ["nodes", 0, "gpu", "mapping"]), {
      file: "nodes.yaml",
      line: 2,
      col: 5,
    });
    assert.deepEqual(positionOf(source, ["nodes", 7]), { file: "nodes.yaml", line: 2, col: 3 });
    assert.deepEqual(positionOf(source, []), { file: "nodes.yaml", line: 1, col: 1 });
  });
});
