/**
 * The disaster-recovery drill (docs/operations.md, Disaster recovery), against the fake
 * cluster: three control planes lose etcd; the runbook's steps that are em-infra's or
 * Talos's run as the operator runs them (`npm run day2 -- …` through runDay2, and the
 * Talos API calls `talosctl reset` makes); recover refuses what would lose data, then
 * restores, every control plane becomes a healthy member, and status and the rollout's
 * dry run afterwards see what they saw before the disaster.
 *
 * Not run here, and so not tested by it: the Pulumi CLI steps (`pulumi config set
 * em-infra:healthGate`, `pulumi state unprotect`, `pulumi up --replace`, the final
 * `pulumi up`) and `talosctl cp`, which has no counterpart in em-infra's client; the
 * fake's database stands in for the copied file.
 */
import { strict as assert } from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as day2 from "../packages/day2";
import { fake, talosFor } from "./support/day2";
import { full, rig, type Rig } from "./support/day2Cli";
import { tempDir } from "./support/tmp";

const LARGE = path.resolve(__dirname, "fixtures", "valid", "large");
const DEV = path.resolve(__dirname, "..", "inventory", "dev");
const CPS = ["lab-cp-1", "lab-cp-2", "lab-cp-3"];
const sha256 = (b: Buffer) => crypto.createHash("sha256").update(b).digest("hex");

/** The Talos flags every command of the drill takes. */
const talosArgs = (r: Rig) => [
  "--talosconfig",
  r.files.talosconfig,
  "--endpoints",
  r.files.endpoints,
];

/** What `status --json` and `rollout --dry-run --json` say, without what moves by itself. */
async function looks(r: Rig) {
  // Settled first: every node matches (static pods Ready after their boot).
  let status = await r.run([...full(r, LARGE), "--json"]);
  const until = Date.now() + 5000;
  while (status.code !== 0 && Date.now() < until)
    status = await r.run([...full(r, LARGE), "--json"]);
  assert.equal(status.code, 0, status.out);
  const doc = JSON.parse(status.out);
  delete doc.backups;
  doc.warnings = doc.warnings.filter((w: string) => !/etcd snapshot/.test(w));
  const dry = await r.command("rollout", [...full(r, LARGE), "--dry-run", "--json"]);
  return {
    status: { code: status.code, doc },
    dryRun: { code: dry.code, doc: JSON.parse(dry.out) },
  };
}

/** The runbook's wipe (Talos): `talosctl -n <ip> reset --graceful=false --reboot --system-labels-to-wipe=EPHEMERAL`. */
async function wipeEphemeral(talos: ReturnType<typeof talosFor>, node: string) {
  await talos.reset(node, { graceful: false, reboot: true, systemPartitionsToWipe: ["EPHEMERAL"] });
  talos.forget(node);
  await day2.waitFor(
    async () => {
      try {
        return (await talos.serviceList(node)).find((s) => s.id === "etcd")?.state === "Preparing";
      } catch {
        return false;
      }
    },
    { timeoutMs: 3000, everyMs: 5, describe: () => `${node}'s etcd never reached Preparing` },
  );
}

/** `npm run day2 -- snapshot`, returning the file it wrote. */
async function snapshot(r: Rig, inventory = LARGE) {
  const { code, out, err } = await r.command("snapshot", [inventory, ...talosArgs(r)]);
  assert.equal(code, 0, out + err);
  const file = /\n {2}(\S+\.db)\n/.exec(out)?.[1];
  assert.ok(file !== undefined, out);
  return { file: path.resolve(file), out };
}

