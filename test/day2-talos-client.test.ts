/**
 * The Talos machine API client (packages/day2/lib/talos.js) and its pure helpers
 * (endpoints, credentials, tar), against the fake cluster on 127.0.0.1. Every fault the
 * fake can inject ends in an error that names the node and the call.
 */
import { strict as assert } from "assert";
import * as zlib from "zlib";
import * as day2 from "../packages/day2";
import { readTar, writeTarGz } from "../packages/day2/lib/tar";
import { fake, FAST, NODES, rejection, talosFor } from "./support/day2";

const NAMES = NODES.map((n) => n.name);

describe("day2 endpoints (pure)", () => {
  it("accepts host:port per inventory node, IPv4, IPv6 and names", () => {
    const { endpoints, problems } = day2.checkTalosEndpoints(
      { "cp-1": "127.0.0.1:50001", "w-1": "[::1]:50002", "w-2": "bastion.example:6000" },
      NAMES,
    );
    assert.deepStrictEqual(problems, []);
    assert.deepStrictEqual(endpoints["cp-1"], { host: "127.0.0.1", port: 50001 });
    assert.deepStrictEqual(endpoints["w-1"], { host: "::1", port: 50002 });
    assert.strictEqual(day2.formatHostPort(endpoints["w-1"]), "[::1]:50002");
  });

  it("names the key and the value of every bad entry", () => {
    const { problems } = day2.checkTalosEndpoints(
      { "cp-9": "127.0.0.1:1", "cp-1": "127.0.0.1", "cp-2": "127.0.0.1:70000", "w-1": 5 },
      NAMES,
    );
    assert.deepStrictEqual(problems, [
      `em-infra:talosEndpoints.cp-9: "cp-9" is not a node in the inventory (nodes: ${NAMES.join(", ")})`,
      'em-infra:talosEndpoints.cp-1: "127.0.0.1" is not host:port',
      'em-infra:talosEndpoints.cp-2: "127.0.0.1:70000": port 70000 is not between 1 and 65535',
      'em-infra:talosEndpoints.w-1: is number, expected a "host:port" string',
    ]);
  });

  it("refuses a value that is not an object, and throws all problems at once", () => {
    assert.deepStrictEqual(day2.checkTalosEndpoints(["x"], NAMES).problems, [
      'em-infra:talosEndpoints must be an object from node name to "host:port", got a list',
    ]);
    assert.throws(
      () => day2.parseTalosEndpoints({ a: "x", b: "y" }, NAMES),
      (e: Error) => e instanceof day2.Day2InputError && e.message.split("\n").length === 2,
    );
  });

  it("checks em-infra:kubernetesEndpoint the same way", () => {
    assert.deepStrictEqual(day2.checkKubernetesEndpoint("127.0.0.1:6443"), {
      endpoint: { host: "127.0.0.1", port: 6443 },
      problems: [],
    });
    assert.deepStrictEqual(day2.checkKubernetesEndpoint("https://x:6443").problems, [
      'em-infra:kubernetesEndpoint: "https://x:6443" is not host:port',
    ]);
    assert.deepStrictEqual(day2.checkKubernetesEndpoint(undefined), { problems: [] });
  });

  it("dials <inventory ip>:50000 by default and the override when set (computed, not dialed)", () => {
    const node = { name: "cp-1", ip: "10.20.0.11" };
    assert.deepStrictEqual(day2.talosDialTarget(node, {}), { host: "10.20.0.11", port: 50000 });
    assert.deepStrictEqual(day2.talosDialTarget(node, { "cp-1": { host: "127.0.0.1", port: 7 } }), {
      host: "127.0.0.1",
      port: 7,
    });
  });
});

