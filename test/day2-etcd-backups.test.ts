/**
 * etcd snapshots against the fake cluster: the rollout takes one before anything else
 * when it will disturb a control plane (and never otherwise), keeps the newest few, and
 * stops before any change when the snapshot fails; `npm run day2 -- snapshot` takes one
 * on demand; `recover` uploads exactly the file's bytes and bootstraps from them, and
 * only on a control plane whose etcd waits for a bootstrap; `status` knows the newest
 * snapshot's age.
 */
import { strict as assert } from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as day2 from "../packages/day2";
import type { FakeCluster } from "../packages/day2/fake";
import { rejection } from "./support/day2";
import { full, rig } from "./support/day2Cli";
import {
  fake,
  inputsFor,
  providerFor,
  rolloutWorkDir,
  seqOf,
  touches,
  type InputOptions,
  type RolloutOutputs,
} from "./support/rollout";
import { tempDir } from "./support/tmp";

const ALL = ["cp-1", "cp-2", "cp-3", "w-1", "w-2"];
const DEV = path.resolve(__dirname, "..", "inventory", "dev");

/** Fails when `text` holds a line of any key or certificate the fake handed out. */
function noKeyMaterial(c: FakeCluster, text: string) {
  for (const [name, pem] of Object.entries(c.secretMaterial())) {
    const line = pem.split("\n").find((l) => l.length > 40 && !l.startsWith("-----"))!;
    assert.ok(!text.includes(line), `${name} printed`);
  }
}

const sha256 = (b: Buffer) => crypto.createHash("sha256").update(b).digest("hex");
const mode = (f: string) => fs.statSync(f).mode & 0o777;

/** A clock that moves a second at each look, so every snapshot has its own time. */
function ticking(start = Date.parse("2026-12-04T09:00:00Z")) {
  let t = start;
  return () => new Date((t += 1000));
}

