/**
 * The offline engine's record for every valid inventory, held fixed against the
 * snapshots in test/fixtures/records. A change that alters what the program
 * registers shows here as a diff; regenerate the snapshots with
 * `npx ts-node --transpile-only test/support/recordSnapshot.ts` only when the change
 * is meant, and say why in the commit.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { runFor } from "./support/program";
import { SNAPSHOT_CASES, SNAPSHOT_DIR, canonicalRecord } from "./support/recordSnapshot";

describe("record snapshot", () => {
  for (const c of SNAPSHOT_CASES) {
    it(`${c.name} registers what the snapshot holds`, async () => {
      const want = fs.readFileSync(path.join(SNAPSHOT_DIR, `${c.name}.json`), "utf8");
      const got = canonicalRecord(await runFor(c.dir, c.extra));
      if (got !== want) {
        const a = got.split("\n");
        const b = want.split("\n");
        const i = a.findIndex((line, n) => line !== b[n]);
        assert.fail(
          `record differs from ${c.name}.json at line ${i + 1}:\n` +
            `  got:  ${a.slice(Math.max(0, i - 3), i + 3).join("\n        ")}\n` +
            `  want: ${b.slice(Math.max(0, i - 3), i + 3).join("\n        ")}`,
        );
      }
    });
  }
});