describe("day2 credentials (pure)", () => {
  const pem = (label: string) =>
    `-----BEGIN ${label}-----\nMC4CAQAwBQYDK2VwBCIEIAbcdefghijklmnopqrstuvwxyz0123456789ABCD\n-----END ${label}-----\n`;
  const cert = pem("CERTIFICATE");
  const b64 = (s: string) => Buffer.from(s).toString("base64");

  it("reads clientConfiguration and talosconfig shapes alike, relabelling the Ed25519 key in memory", () => {
    const a = day2.talosCredentials({
      caCertificate: b64(cert),
      clientCertificate: b64(cert),
      clientKey: b64(pem("ED25519 PRIVATE KEY")),
    });
    const b = day2.talosCredentials({
      ca: b64(cert),
      crt: b64(cert),
      key: b64(pem("ED25519 PRIVATE KEY")),
    });
    assert.deepStrictEqual(a, b);
    assert.match(a.key, /^-----BEGIN PRIVATE KEY-----\n/);
    assert.doesNotMatch(a.key, /ED25519/);
  });

  it("says which field is wrong without quoting it", () => {
    const e = rejectionSync(() =>
      day2.talosCredentials(
        { ca: b64(cert), crt: b64(cert), key: b64(pem("SECRET THING")) },
        "talosconfig",
      ),
    );
    assert.match(e.message, /^talosconfig: key holds a PEM block labelled "SECRET THING"/);
    assert.doesNotMatch(e.message, /MC4CAQAw/);
    const f = rejectionSync(() =>
      day2.talosCredentials({ ca: b64(cert), crt: "bm90IHBlbQ==", key: "" }),
    );
    assert.strictEqual(f.message, "Talos credentials: crt is not base64-encoded PEM");
  });

  it("finds the current context of a talosconfig, and names a missing one", () => {
    const text = `context: a\ncontexts:\n  a:\n    ca: ${b64(cert)}\n    crt: ${b64(cert)}\n    key: ${b64(pem("ED25519 PRIVATE KEY"))}\n`;
    assert.strictEqual(day2.talosconfigCredentials(text).context, "a");
    assert.throws(
      () => day2.talosconfigCredentials(text, { file: "tc", contextName: "b" }),
      /^Day2InputError: tc: context "b" not found \(contexts: a\)$/,
    );
  });
});

function rejectionSync(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a throw");
}

describe("day2 tar reader", () => {
  it("reads back what the fake writes, and refuses a damaged header", () => {
    const tgz = writeTarGz({ kubeconfig: "apiVersion: v1\n", other: Buffer.alloc(700, 1) });
    const files = day2.readTarGz(tgz);
    assert.strictEqual(files.get("kubeconfig")?.toString(), "apiVersion: v1\n");
    assert.strictEqual(files.get("other")?.length, 700);
    const raw = zlib.gunzipSync(tgz);
    raw[0] ^= 0xff;
    assert.throws(() => readTar(raw), /bad checksum/);
  });
});