describe("etcd snapshots: before a rollout that disturbs a control plane", () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir("backups");
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const backups = (keep = 10) => ({ beforeRollout: true, keep, dir });

  async function created(c: FakeCluster, o: InputOptions) {
    const { provider, lines } = providerFor({ now: ticking() });
    const olds = (await provider.create(inputsFor(c, o))).outs as RolloutOutputs;
    return { provider, lines, olds };
  }

  it("a Talos upgrade of 3 control planes: one snapshot, before the first disruptive call, byte for byte what etcd streamed", async () => {
    const c = await fake();
    try {
      const { provider, lines, olds } = await created(c, { talosVersion: "v1.13.0" });
      const news = inputsFor(c, { talosVersion: "v1.13.3", backups: backups() });
      await provider.update("fake-rollout", olds, news);
      const calls = c.log.calls({ call: "EtcdSnapshot" });
      assert.equal(calls.length, 1, c.log.toString());
      const firstChange = Math.min(...ALL.map((n) => touches(c, n)[0]?.seq ?? Infinity));
      assert.ok(calls[0].seq < firstChange, "the snapshot came before anything changed");
      const files = fs.readdirSync(dir).sort();
      assert.equal(files.length, 2, files.join(", "));
      const [db, record] = files.map((f) => path.join(dir, f));
      assert.match(path.basename(db), /^fake-etcd-20261204T\d{6}Z-cp-1\.db$/);
      const bytes = fs.readFileSync(db);
      assert.ok(bytes.equals(c.etcd.data), "the file holds exactly the streamed bytes");
      const sent = c.log.entries.find((e) => e.call === "snapshot-sent")!;
      const rec = JSON.parse(fs.readFileSync(record, "utf8"));
      assert.equal(rec.sha256, sent.outcome, "the recorded sha256 is what the fake streamed");
      assert.equal(rec.sha256, sha256(bytes));
      assert.equal(rec.size, bytes.length);
      assert.equal(rec.node, "cp-1");
      assert.match(rec.why, /^before rollout: a Talos upgrade of cp-1, cp-2, cp-3$/);
      assert.equal(mode(dir), 0o700);
      for (const f of [db, record]) assert.equal(mode(f), 0o600, f);
      const shown = path.relative(rolloutWorkDir(), db);
      assert.ok(
        lines.some((l) =>
          l.startsWith(
            `etcd snapshot ${shown} (${bytes.length} bytes, sha256 ${rec.sha256.slice(0, 16)}…)`,
          ),
        ),
        lines.join("\n"),
      );
    } finally {
      c.stop();
    }
  });

  it("keep: 2 and three runs that touch a control plane leave the two newest", async () => {
    const c = await fake();
    try {
      const { provider, olds } = await created(c, {});
      let outs = olds;
      for (const change of ["one", "two", "three"]) {
        const news = inputsFor(c, { extraConfig: change, backups: backups(2) });
        outs = (await provider.update("fake-rollout", outs, news)).outs;
      }
      const kept = day2.listSnapshots(dir, "fake");
      assert.equal(kept.length, 2, fs.readdirSync(dir).join(", "));
      assert.equal(fs.readdirSync(dir).length, 4, "each kept snapshot with its record");
      assert.equal(c.log.calls({ call: "EtcdSnapshot" }).length, 3);
      // The oldest went: the two left are the second and third runs'.
      assert.ok(
        kept.every((s) => s.takenAt > "2026-12-04T09:00:02.000Z"),
        JSON.stringify(kept),
      );
    } finally {
      c.stop();
    }
  });

  it("a failed snapshot stops the run before any node is cordoned, drained or upgraded, naming the node", async () => {
    for (const fault of ["snapshotFails", "snapshotEmpty"] as const) {
      const c = await fake({ faults: { [fault]: ["cp-1"] } });
      try {
        const { provider, olds } = await created(c, { talosVersion: "v1.13.0" });
        const news = inputsFor(c, { talosVersion: "v1.13.3", backups: backups() });
        const err = await rejection(provider.update("fake-rollout", olds, news));
        assert.match(
          err.message,
          /^the etcd snapshot before rollout: a Talos upgrade of cp-1, cp-2, cp-3 failed on cp-1, so nothing was changed: cp-1 \(10\.20\.0\.11 via [^)]+\): Talos (EtcdSnapshot failed: (INTERNAL: snapshot stream broke|EMPTY: the snapshot stream held no bytes))/,
        );
        for (const n of ALL) assert.deepEqual(touches(c, n), [], `${fault}: ${n} was touched`);
        assert.equal(seqOf(c, { call: "PATCH node" }), -1);
        assert.deepEqual(fs.readdirSync(dir), [], `${fault}: no file that looks complete`);
      } finally {
        c.stop();
      }
    }
  });

  it("a snapshot whose sha256 trailer is cut short fails the pre-step before any change, and leaves no file counted as a backup", async () => {
    const c = await fake({ faults: { snapshotTruncated: ["cp-1"] } });
    try {
      const { provider, olds } = await created(c, { talosVersion: "v1.13.0" });
      const news = inputsFor(c, { talosVersion: "v1.13.3", backups: backups(1) });
      const err = await rejection(provider.update("fake-rollout", olds, news));
      assert.match(
        err.message,
        /^the etcd snapshot before rollout: a Talos upgrade of cp-1, cp-2, cp-3 failed on cp-1, so nothing was changed: the snapshot cp-1 streamed failed its check and was removed \(.*fake-etcd-\d{8}T\d{6}Z-cp-1\.db\): \d+ bytes is not a multiple of 512 plus 32, so it does not end with etcd's sha256: it is truncated/,
      );
      for (const n of ALL) assert.deepEqual(touches(c, n), [], `${n} was touched`);
      assert.deepEqual(fs.readdirSync(dir), [], "no file left, so none counted");
      assert.deepEqual(day2.listSnapshots(dir, "fake"), []);
    } finally {
      c.stop();
    }
  });

  it("a snapshot's record carries the cluster's CA fingerprint and says its trailer was checked; listSnapshots leaves out one recorded as failing", async () => {
    const c = await fake();
    try {
      const { provider, olds } = await created(c, {});
      const news = inputsFor(c, { extraConfig: "one", backups: backups() });
      await provider.update("fake-rollout", olds, news);
      const [s] = day2.listSnapshots(dir, "fake");
      const ca = new crypto.X509Certificate(
        Buffer.from(c.clientConfiguration.caCertificate, "base64").toString("utf8"),
      );
      assert.equal(s.caFingerprint, ca.fingerprint256);
      assert.equal(s.verified, true);
      assert.equal(day2.checkSnapshotFile(s.file).trailer, "ok");
      fs.writeFileSync(
        `${s.file}.json`,
        JSON.stringify({ ...s, file: undefined, verified: false }),
      );
      assert.deepEqual(day2.listSnapshots(dir, "fake"), []);
    } finally {
      c.stop();
    }
  });

  it("takes none for a change that touches only workers, nor when beforeRollout is off; editing the settings alone rolls nothing", async () => {
    const c = await fake();
    try {
      const { provider, olds } = await created(c, { schematic: "a".repeat(64) });
      // A schematic change on the workers only: their rolled state says they need it.
      const news = inputsFor(c, { backups: backups() });
      for (const n of ["w-1", "w-2"]) olds.rolled[n].schematic = "b".repeat(64);
      const outs = (await provider.update("fake-rollout", olds, news)).outs;
      assert.equal(c.log.calls({ call: "EtcdSnapshot" }).length, 0);
      const off = inputsFor(c, {
        extraConfig: "control planes too",
        backups: { ...backups(), beforeRollout: false },
      });
      await provider.update("fake-rollout", outs, off);
      assert.equal(c.log.calls({ call: "EtcdSnapshot" }).length, 0);
      const settingsOnly = { ...news, backups: { etcd: { ...backups(3), dir: "/elsewhere" } } };
      assert.equal((await provider.diff("fake-rollout", outs, settingsOnly)).changes, false);
    } finally {
      c.stop();
    }
  });
});

