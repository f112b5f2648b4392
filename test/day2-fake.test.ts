/**
 * The fake cluster itself (packages/day2/fake): it starts in milliseconds, keeps one
 * consistent state across the Talos nodes, etcd and the Kubernetes API, and its call
 * log answers order and overlap questions.
 */
import { strict as assert } from "assert";
import * as net from "net";
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the module object itself, to count tls.createSecureContext: `import *` gives a frozen copy
import tlsModule = require("tls");
import * as day2 from "../packages/day2";
import { CallLog, FakeCluster } from "../packages/day2/fake";
import { fake, kubeFor, NODES, talosFor } from "./support/day2";
import { allowedHost } from "./support/loopbackOnly";
import { parseYaml, parseYamlDocuments, stringifyYaml } from "../packages/day2/fake/yamlMemo";
import * as talosResources from "../packages/day2/fake/talosResources";

describe("day2 fake cluster", () => {
  it("starts five nodes and the API in milliseconds once certificates are cached", async () => {
    await (await fake()).stop(); // warm the certificate cache
    const started = process.hrtime.bigint();
    const c = await fake();
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    c.stop();
    assert.ok(ms < 500, `took ${ms.toFixed(1)} ms`);
  });

  it("hands out loopback endpoints only, and a kubeconfig whose server is the cluster endpoint", async () => {
    const c = await fake({ endpointHost: "10.20.0.10" });
    try {
      for (const ep of [...Object.values(c.endpoints), c.kubernetesEndpoint]) {
        assert.match(ep, /^127\.0\.0\.1:\d+$/);
      }
      assert.strictEqual(day2.readKubeconfig(c.kubeconfig).server, "https://10.20.0.10:6443");
      assert.match(
        Buffer.from(c.clientConfiguration.clientKey, "base64").toString(),
        /^-----BEGIN ED25519 PRIVATE KEY-----\n/,
      );
    } finally {
      c.stop();
    }
  });

  it("a node that never comes back stays down, and its Node stays NotReady", async () => {
    const c = await fake({ faults: { neverComesBack: ["cp-2"] } });
    const t = talosFor(c);
    const k = kubeFor(c);
    try {
      await t.reboot("cp-2");
      await day2.waitFor(() => c.node("cp-2").phase === "down", {
        timeoutMs: 2000,
        describe: () => c.log.toString(),
      });
      assert.strictEqual((await k.getNode("cp-2"))?.ready, false);
      assert.strictEqual(c.etcd.healthy("cp-2"), false);
      assert.strictEqual(c.etcd.hasQuorum(), true);
      assert.deepStrictEqual(c.log.downIntervals("cp-2").length, 1);
      assert.strictEqual(c.log.downIntervals("cp-2")[0][1], Infinity);
    } finally {
      t.close();
      k.close();
      c.stop();
    }
  });

  it("the call log tells serial reboots from overlapping ones", async () => {
    const c = await fake();
    const t = talosFor(c);
    const cps = ["cp-1", "cp-2", "cp-3"];
    const back = (name: string, boots: number) =>
      day2.waitFor(() => c.node(name).boots === boots && c.node(name).phase === "running", {
        timeoutMs: 5000,
        describe: () => c.log.toString(),
      });
    try {
      for (const n of cps) {
        await t.reboot(n);
        await back(n, 2);
      }
      assert.strictEqual(c.log.maxConcurrentDown(cps), 1, c.log.toString());
      await Promise.all(["cp-1", "cp-2"].map((n) => t.reboot(n)));
      await Promise.all([back("cp-1", 3), back("cp-2", 3)]);
      assert.strictEqual(c.log.maxConcurrentDown(cps), 2, c.log.toString());
      const firstReboot = c.log.first({ call: "Reboot", node: "cp-2" });
      const cp1Back = c.log.entries.find(
        (e) => e.node === "cp-1" && e.call === "state" && e.outcome === "running" && e.seq > 0,
      );
      assert.ok(
        firstReboot !== undefined && cp1Back !== undefined && cp1Back.seq < firstReboot.seq,
      );
    } finally {
      t.close();
      c.stop();
    }
  });

  it("learners and a staged configuration behave as on Talos", async () => {
    const c = await fake({ faults: { etcdLearners: ["cp-3"] } });
    const t = talosFor(c);
    try {
      const members = await t.etcdMemberList("cp-1");
      assert.deepStrictEqual(
        members.map((m) => [m.hostname, m.isLearner]),
        [
          ["cp-1", false],
          ["cp-2", false],
          ["cp-3", true],
        ],
      );
      assert.strictEqual((await t.etcdStatus("cp-3")).isLearner, true);
      const cfg = "machine:\n  kubelet:\n    image: ghcr.io/siderolabs/kubelet:v1.37.0\n";
      assert.strictEqual(
        (await t.applyConfiguration("w-1", { data: cfg, mode: "STAGED" })).mode,
        "STAGED",
      );
      assert.strictEqual(c.node("w-1").kubeletVersion, "v1.36.0", "staged, not applied");
      await t.reboot("w-1");
      await day2.waitFor(() => c.node("w-1").kubeletVersion === "v1.37.0", {
        timeoutMs: 5000,
        describe: () => c.log.toString(),
      });
    } finally {
      t.close();
      c.stop();
    }
  });

  it("etcd refuses to lose its healthy majority when a member is unhealthy", async () => {
    const c = await fake({ faults: { unhealthyEtcd: ["cp-2"] } });
    const t = talosFor(c);
    try {
      await assert.rejects(
        t.reset("cp-3", { graceful: true, systemPartitionsToWipe: ["STATE", "EPHEMERAL"] }),
        /^Day2Error: cp-3 .*Talos Reset failed: FAILED_PRECONDITION: removing cp-3 would leave etcd without a healthy majority \(1 of 2 healthy\)/,
      );
      assert.strictEqual(c.node("cp-3").phase, "running", "nothing was reset");
    } finally {
      t.close();
      c.stop();
    }
  });

  it("a later cluster takes the servers a stopped one left: no new TLS context, each answers for its own", async () => {
    await (await fake()).stop(); // servers for these certificates exist and are spare
    const made: string[] = [];
    const create = tlsModule.createSecureContext;
    tlsModule.createSecureContext = (options) => {
      made.push(new Error().stack ?? "");
      return create(options);
    };
    const clusters: FakeCluster[] = [];
    try {
      for (const name of ["first", "second", "third"]) {
        const c = await fake({ clusterName: name, nodes: NODES.slice(0, 2) });
        clusters.push(c);
        // The API answers with this cluster's nodes, through a server another one had.
        const kube = kubeFor(c);
        const talos = talosFor(c);
        try {
          assert.deepEqual((await kube.listNodes()).map((n) => n.name).sort(), ["cp-1", "cp-2"]);
          assert.equal((await talos.version("cp-2")).tag, "v1.13.0");
        } finally {
          kube.close();
          talos.close();
        }
        c.stop();
      }
      // Every server was one a stopped cluster left; the clients' contexts are shared.
      assert.deepEqual(made, []);
      // A stopped cluster's API is closed: nothing answers at its port (the last one's:
      // no later cluster took its server and listened again).
      const last = clusters[clusters.length - 1];
      const refused = await new Promise<boolean>((resolve) => {
        const s = net.connect(Number(last.kubernetesEndpoint.split(":")[1]), "127.0.0.1");
        s.once("connect", () => (s.destroy(), resolve(false)));
        s.once("error", () => resolve(true));
      });
      assert.ok(refused, `${last.kubernetesEndpoint} still accepts connections`);
    } finally {
      tlsModule.createSecureContext = create;
      for (const c of clusters) c.stop();
    }
  });

  it("derives a node's resources from its own configuration, whatever another node derived", () => {
    const node = (config: string) => ({
      role: "controlplane" as const,
      config,
      talosVersion: "v1.13.0",
      kubeletVersion: "v1.36.0",
    });
    const base = talosResources.initialConfig("controlplane", "1.36.0");
    const changed = base.replace("kube-apiserver:v1.36.0", "kube-apiserver:v1.36.1");
    assert.notEqual(changed, base);
    const a = new talosResources.ResourceStore();
    const b = new talosResources.ResourceStore();
    assert.deepEqual(talosResources.reconcile(a, node(base)), [
      "kube-apiserver",
      "kube-controller-manager",
      "kube-scheduler",
    ]);
    assert.deepEqual(talosResources.reconcile(b, node(base)), [
      "kube-apiserver",
      "kube-controller-manager",
      "kube-scheduler",
    ]);
    assert.deepEqual(talosResources.reconcile(b, node(changed)), ["kube-apiserver"]);
    const image = (s: InstanceType<typeof talosResources.ResourceStore>) =>
      s.get("controlplane", "APIServerConfigs.kubernetes.talos.dev", "kube-apiserver")?.yaml;
    assert.match(String(image(a)), /kube-apiserver:v1\.36\.0/);
    assert.match(String(image(b)), /kube-apiserver:v1\.36\.1/);
    // Again the same: nothing moves.
    assert.deepEqual(talosResources.reconcile(a, node(base)), []);
    // The manifests' objects are shared between nodes, so no reader may change them.
    const manifest = a.list("controlplane", "Manifests.kubernetes.talos.dev")[0];
    assert.ok(manifest.objects !== undefined && manifest.objects.length > 0);
    assert.throws(() => {
      (manifest.objects as { kind: string }[])[0].kind = "Changed";
    }, TypeError);
  });

  it("needs a control plane", () => {
    assert.throws(() => new FakeCluster({ nodes: [NODES[3]] }), /needs at least one control plane/);
  });
});

