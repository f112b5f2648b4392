// A record of tsc's last clean run of a project, by the bytes it read, so that a run
// over the same bytes can be skipped. `npm test` type-checks the whole project and
// bin/pulumi-main.js compiles the program; with nothing changed, tsc's own incremental
// mode still parses every file again (3.2 s of CPU for the type-check, 2.6 s for the
// build), where hashing them takes 40 ms.
//
// The stamp lists the project's root files (from its tsconfig, as tsc globs them), every
// file the run read (its .tsbuildinfo's file list: sources, declaration files of the
// dependencies, TypeScript's libraries), the package.json nearest each of them (module
// resolution reads them), the tsconfig files and package-lock.json, each with its
// sha256, and the outputs the run left. It is fresh only when all of those are as
// recorded: a changed or deleted file, a root file added or removed, a new TypeScript
// or a missing output makes the next run call tsc. Bytes decide, not modification
// times (`tsc -b` misses a file added with an old modification time). What it cannot
// see is a new file outside the roots that tsc would now resolve instead of another
// (a `.d.ts` put beside a `.js` it imports): change a root file, or delete the stamp.
//
// A run removes the stamp before tsc starts, so that a run that fails or is stopped
// leaves none: tsc writes its output even when it reports errors, and a stamp left
// from an earlier clean run would vouch for that output once the sources were put back.
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

const VERSION = 2;

/** The sha256 of a file's bytes, or null when it cannot be read. */
function hashOf(file) {
  try {
    return crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");
  } catch {
    return null;
  }
}

/** The project's TypeScript, loaded only when the hashes alone do not decide. */
function typescript() {
  return require("typescript");
}

/**
 * The project's root files and its tsconfig files (the one named and those it
 * extends), as tsc reads them.
 * @returns {{ roots: string[], configs: string[] }}
 */
function projectFiles(ts, configPath) {
  const parsed = ts.getParsedCommandLineOfConfigFile(path.resolve(configPath), undefined, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: () => {},
  });
  if (parsed === undefined) return { roots: [], configs: [] };
  const extended = parsed.options.configFile?.extendedSourceFiles ?? [];
  return {
    roots: parsed.fileNames.map((f) => path.resolve(f)).sort(),
    configs: [path.resolve(configPath), ...extended.map((f) => path.resolve(f))],
  };
}

/** The files a run read, from its .tsbuildinfo; empty when there is none. */
function readFiles(buildInfoPath) {
  let info;
  try {
    info = JSON.parse(fs.readFileSync(buildInfoPath, "utf8"));
  } catch {
    return [];
  }
  return (info.fileNames ?? []).map((/** @type {string} */ f) =>
    path.resolve(path.dirname(buildInfoPath), f),
  );
}

/** The package.json nearest each file (what module resolution reads besides them). */
function manifestsOf(files) {
  const found = new Set();
  const seenDirs = new Set();
  for (const f of files) {
    for (let dir = path.dirname(f); !seenDirs.has(dir); dir = path.dirname(dir)) {
      seenDirs.add(dir);
      const manifest = path.join(dir, "package.json");
      if (fs.existsSync(manifest)) {
        found.add(manifest);
        break;
      }
      if (path.dirname(dir) === dir) break;
    }
  }
  return [...found];
}

/**
 * Whether the stamp at `stampPath` matches the project as it is now.
 * @param {{ configPath: string, stampPath: string }} project
 */
function isFresh({ configPath, stampPath }) {
  let stamp;
  try {
    stamp = JSON.parse(fs.readFileSync(stampPath, "utf8"));
  } catch {
    return false;
  }
  if (stamp?.version !== VERSION || typeof stamp.files !== "object") return false;
  for (const [file, hash] of Object.entries(stamp.files)) {
    if (hashOf(file) !== hash) return false;
  }
  for (const out of stamp.outputs ?? []) if (!fs.existsSync(out)) return false;
  const ts = typescript();
  if (stamp.typescript !== ts.version) return false;
  const { roots } = projectFiles(ts, configPath);
  return JSON.stringify(roots) === JSON.stringify(stamp.roots);
}

/**
 * Before a run: removes the stamp, and takes the hashes of the root files and of what
 * the last run read, to be compared after it (a file saved while tsc ran was perhaps
 * read in its old state, and must not be stamped as checked).
 * @param {{ configPath: string, stampPath: string, buildInfoPath: string }} project
 * @returns {Map<string, string | null>}
 */
function before({ configPath, stampPath, buildInfoPath }) {
  fs.rmSync(stampPath, { force: true });
  const { roots } = projectFiles(typescript(), configPath);
  return new Map([...roots, ...readFiles(buildInfoPath)].map((f) => [f, hashOf(f)]));
}

/**
 * Records a clean run. Writes nothing when a file changed since `seen` was taken, when
 * a file the run read is gone, when an output is missing, or when anything fails here
 * (the stamp only saves time; without it tsc runs).
 * @param {{ root: string, configPath: string, stampPath: string, buildInfoPath: string,
 *   outputs?: (read: string[]) => string[] }} project
 * @param {Map<string, string | null>} seen
 * @returns {boolean} whether the stamp was written
 */
function record(project, seen) {
  const { root, configPath, stampPath, buildInfoPath } = project;
  try {
    const ts = typescript();
    const { roots, configs } = projectFiles(ts, configPath);
    const read = readFiles(buildInfoPath);
    if (read.length === 0 || roots.some((f) => !seen.has(f))) return false;
    const lock = path.join(root, "package-lock.json");
    /** @type {Record<string, string | null>} */
    const files = {};
    for (const f of [...roots, ...read, ...manifestsOf(read), ...configs, lock]) {
      const hash = hashOf(f);
      if (hash === null && f !== lock) return false;
      if (seen.has(f) && seen.get(f) !== hash) return false;
      files[f] = hash;
    }
    const outputs = project.outputs?.(read) ?? [];
    if (outputs.some((f) => !fs.existsSync(f))) return false;
    const stamp = { version: VERSION, typescript: ts.version, roots, files, outputs };
    const tmp = `${stampPath}.${process.pid}.tmp`;
    fs.mkdirSync(path.dirname(stampPath), { recursive: true });
    fs.writeFileSync(tmp, JSON.stringify(stamp));
    fs.renameSync(tmp, stampPath);
    return true;
  } catch {
    return false;
  }
}

module.exports = { isFresh, before, record, readFiles };
