/**
 * Preloaded (`-r`) into the `npm run day2 -- demo --keep` child of
 * day2-demo-keep.test.ts: the demo's fake reboots in 20 ms and upgrades in 10 ms, the
 * times day2-demo.test.ts gives it in-process, instead of the 400 and 200 ms an
 * operator watches (about 10 s of the test's waiting). Everything else is the real
 * command: scripts/day2.ts runs as the main module, reads its own signals and sets its
 * own exit code. scripts/day2.ts calls `runDemo` through the module's exports (the
 * CommonJS it compiles to), so replacing the export here reaches it.
 */
import * as demo from "../../tools/day2/demo";

const runDemo = demo.runDemo;
(demo as { runDemo: typeof runDemo }).runDemo = (out, err, run, opts = {}) =>
  runDemo(out, err, run, { rebootMs: 20, upgradeMs: 10, ...opts });
