// @ts-check
/**
 * TLS contexts shared by the clients of one process that present the same credentials.
 * Node parses the key and certificates of a context (a millisecond with OpenSSL 3);
 * a process that makes many clients for one cluster (the rollout makes new ones for
 * each operation, a test run makes hundreds) needs to do it once.
 */
"use strict";

const tls = require("node:tls");
const { keepLast } = require("./memoByText");

/** A process talks to a handful of clusters: the last 16 sets of credentials are kept. */
const contextOf = keepLast(16, (/** @type {string} */ id) => {
  const [ca, cert, key] = JSON.parse(id);
  return tls.createSecureContext({ ca, cert, key, minVersion: "TLSv1.3" });
});

/**
 * A TLS 1.3 context for a CA, a client certificate and its key (PEM). Throws what
 * Node throws when they do not load; nothing is kept then.
 * @param {{ ca: string, cert: string, key: string }} creds
 * @returns {tls.SecureContext}
 */
function clientContext(creds) {
  return contextOf(JSON.stringify([creds.ca, creds.cert, creds.key]));
}

module.exports = { clientContext };
