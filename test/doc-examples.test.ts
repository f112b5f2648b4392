/**
 * Every example output in the docs is printed by the command it shows, never written by
 * hand (scripts/examples.ts, `npm run examples`): each ```text block sits between the
 * markers of an example, and each example equals a fresh run, loopback ports and
 * measured times aside. The demo's examples are checked in day2-demo.test.ts, against
 * the transcript that test already produces.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import "./support/loopbackOnly";
import { PROJECT_ROOT } from "../lib/projectRoot";
import { TARGET_200_NODES_S } from "../scripts/figures";
import {
  EXAMPLES,
  exampleInDoc,
  exampleMarkers,
  normalizeExample,
  otherExamples,
  replaceExample,
  runExamples,
  staleExamples,
} from "../scripts/examples";

/** README.md, packages/day2/README.md and every Markdown file in docs/. */
function docFiles(): string[] {
  const docs = fs
    .readdirSync(path.join(PROJECT_ROOT, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => path.join("docs", f));
  return ["README.md", path.join("packages", "day2", "README.md"), ...docs];
}

/** The ```text blocks of a Markdown text that no example's markers enclose, by line. */
function unmarkedTextBlocks(markdown: string): number[] {
  const lines = markdown.split("\n");
  const out: number[] = [];
  let inside: string | undefined;
  lines.forEach((line, i) => {
    const begin = /^<!-- BEGIN GENERATED: example (\S+) \(npm run examples\) -->$/.exec(line);
    if (begin) inside = begin[1];
    if (inside !== undefined && line === exampleMarkers(inside).end) inside = undefined;
    if (/^\s*```text\s*$/.test(line) && inside === undefined) out.push(i + 1);
  });
  return out;
}

describe("example outputs in the docs", function () {
  it("every ```text block is an example that npm run examples generates", function () {
    const found = docFiles().flatMap((f) =>
      unmarkedTextBlocks(fs.readFileSync(path.join(PROJECT_ROOT, f), "utf8")).map(
        (line) => `${f}:${line}`,
      ),
    );
    assert.deepEqual(found, [], "write these with npm run examples, not by hand");
    for (const e of EXAMPLES) {
      const text = fs.readFileSync(path.join(PROJECT_ROOT, e.doc), "utf8");
      assert.notEqual(exampleInDoc(text, e.id), undefined, `${e.doc} has example ${e.id}`);
    }
  });

  it("the check finds an output block written by hand", function () {
    assert.deepEqual(unmarkedTextBlocks("a\n\n```text\nsome output\n```\n"), [3]);
    const marked = replaceExample(
      `${exampleMarkers("x").begin}\n${exampleMarkers("x").end}\n`,
      "x",
      "out",
    );
    assert.deepEqual(unmarkedTextBlocks(marked), []);
  });

  it("the bootstrap check's failure and status are what the commands print now", async function () {
    this.timeout(20000);
    const { examples, statusJson } = await otherExamples();
    assert.deepEqual(staleExamples(examples), [], "run npm run examples");
    // The fields operations.md lists for status --json are the ones it prints.
    const ops = fs.readFileSync(path.join(PROJECT_ROOT, "docs", "operations.md"), "utf8");
    const para = /`--json` prints one\s+object with ([\s\S]*?)\. Each node has ([\s\S]*?)\.\n/.exec(
      ops,
    );
    assert.ok(para !== null, "operations.md describes status --json");
    const fields = (text: string) => [...text.matchAll(/`(\w+)`/g)].map((m) => m[1]).sort();
    assert.deepEqual(fields(para[1]), Object.keys(statusJson).sort());
    const node = (statusJson.nodes as Record<string, unknown>[])[0];
    assert.deepEqual(fields(para[2]), Object.keys(node).sort());
  });

  it("npm run examples --help fits 80 columns; an unknown flag is a usage error", async function () {
    let out = "";
    assert.equal(
      await runExamples(["--help"], { write: (c: string) => (out += c) }, { write: () => true }),
      0,
    );
    assert.deepEqual(
      out.split("\n").filter((l) => l.length > 80),
      [],
    );
    let err = "";
    assert.equal(
      await runExamples(["--x"], { write: () => true }, { write: (c: string) => (err += c) }),
      2,
    );
    assert.match(err, /^unexpected argument --x\n/);
  });

  it("compares ports, times and folds loosely, and every word exactly", function () {
    const a =
      "x via 127.0.0.1:34811 done in 17 ms; about\n                    2.3 s left\n  dev-1: a problem";
    const b = "x via 127.0.0.1:40001 done in 1.2 s; about 9 ms left\n  dev-1: a problem";
    assert.equal(normalizeExample(a), normalizeExample(b));
    assert.notEqual(normalizeExample(a), normalizeExample(b.replace("about", "around")));
    // A list item (indented by 2) stays a line of its own.
    assert.match(normalizeExample(a), /left\n dev-1: a problem$/);
  });
});

describe("the docs agree with each other", function () {
  it("one date of truth: only docs/README.md says what date the docs are true at", function () {
    const dated = docFiles().flatMap((f) =>
      [
        ...fs
          .readFileSync(path.join(PROJECT_ROOT, f), "utf8")
          .matchAll(/\bas of (\d{4}-\d\d-\d\d)/gi),
      ].map((m) => `${f}: ${m[0]}`),
    );
    assert.equal(dated.length, 1, dated.join("\n"));
    assert.match(dated[0], /^docs\/README\.md: As of \d{4}-\d\d-\d\d$/);
  });

  it("the roadmap's performance target is the one performance.md measures against", function () {
    const roadmap = fs.readFileSync(path.join(PROJECT_ROOT, "docs", "roadmap.md"), "utf8");
    const row = roadmap.split("\n").find((l) => /^\| 10 +\| Performance/.test(l)) ?? "";
    assert.match(row, new RegExp(`200 nodes evaluate in under ${TARGET_200_NODES_S} s compiled`));
    const performance = fs.readFileSync(path.join(PROJECT_ROOT, "docs", "performance.md"), "utf8");
    assert.match(
      performance,
      new RegExp(`200 nodes evaluate in under ${TARGET_200_NODES_S} s compiled`),
    );
  });
});
