/**
 * Temporary folders for tests. A run of the suite keeps everything it makes under one
 * folder of its own (`em-infra-run-XXXXXX` in the system's temp folder), which
 * test/support/hooks.ts makes the temp folder of the whole run (`TMPDIR`, inherited by
 * every worker and child process) and checks at the end. So the leak check sees only
 * this run's leftovers, and two runs in two checkouts at once do not see each other's.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** Prefix of a run's own folder, under the temp folder the run was started with. */
export const RUN_PREFIX = "em-infra-run-";

const made: string[] = [];

/** A new empty folder under the run's temp folder, removed after this test file. */
export function tempDir(what: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `em-infra-${what}-`));
  made.push(dir);
  return dir;
}

/** Removes every folder {@link tempDir} made in this process so far. */
export function removeTempDirs(): void {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

/** A new folder for one run of the suite, under `parent` (the temp folder it started with). */
export function makeRunDir(parent: string = os.tmpdir()): string {
  return fs.mkdtempSync(path.join(parent, RUN_PREFIX));
}

/**
 * What a run left in its own folder, by name: our `em-infra-*` folders. (Tools that the
 * tests start keep caches in the temp folder, v8-compile-cache for one; the run's
 * folder and they go together at its end.) Another run's folder, beside it in the
 * parent, is not looked at.
 */
export function leftInRunDir(runDir: string): string[] {
  return fs
    .readdirSync(runDir)
    .filter((n) => n.startsWith("em-infra-"))
    .sort();
}
