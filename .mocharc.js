// Mocha's configuration for `npm test`. In parallel mode each worker takes the next
// file from the list as it frees up, so the slowest files come first (longest first
// keeps the workers' last files short, instead of one worker running a 10 s file while
// the others sit idle); the rest follow in name order. Every test/*.test.ts is run once:
// a file named here is left out of the rest. The durations are each file's wall time in
// a full run (jobs 3, 2 cores, 2026-12-07). Three workers on two cores: the fake-cluster
// files spend part of their time waiting on their timers and on child processes, and a
// third worker fills that time. It costs CPU (three processes share two cores: about
// 7 s more than with two, over four runs of each), but less than the waiting it fills
// (mocha alone, same day: two workers 35.7-39.0 s, three 32.1-35.5 s; measured again
// late that day, alternating: two 42.0 and 39.3 s, three 37.9 and 40.5 s).
"use strict";
const fs = require("fs");
const path = require("path");

const SLOWEST_FIRST = [
  "day2-rollout-robustness", // 11.9
  "pipe", // 8.4
  "day2-upgrade-k8s", // 7.5
  "day2-rollout-hardware", // 4.8
  "day2-upgrade-revert", // 4.4
  "day2-rollout-upgrade", // 3.8
  "day2-status", // 3.5
  "plan", // 2.8
  "day2-rollout-removal", // 2.5
  "day2-etcd-backups", // 2.5
  "day2-demo", // 2.5
  "day2-manifest-sync", // 2.4
  "day2-e2e", // 2.1
  "day2-recover", // 2.0
  "day2-bootstrap-check", // 2.0
  "doc-examples", // 1.5
  "change-safety", // 1.5
].map((name) => `test/${name}.test.ts`);

const all = fs
  .readdirSync(path.join(__dirname, "test"))
  .filter((f) => f.endsWith(".test.ts"))
  .sort()
  .map((f) => `test/${f}`);

module.exports = {
  require: [
    "./test/support/debuggerEarly.js",
    "./test/support/register.js",
    "test/support/hooks.ts",
  ],
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
