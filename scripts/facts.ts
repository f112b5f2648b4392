/**
 * `npm run facts [-- --check]`: regenerates test/facts/*.json from
 * ../shared/upstream/, or with --check reports the stale ones (exit 1).
 */
import * as fs from "fs";
import * as path from "path";
import { PROJECT_ROOT } from "../lib/projectRoot";
import {
  FACTS_DIR,
  FACT_SOURCES,
  UPSTREAM_DIR,
  buildFacts,
  factsText,
  upstreamPresent,
} from "../tools/facts";

function main(argv: readonly string[]): number {
  const check = argv.includes("--check");
  let stale = 0;
  for (const source of FACT_SOURCES) {
    if (!upstreamPresent(source)) {
      console.error(`${source.name}: upstream files absent under ${UPSTREAM_DIR}`);
      return 2;
    }
    const text = factsText(buildFacts(source));
    const files = [
      path.join(FACTS_DIR, `${source.name}.json`),
      ...(source.copies ?? []).map((c) => path.join(PROJECT_ROOT, c)),
    ];
    for (const file of files) {
      const shown = path.relative(process.cwd(), file);
      const current = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
      if (current === text) {
        console.log(`${source.name}: ${shown} up to date`);
      } else if (check) {
        console.log(`${source.name}: ${shown} stale (run npm run facts)`);
        stale++;
      } else {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, text);
        console.log(`${source.name}: written to ${shown}`);
      }
    }
  }
  return stale > 0 ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));
