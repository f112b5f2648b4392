// `npm test`: the type-check and the mocha suite at once, the type-check's output
// printed after mocha's, failing when either fails. Run one after the other they took
// the type-check's whole time (6-8 s) on top of the suite's; side by side it uses the
// cores the suite leaves idle while its fake clusters wait on their timers. The
// type-check is incremental, its state in .build/ (ignored by git): a rerun checks
// only what changed and what depends on it. When no byte of what the last clean check
// read has changed (bin/tscStamp.js), it is not run at all: 3.2 s of CPU saved on a
// two-core machine that the suite keeps busy.
"use strict";
const { spawn } = require("child_process");
const path = require("path");

const stamp = require("./tscStamp");

const root = path.resolve(__dirname, "..");
const bin = (pkg, file) => require.resolve(`${pkg}/${file}`, { paths: [root] });
const project = {
  root,
  configPath: path.join(root, "tsconfig.json"),
  stampPath: path.join(root, ".build", "typecheck.stamp.json"),
  buildInfoPath: path.join(root, ".build", "typecheck.tsbuildinfo"),
};

const mocha = spawn(process.execPath, [bin("mocha", "bin/mocha.js"), ...process.argv.slice(2)], {
  cwd: root,
  stdio: "inherit",
});
const mochaDone = new Promise((resolve) => mocha.on("close", (code) => resolve(code)));

// After mocha has started: the check below reads and hashes about 900 files.
let typeCheck = "";
let unchanged = false;
let tscDone;
if (stamp.isFresh(project)) {
  unchanged = true;
  tscDone = Promise.resolve(0);
} else {
  const seen = stamp.before(project);
  const tsc = spawn(
    process.execPath,
    [
      bin("typescript", "bin/tsc"),
      ...["--noEmit", "-p", ".", "--incremental"],
      ...["--tsBuildInfoFile", path.relative(root, project.buildInfoPath)],
    ],
    { cwd: root, stdio: ["ignore", "pipe", "pipe"] },
  );
  tsc.stdout.on("data", (d) => (typeCheck += d));
  tsc.stderr.on("data", (d) => (typeCheck += d));
  tscDone = new Promise((resolve) =>
    tsc.on("close", (code) => {
      if (code === 0) stamp.record(project, seen);
      resolve(code);
    }),
  );
}

Promise.all([tscDone, mochaDone]).then(([tscCode, mochaCode]) => {
  if (tscCode !== 0) process.stderr.write(`\ntsc --noEmit -p . failed:\n${typeCheck}`);
  else
    process.stdout.write(
      `tsc --noEmit -p .: no type errors${unchanged ? " (nothing changed since the last check)" : ""}\n`,
    );
  process.exitCode = tscCode !== 0 ? tscCode || 1 : mochaCode === null ? 1 : mochaCode;
});
