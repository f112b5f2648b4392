// @ts-check
/**
 * TLS contexts shared by the clients of one process that present the same credentials.
 * Node parses the key and certificates of a context (a millisecond with OpenSSL 3);
 * a process that makes many clients for one cluster (the rollout makes new ones for
 * each operation, a test run makes hundreds) needs to do it once.
 */
"use strict";

const tls = require("node:tls");

/** @type {Map<string, tls.SecureContext>} */
const contexts = new Map();
/** A process talks to a handful of clusters; more than this and the oldest goes. */
const LIMIT = 16;

/**
 * A TLS 1.3 context for a CA, a client certificate and its key (PEM). Throws what
 * Node throws when they do not load; nothing is kept then.
 * @param {{ ca: string, cert: string, key: string }} creds
 * @returns {tls.SecureContext}
 */
function clientContext(creds) {
  const id = `${creds.ca}\0${creds.cert}\0${creds.key}`;
  let context = contexts.get(id);
  if (context === undefined) {
    context = tls.createSecureContext({
      ca: creds.ca,
      cert: creds.cert,
      key: creds.key,
      minVersion: "TLSv1.3",
    });
    contexts.set(id, context);
    if (contexts.size > LIMIT)
      contexts.delete(/** @type {string} */ (contexts.keys().next().value));
  }
  return context;
}

module.exports = { clientContext };