describe("day2 Talos client against the fake cluster", () => {
  it("reads version, boot time, services and etcd, with 64-bit member ids intact", async () => {
    const c = await fake();
    const t = talosFor(c);
    try {
      assert.strictEqual((await t.version("cp-1")).tag, "v1.13.0");
      assert.strictEqual((await t.systemStat("w-1")).bootTime, c.node("w-1").bootTime);
      const services = await t.serviceList("cp-2");
      assert.deepStrictEqual(
        services.map((s) => s.id),
        ["apid", "containerd", "cri", "etcd", "kubelet", "machined", "trustd"],
      );
      assert.ok(services.every((s) => s.healthy));
      const members = await t.etcdMemberList("cp-1");
      assert.deepStrictEqual(members.map((m) => m.hostname).sort(), ["cp-1", "cp-2", "cp-3"]);
      for (const m of members) assert.ok(BigInt(m.id) > BigInt(Number.MAX_SAFE_INTEGER), m.id);
      const status = await t.etcdStatus("cp-2");
      assert.strictEqual(status.memberId, c.etcd.memberOf("cp-2")?.id);
      assert.deepStrictEqual(status.errors, []);
    } finally {
      t.close();
      c.stop();
    }
  });

  it("takes the Secrets resource's clientConfiguration as well", async () => {
    const c = await fake();
    const t = talosFor(c, { credentials: c.clientConfiguration });
    try {
      assert.strictEqual((await t.version("w-2")).tag, "v1.13.0");
    } finally {
      t.close();
      c.stop();
    }
  });

  it("fetches the admin kubeconfig from a control plane, unpacked from its tar.gz; a worker refuses", async () => {
    const c = await fake();
    const t = talosFor(c);
    try {
      const text = await t.kubeconfig("cp-2");
      assert.strictEqual(text, c.kubeconfig);
      assert.strictEqual(day2.readKubeconfig(text).server, "https://10.20.0.11:6443");
      const e = await rejection(t.kubeconfig("w-1"));
      assert.match(
        e.message,
        /^w-1 \(10\.20\.0\.21 via 127\.0\.0\.1:\d+\): Talos Kubeconfig failed: FAILED_PRECONDITION: /,
      );
    } finally {
      t.close();
      c.stop();
    }
  });

  it("upgrades with LifecycleService then reboots: new boot, new version", async () => {
    const c = await fake();
    const t = talosFor(c);
    try {
      const before = { ...(await t.systemStat("w-1")), bootId: c.node("w-1").bootId };
      assert.deepStrictEqual(await t.pullImage("w-1", "ghcr.io/siderolabs/installer:v1.13.3"), {
        name: "ghcr.io/siderolabs/installer:v1.13.3",
      });
      const up = await t.upgrade("w-1", { image: "ghcr.io/siderolabs/installer:v1.13.3" });
      assert.deepStrictEqual([up.via, up.rebootsItself], ["lifecycle", false]);
      assert.strictEqual((await t.version("w-1")).tag, "v1.13.0", "staged, not yet booted");
      assert.deepStrictEqual(await t.reboot("w-1"), { connectionLost: false });
      await day2.waitFor(() => c.node("w-1").boots === 2 && c.node("w-1").phase === "running", {
        timeoutMs: 5000,
        describe: () => c.log.toString(),
      });
      assert.strictEqual((await t.version("w-1")).tag, "v1.13.3");
      assert.ok((await t.systemStat("w-1")).bootTime > before.bootTime);
      assert.notStrictEqual(c.node("w-1").bootId, before.bootId);
      const order = c.log.entries
        .filter((e) => e.node === "w-1" && e.call !== "Version" && e.call !== "SystemStat")
        .map((e) => `${e.call} ${e.outcome}`);
      assert.deepStrictEqual(order, [
        "state running",
        "ImagePull ok",
        "state upgrading",
        "state running",
        "LifecycleService.Upgrade ok",
        "Reboot ok",
        "state rebooting",
        "state running",
      ]);
    } finally {
      t.close();
      c.stop();
    }
  });

  it("falls back to the legacy Upgrade on Unimplemented; the node reboots by itself", async () => {
    const c = await fake({ faults: { legacyOnly: ["w-2"] } });
    const t = talosFor(c);
    try {
      const up = await t.upgrade("w-2", { image: "ghcr.io/siderolabs/installer:v1.13.3" });
      assert.deepStrictEqual([up.via, up.rebootsItself], ["legacy", true]);
      await day2.waitFor(
        () => c.node("w-2").version === "v1.13.3" && c.node("w-2").phase === "running",
        {
          timeoutMs: 5000,
          describe: () => c.log.toString(),
        },
      );
      assert.deepStrictEqual(
        c.log.calls({ node: "w-2" }).map((e) => `${e.call} ${e.outcome}`),
        ["LifecycleService.Upgrade UNIMPLEMENTED", "Upgrade ok"],
      );
    } finally {
      t.close();
      c.stop();
    }
  });

  it("counts a connection dropped by Reboot as success, but not a node it never reached", async () => {
    const c = await fake({
      faults: { rebootDropsConnection: ["w-1"], connectionRefused: ["w-2"] },
    });
    const t = talosFor(c);
    try {
      assert.deepStrictEqual(await t.reboot("w-1"), { connectionLost: true });
      await day2.waitFor(() => c.node("w-1").boots === 2, {
        timeoutMs: 5000,
        describe: () => c.log.toString(),
      });
      const e = await rejection(t.reboot("w-2"));
      assert.match(
        e.message,
        /^w-2 \(10\.20\.0\.22 via 127\.0\.0\.1:\d+\): Talos Reboot failed after 3 attempts: UNAVAILABLE: connection refused/,
      );
    } finally {
      t.close();
      c.stop();
    }
  });

  it("applies configuration: without reboot, and with one when the node needs it", async () => {
    const c = await fake({ faults: { configNeedsReboot: ["w-2"] } });
    const t = talosFor(c);
    try {
      const cfg = "machine:\n  kubelet:\n    image: ghcr.io/siderolabs/kubelet:v1.36.1\n";
      assert.strictEqual((await t.applyConfiguration("w-1", { data: cfg })).mode, "NO_REBOOT");
      assert.strictEqual(c.node("w-1").kubeletVersion, "v1.36.1");
      assert.strictEqual(c.node("w-1").boots, 1);
      assert.strictEqual((await t.applyConfiguration("w-2", { data: cfg })).mode, "REBOOT");
      await day2.waitFor(() => c.node("w-2").boots === 2 && c.node("w-2").phase === "running", {
        timeoutMs: 5000,
        describe: () => c.log.toString(),
      });
      // The same configuration again is no change: no reboot needed (Talos diffs it).
      assert.strictEqual((await t.applyConfiguration("w-2", { data: cfg })).mode, "NO_REBOOT");
      // A comment is no change to Talos (it compares documents); a new value is.
      assert.strictEqual(
        (await t.applyConfiguration("w-2", { data: `${cfg}# a comment\n`, mode: "NO_REBOOT" }))
          .mode,
        "NO_REBOOT",
      );
      const changed = cfg.replace("v1.36.1", "v1.36.2");
      const e = await rejection(t.applyConfiguration("w-2", { data: changed, mode: "NO_REBOOT" }));
      assert.match(
        e.message,
        /^w-2 .*Talos ApplyConfiguration failed: INVALID_ARGUMENT: this change cannot be applied without a reboot/,
      );
    } finally {
      t.close();
      c.stop();
    }
  });

  it("moves etcd membership: forfeit leadership, leave, remove by id on a peer, refuse a lost quorum", async () => {
    const c = await fake();
    const t = talosFor(c);
    try {
      const leader = c.etcd.members.find((m) => m.id === c.etcd.leader);
      assert.strictEqual(leader?.hostname, "cp-1");
      const moved = await t.etcdForfeitLeadership("cp-1");
      assert.strictEqual(moved.member, "cp-2");
      assert.strictEqual((await t.etcdStatus("cp-3")).leader, c.etcd.memberOf("cp-2")?.id);
      await t.etcdLeaveCluster("cp-1");
      assert.deepStrictEqual((await t.etcdMemberList("cp-2")).map((m) => m.hostname).sort(), [
        "cp-2",
        "cp-3",
      ]);
      const cp3 = c.etcd.memberOf("cp-3")?.id ?? "";
      await t.etcdRemoveMemberById("cp-2", cp3);
      assert.deepStrictEqual(
        (await t.etcdMemberList("cp-2")).map((m) => m.hostname),
        ["cp-2"],
      );
      const e = await rejection(t.etcdLeaveCluster("cp-2"));
      assert.match(
        e.message,
        /^cp-2 .*Talos EtcdLeaveCluster failed: FAILED_PRECONDITION: removing cp-2 would leave etcd without a healthy majority \(0 of 0 healthy\)/,
      );
      const gone = await rejection(t.etcdRemoveMemberById("cp-2", "123"));
      assert.match(gone.message, /NOT_FOUND: etcd member 123 not found/);
    } finally {
      t.close();
      c.stop();
    }
  });

  it("resets gracefully, wiping STATE and EPHEMERAL, leaving etcd first", async () => {
    const c = await fake();
    const t = talosFor(c);
    try {
      await t.reset("cp-3", { graceful: true, systemPartitionsToWipe: ["STATE", "EPHEMERAL"] });
      await day2.waitFor(() => c.node("cp-3").phase === "reset", {
        timeoutMs: 5000,
        describe: () => c.log.toString(),
      });
      assert.deepStrictEqual(c.node("cp-3").wiped, ["STATE", "EPHEMERAL"]);
      assert.strictEqual(c.etcd.memberOf("cp-3"), undefined);
      const e = await rejection(t.version("cp-3"));
      assert.match(
        e.message,
        /^cp-3 \(10\.20\.0\.13 via 127\.0\.0\.1:\d+\): Talos Version failed after 3 attempts: UNAVAILABLE/,
      );
    } finally {
      t.close();
      c.stop();
    }
  });

  it("refuses a node it does not know, before dialing anything", async () => {
    const c = await fake();
    const t = talosFor(c);
    try {
      const e = await rejection(t.version("cp-9"));
      assert.ok(e instanceof day2.Day2InputError);
      assert.strictEqual(e.message, "cp-9: not a node this Talos client knows");
    } finally {
      t.close();
      c.stop();
    }
  });
});

