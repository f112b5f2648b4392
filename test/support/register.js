// The TypeScript loader of the test suite and of the processes its tests start: what
// `ts-node/register/transpile-only` does (each .ts file transpiled on its own with the
// project's compiler options, stacks source-mapped back to TypeScript), with the
// JavaScript kept on disk by a hash of everything that decides it. Under ts-node each
// mocha worker and each child process (the demo, the 200-node plan pipe) transpiled the
// same ~160 files again, 5-8 s of CPU apiece; here the first process to meet a file
// transpiles it and every other one, in this run and later runs, reads the result.
// TypeScript itself is loaded only on a miss. Type errors are `tsc --noEmit`'s job
// (bin/run-tests.js runs it beside mocha), as they were with transpile-only.
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

const root = path.resolve(__dirname, "..", "..");
const cacheDir = path.join(root, ".build", "transpiled");
const tsVersion = require(require.resolve("typescript/package.json", { paths: [root] })).version;
const tsconfigText = fs.readFileSync(path.join(root, "tsconfig.json"), "utf8");
/** Part of every key: a new TypeScript or a changed tsconfig.json transpiles afresh. */
const salt = `${tsVersion}\0${tsconfigText}\0${fs.readFileSync(__filename, "utf8")}`;

let ts;
let compilerOptions;
/** TypeScript and the project's options, as ts-node derives them for transpile-only. */
function compiler() {
  if (ts === undefined) {
    ts = require(require.resolve("typescript", { paths: [root] }));
    const parsed = ts.parseJsonConfigFileContent(
      ts.parseConfigFileTextToJson("tsconfig.json", tsconfigText).config,
      ts.sys,
      root,
    );
    compilerOptions = {
      ...parsed.options,
      sourceMap: false,
      inlineSourceMap: true,
      inlineSources: true,
      declaration: false,
      declarationMap: false,
      noEmit: false,
      incremental: false,
      composite: false,
      tsBuildInfoFile: undefined,
      outDir: undefined,
    };
  }
  return ts;
}

/** Emitted JavaScript by file name, for the source maps. */
const emitted = new Map();

function transpile(source, filename) {
  const key = crypto.createHash("sha256").update(salt).update(filename).update("\0").update(source);
  const file = path.join(cacheDir, `${key.digest("hex")}.js`);
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    // Not cached yet.
  }
  const out = compiler().transpileModule(source, {
    fileName: filename,
    compilerOptions,
    reportDiagnostics: false,
  }).outputText;
  // Written aside and renamed: two workers meeting the same file never see half of it.
  fs.mkdirSync(cacheDir, { recursive: true });
  const partial = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  fs.writeFileSync(partial, out);
  fs.renameSync(partial, file);
  return out;
}

require("@cspotcode/source-map-support").install({
  environment: "node",
  retrieveFile: (p) => emitted.get(p) ?? "",
});
// Only a stack with a TypeScript frame needs mapping. Most stacks a run formats have
// none (gRPC and Node's streams read one for each call that ends in an error): they are
// formatted as Node formats them, without source-map-support's per-frame work. Its share
// of the day-two files run in one process fell from 0.48 s to 0.32 s of CPU; the rest
// is gRPC's caller stacks that reach a test's own frame.
const mapped = Error.prepareStackTrace;
if (typeof mapped === "function")
  Error.prepareStackTrace = function prepareStackTrace(error, frames) {
    if (frames.some((f) => /\.ts$/.test(f.getFileName() ?? ""))) return mapped(error, frames);
    let head;
    try {
      head = Error.prototype.toString.call(error);
    } catch {
      head = "<error>";
    }
    return head + frames.map((f) => `\n    at ${f}`).join("");
  };

require.extensions[".ts"] = function (module, filename) {
  if (filename.endsWith(".d.ts")) throw new Error(`cannot run a declaration file: ${filename}`);
  const js = transpile(fs.readFileSync(filename, "utf8"), filename);
  emitted.set(filename, js);
  module._compile(js, filename);
};
