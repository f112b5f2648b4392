// @ts-check
/**
 * etcd snapshots on local disk: taking one from a control plane into the backups
 * folder, the record beside it (sha256, size, node, time), pruning the oldest, and
 * listing what is there. A snapshot holds every Kubernetes Secret, so the folder is
 * 0700 and every file 0600, and nothing here ever prints a snapshot's bytes.
 */
"use strict";

const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");

/**
 * What is recorded beside each snapshot, as `<snapshot>.json`.
 * @typedef {object} SnapshotRecord
 * @property {string} cluster
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
 * The folder, made 0700 (and tightened to it if it was wider).
 * @param {string} dir
 */
function ensureDir(dir) {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  if ((fs.statSync(dir).mode & 0o077) !== 0) fs.chmodSync(dir, 0o700);
}

/**
 * Takes a snapshot of `node`'s etcd into `dir` as
 * `<cluster>-etcd-<time>-<node>.db`, with its record beside it.
 * @param {{ etcdSnapshot: (node: string, file: string) => Promise<{ file: string, sha256: string, size: number }> }} talos
 * @param {{ dir: string, cluster: string, node: string, why: string, now?: () => Date }} opts
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
  /** @type {SnapshotRecord} */
  const record = {
    cluster: opts.cluster,
    node: opts.node,
    takenAt: at.toISOString(),
    sha256: got.sha256,
    size: got.size,
    why: opts.why,
  };
  fs.writeFileSync(`${file}.json`, JSON.stringify(record, null, 2) + "\n", { mode: 0o600 });
  return { ...record, file };
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
      out.push({ ...record, file });
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

module.exports = { takeSnapshot, listSnapshots, pruneSnapshots, fileSha256 };
