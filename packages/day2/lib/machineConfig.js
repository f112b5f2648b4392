// @ts-check
/**
 * Reading a Talos machine configuration (several YAML documents): which one is the
 * v1alpha1 document, the one with `machine` or `cluster`.
 */
"use strict";

const YAML = require("yaml");

/** Whether a parsed document is the v1alpha1 one. @param {unknown} v */
function isV1alpha1(v) {
  return v !== null && typeof v === "object" && ("machine" in v || "cluster" in v);
}

/**
 * The v1alpha1 document of a configuration text, parsed; `{}` when it has none.
 * @param {string} config
 * @returns {any}
 */
function v1alpha1(config) {
  return (
    YAML.parseAllDocuments(config)
      .map((d) => d.toJS())
      .find(isV1alpha1) ?? {}
  );
}

module.exports = { isV1alpha1, v1alpha1 };
