// Mocha's configuration for `npm test`. In parallel mode each worker takes the next
// file from the list as it frees up, so the slowest files come first (longest first
// keeps the two workers' last files short, instead of one worker running a 10 s file
// while the other sits idle); the rest follow in name order. Every test/*.test.ts is
// run once: a file named here is left out of the rest. The durations, measured one
// file at a time (wall s, 2 cores), are in the commit that set this order.
"use strict";
const fs = require("fs");
const path = require("path");

const SLOWEST_FIRST = [
  "day2-rollout-robustness", // 12.2
  "plan", // 8.6
  "day2-upgrade-k8s", // 8.2
  "pipe", // 6.6
  "day2-rollout-hardware", // 5.8
  "day2-demo", // 5.7
  "day2-status", // 5.7
  "day2-upgrade-revert", // 5.6
  "day2-rollout-upgrade", // 5.5
  "day2-recover", // 5.3
  "day2-rollout-removal", // 5.1
  "day2-bootstrap-check", // 5.0
  "day2-etcd-backups", // 4.9
  "change-safety", // 4.3
  "operator-patches", // 4.1
  "entry", // 3.9
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
  jobs: 2,
};