describe("etcd snapshots: the folder and the partial file", () => {
  let root: string;
  beforeEach(() => {
    root = tempDir("snapdir");
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  /** A Talos client whose snapshot is a fixed well-formed stream, through the real client's file handling. */
  const streamed = (bytes: Buffer) => ({
    etcdSnapshot: async (_node: string, file: string) => {
      fs.writeFileSync(`${file}.partial`, bytes, { flag: "wx", mode: 0o600 });
      fs.renameSync(`${file}.partial`, file);
      return { file, sha256: sha256(bytes), size: bytes.length };
    },
  });
  const db = Buffer.alloc(1024, 7);
  const snap = Buffer.concat([db, crypto.createHash("sha256").update(db).digest()]);
  const opts = (dir: string) => ({
    dir,
    cluster: "c",
    caFingerprint: "AA",
    node: "cp-1",
    why: "t",
  });

  it("makes missing folders 0700, one by one", async () => {
    const dir = path.join(root, "a", "b");
    const taken = await day2.takeSnapshot(streamed(snap), opts(dir));
    assert.equal(mode(path.join(root, "a")), 0o700);
    assert.equal(mode(dir), 0o700);
    assert.equal(mode(taken.file), 0o600);
  });

  it("refuses a symbolic link, a folder open to others, and never changes their mode", async () => {
    const real = path.join(root, "real");
    fs.mkdirSync(real, { mode: 0o700 });
    const link = path.join(root, "link");
    fs.symlinkSync(real, link);
    await assert.rejects(
      day2.takeSnapshot(streamed(snap), opts(link)),
      new RegExp(`^Day2InputError: etcd snapshot folder ${link} is a symbolic link: `),
    );
    assert.deepEqual(fs.readdirSync(real), []);
    const open = path.join(root, "open");
    fs.mkdirSync(open);
    fs.chmodSync(open, 0o755);
    await assert.rejects(
      day2.takeSnapshot(streamed(snap), opts(open)),
      new RegExp(
        `^Day2InputError: etcd snapshot folder ${open} is open to its group or others \\(mode 0755\\): .*Run chmod 700 ${open}`,
      ),
    );
    assert.equal(mode(open), 0o755, "its mode is left as it was");
    assert.deepEqual(fs.readdirSync(open), []);
  });

  it("the Talos client removes a leftover .partial and creates its own exclusively", async () => {
    const c = await fake();
    const talos = day2.createTalosClient({
      credentials: c.clientConfiguration,
      nodes: c.nodes.map((n) => ({ name: n.name, ip: n.ip })),
      endpoints: c.endpoints,
    });
    try {
      const file = path.join(root, "x.db");
      // A leftover planted as a link: writing through it would overwrite its target.
      const target = path.join(root, "target");
      fs.writeFileSync(target, "not a snapshot");
      fs.symlinkSync(target, `${file}.partial`);
      const got = await talos.etcdSnapshot("cp-1", file);
      assert.ok(fs.readFileSync(file).equals(c.etcd.data));
      assert.equal(got.size, c.etcd.data.length);
      assert.ok(!fs.existsSync(`${file}.partial`));
      assert.equal(fs.readFileSync(target, "utf8"), "not a snapshot");
      assert.equal(mode(file), 0o600);
    } finally {
      talos.close();
      c.stop();
    }
  });
});

describe("npm run day2 -- snapshot, recover, and status", () => {
  it("snapshot: into backups/<stack>, printed with its sha256, 0600, no key material", async () => {
    const r = await rig(DEV);
    try {
      const { code, out } = await r.command("snapshot", [
        DEV,
        "--talosconfig",
        r.files.talosconfig,
        "--endpoints",
        r.files.endpoints,
        "--wide",
      ]);
      assert.equal(code, 0, out);
      const dir = path.join(r.dir, "backups", "dev");
      const [db] = fs.readdirSync(dir).filter((f) => f.endsWith(".db"));
      const bytes = fs.readFileSync(path.join(dir, db));
      assert.ok(bytes.equals(r.cluster.etcd.data));
      assert.match(out, /^etcd snapshot of cluster dev, from dev-cp-1:\n/);
      assert.ok(out.includes(`${bytes.length} bytes, sha256 ${sha256(bytes)}`), out);
      assert.ok(out.includes(db));
      assert.equal(mode(path.join(dir, db)), 0o600);
      assert.equal(mode(dir), 0o700);
      noKeyMaterial(r.cluster, out);
      // status now knows the snapshot, and warns once one is older than the last rollout.
      const fresh = await r.run([...full(r, DEV), "--json"]);
      const doc = JSON.parse(fresh.out);
      assert.equal(doc.backups.count, 1);
      assert.ok(doc.backups.newest.ageSeconds < 60);
      assert.ok(!doc.warnings.some((w: string) => /etcd snapshot/.test(w)), doc.warnings);
      const state = path.join(r.dir, ".pulumi-state", ".pulumi", "stacks", "em-infra", "dev.json");
      fs.mkdirSync(path.dirname(state), { recursive: true });
      const later = new Date(Date.now() + 60000).toISOString();
      const rollout = {
        urn: "urn:pulumi:dev::em-infra::pulumi-nodejs:dynamic:Resource::dev-rollout",
        type: "pulumi-nodejs:dynamic:Resource",
        outputs: { lastRun: { at: later } },
      };
      fs.writeFileSync(state, JSON.stringify({ checkpoint: { latest: { resources: [rollout] } } }));
      const stale = JSON.parse((await r.run([...full(r, DEV), "--json"])).out);
      assert.deepEqual(
        stale.warnings.filter((w: string) => /etcd snapshot/.test(w)),
        [
          `no etcd snapshot in ${path.relative(process.cwd(), path.join(r.dir, "backups", "dev"))} is younger than the last rollout (${later}); take one with npm run day2 -- snapshot`,
        ],
      );
      assert.match(
        (await r.run([...full(r, DEV), "--wide"])).out,
        /\netcd snapshots: 1 in .*, the newest \d+ s old/,
      );
      // Older than backups.etcd.maxAge (24h by default): a warning of its own.
      const rec = `${path.join(dir, db)}.json`;
      const old = new Date(Date.now() - 25 * 3600 * 1000).toISOString();
      fs.writeFileSync(
        rec,
        JSON.stringify({ ...JSON.parse(fs.readFileSync(rec, "utf8")), takenAt: old }),
      );
      const aged = JSON.parse((await r.run([...full(r, DEV), "--json"])).out);
      assert.deepEqual(
        aged.warnings.filter((w: string) => /maxAge/.test(w)),
        [
          `the newest etcd snapshot in ${path.relative(process.cwd(), dir)} is 25 h 0 min old (${old}), older than backups.etcd.maxAge 24h: a recovery would lose everything since. Take one with npm run day2 -- snapshot, and on a schedule (docs/operations.md, etcd snapshots)`,
        ],
      );
    } finally {
      r.close();
    }
  });

  it("recover: refuses a node that runs etcd and a file whose sha256 is wrong, sending nothing", async () => {
    const r = await rig(DEV);
    try {
      const args = [
        "--talosconfig",
        r.files.talosconfig,
        "--endpoints",
        r.files.endpoints,
        "--wide",
      ];
      assert.equal((await r.command("snapshot", [DEV, ...args])).code, 0);
      const dir = path.join(r.dir, "backups", "dev");
      const file = path.join(
        dir,
        fs.readdirSync(dir).find((f) => f.endsWith(".db"))!,
      );
      const recoverFrom = (node = "dev-cp-1") =>
        r.command("recover", [DEV, ...args, "--from", file, "--node", node]);
      const running = await recoverFrom();
      assert.equal(running.code, 1);
      assert.match(running.out, /Refused: every control plane's etcd must wait for a bootstrap/);
      assert.match(
        running.out,
        /\n {2}dev-cp-1's etcd is Running, with its own data: .* then wipe its EPHEMERAL: talosctl -n 10\.20\.0\.11 reset --graceful=false --reboot --system-labels-to-wipe=EPHEMERAL\n/,
      );
      // One byte changed inside the database: the trailer no longer matches.
      const good = fs.readFileSync(file);
      const flipped = Buffer.from(good);
      flipped[100] ^= 0xff;
      fs.writeFileSync(file, flipped);
      const bad = await recoverFrom();
      assert.equal(bad.code, 1);
      assert.match(
        bad.out,
        /^Refused: --from .*\.db: its trailer says sha256 [0-9a-f]{64} but the \d+ bytes before it hash to [0-9a-f]{64}: the file is damaged\. .*Nothing was sent\.\n$/,
      );
      fs.writeFileSync(file, good);
      fs.appendFileSync(file, "x");
      const damaged = await recoverFrom();
      assert.equal(damaged.code, 1);
      assert.match(
        damaged.out,
        /^Refused: --from .*\.db: \d+ bytes is not a multiple of 512 plus 32, so it does not end with etcd's sha256: it is truncated, or not a snapshot .* pass it as --from-data-dir .*Nothing was sent\.\n$/,
      );
      // Whole, but not the file its record names.
      const other = Buffer.concat([good.subarray(0, good.length - 32 - 512), Buffer.alloc(512)]);
      fs.writeFileSync(
        file,
        Buffer.concat([other, crypto.createHash("sha256").update(other).digest()]),
      );
      const swapped = await recoverFrom();
      assert.equal(swapped.code, 1);
      assert.match(
        swapped.out,
        /Refused: --from .*\.db: its sha256 is [0-9a-f]{64}, not [0-9a-f]{64} \(its record .*\.db\.json\): the file is not the one recorded\. Nothing was sent\./,
      );
      const worker = await recoverFrom("dev-worker-1");
      assert.equal(worker.code, 2);
      assert.match(worker.err, /--node dev-worker-1: not a control plane of the inventory/);
      assert.equal(r.cluster.log.calls({ call: "EtcdRecover" }).length, 0);
      assert.equal(r.cluster.log.calls({ call: "Bootstrap" }).length, 0);
    } finally {
      r.close();
    }
  });

  it("recover: after losing etcd, uploads exactly the file's bytes, then bootstraps with recover_etcd", async () => {
    // A snapshot from a healthy cluster…
    const before = await rig(DEV);
    let file: string;
    let bytes: Buffer;
    const keep = tempDir("recover");
    try {
      const args = [
        "--talosconfig",
        before.files.talosconfig,
        "--endpoints",
        before.files.endpoints,
      ];
      assert.equal((await before.command("snapshot", [DEV, ...args])).code, 0);
      const dir = path.join(before.dir, "backups", "dev");
      for (const f of fs.readdirSync(dir)) fs.copyFileSync(path.join(dir, f), path.join(keep, f));
      file = path.join(
        keep,
        fs.readdirSync(keep).find((f) => f.endsWith(".db"))!,
      );
      bytes = fs.readFileSync(file);
    } finally {
      before.close();
    }
    // …recovered onto a cluster whose control plane lost etcd (its VM recreated).
    const r = await rig(DEV, {
      awaitingBootstrap: ["dev-cp-1"],
      faults: { etcdMembers: [] },
    });
    try {
      const args = [
        "--talosconfig",
        r.files.talosconfig,
        "--endpoints",
        r.files.endpoints,
        "--wide",
      ];
      const { code, out, err } = await r.command("recover", [
        DEV,
        ...args,
        "--from",
        file,
        "--node",
        "dev-cp-1",
      ]);
      assert.equal(code, 0, err + out);
      const upload = r.cluster.log.calls({ node: "dev-cp-1", call: "EtcdRecover" });
      assert.equal(upload.length, 1);
      assert.equal(upload[0].detail, `${sha256(bytes)} ${bytes.length} bytes`);
      const boot = r.cluster.log.calls({ node: "dev-cp-1", call: "Bootstrap" });
      assert.equal(boot.length, 1);
      assert.ok(upload[0].seq < boot[0].seq);
      const restored = r.cluster.log.calls({ node: "dev-cp-1", call: "etcd" });
      assert.deepEqual(
        restored.map((e) => [e.outcome, e.detail]),
        [
          ["bootstrap-requested", "recover"],
          ["bootstrapped", `from ${sha256(bytes)}`],
        ],
      );
      assert.ok(r.cluster.etcd.data.equals(bytes));
      assert.deepEqual(
        r.cluster.etcd.members.map((m) => m.hostname),
        ["dev-cp-1"],
      );
      assert.match(out, /\ndev-cp-1: etcd runs, healthy, restored; voting members: dev-cp-1\n/);
      assert.match(out, /\nRecovered etcd on dev-cp-1\.\n/);
      noKeyMaterial(r.cluster, out + err);
    } finally {
      r.close();
      fs.rmSync(keep, { recursive: true, force: true });
    }
  });
});
