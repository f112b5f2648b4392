/**
 * bin/tscStamp.js: tsc is skipped only when every byte its last clean run read is the
 * same, no root file came or went, and its outputs are there. Checked on a small
 * project compiled by the real tsc, so that the file list read from its .tsbuildinfo is
 * tsc's own.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import type { System } from "typescript";
import { PROJECT_ROOT } from "../lib/projectRoot";
import { tempDir } from "./support/tmp";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const stamp = require("../bin/tscStamp") as {
  isFresh(p: Project): boolean;
  before(p: Project): Map<string, string | null>;
  record(p: Project, seen: Map<string, string | null>): boolean;
  readFiles(buildInfoPath: string): string[];
};

interface Project {
  root: string;
  configPath: string;
  stampPath: string;
  buildInfoPath: string;
  outputs?: (read: string[]) => string[];
}

/** Without TypeScript's libraries (a full parse of them costs a second): the globals tsc needs. */
const GLOBALS = [
  "Array<T>",
  "Boolean",
  "CallableFunction",
  "Function",
  "IArguments",
  "NewableFunction",
  "Number",
  "Object",
  "RegExp",
  "String",
]
  .map((name) => `interface ${name} {}`)
  .join("\n");

/** A two-file project beside a declaration file it reads (`types/globals.d.ts`). */
function smallProject(): Project {
  const dir = tempDir("tsc-stamp");
  fs.mkdirSync(path.join(dir, "src"));
  fs.mkdirSync(path.join(dir, "types"));
  fs.writeFileSync(path.join(dir, "types", "globals.d.ts"), GLOBALS);
  fs.writeFileSync(path.join(dir, "src", "a.ts"), "export const a = 1;\n");
  fs.writeFileSync(
    path.join(dir, "src", "b.ts"),
    'import { a } from "./a";\nexport const b = a;\n',
  );
  fs.writeFileSync(
    path.join(dir, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        noLib: true,
        types: [],
        incremental: true,
        outDir: "out",
        rootDir: ".",
        tsBuildInfoFile: "out/.tsbuildinfo",
      },
      files: ["types/globals.d.ts"],
      include: ["src/**/*.ts"],
    }),
  );
  // package-lock.json is read from the root passed: the project's own dir here.
  fs.writeFileSync(path.join(dir, "package-lock.json"), "{}\n");
  return {
    root: dir,
    configPath: path.join(dir, "tsconfig.json"),
    stampPath: path.join(dir, "out", ".stamp.json"),
    buildInfoPath: path.join(dir, "out", ".tsbuildinfo"),
    outputs: (read) =>
      read
        .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))
        .map((f) => path.join(dir, "out", path.relative(dir, f).replace(/\.ts$/, ".js"))),
  };
}

/**
 * tsc over the project: its exit status and what it printed. TypeScript's own command
 * line (`executeCommandLine`, which bin/tsc calls with Node's system; exported by the
 * typescript module though its declarations leave it out), run in this process with a
 * system that keeps what tsc prints and its exit status instead of writing and exiting:
 * the same compile and the same .tsbuildinfo, without loading TypeScript again in a
 * child process (half a second of CPU for each of five runs).
 */
function tsc(p: Project): { status: number | null; output: string } {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ts = require(require.resolve("typescript", { paths: [PROJECT_ROOT] })) as {
    sys: System;
    executeCommandLine?: (system: System, cb: () => void, args: readonly string[]) => void;
  };
  assert.equal(
    typeof ts.executeCommandLine,
    "function",
    "this TypeScript has no executeCommandLine",
  );
  let output = "";
  let status: number | null = null;
  const system: System = {
    ...ts.sys,
    write: (s) => void (output += s),
    writeOutputIsTTY: () => false,
    exit: (code) => void (status = code ?? 0),
  };
  ts.executeCommandLine!(system, () => {}, ["-p", p.configPath]);
  assert.notEqual(status, null, "tsc ended without an exit status");
  return { status, output };
}

/** tsc's run over the project, as bin/build.js does it: stamped when clean. */
function build(p: Project): boolean {
  const seen = stamp.before(p);
  const r = tsc(p);
  assert.equal(r.status, 0, r.output);
  return stamp.record(p, seen);
}

