// @ts-check
/**
 * etcd snapshots on local disk: taking one from a control plane into the backups
 * folder, checking it as `talosctl etcd snapshot` does (etcd appends the sha256 of the
 * database: the size is a multiple of 512 plus 32), the record beside it (cluster, CA
 * fingerprint, sha256, size, node, time), pruning the oldest, and listing what is
 * there. A snapshot holds every Kubernetes Secret, so the folder is 0700 and every
 * file 0600, and nothing here ever prints a snapshot's bytes.
 */
"use strict";

const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");
const { Day2InputError } = require("./errors");

/** Bytes of the sha256 etcd appends to a snapshot (talosctl's `sha256.Size`). */
const TRAILER_BYTES = 32;

/**
 * What is recorded beside each snapshot, as `<snapshot>.json`.
 * @typedef {object} SnapshotRecord
 * @property {string} cluster
 * @property {string} [caFingerprint] SHA-256 fingerprint of the cluster's Talos CA
 *   certificate (colon hex, as `openssl x509 -fingerprint -sha256` prints it): two
 *   clusters of the same name do not share it. Absent in records older than it.
 * @property {boolean} [verified] The trailer was present and held the database's
 *   sha256 when the snapshot was taken. Absent in records older than the check.
 * @property {string} node The control plane it was taken from.
 * @property {string} takenAt ISO time.
 * @property {string} sha256 Hex, of the snapshot file's bytes.
 * @property {number} size Bytes.
 * @property {string} why What it was taken for (`before rollout: …`, `on demand`).
 */

/**
 * A snapshot on disk and its record.
 * @typedef {SnapshotRecord & { file: string }} Snapshot
 */

/** `2026-12-04T02:22:03.123Z` -> `20261204T022203Z`. @param {Date} at */
function stamp(at) {
  return at
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
}

/**
 * The snapshot folder, ready to write into. Missing folders are made 0700 one by one,
 * never through a symbolic link. An existing folder is never changed: it is refused
 * when it is a symbolic link, not a folder, not the operator's, or open to the group
 * or others, since every snapshot in it holds the cluster's Secrets.
 * @param {string} dir
 */
function ensureDir(dir) {
  const abs = path.resolve(dir);
  /** @type {string[]} */
  const missing = [];
  let at = abs;
  for (;;) {
    const st = lstatOrUndefined(at);
    if (st !== undefined) {
      if (at === abs) checkExistingDir(abs, st);
      break;
    }
    missing.unshift(at);
    const up = path.dirname(at);
    if (up === at) break;
    at = up;
  }
  for (const d of missing) {
    try {
      // Not recursive: each level is made here, so none is reached through a link.
      fs.mkdirSync(d, { mode: 0o700 });
    } catch (e) {
      if (/** @type {NodeJS.ErrnoException} */ (e).code !== "EEXIST") throw e;
      // Made meanwhile by someone else: the same checks as any existing folder.
      if (d === abs) checkExistingDir(abs, fs.lstatSync(abs));
    }
  }
}

/** @param {string} p */
function lstatOrUndefined(p) {
  try {
    return fs.lstatSync(p);
  } catch (e) {
    if (/** @type {NodeJS.ErrnoException} */ (e).code === "ENOENT") return undefined;
    throw e;
  }
}

/**
 * Refuses an existing snapshot folder that is not safe to write Secrets into.
 * @param {string} dir
 * @param {fs.Stats} st Its lstat.
 */
function checkExistingDir(dir, st) {
  const fix = "set backups.etcd.dir in cluster.yaml to a folder of your own, or fix this one";
  if (st.isSymbolicLink())
    throw new Day2InputError(
      `etcd snapshot folder ${dir} is a symbolic link: snapshots are written only into a real folder, not through a link; ${fix}`,
    );
  if (!st.isDirectory())
    throw new Day2InputError(`etcd snapshot folder ${dir} exists and is not a folder; ${fix}`);
  const uid = typeof process.getuid === "function" ? process.getuid() : undefined;
  if (uid !== undefined && st.uid !== uid)
    throw new Day2InputError(
      `etcd snapshot folder ${dir} belongs to user ${st.uid}, not to you (${uid}): snapshots hold every Kubernetes Secret; ${fix}`,
    );
  const mode = st.mode & 0o777;
  if ((mode & 0o077) !== 0)
    throw new Day2InputError(
      `etcd snapshot folder ${dir} is open to its group or others (mode ${mode.toString(8).padStart(4, "0")}): snapshots hold every Kubernetes Secret, so em-infra writes only into a folder that is yours alone. Run chmod 700 ${dir} (em-infra never changes a folder it did not make), or ${fix}`,
    );
}

