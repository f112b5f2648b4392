// @ts-check
/**
 * Stopping a rollout cleanly. Ctrl-C cannot reach it: the Pulumi CLI starts providers
 * in their own process group and sends a Cancel call, which the dynamic-provider host
 * of @pulumi/pulumi 3.248 ignores (`cmd/dynamic-provider/index.js`, `cancel`), and the
 * provider sees a signal only when the CLI closes its plugins, SIGKILL soon after. So
 * an operator asks through a file: `npm run day2 -- stop --stack NAME` writes a request
 * beside the running rollout's marker in the program's directory (where the provider
 * runs), and the rollout looks for it at every node and batch boundary. A SIGINT or
 * SIGTERM that does reach the provider counts as a request too.
 */
"use strict";

const { stackNameProblem } = require("../lib/stackName");
const fs = require("node:fs");
const path = require("node:path");

/** The folder, under the program's directory, that holds the markers. */
const STOP_DIR = path.join(".em-infra", "rollout");

/**
 * The marker files of one stack's rollout.
 * @param {string} workDir The program's directory.
 * @param {string} stack
 */
function markerFiles(workDir, stack) {
  const problem = stackNameProblem(stack);
  if (problem !== undefined) throw new Error(problem);
  const dir = path.join(workDir, STOP_DIR);
  return {
    dir,
    running: path.join(dir, `${stack}.running.json`),
    stop: path.join(dir, `${stack}.stop.json`),
  };
}

/**
 * Whether a process with this id exists on this machine.
 * @param {number} pid
 */
function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    return /** @type {NodeJS.ErrnoException} */ (e).code === "EPERM";
  }
}

/**
 * @typedef {object} RunningRollout
 * @property {number} pid The provider process.
 * @property {string} started ISO time.
 * @property {string} cluster
 */

/**
 * The rollout of `stack` running from `workDir` now, if any.
 * @param {string} workDir
 * @param {string} stack
 * @returns {RunningRollout | undefined}
 */
function runningRollout(workDir, stack) {
  const files = markerFiles(workDir, stack);
  let marker;
  try {
    marker = JSON.parse(fs.readFileSync(files.running, "utf8"));
  } catch {
    return undefined;
  }
  if (typeof marker?.pid !== "number" || !alive(marker.pid)) return undefined;
  return marker;
}

/**
 * Asks the running rollout of `stack` to stop at its next boundary. Returns the rollout
 * asked, or undefined (and writes nothing) when none is running.
 * @param {string} workDir
 * @param {string} stack
 * @param {() => Date} [now]
 * @returns {RunningRollout | undefined}
 */
function requestStop(workDir, stack, now = () => new Date()) {
  const running = runningRollout(workDir, stack);
  if (running === undefined) return undefined;
  const files = markerFiles(workDir, stack);
  fs.writeFileSync(
    files.stop,
    JSON.stringify({ at: now().toISOString(), by: process.pid, for: running.pid }) + "\n",
    { mode: 0o600 },
  );
  return running;
}

/**
 * One rollout run's view of stop requests: it marks itself running, answers whether a
 * stop was asked for, and cleans up after itself.
 */
class StopWatch {
  /**
   * @param {{ workDir: string, stack: string, cluster: string, log: (line: string) => void, now?: () => Date }} opts
   */
  constructor(opts) {
    /** @private */ this.files = markerFiles(opts.workDir, opts.stack);
    /** @private */ this.opts = opts;
    /** Why a stop was asked for, once it was. @type {string | undefined} */
    this.reason = undefined;
    /** @private */ this.onSignal = (/** @type {NodeJS.Signals} */ signal) => {
      this.reason ??= `the provider process received ${signal}`;
      opts.log(`${signal} received: finishing the node in progress, starting nothing new`);
    };
  }

  /** Marks the run as running and listens for SIGINT and SIGTERM. */
  begin() {
    fs.mkdirSync(this.files.dir, { recursive: true, mode: 0o700 });
    // A request left from before this run (none was running to take it) is not for us.
    if (fs.existsSync(this.files.stop)) {
      fs.rmSync(this.files.stop, { force: true });
      this.opts.log("removed a stop request made while no rollout was running");
    }
    fs.writeFileSync(
      this.files.running,
      JSON.stringify({
        pid: process.pid,
        started: (this.opts.now ?? (() => new Date()))().toISOString(),
        cluster: this.opts.cluster,
      }) + "\n",
      { mode: 0o600 },
    );
    process.on("SIGINT", this.onSignal);
    process.on("SIGTERM", this.onSignal);
  }

  /** Whether a stop was asked for (by the file or a signal); cheap enough for every boundary. */
  requested() {
    if (this.reason === undefined && fs.existsSync(this.files.stop))
      this.reason = "npm run day2 -- stop asked for it";
    return this.reason !== undefined;
  }

  /** Removes the markers and the signal listeners. */
  end() {
    process.off("SIGINT", this.onSignal);
    process.off("SIGTERM", this.onSignal);
    fs.rmSync(this.files.running, { force: true });
    fs.rmSync(this.files.stop, { force: true });
    // Leave the program's directory as it was: the folders go once empty.
    for (const dir of [this.files.dir, path.dirname(this.files.dir)]) {
      try {
        fs.rmdirSync(dir);
      } catch {
        break; // not empty (another stack's rollout), or already gone
      }
    }
  }
}

/** Thrown at a boundary when a stop was asked for. */
class StopRequested extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = "StopRequested";
  }
}

module.exports = { STOP_DIR, markerFiles, runningRollout, requestStop, StopWatch, StopRequested };
