// @ts-check
/**
 * YAML the fake parses and writes again and again, kept by its text or its value. A
 * fake node re-reads its whole machine configuration, and re-renders its resources'
 * specs, on every controller pass and every Kubernetes request (to know whether
 * kube-apiserver crashloops); across the day-two tests that was 5 s of CPU spent on
 * the same few hundred texts. Parsed values are deep-frozen, so a caller that tried to
 * change a shared one would throw instead of changing every later reader's copy.
 */
"use strict";

const YAML = require("yaml");

/** Entries kept per cache before it starts over (a test's cluster uses a few dozen). */
const LIMIT = 1000;

/** @type {Map<string, unknown>} */
const parsedByText = new Map();
/** @type {Map<string, readonly unknown[]>} */
const documentsByText = new Map();
/** @type {Map<string, string>} */
const textByValue = new Map();

/**
 * @template T
 * @param {T} v
 * @returns {T}
 */
function deepFreeze(v) {
  if (v !== null && typeof v === "object" && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const child of Object.values(v)) deepFreeze(child);
  }
  return v;
}

/**
 * `make()`, kept in `cache` by `key`; a cache that holds `limit` entries starts over.
 * @template V
 * @param {Map<string, V>} cache
 * @param {string} key
 * @param {() => V} make
 * @param {number} [limit]
 * @returns {V}
 */
function remembered(cache, key, make, limit = LIMIT) {
  if (cache.has(key)) return /** @type {V} */ (cache.get(key));
  if (cache.size >= limit) cache.clear();
  const v = make();
  cache.set(key, v);
  return v;
}

/**
 * `YAML.parse(text)`, frozen.
 * @param {string} text
 * @returns {any}
 */
function parseYaml(text) {
  return remembered(parsedByText, text, () => deepFreeze(YAML.parse(text)));
}

/**
 * Every document of a multi-document text as plain values, frozen.
 * @param {string} text
 * @returns {readonly any[]}
 */
function parseYamlDocuments(text) {
  return remembered(documentsByText, text, () =>
    deepFreeze(YAML.parseAllDocuments(text).map((d) => d.toJS())),
  );
}

/**
 * `YAML.stringify(value, options)`, by the JSON of both (so only for JSON-shaped
 * values).
 * @param {unknown} value
 * @param {import("yaml").ToStringOptions} [options]
 * @returns {string}
 */
function stringifyYaml(value, options) {
  return remembered(textByValue, JSON.stringify([value, options ?? null]), () =>
    YAML.stringify(value, options),
  );
}

module.exports = { parseYaml, parseYamlDocuments, stringifyYaml, remembered, deepFreeze };