/**
 * What a snapshot file says about itself: etcd ends a snapshot with the sha256 of the
 * database before it, so its size is a multiple of 512 plus 32 (the check in
 * talosctl's `etcd snapshot`, from etcd's client), and the trailer must match.
 * @typedef {object} SnapshotCheck
 * @property {number} size Bytes.
 * @property {string} sha256 Hex, of the whole file.
 * @property {"ok" | "missing" | "mismatch"} trailer `missing`: the size is not 512n+32
 *   (truncated, or a copy of the data directory); `mismatch`: the bytes changed.
 * @property {string} detail One line for a message.
 */

/**
 * Reads `file` once and checks its trailer. Pure apart from the read.
 * @param {string} file
 * @returns {SnapshotCheck}
 */
function checkSnapshotFile(file) {
  const whole = crypto.createHash("sha256");
  const body = crypto.createHash("sha256");
  const fd = fs.openSync(file, "r");
  let size = 0;
  /** @type {Buffer} */
  let trailer = Buffer.alloc(0);
  try {
    size = fs.fstatSync(fd).size;
    const bodyBytes = size - TRAILER_BYTES;
    const buf = Buffer.alloc(1 << 20);
    let pos = 0;
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      const chunk = buf.subarray(0, n);
      whole.update(chunk);
      const inBody = Math.max(0, Math.min(n, bodyBytes - pos));
      body.update(chunk.subarray(0, inBody));
      if (inBody < n) trailer = Buffer.concat([trailer, chunk.subarray(inBody)]);
      pos += n;
    }
    size = pos;
  } finally {
    fs.closeSync(fd);
  }
  const sha256 = whole.digest("hex");
  if (size % 512 !== TRAILER_BYTES)
    return {
      size,
      sha256,
      trailer: "missing",
      detail: `${size} bytes is not a multiple of 512 plus ${TRAILER_BYTES}, so it does not end with etcd's sha256: it is truncated, or not a snapshot (a copy of the data directory has no trailer)`,
    };
  const want = trailer.toString("hex");
  const have = body.digest("hex");
  if (want !== have)
    return {
      size,
      sha256,
      trailer: "mismatch",
      detail: `its trailer says sha256 ${want} but the ${size - TRAILER_BYTES} bytes before it hash to ${have}: the file is damaged`,
    };
  return { size, sha256, trailer: "ok", detail: `etcd's sha256 trailer matches (${want})` };
}

/**
 * The SHA-256 fingerprint of the first certificate in a PEM text, as
 * `openssl x509 -fingerprint -sha256` prints it.
 * @param {string} pem
 */
function caFingerprint(pem) {
  return new crypto.X509Certificate(pem).fingerprint256;
}

/**
 * Takes a snapshot of `node`'s etcd into `dir` as
 * `<cluster>-etcd-<time>-<node>.db`, checks its trailer, and writes its record beside
 * it. A snapshot whose trailer is missing or wrong is removed and the call throws,
 * naming the node and the file: it is never left to be counted as a backup.
 * @param {{ etcdSnapshot: (node: string, file: string) => Promise<{ file: string, sha256: string, size: number }> }} talos
 * @param {{ dir: string, cluster: string, caFingerprint: string, node: string, why: string, now?: () => Date }} opts
 * @returns {Promise<Snapshot>}
 */
async function takeSnapshot(talos, opts) {
  ensureDir(opts.dir);
  const at = (opts.now ?? (() => new Date()))();
  const base = path.join(opts.dir, `${opts.cluster}-etcd-${stamp(at)}-${opts.node}`);
  // Two in the same second (a snapshot by hand just before a rollout) keep both.
  let file = `${base}.db`;
  for (let n = 2; fs.existsSync(file); n++) file = `${base}-${n}.db`;
  const got = await talos.etcdSnapshot(opts.node, file);
  const check = checkSnapshotFile(file);
  if (check.trailer !== "ok" || check.sha256 !== got.sha256) {
    fs.rmSync(file, { force: true });
    throw new Error(
      `the snapshot ${opts.node} streamed failed its check and was removed (${file}): ${check.sha256 !== got.sha256 ? "the file on disk is not what was streamed" : check.detail}. Take another`,
    );
  }
  /** @type {SnapshotRecord} */
  const record = {
    cluster: opts.cluster,
    caFingerprint: opts.caFingerprint,
    verified: true,
    node: opts.node,
    takenAt: at.toISOString(),
    sha256: got.sha256,
    size: got.size,
    why: opts.why,
  };
  fs.writeFileSync(`${file}.json`, JSON.stringify(record, null, 2) + "\n", {
    mode: 0o600,
    flag: "wx",
  });
  return { ...record, file };
}