describe("day2 Talos client: each fault ends in a message naming the node", () => {
  it("a call that hangs past its deadline: DEADLINE_EXCEEDED after bounded retries", async () => {
    const c = await fake({ faults: { hang: [{ node: "cp-2", call: "Version" }] } });
    const t = talosFor(c, { timeoutMs: 150 });
    try {
      const started = Date.now();
      const e = await rejection(t.version("cp-2"));
      assert.match(
        e.message,
        /^cp-2 \(10\.20\.0\.12 via 127\.0\.0\.1:\d+\): Talos Version failed after 3 attempts: DEADLINE_EXCEEDED: no answer within 150 ms/,
      );
      assert.strictEqual(c.log.calls({ node: "cp-2", call: "Version", outcome: "hung" }).length, 3);
      assert.ok(Date.now() - started < 3000);
      assert.strictEqual((await t.version("cp-1")).tag, "v1.13.0", "other nodes unaffected");
    } finally {
      t.close();
      c.stop();
    }
  });

  it("a mutating call that hangs is not retried", async () => {
    const c = await fake({ faults: { hang: [{ node: "w-1", call: "Reset" }] } });
    const t = talosFor(c, { timeoutMs: 150 });
    try {
      const e = await rejection(t.reset("w-1", { graceful: true }));
      assert.match(e.message, /^w-1 .*Talos Reset failed: DEADLINE_EXCEEDED/);
      assert.strictEqual(c.log.calls({ node: "w-1", call: "Reset" }).length, 1);
    } finally {
      t.close();
      c.stop();
    }
  });

  it("a connection refused", async () => {
    const c = await fake({ faults: { connectionRefused: ["w-1"] } });
    const t = talosFor(c);
    try {
      const e = (await rejection(t.version("w-1"))) as InstanceType<typeof day2.Day2Error>;
      assert.ok(e instanceof day2.Day2Error);
      assert.strictEqual(e.code, "UNAVAILABLE");
      assert.strictEqual(e.attempts, FAST.retry.attempts);
      assert.match(
        e.message,
        new RegExp(
          `^w-1 \\(10\\.20\\.0\\.21 via ${c.endpoints["w-1"]}\\): Talos Version failed after 3 attempts: UNAVAILABLE: connection refused at ${c.endpoints["w-1"]}`,
        ),
      );
    } finally {
      t.close();
      c.stop();
    }
  });

  it("a server certificate for the wrong IP: TLS, not retried, though the dial address is right", async () => {
    const c = await fake({ faults: { wrongCertIp: ["cp-3"] } });
    const t = talosFor(c);
    try {
      const e = (await rejection(t.version("cp-3"))) as InstanceType<typeof day2.Day2Error>;
      assert.strictEqual(e.code, "TLS");
      assert.strictEqual(e.attempts, 1);
      assert.match(
        e.message,
        /^cp-3 \(10\.20\.0\.13 via 127\.0\.0\.1:\d+\): Talos Version failed: TLS: server certificate is not valid for 10\.20\.0\.13 \(its names: IP Address:10\.255\.255\.3\)/,
      );
      assert.strictEqual(
        c.log.calls({ node: "cp-3" }).length,
        0,
        "the call never reached the server",
      );
    } finally {
      t.close();
      c.stop();
    }
  });

  it("the right certificate checked against the wrong inventory IP fails the same way", async () => {
    const c = await fake();
    const t = talosFor(c, { nodes: [{ name: "w-1", ip: "10.20.0.99" }] });
    try {
      const e = await rejection(t.version("w-1"));
      assert.match(
        e.message,
        /^w-1 \(10\.20\.0\.99 via .*TLS: server certificate is not valid for 10\.20\.0\.99 \(its names: IP Address:10\.20\.0\.21\)/,
      );
    } finally {
      t.close();
      c.stop();
    }
  });

  it("credentials from another CA: TLS, not retried, on both sides of the handshake", async () => {
    const c = await fake();
    const other = c.secretMaterial();
    const kube = day2.readKubeconfig(c.kubeconfig);
    // The Kubernetes CA and admin certificate: this client trusts the wrong CA, and apid
    // does not trust its certificate.
    const t = talosFor(c, { credentials: { ca: kube.ca, cert: kube.cert, key: kube.key } });
    try {
      const e = (await rejection(t.version("cp-1"))) as InstanceType<typeof day2.Day2Error>;
      assert.deepStrictEqual([e.code, e.attempts], ["TLS", 1]);
      assert.match(
        e.message,
        /^cp-1 \(10\.20\.0\.11 via 127\.0\.0\.1:\d+\): Talos Version failed: TLS: .*\(check the talosconfig CA/,
      );
      assert.ok(!e.message.includes(other.kubernetesClientKey.split("\n")[1]));
    } finally {
      t.close();
      c.stop();
    }
  });

  it("a node that never comes back after a reboot", async () => {
    const c = await fake({ faults: { neverComesBack: ["w-2"] } });
    const t = talosFor(c);
    try {
      await t.reboot("w-2");
      await day2.waitFor(() => c.node("w-2").phase === "down", {
        timeoutMs: 5000,
        describe: () => c.log.toString(),
      });
      const e = await rejection(t.systemStat("w-2"));
      assert.match(
        e.message,
        /^w-2 \(10\.20\.0\.22 via .*\): Talos SystemStat failed after 3 attempts: UNAVAILABLE: connection refused/,
      );
    } finally {
      t.close();
      c.stop();
    }
  });

  it("a node that comes back at the wrong version", async () => {
    const c = await fake({ faults: { wrongVersionAfterUpgrade: { "w-1": "v1.13.1" } } });
    const t = talosFor(c);
    try {
      await t.upgrade("w-1", { image: "ghcr.io/siderolabs/installer:v1.13.3" });
      await t.reboot("w-1");
      await day2.waitFor(() => c.node("w-1").boots === 2 && c.node("w-1").phase === "running", {
        timeoutMs: 5000,
        describe: () => c.log.toString(),
      });
      assert.strictEqual((await t.version("w-1")).tag, "v1.13.1");
    } finally {
      t.close();
      c.stop();
    }
  });

  it("an unhealthy etcd member reports errors and an unhealthy service; the legacy upgrade refuses", async () => {
    const c = await fake({ faults: { unhealthyEtcd: ["cp-2"], legacyOnly: ["cp-1"] } });
    const t = talosFor(c);
    try {
      assert.deepStrictEqual((await t.etcdStatus("cp-2")).errors, [
        "etcdserver: member is unhealthy (fault injected)",
      ]);
      const etcd = (await t.serviceList("cp-2")).find((s) => s.id === "etcd");
      assert.deepStrictEqual(
        [etcd?.healthy, etcd?.lastMessage],
        [false, "etcd member is unhealthy (fault injected)"],
      );
      const e = await rejection(
        t.upgrade("cp-1", { image: "ghcr.io/siderolabs/installer:v1.13.3" }),
      );
      assert.match(
        e.message,
        /^cp-1 .*Talos Upgrade failed: FAILED_PRECONDITION: etcd member cp-2 is not healthy/,
      );
    } finally {
      t.close();
      c.stop();
    }
  });

  it("a 2-member etcd: two members listed, and the legacy upgrade refuses", async () => {
    const c = await fake({ faults: { etcdMembers: ["cp-1", "cp-2"], legacyOnly: ["cp-2"] } });
    const t = talosFor(c);
    try {
      assert.strictEqual((await t.etcdMemberList("cp-1")).length, 2);
      const notMember = await rejection(t.etcdStatus("cp-3"));
      assert.match(
        notMember.message,
        /^cp-3 .*FAILED_PRECONDITION: etcd is not running on cp-3: not a member/,
      );
      const e = await rejection(
        t.upgrade("cp-2", { image: "ghcr.io/siderolabs/installer:v1.13.3" }),
      );
      assert.match(
        e.message,
        /^cp-2 .*FAILED_PRECONDITION: etcd has 2 members: upgrading one of them would lose quorum/,
      );
    } finally {
      t.close();
      c.stop();
    }
  });

  it("an image that cannot be pulled, and an upgrade whose staging fails", async () => {
    const bad = "ghcr.io/siderolabs/installer:v9.9.9";
    const c = await fake({ faults: { badImages: [bad] } });
    const t = talosFor(c);
    try {
      const pull = await rejection(t.pullImage("w-1", bad));
      assert.match(
        pull.message,
        /^w-1 .*Talos ImagePull failed: NOT_FOUND: failed to resolve reference/,
      );
      const up = await rejection(t.upgrade("w-1", { image: bad }));
      assert.match(
        up.message,
        /^w-1 .*Talos LifecycleService\.Upgrade failed: EXIT 1: failed to pull/,
      );
      assert.strictEqual(c.node("w-1").pendingVersion, undefined);
    } finally {
      t.close();
      c.stop();
    }
  });
});
