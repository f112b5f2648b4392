// `npm test`: the type-check and the mocha suite at once, the type-check's output
// printed after mocha's, failing when either fails. Run one after the other they took
// the type-check's whole time (6-8 s) on top of the suite's; side by side it uses the
// cores the suite leaves idle while its fake clusters wait on their timers. The
// type-check is incremental, its state in .build/ (ignored by git): a rerun checks
// only what changed and what depends on it, 3.7 s of CPU instead of 11 s when nothing
// did (tsc's own bookkeeping of file hashes decides, so a stale state cannot hide an
// error).
"use strict";
const { spawn } = require("child_process");
const path = require("path");

const root = path.resolve(__dirname, "..");
const bin = (pkg, file) => require.resolve(`${pkg}/${file}`, { paths: [root] });

const tsc = spawn(
  process.execPath,
  [
    bin("typescript", "bin/tsc"),
    ...["--noEmit", "-p", ".", "--incremental"],
    ...["--tsBuildInfoFile", path.join(".build", "typecheck.tsbuildinfo")],
  ],
  {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
  },
);
let typeCheck = "";
tsc.stdout.on("data", (d) => (typeCheck += d));
tsc.stderr.on("data", (d) => (typeCheck += d));
const tscDone = new Promise((resolve) => tsc.on("close", (code) => resolve(code)));

const mocha = spawn(process.execPath, [bin("mocha", "bin/mocha.js"), ...process.argv.slice(2)], {
  cwd: root,
  stdio: "inherit",
});
const mochaDone = new Promise((resolve) => mocha.on("close", (code) => resolve(code)));

Promise.all([tscDone, mochaDone]).then(([tscCode, mochaCode]) => {
  if (tscCode !== 0) process.stderr.write(`\ntsc --noEmit -p . failed:\n${typeCheck}`);
  else process.stdout.write("tsc --noEmit -p .: no type errors\n");
  process.exitCode = tscCode !== 0 ? tscCode || 1 : mochaCode === null ? 1 : mochaCode;
});
