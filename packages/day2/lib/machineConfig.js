// @ts-check
/**
 * Reading a Talos machine configuration (several YAML documents): which one is the
 * v1alpha1 document, the one with `machine` or `cluster`.
 */
"use strict";

const YAML = require("yaml");
const { memoByText } = require("./memoByText");

/** Whether a parsed document is the v1alpha1 one. @param {unknown} v */
function isV1alpha1(v) {
  return v !== null && typeof v === "object" && ("machine" in v || "cluster" in v);
}

/**
 * The v1alpha1 document of a configuration, parsed; `{}` when it has none. Takes the
 * documents, or a MachineConfig's `yaml_spec` as Talos serves it (see configText), so
 * that no caller can read the served form as plain documents and find nothing.
 * @param {string} config
 * @returns {any}
 */
function v1alpha1(config) {
  return parsedV1alpha1(config);
}

/** v1alpha1's parse, kept for the few configurations a rollout reads again and again. */
const parsedV1alpha1 = memoByText(
  32,
  (/** @type {string} */ config) =>
    YAML.parseAllDocuments(configText(config))
      .map((d) => d.toJS())
      .find(isV1alpha1) ?? {},
);

/**
 * The configuration text a `MachineConfigs.config.talos.dev` resource holds, from its
 * `yaml_spec`. Talos marshals that spec as one YAML string (Talos v1.13.9
 * pkg/machinery/resources/config/machine_config.go `MarshalYAML`, annotation
 * `talos.dev/yaml-spec`), which the COSI runtime marshals again (cosi-project/runtime
 * v1.14.1 pkg/resource/protobuf/resource.go): a block scalar whose value is the
 * documents. Plain documents, as an older server might send, are taken as they are.
 * @param {string} yamlSpec
 * @returns {string}
 */
function configText(yamlSpec) {
  let v;
  try {
    v = YAML.parse(yamlSpec);
  } catch {
    // Several documents do not parse as one: plain documents.
    return yamlSpec;
  }
  return typeof v === "string" ? v : yamlSpec;
}

module.exports = { isV1alpha1, v1alpha1, configText };
