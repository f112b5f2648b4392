// @ts-check
/**
 * Disaster recovery of etcd through the Talos API, as `talosctl bootstrap
 * --recover-from` does it, with the checks that keep it from losing data: the file is
 * whole (etcd's sha256 trailer) and this cluster's (the record's name and CA
 * fingerprint); every control plane of the inventory waits with an empty etcd
 * (`Preparing`), or is named as missing; then EtcdRecover, Bootstrap with
 * `recover_etcd`, and a wait until etcd runs, healthy, from the restored data. Talos
 * restores after Bootstrap has answered, so a file etcd refuses shows only there.
 */
"use strict";

const fs = require("node:fs");
const { Day2InputError } = require("./errors");
const { checkSnapshotFile, caFingerprint } = require("./snapshots");
const { delay } = require("./retry");

/**
 * Recovery refused, or failed after it began. `sent` says whether anything reached a
 * node. The message names the node or file and what to do.
 */
class RecoverError extends Error {
  /**
   * @param {string} message
   * @param {boolean} sent
   */
  constructor(message, sent) {
    super(message);
    this.name = "RecoverError";
    this.sent = sent;
  }
}

/**
 * @typedef {object} RecoverOptions
 * @property {string} cluster The inventory's cluster name.
 * @property {string} ca The CA certificate (PEM) the client trusts: the cluster's Talos CA.
 * @property {readonly { name: string, ip: string }[]} controlPlanes The inventory's, in order.
 * @property {string} node The control plane to bootstrap from the file.
 * @property {{ snapshot: string, sha256?: string } | { dataDir: string }} from A snapshot
 *   (`talosctl etcd snapshot`, `npm run day2 -- snapshot`), or a copy of a member's
 *   `/var/lib/etcd/member/snap/db`.
 * @property {readonly string[]} missing Control planes that do not answer and are known
 *   to be gone (their VMs recreated later; they join the recovered etcd then).
 * @property {boolean} forceOtherCluster Restore a file whose record names another
 *   cluster, another CA, or nothing.
 * @property {number} [waitMs] How long to wait for etcd after the bootstrap. Default 5 min.
 * @property {number} [pollMs] Default 2000.
 * @property {(line: string) => void} log Progress, one line at a time.
 */

/**
 * @typedef {object} RecoverTalos
 * @property {(node: string) => Promise<{ id: string, state: string, healthy: boolean, lastMessage: string }[]>} serviceList
 * @property {(node: string) => Promise<{ hostname: string, isLearner: boolean }[]>} etcdMemberList
 * @property {(node: string, file: string) => Promise<{ size: number }>} etcdRecover
 * @property {(node: string, opts: { recoverEtcd: boolean, recoverSkipHashCheck: boolean }) => Promise<void>} bootstrap
 */

/**
 * What recover checks in the file before anything is sent; throws on a file it
 * refuses. Returns the lines to show, and the checks it could not make.
 * @param {RecoverOptions} opts
 * @returns {{ file: string, dataDir: boolean, lines: string[], cannot: string[] }}
 */