describe("day2 tests stay on loopback", () => {
  it("a connection to an inventory address throws before any packet is sent", () => {
    assert.throws(
      () => net.connect({ host: "10.20.0.11", port: 50000 }),
      /test tried to connect to 10\.20\.0\.11: only loopback is allowed/,
    );
    assert.throws(() => net.connect(6443, "192.168.1.1"), /192\.168\.1\.1/);
    assert.deepStrictEqual(
      ["127.0.0.1", "::1", "localhost", "10.0.0.1", "example.com"].map(allowedHost),
      [true, true, true, false, false],
    );
  });
});

describe("day2 fake YAML memo", () => {
  it("hands out one frozen value per text, so no reader can change another's", () => {
    const text = "machine:\n  kubelet:\n    extraArgs: { a: b }\n";
    const first = parseYaml(text);
    assert.equal(parseYaml(text), first);
    assert.deepEqual(first, { machine: { kubelet: { extraArgs: { a: "b" } } } });
    assert.throws(() => {
      first.machine.kubelet.extraArgs.a = "c";
    }, TypeError);
    const docs = parseYamlDocuments("a: 1\n---\nb: 2\n");
    assert.deepEqual(docs, [{ a: 1 }, { b: 2 }]);
    assert.throws(() => (docs as unknown[]).push({}), TypeError);
    assert.equal(stringifyYaml({ a: [1] }), "a:\n  - 1\n");
    assert.equal(stringifyYaml({ a: [2] }), "a:\n  - 2\n");
  });
});

describe("day2 fake call log helpers", () => {
  it("counts overlap with touching intervals as not overlapping", () => {
    const log = new CallLog();
    const at = (t: number, node: string, state: string) => {
      log.entries.push({ seq: log.entries.length, t, node, call: "state", outcome: state });
    };
    at(0, "a", "rebooting");
    at(10, "a", "running");
    at(10, "b", "rebooting");
    at(20, "b", "running");
    at(15, "c", "down");
    assert.deepStrictEqual(log.downIntervals("a"), [[0, 10]]);
    assert.strictEqual(log.maxConcurrentDown(["a", "b"]), 1);
    assert.strictEqual(log.maxConcurrentDown(["a", "b", "c"]), 2);
  });
});