describe("bin/tscStamp.js: tsc skipped only when nothing it read changed", function () {
  // typescript is required by the stamp; in a cold worker that takes a moment.
  this.timeout(30_000);

  // One project built once: each test puts back what it changed.
  let p: Project;
  before(function () {
    p = smallProject();
    assert.equal(stamp.isFresh(p), false, "no stamp yet");
    assert.equal(build(p), true);
  });

  it("is fresh after a clean run, and lists the declaration file tsc read", function () {
    assert.equal(stamp.isFresh(p), true);
    const recorded = JSON.parse(fs.readFileSync(p.stampPath, "utf8"));
    assert.ok(path.join(p.root, "types", "globals.d.ts") in recorded.files);
    assert.ok(path.join(p.root, "package-lock.json") in recorded.files);
    assert.deepEqual(recorded.roots, [
      path.join(p.root, "src", "a.ts"),
      path.join(p.root, "src", "b.ts"),
      path.join(p.root, "types", "globals.d.ts"),
    ]);
  });

  it("goes stale on a changed byte and fresh again when it is put back: bytes decide, not times", function () {
    const a = path.join(p.root, "src", "a.ts");
    fs.writeFileSync(a, "export const a = 2;\n");
    assert.equal(stamp.isFresh(p), false);
    fs.writeFileSync(a, "export const a = 1;\n");
    assert.equal(stamp.isFresh(p), true);
    const globals = path.join(p.root, "types", "globals.d.ts");
    fs.writeFileSync(globals, `${GLOBALS}\ninterface Extra {}`);
    assert.equal(stamp.isFresh(p), false, "a read declaration file changed");
    fs.writeFileSync(globals, GLOBALS);
    assert.equal(stamp.isFresh(p), true);
  });

  it("goes stale on a new root file, even one whose modification time is older than the run", function () {
    const c = path.join(p.root, "src", "c.ts");
    fs.writeFileSync(c, "export const c: number = 'not a number';\n");
    const old = new Date("2001-01-01T00:00:00Z");
    fs.utimesSync(c, old, old);
    assert.equal(stamp.isFresh(p), false);
    fs.rmSync(c);
    assert.equal(stamp.isFresh(p), true);
  });

  it("goes stale when an output is missing, the package lock changed, or the stamp is unreadable", function () {
    const out = path.join(p.root, "out", "src", "b.js");
    const js = fs.readFileSync(out);
    fs.rmSync(out);
    assert.equal(stamp.isFresh(p), false);
    fs.writeFileSync(out, js);
    assert.equal(stamp.isFresh(p), true);
    fs.writeFileSync(path.join(p.root, "package-lock.json"), '{"lockfileVersion": 3}\n');
    assert.equal(stamp.isFresh(p), false);
    fs.writeFileSync(path.join(p.root, "package-lock.json"), "{}\n");
    assert.equal(stamp.isFresh(p), true);
    const recorded = fs.readFileSync(p.stampPath);
    fs.writeFileSync(p.stampPath, "{ not json");
    assert.equal(stamp.isFresh(p), false);
    fs.writeFileSync(p.stampPath, recorded);
    assert.equal(stamp.isFresh(p), true);
  });

  it("is not written when a file changed after its hash was taken and before the run was recorded", function () {
    const p = smallProject();
    const seen = stamp.before(p);
    fs.writeFileSync(path.join(p.root, "src", "a.ts"), "export const a = 3;\n");
    assert.equal(tsc(p).status, 0);
    assert.equal(stamp.record(p, seen), false);
    assert.equal(fs.existsSync(p.stampPath), false);
    assert.equal(stamp.isFresh(p), false);
  });

  it("is removed by a run that fails: put back, the sources are compiled again, not vouched for", function () {
    const p = smallProject();
    assert.equal(build(p), true);
    const a = path.join(p.root, "src", "a.ts");
    fs.writeFileSync(a, "export const a: number = 'broken';\n");
    stamp.before(p);
    const failed = tsc(p);
    assert.notEqual(failed.status, 0);
    // tsc wrote the broken source's JavaScript all the same.
    assert.match(fs.readFileSync(path.join(p.root, "out", "src", "a.js"), "utf8"), /broken/);
    fs.writeFileSync(a, "export const a = 1;\n");
    assert.equal(stamp.isFresh(p), false, "the sources are back, the output is not");
  });

  it("is not written when a file the run read, though not a root, is gone by then", function () {
    const p = smallProject();
    fs.mkdirSync(path.join(p.root, "extra"));
    const c = path.join(p.root, "extra", "c.ts");
    fs.writeFileSync(c, "export const c = 1;\n");
    fs.writeFileSync(
      path.join(p.root, "src", "b.ts"),
      'import { c } from "../extra/c";\nexport const b = c;\n',
    );
    const seen = stamp.before(p);
    assert.equal(tsc(p).status, 0);
    assert.ok(stamp.readFiles(p.buildInfoPath).includes(c), "tsc read extra/c.ts");
    fs.rmSync(c);
    assert.equal(stamp.record(p, seen), false);
    assert.equal(stamp.isFresh(p), false);
  });
});
