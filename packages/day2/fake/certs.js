// @ts-check
/**
 * Throwaway certificates for the fake cluster, issued in process (./x509.js) and cached
 * for the life of the process: one CA per purpose, one leaf per set of parameters.
 */
"use strict";

const { issue } = require("./x509");

/**
 * @typedef {object} CertAndKey
 * @property {string} cert PEM certificate.
 * @property {string} key PEM private key (PKCS#8, label `PRIVATE KEY`).
 */

/**
 * @typedef {object} FakeAuthority
 * @property {string} caCert PEM certificate of the throwaway CA.
 * @property {string} caKey PEM private key of the throwaway CA.
 */

/** @type {Map<string, unknown>} */
const cache = new Map();

/** The subject of a purpose's CA. @param {string} name */
const caSubject = (name) => ({ org: "em-infra fake", cn: `${name} ca` });

/**
 * A CA for one purpose ("talos" or "kubernetes"), made once per process.
 * @param {string} name
 * @returns {FakeAuthority}
 */
function authority(name) {
  const hit = cache.get(`ca:${name}`);
  if (hit !== undefined) return /** @type {FakeAuthority} */ (hit);
  const { cert, key } = issue({ subject: caSubject(name), kind: "ca" });
  const ca = { caCert: cert, caKey: key };
  cache.set(`ca:${name}`, ca);
  return ca;
}

/**
 * A leaf certificate signed by the named CA, cached by its parameters.
 * @param {string} caName
 * @param {{ cn: string, org?: string, ips?: string[], dns?: string[], usage: "server" | "client" }} spec
 * @returns {CertAndKey}
 */
function leaf(caName, spec) {
  const id = `leaf:${caName}:${JSON.stringify(spec)}`;
  const hit = cache.get(id);
  if (hit !== undefined) return /** @type {CertAndKey} */ (hit);
  const ca = authority(caName);
  const out = issue({
    subject: spec.org === undefined ? { cn: spec.cn } : { org: spec.org, cn: spec.cn },
    kind: spec.usage,
    ...(spec.ips === undefined ? {} : { ips: spec.ips }),
    ...(spec.dns === undefined ? {} : { dns: spec.dns }),
    issuer: { cert: ca.caCert, key: ca.caKey, subject: caSubject(caName) },
  });
  cache.set(id, out);
  return out;
}

/**
 * The Talos API's CA, shared by every fake node and the client certificate.
 * @returns {FakeAuthority}
 */
function talosAuthority() {
  return authority("talos");
}

/**
 * A fake node's apid server certificate, carrying `ip` as its only IP SAN.
 * @param {string} ip
 * @returns {CertAndKey}
 */
function talosServerCert(ip) {
  return leaf("talos", { cn: "apid", ips: [ip], usage: "server" });
}

/**
 * The certificate a node in maintenance mode serves (after a reset wiped its STATE):
 * Talos makes a self-signed one at boot, so here it comes from an authority of its own,
 * never the cluster's.
 * @param {string} ip
 * @returns {CertAndKey}
 */
function maintenanceServerCert(ip) {
  return leaf("maintenance", { cn: "maintenance-service", ips: [ip], usage: "server" });
}

/**
 * The talosctl client certificate, with its key under the PEM label Talos uses,
 * `ED25519 PRIVATE KEY`, which Node's TLS refuses until relabelled.
 * @returns {CertAndKey}
 */
function talosClientCert() {
  const { cert, key } = leaf("talos", { cn: "admin", org: "os:admin", usage: "client" });
  return {
    cert,
    key: key.replace(/(-----(?:BEGIN|END) )PRIVATE KEY-----/g, "$1ED25519 PRIVATE KEY-----"),
  };
}

/**
 * The Kubernetes CA, distinct from the Talos one as in a real cluster.
 * @returns {FakeAuthority}
 */
function kubernetesAuthority() {
  return authority("kubernetes");
}

/**
 * The fake API server's certificate for the cluster endpoint `host` (an IP or a name).
 * @param {string} host
 * @returns {CertAndKey}
 */
function kubernetesServerCert(host) {
  const isIp = /^[0-9.]+$/.test(host) || host.includes(":");
  return leaf("kubernetes", {
    cn: "kube-apiserver",
    ...(isIp ? { ips: [host] } : { dns: [host] }),
    usage: "server",
  });
}

/**
 * The admin kubeconfig's client certificate (organisation system:masters, as Talos makes).
 * @returns {CertAndKey}
 */
function kubernetesClientCert() {
  return leaf("kubernetes", { cn: "admin", org: "system:masters", usage: "client" });
}

/**
 * The fake Proxmox API's CA and its server certificate for 127.0.0.1 (a real host's
 * pveproxy certificate is signed by the cluster's own CA, which clients must trust or
 * skip with `insecure`).
 * @returns {FakeAuthority}
 */
function proxmoxAuthority() {
  return authority("proxmox");
}

/** @returns {CertAndKey} */
function proxmoxServerCert() {
  return leaf("proxmox", { cn: "pveproxy", ips: ["127.0.0.1"], usage: "server" });
}

module.exports = {
  proxmoxAuthority,
  proxmoxServerCert,
  talosAuthority,
  talosServerCert,
  maintenanceServerCert,
  talosClientCert,
  kubernetesAuthority,
  kubernetesServerCert,
  kubernetesClientCert,
};
