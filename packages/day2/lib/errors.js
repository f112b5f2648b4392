// @ts-check
/**
 * The one error type the clients throw: it names the node (or Kubernetes object), the
 * call and what came back, and its text is scrubbed of credential material.
 */
"use strict";

/**
 * @typedef {object} Day2ErrorInfo
 * @property {string} target What was addressed: a node name, or a Kubernetes object such as `node/dev-cp-1`.
 * @property {string} call The call, e.g. `Talos Version` or `GET /api/v1/nodes`.
 * @property {string} code What came back: a gRPC code name (`UNAVAILABLE`), an HTTP status (`429`), or `TLS`, `TIMEOUT`, `REFUSED`.
 * @property {string} details The server's or the transport's explanation, scrubbed.
 * @property {number} attempts How many times the call was tried.
 * @property {string} [hint] What to do next, when we know.
 */

class Day2Error extends Error {
  /** @param {Day2ErrorInfo} info */
  constructor(info) {
    const tries = info.attempts > 1 ? ` after ${info.attempts} attempts` : "";
    const hint = info.hint === undefined ? "" : ` (${info.hint})`;
    super(`${info.target}: ${info.call} failed${tries}: ${info.code}: ${info.details}${hint}`);
    this.name = "Day2Error";
    /** @readonly */ this.target = info.target;
    /** @readonly */ this.call = info.call;
    /** @readonly */ this.code = info.code;
    /** @readonly */ this.details = info.details;
    /** @readonly */ this.attempts = info.attempts;
  }
}

/** An input error (a bad endpoint, an unreadable talosconfig); never retried. */
class Day2InputError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = "Day2InputError";
  }
}

/**
 * The distinctive substrings of credential material that must never be shown: every
 * base64 body line of each PEM block, and the base64 of each whole PEM text.
 * @param {readonly string[]} pems PEM texts (certificates and keys).
 * @returns {string[]}
 */
function secretFragments(pems) {
  /** @type {string[]} */
  const out = [];
  for (const pem of pems) {
    if (pem.length === 0) continue;
    out.push(Buffer.from(pem).toString("base64"));
    for (const line of pem.split(/\r?\n/)) {
      const body = line.trim();
      if (body.length >= 16 && !body.startsWith("-----")) out.push(body);
    }
  }
  return out;
}

/**
 * `text` with every fragment replaced by `[redacted]`.
 * @param {string} text
 * @param {readonly string[]} fragments
 */
function redact(text, fragments) {
  let out = text;
  for (const f of fragments) if (f.length > 0) out = out.split(f).join("[redacted]");
  // A PEM block that reached an error some other way is dropped whole.
  return out.replace(
    /-----BEGIN [A-Z0-9 ]+-----[\s\S]*?-----END [A-Z0-9 ]+-----/g,
    "[redacted PEM]",
  );
}

/**
 * Whether a transport error text says TLS refused the peer (a certificate that does not
 * verify, a name that does not match, an alert from the other side): never transient.
 * A connection dropped during the handshake (a node going down) is not one.
 * @param {string} text
 */
function isTlsRefusal(text) {
  if (/socket disconnected before secure TLS connection|ECONNRESET/i.test(text)) return false;
  return /certificate|altnames|self[- ]signed|CERT_|unable to (verify|get local issuer)|tlsv1 alert|sslv3 alert|wrong version number|no shared cipher|DECODER routines/i.test(
    text,
  );
}

module.exports = { Day2Error, Day2InputError, secretFragments, redact, isTlsRefusal };
