// Mocha's configuration for `npm test`. In parallel mode each worker takes the next
// file from the list as it frees up, so the slowest files come first (longest first
// keeps the workers' last files short, instead of one worker running a 10 s file while
// the others sit idle); the rest follow in name order. Every test/*.test.ts is run once:
// a file named here is left out of the rest. The durations are each file's wall time in
// a full run (jobs 3, 2 cores, 2026-12-07). Three workers on two cores: the fake-cluster
// files spend much of their time waiting on their timers and on child processes, and a
// third worker fills that time (two workers: 47-51 s; three: 41-46 s, mocha alone).
"use strict";
const fs = require("fs");
const path = require("path");

const SLOWEST_FIRST = [
  "day2-rollout-robustness", // 13.7
  "pipe", // 10.1
  "day2-upgrade-k8s", // 9.1
  "day2-rollout-hardware", // 6.3
  "day2-upgrade-revert", // 6.2
  "day2-demo", // 5.9
  "plan", // 5.6
  "day2-rollout-upgrade", // 4.7
  "day2-status", // 4.5
  "entry", // 3.7
  "day2-bootstrap-check", // 3.7
  "day2-recover", // 3.3
  "day2-manifest-sync", // 2.9
  "day2-rollout-removal", // 2.8
  "day2-etcd-backups", // 2.2
  "bad-input", // 2.2
].map((name) => `test/${name}.test.ts`);

const all = fs
  .readdirSync(path.join(__dirname, "test"))
  .filter((f) => f.endsWith(".test.ts"))
  .sort()
  .map((f) => `test/${f}`);

module.exports = {
  require: ["./test/support/register.js", "test/support/hooks.ts"],
  extension: ["ts"],
  spec: [
    ...SLOWEST_FIRST.filter((f) => all.includes(f)),
    ...all.filter((f) => !SLOWEST_FIRST.includes(f)),
  ],
  timeout: 20000,
  reporter: "spec",
  parallel: true,
  jobs: 3,
};