function checkRecoverFile(opts) {
  const dataDir = "dataDir" in opts.from;
  const file = "dataDir" in opts.from ? opts.from.dataDir : opts.from.snapshot;
  const flag = dataDir ? "--from-data-dir" : "--from";
  let st;
  try {
    st = fs.statSync(file);
  } catch (e) {
    const code = /** @type {NodeJS.ErrnoException} */ (e).code;
    throw new Day2InputError(
      `${flag} ${file}: ${code === "ENOENT" ? "no such file" : (code ?? "unreadable")}`,
    );
  }
  if (st.isDirectory())
    throw new Day2InputError(
      `${flag} ${file}: is a folder, not a file; pass the file itself, e.g. ${file.replace(/\/$/, "")}/${opts.cluster}-etcd-<time>-<node>.db (npm run day2 -- status names the newest)`,
    );
  const check = checkSnapshotFile(file);
  /** @type {string[]} */
  const lines = [];
  /** @type {string[]} */
  const cannot = [];
  if (dataDir) {
    if (check.trailer === "ok")
      throw new RecoverError(
        `Refused: --from-data-dir ${file} ends with etcd's sha256 trailer: it is a snapshot, not a copy of the data directory. Pass it as --from ${file}, so that its hash is checked; nothing was sent.`,
        false,
      );
    cannot.push(
      "whether the file is whole: a copy of the data directory has no sha256 trailer, so etcd restores it without the hash check (recover_skip_hash_check, talosctl's --recover-skip-hash-check)",
      "which cluster it comes from: it has no record beside it",
    );
    lines.push(`${file}: a copy of etcd's data directory, ${check.size} bytes`);
    return { file, dataDir, lines, cannot };
  }
  const given = "sha256" in opts.from ? opts.from.sha256 : undefined;
  if (check.trailer !== "ok")
    throw new RecoverError(
      `Refused: --from ${file}: ${check.detail}. Use another snapshot; if this is a copy of /var/lib/etcd/member/snap/db, pass it as --from-data-dir ${file}. Nothing was sent.`,
      false,
    );
  lines.push(`${file}: ${check.detail}`);
  /** @type {Record<string, unknown> | undefined} */
  let record;
  try {
    record = JSON.parse(fs.readFileSync(`${file}.json`, "utf8"));
  } catch (e) {
    const code = /** @type {NodeJS.ErrnoException} */ (e).code;
    if (code !== "ENOENT")
      throw new Day2InputError(
        `${file}.json: not a snapshot record (${/** @type {Error} */ (e).message})`,
      );
  }
  const want = given ?? (typeof record?.sha256 === "string" ? record.sha256 : undefined);
  if (want !== undefined) {
    if (want.toLowerCase() !== check.sha256)
      throw new RecoverError(
        `Refused: --from ${file}: its sha256 is ${check.sha256}, not ${want} (${given !== undefined ? "--sha256" : `its record ${file}.json`}): the file is not the one recorded. Nothing was sent.`,
        false,
      );
    lines.push(
      `${file}: sha256 ${check.sha256} matches ${given !== undefined ? "--sha256" : "its record"}`,
    );
  }
  const ours = caFingerprint(opts.ca);
  /** @type {string[]} */
  const whose = [];
  if (record === undefined)
    whose.push(`it has no record beside it (${file}.json) to say whose it is`);
  else {
    if (record.cluster !== opts.cluster)
      whose.push(
        `its record says cluster ${JSON.stringify(record.cluster)}, this is ${opts.cluster}`,
      );
    if (typeof record.caFingerprint !== "string")
      whose.push(
        "its record predates CA fingerprints, so it cannot tell two clusters of one name apart",
      );
    else if (record.caFingerprint !== ours)
      whose.push(
        `its record's CA fingerprint ${record.caFingerprint} is not this cluster's (${ours}): another cluster of the same name`,
      );
  }
  if (whose.length > 0) {
    if (!opts.forceOtherCluster)
      throw new RecoverError(
        `Refused: --from ${file} may be another cluster's: ${whose.join("; ")}. Its Secrets would be unreadable under this cluster's encryption key and its nodes unknown here. Use a snapshot of ${opts.cluster}; if you know this one is, pass --force-other-cluster. Nothing was sent.`,
        false,
      );
    cannot.push(`that it is this cluster's (--force-other-cluster): ${whose.join("; ")}`);
  } else lines.push(`${file}: taken from cluster ${opts.cluster}, same CA (${ours})`);
  return { file, dataDir, lines, cannot };
}

/**
 * The etcd service of each inventory control plane, as ServiceList reports it. Every
 * one must be `Preparing` (empty data, waiting to join or be bootstrapped), or not
 * answer and be named in `missing`; `node` must answer. Throws naming each that is not.
 * @param {RecoverTalos} talos
 * @param {RecoverOptions} opts
 * @returns {Promise<string[]>} The lines to show.
 */
async function checkControlPlanes(talos, opts) {
  /** @type {string[]} */
  const problems = [];
  /** @type {string[]} */
  const lines = [];
  for (const cp of opts.controlPlanes) {
    /** @type {{ state: string, lastMessage: string } | undefined} */
    let etcd;
    try {
      etcd = (await talos.serviceList(cp.name)).find((s) => s.id === "etcd");
    } catch (e) {
      const why = /** @type {Error} */ (e).message;
      if (opts.missing.includes(cp.name) && cp.name !== opts.node) {
        lines.push(`${cp.name}: does not answer, named missing: it joins when its VM is back`);
        continue;
      }
      problems.push(
        cp.name === opts.node
          ? `${cp.name}, the node to recover on, does not answer (${why}); bring it up, or recover on another control plane`
          : `${cp.name} does not answer (${why}); if its VM is gone and will be recreated later, name it with --missing ${cp.name}; otherwise bring it up first`,
      );
      continue;
    }
    const state = etcd?.state ?? "absent";
    if (state === "Preparing") {
      lines.push(`${cp.name}: etcd Preparing (empty, waiting for a bootstrap)`);
      continue;
    }
    const wipe = `talosctl -n ${cp.ip} reset --graceful=false --reboot --system-labels-to-wipe=EPHEMERAL`;
    switch (state) {
      case "Running":
        problems.push(
          `${cp.name}'s etcd is Running, with its own data: it would never join the recovered etcd. Save what it holds first (npm run day2 -- snapshot, or talosctl -n ${cp.ip} cp /var/lib/etcd/member/snap/db .), then wipe its EPHEMERAL: ${wipe}`,
        );
        break;
      case "Waiting":
        problems.push(
          `${cp.name}'s etcd is Waiting (${etcd?.lastMessage || "for its conditions"}): not ready for a recovery yet; run recover again once it is Preparing (talosctl -n ${cp.ip} service etcd)`,
        );
        break;
      case "absent":
        problems.push(
          `${cp.name} reports no etcd service; is it a control plane booted with its configuration?`,
        );
        break;
      default:
        problems.push(
          `${cp.name}'s etcd is ${state} (${etcd?.lastMessage ?? ""}); wipe its EPHEMERAL so that it waits for a bootstrap: ${wipe}`,
        );
    }
  }
  if (problems.length > 0)
    throw new RecoverError(
      `Refused: every control plane's etcd must wait for a bootstrap (Preparing) before a recovery, or not answer and be named with --missing. Nothing was sent.\n${problems.map((p) => `  ${p}`).join("\n")}`,
      false,
    );
  return lines;
}

