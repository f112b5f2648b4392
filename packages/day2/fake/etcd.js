// @ts-check
/**
 * The fake cluster's etcd: one membership list shared by the control planes, with
 * uint64 member ids above 2^53 (so a client that loses precision is caught), learners,
 * a leader, and health derived from the nodes' state and the injected faults.
 */
"use strict";

const crypto = require("node:crypto");
const grpc = require("@grpc/grpc-js");

/**
 * @typedef {object} FakeEtcdMember
 * @property {string} id uint64 as a decimal string.
 * @property {string} hostname The node name.
 * @property {string} ip
 * @property {boolean} isLearner
 */

/** @param {string} details */
function precondition(details) {
  return Object.assign(new Error(details), {
    code: grpc.status.FAILED_PRECONDITION,
    details,
    metadata: new grpc.Metadata(),
  });
}

/** A random member id with the top bit set: always above Number.MAX_SAFE_INTEGER. */
function memberId() {
  return (crypto.randomBytes(8).readBigUInt64BE() | (1n << 63n)).toString();
}

class FakeEtcd {
  /**
   * @param {{ isUp: (name: string) => boolean, unhealthy: readonly string[] }} health
   * @param {readonly { name: string, ip: string }[]} members
   * @param {readonly string[]} learners
   */
  constructor(health, members, learners) {
    /** @private */ this.health = health;
    /** @type {FakeEtcdMember[]} */
    this.members = members.map((m) => ({
      id: memberId(),
      hostname: m.name,
      ip: m.ip,
      isLearner: learners.includes(m.name),
    }));
    /** The leader's member id. @type {string | undefined} */
    this.leader = this.members.find((m) => !m.isLearner)?.id;
    /** Grows with every membership change. */
    this.raftIndex = 1000;
    /**
     * The database (bbolt, whole 4 KiB pages): random bytes, replaced by a recovery.
     * @type {Buffer}
     */
    this.db = crypto.randomBytes(50 * 4096);
    /** Quorum lost (`loseQuorum`): every member reports errors, none leads. */
    this.quorumLost = false;
  }

  /**
   * What a snapshot streams, as etcd's Maintenance.Snapshot does: the database, then
   * the sha256 of it (32 bytes), so the size is a multiple of 512 plus 32.
   */
  get data() {
    return Buffer.concat([this.db, crypto.createHash("sha256").update(this.db).digest()]);
  }

  /** Every member loses its peers: no leader, no quorum, until a recovery. */
  loseQuorum() {
    this.quorumLost = true;
    this.leader = undefined;
  }

  /**
   * What etcd's restore makes of an uploaded file (etcdutl's snapshot restore): a
   * trailing sha256 (size 512n+32) is checked unless `skipHashCheck`, then cut off; a
   * file without one is refused unless `skipHashCheck` (a copy of the data directory).
   * Returns the database, or why the restore failed.
   * @param {Buffer} file
   * @param {boolean} skipHashCheck
   * @returns {{ db: Buffer } | { error: string }}
   */
  static restore(file, skipHashCheck) {
    const hasHash = file.length % 512 === 32;
    if (!hasHash && !skipHashCheck)
      return { error: "snapshot missing hash but --skip-hash-check=false" };
    if (!hasHash) return { db: file };
    const db = file.subarray(0, file.length - 32);
    const want = file.subarray(file.length - 32).toString("hex");
    const have = crypto.createHash("sha256").update(db).digest("hex");
    if (!skipHashCheck && want !== have) return { error: `expected sha256 ${want}, got ${have}` };
    return { db: Buffer.from(db) };
  }

  /**
   * Starts etcd afresh on `node` from a restored database (a recovering bootstrap) or
   * empty: it is the only member until others join.
   * @param {{ name: string, ip: string }} node
   * @param {Buffer | undefined} db
   */
  bootstrap(node, db) {
    const id = memberId();
    this.members = [{ id, hostname: node.name, ip: node.ip, isLearner: false }];
    this.leader = id;
    this.quorumLost = false;
    this.raftIndex++;
    if (db !== undefined) this.db = db;
  }

  /** A control plane joining a running etcd. @param {{ name: string, ip: string }} node */
  join(node) {
    if (this.memberOf(node.name) !== undefined) return;
    this.members.push({ id: memberId(), hostname: node.name, ip: node.ip, isLearner: false });
    this.raftIndex++;
  }

  /** @param {string} name */
  memberOf(name) {
    return this.members.find((m) => m.hostname === name);
  }

  /** Whether the member on node `name` is up and not faulted. @param {string} name */
  healthy(name) {
    return (
      !this.quorumLost &&
      this.memberOf(name) !== undefined &&
      this.health.isUp(name) &&
      !this.health.unhealthy.includes(name)
    );
  }

  /** Members that vote (not learners). */
  voters() {
    return this.members.filter((m) => !m.isLearner);
  }

  /** Whether a majority of voters is healthy. */
  hasQuorum() {
    const v = this.voters();
    return v.filter((m) => this.healthy(m.hostname)).length > Math.floor(v.length / 2);
  }

  /**
   * Refuses (FAILED_PRECONDITION) when removing `name` would leave no healthy majority.
   * @param {string} name
   */
  checkCanRemove(name) {
    const rest = this.voters().filter((m) => m.hostname !== name);
    const healthy = rest.filter((m) => this.healthy(m.hostname)).length;
    if (rest.length === 0 || healthy <= Math.floor(rest.length / 2)) {
      throw precondition(
        `removing ${name} would leave etcd without a healthy majority (${healthy} of ${rest.length} healthy)`,
      );
    }
  }

  /** @param {string} name */
  remove(name) {
    const m = this.memberOf(name);
    if (m === undefined) return;
    this.members = this.members.filter((x) => x !== m);
    this.raftIndex++;
    if (this.leader === m.id) this.leader = this.voters().find((x) => this.healthy(x.hostname))?.id;
  }

  /**
   * Moves leadership off `id` when it leads; returns the new leader's hostname.
   * @param {string} id
   */
  forfeit(id) {
    if (this.leader !== id) return undefined;
    const next = this.voters().find((m) => m.id !== id && this.healthy(m.hostname));
    if (next === undefined) return undefined;
    this.leader = next.id;
    this.raftIndex++;
    return next.hostname;
  }

  /** What Talos checks before a legacy upgrade: no 2-member cluster, every member healthy. */
  validateForUpgrade() {
    const voters = this.voters();
    if (voters.length === 2)
      throw precondition("etcd has 2 members: upgrading one of them would lose quorum");
    const sick = voters.filter((m) => !this.healthy(m.hostname));
    if (sick.length > 0)
      throw precondition(`etcd member ${sick.map((m) => m.hostname).join(", ")} is not healthy`);
  }
}

module.exports = { FakeEtcd };
