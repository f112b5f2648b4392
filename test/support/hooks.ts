/**
 * Mocha hooks for the whole suite (loaded by .mocharc.json). After each test file, the
 * temporary folders it made are removed; after the whole run, anything `em-infra-*`
 * left in the temp folder that was not there before fails the run, naming it.
 */
import { ourTempEntries, removeTempDirs } from "./tmp";

let before: Set<string> = new Set();

/** Root hooks: in parallel mode `afterAll` runs once per test file, in its worker. */
export const mochaHooks = {
  afterAll(): void {
    removeTempDirs();
  },
};

/** Once, in the main process, before any worker starts. */
export function mochaGlobalSetup(): void {
  before = new Set(ourTempEntries());
}

/** Once, in the main process, after every file ran. */
export function mochaGlobalTeardown(): void {
  const left = ourTempEntries().filter((n) => !before.has(n));
  if (left.length > 0) {
    process.exitCode = 1;
    throw new Error(
      `npm test left ${left.length} folder(s) in the temp folder: ${left.join(", ")}; a test must remove what it makes (test/support/tmp.ts)`,
    );
  }
}
