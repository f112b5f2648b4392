/**
 * Temporary folders for tests: each named `em-infra-<what>-XXXXXX` and removed when the
 * test file that made it has run (test/support/hooks.ts), so that `npm test` leaves the
 * temp folder as it found it.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const made: string[] = [];

/** A new empty folder under the system's temp folder, removed after this test file. */
export function tempDir(what: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `em-infra-${what}-`));
  made.push(dir);
  return dir;
}

/** Removes every folder {@link tempDir} made in this process so far. */
export function removeTempDirs(): void {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

/** What the temp folder holds of ours (`em-infra-*`), by name. */
export function ourTempEntries(): string[] {
  return fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith("em-infra-"));
}
