// Loaded first in each mocha worker (.mocharc.js). Pulumi's closure serializer opens an
// inspector session on its first dynamic provider and enables the V8 Debugger domain
// there (runtime/closure/v8Hooks.js), and V8 then reports every script compiled so far
// to the session, one event each: 0.28-0.36 s of CPU in each worker of one `npm test`,
// which by then had loaded the program, its SDKs and the fake (2026-12-08). Opened
// here, before the worker has loaded anything, it took 47-49 ms in each. The Debugger
// is then turned off, as the offline engine turns it off after every run that
// serialized a provider (tools/offline/engine.ts, `debuggerOff`, which says why
// serialization does not need it). Pulumi keeps this session and does not enable the
// Debugger again.
"use strict";
const v8Hooks = require("@pulumi/pulumi/runtime/closure/v8Hooks");

// Mocha awaits each required module in turn, so this settles before the test files load.
module.exports = v8Hooks
  .getSessionAsync()
  .then(
    (/** @type {import("inspector").Session} */ session) =>
      new Promise((resolve) => session.post("Debugger.disable", () => resolve(undefined))),
  );
