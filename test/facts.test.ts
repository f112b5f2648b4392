/**
 * The committed upstream facts (test/facts/) against ../shared/upstream/: where the
 * upstream folder is present, each facts file must equal a fresh extraction; where
 * it is absent (a clone), each file must still name its sources and checksums.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { PROJECT_ROOT } from "../lib/projectRoot";
import { FACT_SOURCES, buildFacts, factsText, readFacts, upstreamPresent } from "../tools/facts";

describe("upstream facts", () => {
  for (const source of FACT_SOURCES) {
    it(`${source.name}.json names its origin and the checksum of every file it read`, () => {
      const file = readFacts(source.name);
      assert.strictEqual(file.origin, source.origin);
      assert.deepStrictEqual(
        file.files.map((f) => f.path),
        [...source.files],
      );
      for (const f of file.files) assert.match(f.sha256, /^[0-9a-f]{64}$/);
    });
    for (const copy of source.copies ?? [])
      it(`${copy} is the same file as test/facts/${source.name}.json (npm run facts writes both)`, () => {
        assert.strictEqual(
          fs.readFileSync(path.join(PROJECT_ROOT, copy), "utf8"),
          factsText(readFacts(source.name)),
        );
      });
    if (upstreamPresent(source)) {
      it(`${source.name}.json is current against ../shared/upstream`, () => {
        assert.strictEqual(
          factsText(readFacts(source.name)),
          factsText(buildFacts(source)),
          `stale: run npm run facts`,
        );
      });
    }
  }
});
