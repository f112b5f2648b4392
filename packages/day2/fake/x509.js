// @ts-check
/**
 * Throwaway X.509 certificates for the fake cluster, issued in process: Ed25519 keys
 * from Node's crypto, the certificate written in DER (RFC 5280 §4.1) and signed with the
 * issuer's key. The fake used to run `openssl req` for each one, 5 to 10 ms a time and a
 * process per certificate: two hundred fake nodes took two seconds before the first
 * call. Only what the fake's certificates carry is encoded: a subject and issuer of O
 * and CN, a validity, and the extensions basicConstraints, keyUsage, extendedKeyUsage
 * and subjectAltName (IP addresses and DNS names).
 */
"use strict";

const crypto = require("node:crypto");

/**
 * A DER element: tag, length, contents.
 * @param {number} tag
 * @param {Buffer} body
 */
function tlv(tag, body) {
  const n = body.length;
  /** @type {number[]} */
  let len;
  if (n < 0x80) len = [n];
  else {
    const bytes = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
    len = [0x80 | bytes.length, ...bytes];
  }
  return Buffer.concat([Buffer.from([tag, ...len]), body]);
}

/** @param {Buffer[]} items */
const sequence = (...items) => tlv(0x30, Buffer.concat(items));
/** @param {Buffer[]} items */
const set = (...items) => tlv(0x31, Buffer.concat(items));
/** @param {string} s */
const utf8 = (s) => tlv(0x0c, Buffer.from(s, "utf8"));
/** @param {Buffer} b */
const octets = (b) => tlv(0x04, b);
/** A BIT STRING of whole bytes. @param {Buffer} b */
const bits = (b) => tlv(0x03, Buffer.concat([Buffer.from([0]), b]));
/** @param {boolean} v */
const boolean = (v) => tlv(0x01, Buffer.from([v ? 0xff : 0]));
/** An explicit context-specific tag. @param {number} n @param {Buffer} inner */
const explicit = (n, inner) => tlv(0xa0 | n, inner);

/** A non-negative INTEGER from big-endian bytes. @param {Buffer} b */
function integer(b) {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  const v = b.subarray(i);
  return tlv(0x02, v[0] & 0x80 ? Buffer.concat([Buffer.from([0]), v]) : v);
}

/** @param {string} dotted e.g. `2.5.4.3` */
function oid(dotted) {
  const arcs = dotted.split(".").map(Number);
  const out = [40 * arcs[0] + arcs[1]];
  for (const arc of arcs.slice(2)) {
    const chunk = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128))
      chunk.unshift(0x80 | (v & 0x7f));
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

/** UTCTime, as RFC 5280 asks for dates before 2050. @param {Date} d */
function time(d) {
  const s = d.toISOString().replace(/[-:T]/g, "").slice(2, 14) + "Z";
  return tlv(0x17, Buffer.from(s, "ascii"));
}

const OID = Object.freeze({
  ed25519: "1.3.101.112",
  organization: "2.5.4.10",
  commonName: "2.5.4.3",
  basicConstraints: "2.5.29.19",
  keyUsage: "2.5.29.15",
  extendedKeyUsage: "2.5.29.37",
  subjectAltName: "2.5.29.17",
  serverAuth: "1.3.6.1.5.5.7.3.1",
  clientAuth: "1.3.6.1.5.5.7.3.2",
});

/** @param {{ org?: string, cn: string }} n */
function name(n) {
  const rdn = (/** @type {string} */ type, /** @type {string} */ value) =>
    set(sequence(oid(type), utf8(value)));
  return sequence(
    ...(n.org === undefined ? [] : [rdn(OID.organization, n.org)]),
    rdn(OID.commonName, n.cn),
  );
}

/** @param {string} id @param {boolean} critical @param {Buffer} value */
const extension = (id, critical, value) =>
  sequence(oid(id), ...(critical ? [boolean(true)] : []), octets(value));

/** An IPv4 or IPv6 address's bytes, for an iPAddress name. @param {string} ip */
function ipBytes(ip) {
  if (!ip.includes(":")) return Buffer.from(ip.split(".").map(Number));
  const [head, tail = ""] = ip.split("::");
  const groups = (/** @type {string} */ s) => (s === "" ? [] : s.split(":"));
  const h = groups(head);
  const t = groups(tail);
  const all = ip.includes("::") ? [...h, ...Array(8 - h.length - t.length).fill("0"), ...t] : h;
  return Buffer.concat(all.map((g) => Buffer.from([parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff])));
}

/**
 * @typedef {object} Issued
 * @property {string} cert PEM certificate.
 * @property {string} key PEM private key (PKCS#8, label `PRIVATE KEY`).
 */

/**
 * @typedef {object} Spec
 * @property {{ org?: string, cn: string }} subject
 * @property {"ca" | "server" | "client"} kind
 * @property {string[]} [ips] IP subject alternative names.
 * @property {string[]} [dns] DNS subject alternative names.
 * @property {{ cert: string, key: string, subject: { org?: string, cn: string } }} [issuer]
 *   The signing authority; none for a self-signed one.
 * @property {number} [days] Validity from now. Default: 2.
 */

/**
 * A new key and a certificate for it.
 * @param {Spec} spec
 * @returns {Issued}
 */
function issue(spec) {
  const { publicKey, privateKey } = crypto.generateKeyPairSync("ed25519");
  const signer = spec.issuer === undefined ? privateKey : crypto.createPrivateKey(spec.issuer.key);
  const algorithm = sequence(oid(OID.ed25519));
  const now = Date.now();
  const usage =
    spec.kind === "ca"
      ? // keyCertSign (bit 5) and digitalSignature (bit 0): 1000 0100, 2 unused bits.
        tlv(0x03, Buffer.from([0x02, 0x84]))
      : // digitalSignature alone: 1000 0000, 7 unused bits.
        tlv(0x03, Buffer.from([0x07, 0x80]));
  const sans = [
    ...(spec.ips ?? []).map((ip) => tlv(0x87, ipBytes(ip))),
    ...(spec.dns ?? []).map((d) => tlv(0x82, Buffer.from(d, "ascii"))),
  ];
  const extensions = [
    extension(
      OID.basicConstraints,
      true,
      spec.kind === "ca" ? sequence(boolean(true)) : sequence(),
    ),
    extension(OID.keyUsage, true, usage),
    ...(spec.kind === "ca"
      ? []
      : [
          extension(
            OID.extendedKeyUsage,
            false,
            sequence(oid(spec.kind === "server" ? OID.serverAuth : OID.clientAuth)),
          ),
        ]),
    ...(sans.length > 0 ? [extension(OID.subjectAltName, false, sequence(...sans))] : []),
  ];
  const tbs = sequence(
    explicit(0, integer(Buffer.from([2]))),
    integer(Buffer.concat([Buffer.from([0x01]), crypto.randomBytes(15)])),
    algorithm,
    name(spec.issuer?.subject ?? spec.subject),
    sequence(time(new Date(now - 60_000)), time(new Date(now + (spec.days ?? 2) * 86_400_000))),
    name(spec.subject),
    publicKey.export({ type: "spki", format: "der" }),
    explicit(3, sequence(...extensions)),
  );
  const der = sequence(tbs, algorithm, bits(crypto.sign(null, tbs, signer)));
  const lines = der.toString("base64").match(/.{1,64}/g) ?? [];
  return {
    cert: `-----BEGIN CERTIFICATE-----\n${lines.join("\n")}\n-----END CERTIFICATE-----\n`,
    key: /** @type {string} */ (privateKey.export({ type: "pkcs8", format: "pem" })),
  };
}

module.exports = { issue };
