// @ts-check
/**
 * Throwaway certificates for the fake cluster, made with the `openssl` binary (Node
 * cannot issue X.509 certificates itself). Everything is generated in a temporary
 * folder that is removed before the function returns, and cached for the life of the
 * process: the first call costs a few openssl runs, later calls nothing.
 */
"use strict";

const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

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

/** @type {string | undefined} */
let workDir;

/**
 * A private temporary folder for openssl's input and output files, while `fn` runs;
 * removed right after, so that nothing is left behind whatever ends the process.
 * @template T
 * @param {() => T} fn
 * @returns {T}
 */
function inScratch(fn) {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), "em-infra-fake-certs-"));
  try {
    return fn();
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
    workDir = undefined;
  }
}

/** The folder {@link inScratch} made. */
function scratch() {
  if (workDir === undefined) throw new Error("openssl runs only inside inScratch()");
  return workDir;
}

/**
 * Runs openssl with `args` in the scratch folder; throws with its stderr on failure.
 * @param {string[]} args
 */
function openssl(args) {
  try {
    execFileSync("openssl", args, { cwd: scratch(), stdio: ["ignore", "ignore", "pipe"] });
  } catch (e) {
    const err = /** @type {{ stderr?: Buffer, message: string }} */ (e);
    throw new Error(
      `openssl ${args[0]} failed (is the openssl binary installed?): ${err.stderr?.toString() ?? err.message}`,
    );
  }
}

/**
 * Reads and deletes files from the scratch folder.
 * @param {string[]} names
 */
function take(names) {
  return names.map((n) => {
    const file = path.join(scratch(), n);
    const text = fs.readFileSync(file, "utf8");
    fs.rmSync(file);
    return text;
  });
}

let serial = 0;

/**
 * The `openssl req` arguments for a new Ed25519 key and a two-day certificate,
 * written to `<base>.key` and `<base>.crt` in the scratch folder.
 * @param {string} base
 * @returns {string[]}
 */
function newCertificate(base) {
  return [
    "req",
    "-x509",
    "-newkey",
    "ed25519",
    "-nodes",
    "-keyout",
    `${base}.key`,
    "-out",
    `${base}.crt`,
    "-days",
    "2",
  ];
}

/**
 * A CA for one purpose ("talos" or "kubernetes"), made once per process.
 * @param {string} name
 * @returns {FakeAuthority}
 */
function authority(name) {
  const hit = cache.get(`ca:${name}`);
  if (hit !== undefined) return /** @type {FakeAuthority} */ (hit);
  return inScratch(() => {
    openssl([
      ...newCertificate(`${name}-ca`),
      "-subj",
      `/O=em-infra fake/CN=${name} ca`,
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,digitalSignature",
    ]);
    const [caCert, caKey] = take([`${name}-ca.crt`, `${name}-ca.key`]);
    const ca = { caCert, caKey };
    cache.set(`ca:${name}`, ca);
    return ca;
  });
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
  return inScratch(() => {
    const n = ++serial;
    fs.writeFileSync(path.join(scratch(), `ca-${n}.crt`), ca.caCert);
    fs.writeFileSync(path.join(scratch(), `ca-${n}.key`), ca.caKey, { mode: 0o600 });
    const sans = [
      ...(spec.ips ?? []).map((ip) => `IP:${ip}`),
      ...(spec.dns ?? []).map((d) => `DNS:${d}`),
    ];
    const subject = spec.org === undefined ? `/CN=${spec.cn}` : `/O=${spec.org}/CN=${spec.cn}`;
    openssl([
      ...newCertificate(`leaf-${n}`),
      "-subj",
      subject,
      "-CA",
      `ca-${n}.crt`,
      "-CAkey",
      `ca-${n}.key`,
      "-addext",
      "basicConstraints=critical,CA:FALSE",
      "-addext",
      "keyUsage=critical,digitalSignature",
      "-addext",
      `extendedKeyUsage=${spec.usage === "server" ? "serverAuth" : "clientAuth"}`,
      ...(sans.length > 0 ? ["-addext", `subjectAltName=${sans.join(",")}`] : []),
    ]);
    const [cert, key] = take([`leaf-${n}.crt`, `leaf-${n}.key`]);
    take([`ca-${n}.crt`, `ca-${n}.key`]);
    const out = { cert, key };
    cache.set(id, out);
    return out;
  });
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
