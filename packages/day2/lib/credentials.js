// @ts-check
/**
 * Talos client credentials: from the Secrets resource's `clientConfiguration` or a
 * talosconfig context, each field base64 PEM. The client key is Ed25519 PKCS#8 under
 * the PEM label `ED25519 PRIVATE KEY`, which Node's TLS refuses; the same bytes load
 * under `PRIVATE KEY`, so the label is rewritten here, in memory only.
 * No message in this module ever quotes a field's value.
 */
"use strict";

const { parse: parseYaml } = require("yaml");
const { Day2InputError } = require("./errors");

/**
 * PEM texts ready for Node's TLS.
 * @typedef {object} TlsCredentials
 * @property {string} ca The CA certificate(s) the server must chain to.
 * @property {string} cert The client certificate.
 * @property {string} key The client key, relabelled for Node.
 */

/**
 * The Secrets resource's `clientConfiguration` output.
 * @typedef {object} ClientConfiguration
 * @property {string} caCertificate
 * @property {string} clientCertificate
 * @property {string} clientKey
 */

/**
 * A talosconfig context's credential fields.
 * @typedef {object} TalosconfigContext
 * @property {string} ca
 * @property {string} crt
 * @property {string} key
 * @property {string[]} [endpoints]
 * @property {string[]} [nodes]
 */

/**
 * PEM text from a base64-of-PEM field (or from PEM text as is).
 * @param {unknown} value
 * @param {string} what Names the field in an error, e.g. `talosconfig context "admin": crt`.
 * @param {RegExp} label The PEM label(s) expected.
 */
function pemField(value, what, label) {
  if (typeof value !== "string" || value.trim() === "") {
    throw new Day2InputError(`${what} is missing or not a string`);
  }
  const text = value.includes("-----BEGIN ")
    ? value
    : Buffer.from(value.replace(/\s+/g, ""), "base64").toString("utf8");
  const m = /-----BEGIN ([A-Z0-9 ]+)-----/.exec(text);
  if (m === null) throw new Day2InputError(`${what} is not base64-encoded PEM`);
  if (!label.test(m[1])) {
    throw new Day2InputError(
      `${what} holds a PEM block labelled "${m[1]}", expected ${label.source}`,
    );
  }
  return text;
}

/**
 * The key under a label Node's TLS accepts. Talos labels its Ed25519 PKCS#8 keys
 * `ED25519 PRIVATE KEY`; the body is ordinary PKCS#8, so only the label changes.
 * @param {string} pem
 */
function nodeKeyPem(pem) {
  return pem.replace(/-----(BEGIN|END) ED25519 PRIVATE KEY-----/g, "-----$1 PRIVATE KEY-----");
}

const CERT = /^CERTIFICATE$/;
const KEY = /^(ED25519 |EC |RSA )?PRIVATE KEY$/;

/**
 * Credentials from `clientConfiguration` (`caCertificate`, `clientCertificate`,
 * `clientKey`) or a talosconfig context (`ca`, `crt`, `key`), each base64 PEM.
 * @param {ClientConfiguration | TalosconfigContext | Record<string, unknown>} input
 * @param {string} [source] Names where the input came from, for error messages.
 * @returns {TlsCredentials}
 */
function talosCredentials(input, source = "Talos credentials") {
  /** @type {Record<string, unknown>} */
  const v = /** @type {Record<string, unknown>} */ (input ?? {});
  if ("caCertificate" in v || "clientCertificate" in v || "clientKey" in v) {
    return {
      ca: pemField(v.caCertificate, `${source}: caCertificate`, CERT),
      cert: pemField(v.clientCertificate, `${source}: clientCertificate`, CERT),
      key: nodeKeyPem(pemField(v.clientKey, `${source}: clientKey`, KEY)),
    };
  }
  return {
    ca: pemField(v.ca, `${source}: ca`, CERT),
    cert: pemField(v.crt, `${source}: crt`, CERT),
    key: nodeKeyPem(pemField(v.key, `${source}: key`, KEY)),
  };
}

/**
 * The credentials of a talosconfig's current context (or of `contextName`).
 * @param {string} text The talosconfig YAML.
 * @param {{ file?: string, contextName?: string }} [opts]
 * @returns {{ context: string, credentials: TlsCredentials }}
 */
function talosconfigCredentials(text, opts = {}) {
  const file = opts.file ?? "talosconfig";
  const doc = parseYamlFile(text, file);
  const root = /** @type {Record<string, unknown>} */ (doc ?? {});
  const contexts = /** @type {Record<string, unknown>} */ (root.contexts ?? {});
  const name = opts.contextName ?? (typeof root.context === "string" ? root.context : undefined);
  if (name === undefined) throw new Day2InputError(`${file}: no current context`);
  const ctx = contexts[name];
  if (ctx === undefined || ctx === null || typeof ctx !== "object") {
    const known = Object.keys(contexts).join(", ") || "none";
    throw new Day2InputError(`${file}: context "${name}" not found (contexts: ${known})`);
  }
  return {
    context: name,
    credentials: talosCredentials(
      /** @type {Record<string, unknown>} */ (ctx),
      `${file}: context "${name}"`,
    ),
  };
}

/**
 * A talosconfig text for `credentials` (the fake cluster hands one to tests).
 * @param {string} contextName
 * @param {{ ca: string, cert: string, key: string }} pems PEM texts, key under its Talos label.
 * @param {string[]} endpoints
 */
function makeTalosconfig(contextName, pems, endpoints) {
  const b64 = (/** @type {string} */ s) => Buffer.from(s).toString("base64");
  return [
    `context: ${contextName}`,
    "contexts:",
    `  ${contextName}:`,
    `    endpoints: [${endpoints.join(", ")}]`,
    `    ca: ${b64(pems.ca)}`,
    `    crt: ${b64(pems.cert)}`,
    `    key: ${b64(pems.key)}`,
    "",
  ].join("\n");
}

/**
 * Parses a YAML file's text; a syntax error names the file and the parser's first line.
 * @param {string} text
 * @param {string} file
 * @returns {any}
 */
function parseYamlFile(text, file) {
  try {
    return parseYaml(text);
  } catch (e) {
    throw new Day2InputError(
      `${file}: not YAML (${/** @type {Error} */ (e).message.split("\n")[0]})`,
    );
  }
}

module.exports = {
  parseYamlFile,
  talosCredentials,
  talosconfigCredentials,
  nodeKeyPem,
  makeTalosconfig,
};
