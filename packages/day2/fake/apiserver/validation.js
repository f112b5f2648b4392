// @ts-check
/**
 * The validation rules of kube-apiserver that the fake enforces on every write.
 */
"use strict";

/**
 * A ConfigMap's data and binaryData keys: `[-._a-zA-Z0-9]+`, at most 253 characters
 * (k8s.io/apimachinery pkg/util/validation/validation.go `IsConfigMapKey`, called by
 * pkg/apis/core/validation ValidateConfigMap). Returns the errors as kube-apiserver
 * words them, none when valid.
 * @param {any} obj
 * @returns {string[]}
 */
function configMapKeyErrors(obj) {
  /** @type {string[]} */
  const out = [];
  for (const field of ["data", "binaryData"])
    for (const key of Object.keys(obj?.[field] ?? {})) {
      if (key.length > 253)
        out.push(`${field}[${key}]: Invalid value: "${key}": must be no more than 253 characters`);
      else if (!/^[-._a-zA-Z0-9]+$/.test(key))
        out.push(
          `${field}[${key}]: Invalid value: "${key}": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`,
        );
      else if (key === "." || key === "..")
        out.push(`${field}[${key}]: Invalid value: "${key}": must not be '.' or '..'`);
    }
  return out;
}

/**
 * The 422 message for an object, or undefined when it is valid.
 * @param {string} kind @param {any} obj
 */
function invalid(kind, obj) {
  const errors = kind === "ConfigMap" ? configMapKeyErrors(obj) : [];
  if (errors.length === 0) return undefined;
  const list = errors.length === 1 ? errors[0] : `[${errors.join(", ")}]`;
  return `${kind} "${obj?.metadata?.name ?? ""}" is invalid: ${list}`;
}

module.exports = { configMapKeyErrors, invalid };