describe("disaster recovery drill: three control planes lose etcd", () => {
  it("saves first, refuses what would lose data, restores, and every control plane becomes a healthy member", async () => {
    // etcd takes 100 ms to restart after the bootstrap: recover polls through `Finished`.
    const r = await rig(LARGE, { etcdRestoreMs: 100 });
    const other = await rig(DEV);
    const talos = talosFor(r.cluster);
    const scratch = tempDir("drill");
    try {
      const before = await looks(r);
      // A routine snapshot (cron), then the disaster.
      const routine = await snapshot(r);
      r.cluster.loseEtcd();
      const sick = await r.run([...full(r, LARGE), "--json"]);
      assert.equal(sick.code, 1, "status sees etcd down");
      // Step 2, save before any wipe: no member is healthy, one still streams its data.
      const saved = await snapshot(r);
      assert.match(
        saved.out,
        /, from lab-cp-1 \(no member was healthy; this one reports: etcdserver: no leader\):/,
      );
      assert.notEqual(saved.file, routine.file);
      const savedBytes = fs.readFileSync(saved.file);
      assert.ok(savedBytes.equals(r.cluster.etcd.data), "the saved file is the members' data");

      // Step 4 on two of three: the third still runs etcd with its old data.
      await wipeEphemeral(talos, "lab-cp-1");
      await wipeEphemeral(talos, "lab-cp-2");
      const recover = (...flags: string[]) =>
        r.command("recover", [LARGE, ...talosArgs(r), "--node", "lab-cp-1", ...flags]);
      const oneRuns = await recover("--from", saved.file);
      assert.equal(oneRuns.code, 1);
      assert.match(
        oneRuns.out,
        /Refused: every control plane's etcd must wait for a bootstrap \(Preparing\) before a recovery, or not answer and be named with --missing\. Nothing was sent\.\n {2}lab-cp-3's etcd is Running, with its own data: it would never join the recovered etcd\. .*talosctl -n 10\.40\.0\.13 reset --graceful=false --reboot --system-labels-to-wipe=EPHEMERAL\n$/,
      );
      // Another cluster's snapshot: by name, and by CA under the same name.
      const theirs = await snapshot(other, DEV);
      const byName = await recover("--from", theirs.file);
      assert.equal(byName.code, 1);
      assert.match(
        byName.out,
        /^Refused: --from \S+dev-etcd-\S+\.db may be another cluster's: its record says cluster "dev", this is lab\. .*pass --force-other-cluster\. Nothing was sent\.\n$/m,
      );
      const sameName = path.join(scratch, path.basename(saved.file));
      fs.copyFileSync(saved.file, sameName);
      const rec = JSON.parse(fs.readFileSync(`${saved.file}.json`, "utf8"));
      fs.writeFileSync(`${sameName}.json`, JSON.stringify({ ...rec, caFingerprint: "00:11" }));
      const byCa = await recover("--from", sameName);
      assert.equal(byCa.code, 1);
      assert.match(
        byCa.out,
        /may be another cluster's: its record's CA fingerprint 00:11 is not this cluster's \([0-9A-F:]{95}\): another cluster of the same name\./,
      );

      // A broken trailer: the last bytes cut off.
      const cut = path.join(scratch, "cut.db");
      fs.writeFileSync(cut, savedBytes.subarray(0, savedBytes.length - 7));
      fs.copyFileSync(`${saved.file}.json`, `${cut}.json`);
      const broken = await recover("--from", cut);
      assert.equal(broken.code, 1);
      assert.match(
        broken.out,
        new RegExp(
          `^Refused: --from ${cut}: ${savedBytes.length - 7} bytes is not a multiple of 512 plus 32, so it does not end with etcd's sha256: .*--from-data-dir ${cut}\\. Nothing was sent\\.\\n$`,
        ),
      );
      const folder = await recover("--from", scratch);
      assert.equal(folder.code, 2);
      assert.match(
        folder.err,
        new RegExp(`^--from ${scratch}: is a folder, not a file; pass the file itself`),
      );
      assert.equal(r.cluster.log.calls({ call: "EtcdRecover" }).length, 0, "nothing was sent");
      assert.equal(r.cluster.log.calls({ call: "Bootstrap" }).length, 0);
      // Step 4 on the third, then step 5.
      await wipeEphemeral(talos, "lab-cp-3");
      const done = await recover("--from", saved.file);
      assert.equal(done.code, 0, done.out + done.err);
      assert.match(
        done.out,
        /lab-cp-1: etcd runs, healthy, restored; voting members: lab-cp-1, lab-cp-2, lab-cp-3\n/,
      );
      assert.equal(
        r.cluster.log.calls({ node: "lab-cp-1", call: "EtcdRecover" })[0].detail,
        `${sha256(savedBytes)} ${savedBytes.length} bytes`,
      );
      assert.ok(r.cluster.etcd.data.equals(savedBytes), "etcd holds what was saved");
      assert.deepEqual(
        r.cluster.etcd
          .voters()
          .map((m) => m.hostname)
          .sort(),
        CPS,
      );
      for (const n of CPS) assert.ok(r.cluster.etcd.healthy(n), `${n} healthy`);
      // Step 6, and what step 7's pulumi up would see: the cluster as before the disaster.
      const after = await looks(r);
      assert.deepEqual(after, before);
    } finally {
      talos.close();
      r.close();
      other.close();
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  });

  it("--from-data-dir restores a copy of the data directory without the hash check, saying what it could not check", async () => {
    const r = await rig(LARGE);
    const talos = talosFor(r.cluster);
    const scratch = tempDir("drill");
    try {
      r.cluster.loseEtcd();
      // Stands in for talosctl -n <ip> cp /var/lib/etcd/member/snap/db: the member's database.
      const db = path.join(scratch, "db");
      fs.writeFileSync(db, r.cluster.etcd.db, { mode: 0o600 });
      for (const n of CPS) await wipeEphemeral(talos, n);
      const { code, out, err } = await r.command("recover", [
        LARGE,
        ...talosArgs(r),
        "--node",
        "lab-cp-2",
        "--from-data-dir",
        db,
      ]);
      assert.equal(code, 0, out + err);
      assert.match(
        out,
        /\nnot checked: whether the file is whole: a copy of the data directory has no sha256 trailer.*\nnot checked: which cluster it comes from: it has no record beside it\n/,
      );
      const boot = r.cluster.log.calls({ node: "lab-cp-2", call: "etcd" });
      assert.deepEqual(
        boot.map((e) => e.outcome),
        ["bootstrap-requested", "bootstrapped"],
      );
      assert.ok(r.cluster.etcd.db.equals(fs.readFileSync(db)));
      // A snapshot passed as a data-directory copy is refused: its hash would go unchecked.
      const snap = path.join(scratch, "s.db");
      fs.writeFileSync(snap, r.cluster.etcd.data);
      const wrong = await r.command("recover", [
        LARGE,
        ...talosArgs(r),
        "--node",
        "lab-cp-2",
        "--from-data-dir",
        snap,
      ]);
      assert.equal(wrong.code, 1);
      assert.match(
        wrong.out,
        /ends with etcd's sha256 trailer: it is a snapshot, not a copy of the data directory\. Pass it as --from /,
      );
    } finally {
      talos.close();
      r.close();
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  });

  it("a control plane that does not answer is refused unless named with --missing; a restore etcd refuses is reported, naming the node", async () => {
    const r = await rig(LARGE, { faults: { connectionRefused: ["lab-cp-3"] } });
    const talos = talosFor(r.cluster);
    const scratch = tempDir("drill");
    try {
      const saved = await snapshot(r);
      r.cluster.loseEtcd();
      for (const n of ["lab-cp-1", "lab-cp-2"]) await wipeEphemeral(talos, n);
      const args = [LARGE, ...talosArgs(r), "--node", "lab-cp-1", "--from", saved.file];
      const gone = await r.command("recover", args);
      assert.equal(gone.code, 1);
      assert.match(
        gone.out,
        /\n {2}lab-cp-3 does not answer \(.*\); if its VM is gone and will be recreated later, name it with --missing lab-cp-3; otherwise bring it up first\n$/,
      );
      assert.equal(r.cluster.log.calls({ call: "EtcdRecover" }).length, 0);

      // The file is damaged on its way (recoverEtcd with a client that uploads another):
      // Talos accepts the bootstrap, and etcd's restore fails after it answered.
      const bad = path.join(scratch, "bad.db");
      const bytes = fs.readFileSync(saved.file);
      fs.writeFileSync(bad, Buffer.concat([Buffer.alloc(512), bytes.subarray(512)]));
      const lines: string[] = [];
      const err = await day2
        .recoverEtcd(
          { ...bind(talos), etcdRecover: (node: string) => talos.etcdRecover(node, bad) },
          {
            cluster: "lab",
            ca: day2.talosconfigCredentials(r.cluster.talosconfig).credentials.ca,
            controlPlanes: r.inventory.nodes
              .filter((n) => n.role === "controlplane")
              .map((n) => ({ name: n.name, ip: n.ip })),
            node: "lab-cp-1",
            from: { snapshot: saved.file },
            missing: ["lab-cp-3"],
            forceOtherCluster: false,
            waitMs: 3000,
            pollMs: 5,
            log: (l) => lines.push(l),
          },
        )
        .then(
          () => assert.fail("the restore should fail"),
          (e: Error) => e,
        );
      assert.ok(err instanceof day2.RecoverError);
      assert.match(
        err.message,
        /^The restore failed on lab-cp-1: its etcd is Failed \(Failed to run pre stage: error recovering from the snapshot: expected sha256 [0-9a-f]{64}, got [0-9a-f]{64}\)\. etcd did not take .*\. Wipe lab-cp-1's EPHEMERAL \(talosctl -n 10\.40\.0\.11 reset --graceful=false --reboot --system-labels-to-wipe=EPHEMERAL\) and run recover again/,
      );
      assert.ok(
        lines.includes("lab-cp-3: does not answer, named missing: it joins when its VM is back"),
        lines.join("\n"),
      );
    } finally {
      talos.close();
      r.close();
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  });
});

describe("the fake's EtcdRecover and Bootstrap answer as Talos's server does (v1alpha1_server.go)", () => {
  it("Waiting: not ready for recovery, bootstrap not available; a member: upload taken, bootstrap AlreadyExists; a worker: Unimplemented", async () => {
    const c = await fake({ faults: { etcdWaiting: ["cp-2"] }, etcdRestoreMs: 2000 });
    const talos = talosFor(c);
    const scratch = tempDir("fake-recover");
    try {
      const file = path.join(scratch, "s.db");
      fs.writeFileSync(file, c.etcd.data);
      const code = (p: Promise<unknown>) =>
        p.then(
          () => "ok",
          (e: Error & { code?: string }) =>
            `${e.code}: ${/: ([^:]+)$/.exec(e.message)?.[1] ?? e.message}`,
        );
      const services = await talos.serviceList("cp-2");
      assert.deepEqual(
        services.filter((s) => s.id === "etcd").map((s) => [s.state, s.lastMessage]),
        [["Waiting", "Waiting for volume /var/lib to be mounted"]],
      );
      assert.equal(
        await code(talos.etcdRecover("cp-2", file)),
        "FAILED_PRECONDITION: etcd service is not ready for recovery yet",
      );
      assert.equal(
        await code(talos.bootstrap("cp-2", { recoverEtcd: true })),
        "FAILED_PRECONDITION: bootstrap is not available yet",
      );
      assert.equal(await code(talos.etcdRecover("cp-1", file)), "ok");
      assert.equal(
        await code(talos.bootstrap("cp-1", { recoverEtcd: true })),
        "ALREADY_EXISTS: etcd data directory is not empty",
      );
      assert.equal(
        await code(talos.etcdRecover("w-1", file)),
        "UNIMPLEMENTED: etcd recover is only available on control plane nodes",
      );
      assert.equal(
        await code(talos.bootstrap("w-1", {})),
        "UNIMPLEMENTED: bootstrap is only available on control plane nodes",
      );
      // Once /var/lib is there (Preparing, data gone): the bootstrap is taken, and the
      // old service shows Finished while the new one starts.
      c.etcdWaiting.delete("cp-2");
      c.etcd.remove("cp-2");
      c.awaitingBootstrap.add("cp-2");
      assert.equal(await code(talos.bootstrap("cp-2", {})), "ok");
      assert.deepEqual(
        (await talos.serviceList("cp-2"))
          .filter((s) => s.id === "etcd")
          .map((s) => [s.state, s.lastMessage]),
        [["Finished", "Bootstrap requested"]],
      );
      c.etcdWaiting.add("cp-3");
      // recover names the Waiting one and says to wait.
      const err = await day2
        .recoverEtcd(talos, {
          cluster: "fake",
          ca: day2.talosconfigCredentials(c.talosconfig).credentials.ca,
          controlPlanes: c.nodes
            .filter((n) => n.role === "controlplane")
            .map((n) => ({ name: n.name, ip: n.ip })),
          node: "cp-1",
          from: { snapshot: file },
          missing: [],
          forceOtherCluster: true,
          log: () => undefined,
        })
        .then(
          () => assert.fail("refused"),
          (e: Error) => e,
        );
      assert.match(
        err.message,
        /\n {2}cp-3's etcd is Waiting \(Waiting for volume \/var\/lib to be mounted\): not ready for a recovery yet; run recover again once it is Preparing \(talosctl -n 10\.20\.0\.13 service etcd\)$/,
      );
    } finally {
      talos.close();
      c.stop();
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  });
});

/** The client's calls recover uses, bound, so that one can be replaced. */
function bind(talos: ReturnType<typeof talosFor>) {
  return {
    serviceList: talos.serviceList.bind(talos),
    etcdMemberList: (n: string) => talos.etcdMemberList(n),
    etcdRecover: talos.etcdRecover.bind(talos),
    bootstrap: (n: string, o: { recoverEtcd: boolean; recoverSkipHashCheck: boolean }) =>
      talos.bootstrap(n, o),
  };
}