/**
 * Runs a recovery: checks, upload, recovering bootstrap, then waits until `node`'s
 * etcd runs healthy and the other answering control planes have joined.
 * @param {RecoverTalos} talos
 * @param {RecoverOptions} opts
 * @returns {Promise<{ node: string, members: string[], cannot: string[] }>}
 */
async function recoverEtcd(talos, opts) {
  const cps = opts.controlPlanes.map((c) => c.name);
  if (!cps.includes(opts.node))
    throw new Day2InputError(
      `--node ${opts.node}: not a control plane of the inventory (${cps.join(", ")})`,
    );
  for (const m of opts.missing) {
    if (!cps.includes(m))
      throw new Day2InputError(
        `--missing ${m}: not a control plane of the inventory (${cps.join(", ")})`,
      );
    if (m === opts.node)
      throw new Day2InputError(`--missing ${m}: it is the node to recover on (--node)`);
  }
  const file = checkRecoverFile(opts);
  for (const l of file.lines) opts.log(l);
  for (const l of await checkControlPlanes(talos, opts)) opts.log(l);
  for (const c of file.cannot) opts.log(`not checked: ${c}`);

  const sent = await talos.etcdRecover(opts.node, file.file);
  opts.log(`${opts.node}: uploaded ${file.file} (${sent.size} bytes)`);
  await talos.bootstrap(opts.node, { recoverEtcd: true, recoverSkipHashCheck: file.dataDir });
  opts.log(
    `${opts.node}: bootstrap with recover_etcd${file.dataDir ? " and recover_skip_hash_check" : ""} accepted; etcd restores now`,
  );

  // Talos restores in etcd's pre-start step, after Bootstrap answered: only the
  // service's state tells whether the file was taken.
  const waitMs = opts.waitMs ?? 300000;
  const pollMs = opts.pollMs ?? 2000;
  const until = Date.now() + waitMs;
  const others = opts.controlPlanes.filter(
    (c) => c.name !== opts.node && !opts.missing.includes(c.name),
  );
  let last = "no answer yet";
  for (;;) {
    try {
      const etcd = (await talos.serviceList(opts.node)).find((s) => s.id === "etcd");
      last =
        etcd === undefined
          ? "no etcd service"
          : `${etcd.state}${etcd.healthy ? ", healthy" : ""}${etcd.lastMessage ? ` (${etcd.lastMessage})` : ""}`;
      // `Finished` ("Bootstrap requested") is the old service, stopped for the new one.
      if (etcd?.state === "Failed")
        throw new RecoverError(
          `The restore failed on ${opts.node}: its etcd is ${last}. etcd did not take ${file.file}. Wipe ${opts.node}'s EPHEMERAL (talosctl -n ${opts.controlPlanes.find((c) => c.name === opts.node)?.ip} reset --graceful=false --reboot --system-labels-to-wipe=EPHEMERAL) and run recover again with another snapshot${file.dataDir ? "" : ", or a copy of a member's data directory with --from-data-dir"}.`,
          true,
        );
      if (etcd?.state === "Running" && etcd.healthy) {
        const members = (await talos.etcdMemberList(opts.node)).filter((m) => !m.isLearner);
        const names = members.map((m) => m.hostname);
        last = `members ${names.join(", ")}`;
        if (others.every((o) => names.includes(o.name))) {
          opts.log(
            `${opts.node}: etcd runs, healthy, restored; voting members: ${names.join(", ")}`,
          );
          return { node: opts.node, members: names, cannot: file.cannot };
        }
      }
    } catch (e) {
      if (e instanceof RecoverError) throw e;
      last = /** @type {Error} */ (e).message;
    }
    if (Date.now() >= until)
      throw new RecoverError(
        `The snapshot was sent and the bootstrap accepted on ${opts.node}, but after ${Math.round(waitMs / 1000)} s etcd is not yet healthy with every answering control plane (${others.map((o) => o.name).join(", ") || "none"}) as a member: last seen ${last}. Watch it with npm run day2 -- status and talosctl -n <ip> service etcd; do not run recover again on a node whose etcd runs.`,
        true,
      );
    await delay(pollMs);
  }
}

module.exports = { recoverEtcd, checkRecoverFile, checkControlPlanes, RecoverError };
