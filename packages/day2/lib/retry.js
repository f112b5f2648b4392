// @ts-check
/**
 * Bounded retries with exponential backoff, shared by both clients, and the small
 * waiting helpers the fake and the engines use instead of fixed sleeps.
 */
"use strict";

/**
 * @typedef {object} RetryPolicy
 * @property {number} attempts Total tries, at least 1. Default: 4.
 * @property {number} baseMs First pause. Default: 100.
 * @property {number} maxMs Longest pause. Default: 1000.
 */

/** @type {RetryPolicy} */
const DEFAULT_RETRY = Object.freeze({ attempts: 4, baseMs: 100, maxMs: 1000 });

/**
 * The pause before try number `attempt + 1` (attempt counts from 1).
 * @param {RetryPolicy} policy
 * @param {number} attempt
 */
function backoffMs(policy, attempt) {
  return Math.min(policy.maxMs, policy.baseMs * 2 ** (attempt - 1));
}

/** @param {number} ms */
function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Calls `fn` until it returns a truthy value or `deadlineMs` passes, pausing `everyMs`
 * between tries; throws `describe()` as an Error on timeout. For tests and engines
 * that wait for a state change.
 * @template T
 * @param {() => T | Promise<T>} fn
 * @param {{ timeoutMs: number, everyMs?: number, describe: () => string }} opts
 * @returns {Promise<NonNullable<T>>}
 */
async function waitFor(fn, opts) {
  const end = Date.now() + opts.timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return /** @type {NonNullable<T>} */ (v);
    if (Date.now() >= end)
      throw new Error(`timed out after ${opts.timeoutMs} ms: ${opts.describe()}`);
    await delay(opts.everyMs ?? 5);
  }
}

module.exports = { DEFAULT_RETRY, backoffMs, delay, waitFor };
