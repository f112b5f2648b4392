// @ts-check
/**
 * The fake cluster's call log: every call a fake server answered, and every state
 * change of a fake node, with a monotonic timestamp. Tests assert order and overlap
 * from it ("no two control planes were down at the same time").
 */
"use strict";

const { performance } = require("node:perf_hooks");

/**
 * @typedef {object} LogEntry
 * @property {number} seq Position in the log, from 0.
 * @property {number} t Milliseconds on a monotonic clock (performance.now()).
 * @property {string} node A node name, or `kubernetes` for a cluster-wide API call.
 * @property {string} call e.g. `Version`, `LifecycleService.Upgrade`, `GET nodes`, or `state` for a state change.
 * @property {string} outcome `ok`, a gRPC code name, an HTTP status, `hung`, or for `state` the new state.
 * @property {string} [detail] e.g. the pod evicted or the version staged.
 */

/** @typedef {{ node?: string | readonly string[], call?: string | RegExp, outcome?: string | RegExp }} LogFilter */

/**
 * @param {LogEntry} e
 * @param {LogFilter} f
 */
function matches(e, f) {
  if (
    f.node !== undefined &&
    (typeof f.node === "string" ? e.node !== f.node : !f.node.includes(e.node))
  )
    return false;
  if (
    f.call !== undefined &&
    (typeof f.call === "string" ? e.call !== f.call : !f.call.test(e.call))
  )
    return false;
  if (
    f.outcome !== undefined &&
    (typeof f.outcome === "string" ? e.outcome !== f.outcome : !f.outcome.test(e.outcome))
  ) {
    return false;
  }
  return true;
}

class CallLog {
  constructor() {
    /** @type {LogEntry[]} */
    this.entries = [];
  }

  /**
   * @param {string} node
   * @param {string} call
   * @param {string} outcome
   * @param {string} [detail]
   */
  record(node, call, outcome, detail) {
    /** @type {LogEntry} */
    const entry = { seq: this.entries.length, t: performance.now(), node, call, outcome };
    if (detail !== undefined) entry.detail = detail;
    this.entries.push(entry);
    return entry;
  }

  /** @param {LogFilter} [filter] */
  calls(filter = {}) {
    return this.entries.filter((e) => e.call !== "state" && matches(e, filter));
  }

  /** @param {LogFilter} filter */
  first(filter) {
    return this.entries.find((e) => matches(e, filter));
  }

  /** @param {LogFilter} filter */
  last(filter) {
    return [...this.entries].reverse().find((e) => matches(e, filter));
  }

  /**
   * The state changes of one node, in order.
   * @param {string} node
   */
  states(node) {
    return this.entries
      .filter((e) => e.call === "state" && e.node === node)
      .map((e) => ({ t: e.t, state: e.outcome }));
  }

  /**
   * The intervals during which `node` was not serving (rebooting, down, reset), as
   * [start, end] pairs; an interval still open ends at Infinity.
   * @param {string} node
   * @returns {[number, number][]}
   */
  downIntervals(node) {
    /** @type {[number, number][]} */
    const out = [];
    /** @type {number | undefined} */
    let since;
    for (const { t, state } of this.states(node)) {
      const down = state !== "running" && state !== "upgrading";
      if (down && since === undefined) since = t;
      if (!down && since !== undefined) {
        out.push([since, t]);
        since = undefined;
      }
    }
    if (since !== undefined) out.push([since, Infinity]);
    return out;
  }

  /**
   * The most of `nodes` that were down at the same moment.
   * @param {readonly string[]} nodes
   */
  maxConcurrentDown(nodes) {
    /** @type {[number, number][]} */
    const edges = [];
    for (const n of nodes) for (const [a, b] of this.downIntervals(n)) edges.push([a, 1], [b, -1]);
    // Ends sort before starts at the same instant: touching intervals do not overlap.
    edges.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
    let now = 0;
    let max = 0;
    for (const [, d] of edges) {
      now += d;
      max = Math.max(max, now);
    }
    return max;
  }

  /** The log as text lines, for a failing test's message. */
  toString() {
    return this.entries
      .map(
        (e) =>
          `${e.t.toFixed(1).padStart(9)} ${e.node} ${e.call} ${e.outcome}${e.detail === undefined ? "" : ` ${e.detail}`}`,
      )
      .join("\n");
  }
}

module.exports = { CallLog };