/**
 * A snapshot now from the cluster (`npm run day2 -- snapshot`): from the first control
 * plane, in inventory order, whose etcd member reports no errors; when none does (a
 * quorum lost), from the first that still streams one, since its own data is better
 * saved than wiped (Talos's disaster-recovery guide saves before it wipes). Then the
 * oldest beyond `keep` are pruned. Throws naming every control plane tried and why.
 * @param {{ etcdStatus: (node: string) => Promise<{ errors: string[], isLearner: boolean }>, etcdSnapshot: (node: string, file: string) => Promise<{ file: string, sha256: string, size: number }> }} talos
 * @param {{ controlPlanes: readonly string[], dir: string, cluster: string, caFingerprint: string, keep: number, why: string, now?: () => Date }} opts
 * @returns {Promise<{ taken: Snapshot, removed: string[], unhealthy: string | undefined }>}
 */
async function snapshotFromCluster(talos, opts) {
  /** @type {string[]} */
  const tried = [];
  /** @type {{ node: string, why: string }[]} */
  const sick = [];
  const take = async (/** @type {string} */ node) => {
    const taken = await takeSnapshot(talos, { ...opts, node });
    return { taken, removed: pruneSnapshots(opts.dir, opts.cluster, opts.keep) };
  };
  for (const node of opts.controlPlanes) {
    try {
      const st = await talos.etcdStatus(node);
      if (st.errors.length > 0 || st.isLearner) {
        sick.push({ node, why: st.isLearner ? "a learner" : st.errors.join("; ") });
        continue;
      }
      return { ...(await take(node)), unhealthy: undefined };
    } catch (e) {
      if (e instanceof Day2InputError) throw e;
      tried.push(`${node}: ${/** @type {Error} */ (e).message}`);
    }
  }
  for (const { node, why } of sick) {
    try {
      return { ...(await take(node)), unhealthy: why };
    } catch (e) {
      if (e instanceof Day2InputError) throw e;
      tried.push(`${node} (${why}): ${/** @type {Error} */ (e).message}`);
    }
  }
  throw new Error(
    `no control plane could give a snapshot: ${tried.join("; ")}. If etcd is lost, copy a member's database before any wipe: talosctl -n <ip> cp /var/lib/etcd/member/snap/db <folder> (docs/operations.md, Disaster recovery, step 2)`,
  );
}

/**
 * The cluster's snapshots in `dir` that have a record, oldest first.
 * @param {string} dir
 * @param {string} cluster
 * @returns {Snapshot[]}
 */
function listSnapshots(dir, cluster) {
  let names;
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  /** @type {Snapshot[]} */
  const out = [];
  for (const name of names.filter((n) => n.startsWith(`${cluster}-etcd-`) && n.endsWith(".db"))) {
    const file = path.join(dir, name);
    try {
      const record = /** @type {SnapshotRecord} */ (
        JSON.parse(fs.readFileSync(`${file}.json`, "utf8"))
      );
      // A snapshot recorded as failing its check is not a backup.
      if (record.verified !== false) out.push({ ...record, file });
    } catch {
      // A snapshot without its record is not one of ours to list or prune.
    }
  }
  // By time, then by when the file was written (two taken in the same second).
  const written = (/** @type {string} */ f) => fs.statSync(f).mtimeMs;
  return out.sort(
    (a, b) => a.takenAt.localeCompare(b.takenAt) || written(a.file) - written(b.file),
  );
}

/**
 * Removes the oldest of the cluster's snapshots until `keep` remain; returns the files removed.
 * @param {string} dir
 * @param {string} cluster
 * @param {number} keep
 */
function pruneSnapshots(dir, cluster, keep) {
  const all = listSnapshots(dir, cluster);
  const gone = all.slice(0, Math.max(0, all.length - Math.max(1, keep)));
  for (const s of gone) {
    fs.rmSync(s.file, { force: true });
    fs.rmSync(`${s.file}.json`, { force: true });
  }
  return gone.map((s) => s.file);
}

/**
 * The sha256 of a file, read in chunks.
 * @param {string} file
 */
function fileSha256(file) {
  const hash = crypto.createHash("sha256");
  const fd = fs.openSync(file, "r");
  try {
    const buf = Buffer.alloc(1 << 20);
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      hash.update(buf.subarray(0, n));
    }
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest("hex");
}

module.exports = {
  takeSnapshot,
  snapshotFromCluster,
  listSnapshots,
  pruneSnapshots,
  fileSha256,
  checkSnapshotFile,
  caFingerprint,
  ensureDir,
  TRAILER_BYTES,
};
