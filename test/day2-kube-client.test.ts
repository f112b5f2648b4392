/**
 * The Kubernetes API client (packages/day2/lib/kube.js) against the fake API on
 * 127.0.0.1: it dials the endpoint override but verifies TLS against the kubeconfig's
 * server, and its errors name the call, the object and the status.
 */
import { strict as assert } from "assert";
import * as net from "net";
import * as day2 from "../packages/day2";
import { fake, FAST, kubeFor, rejection, talosFor } from "./support/day2";

/** A loopback port nothing listens on. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

describe("day2 Kubernetes client against the fake API", () => {
  it("reads the kubeconfig's current context, and names what is missing", () => {
    assert.throws(
      () => day2.readKubeconfig("current-context: x\ncontexts: []\n", "kc"),
      /^Day2InputError: kc: current-context "x" not found$/,
    );
  });

  it("lists nodes with Ready and kubelet version; a rebooting node is NotReady", async () => {
    const c = await fake({ rebootMs: 200 });
    const k = kubeFor(c);
    const t = talosFor(c);
    try {
      const nodes = await k.listNodes();
      assert.deepStrictEqual(
        nodes.map((n) => [n.name, n.ready, n.kubeletVersion]),
        c.nodes.map((n) => [n.name, true, "v1.36.0"]),
      );
      await t.reboot("w-1");
      await day2.waitFor(() => c.node("w-1").phase === "rebooting", {
        timeoutMs: 2000,
        describe: () => c.log.toString(),
      });
      const during = await k.getNode("w-1");
      assert.deepStrictEqual([during?.ready, during?.readyReason], [false, "NodeStatusUnknown"]);
      await day2.waitFor(async () => (await k.getNode("w-1"))?.ready === true, {
        timeoutMs: 5000,
        describe: () => c.log.toString(),
      });
    } finally {
      k.close();
      t.close();
      c.stop();
    }
  });

  it("cordons with an annotation and uncordons removing it", async () => {
    const c = await fake();
    const k = kubeFor(c);
    try {
      const key = "em-infra.dev/cordoned-by";
      const n = await k.cordon("w-2", { annotation: { key, value: "rollout" } });
      assert.deepStrictEqual([n.unschedulable, n.annotations[key]], [true, "rollout"]);
      assert.strictEqual(c.kube.cordoned("w-2"), true);
      const u = await k.uncordon("w-2", { removeAnnotation: key });
      assert.deepStrictEqual([u.unschedulable, key in u.annotations], [false, false]);
      assert.deepStrictEqual(
        c.log.calls({ node: "w-2" }).map((e) => `${e.call} ${e.outcome}`),
        ["PATCH node 200", "PATCH node 200"],
      );
    } finally {
      k.close();
      c.stop();
    }
  });

  it("drains: evicts ordinary pods, skips DaemonSet and mirror pods, retries a PDB's 429", async () => {
    const c = await fake({
      pods: [{ namespace: "web", name: "web-0", node: "cp-1", ownerKind: "StatefulSet", pdb: 2 }],
    });
    const k = kubeFor(c);
    try {
      const pods = await k.listPods("cp-1");
      assert.deepStrictEqual(
        pods.map((p) => [p.name, p.ownerKind, p.mirror]),
        [
          ["kube-proxy-cp-1", "DaemonSet", false],
          ["kube-apiserver-cp-1", "Node", true],
          ["kube-controller-manager-cp-1", "Node", true],
          ["kube-scheduler-cp-1", "Node", true],
          ["web-0", "StatefulSet", false],
        ],
      );
      const out = await k.drain("cp-1", { timeoutMs: 2000, retry: { baseMs: 5, maxMs: 10 } });
      assert.deepStrictEqual(out, {
        evicted: ["web/web-0"],
        skipped: [
          "kube-system/kube-proxy-cp-1",
          "kube-system/kube-apiserver-cp-1",
          "kube-system/kube-controller-manager-cp-1",
          "kube-system/kube-scheduler-cp-1",
        ],
      });
      assert.deepStrictEqual(
        c.log.calls({ call: "POST eviction" }).map((e) => e.outcome),
        ["429", "429", "201"],
      );
      assert.deepStrictEqual(
        c.kube.podsOn("cp-1").map((p) => p.name),
        [
          "kube-proxy-cp-1",
          "kube-apiserver-cp-1",
          "kube-controller-manager-cp-1",
          "kube-scheduler-cp-1",
        ],
      );
    } finally {
      k.close();
      c.stop();
    }
  });

  it("a PDB that never allows eviction: the drain fails at its deadline naming node and pod", async () => {
    const c = await fake({ faults: { pdbNeverAllows: ["default/app-w-1"] } });
    const k = kubeFor(c);
    try {
      const started = Date.now();
      const e = await rejection(
        k.drain("w-1", { timeoutMs: 150, retry: { baseMs: 10, maxMs: 40 } }),
      );
      assert.match(
        e.message,
        /^node\/w-1: drain failed after \d+ attempts: 429 TooManyRequests: pod default\/app-w-1 could not be evicted within the 150 ms drain deadline: its PodDisruptionBudget refused \d+ times \(let the budget allow it/,
      );
      assert.ok(Date.now() - started < 1000, "bounded by the deadline");
      assert.ok(c.log.calls({ call: "POST eviction", outcome: "429" }).length >= 2);
      assert.deepStrictEqual(
        c.kube.podsOn("w-1").map((p) => p.name),
        ["kube-proxy-w-1", "app-w-1"],
      );
    } finally {
      k.close();
      c.stop();
    }
  });

  it("mirror pods show the static pod images a control plane's configuration sets", async () => {
    const c = await fake();
    const k = kubeFor(c);
    const t = talosFor(c);
    try {
      const images = async () =>
        (await k.listPods("cp-2"))
          .filter((p) => p.mirror)
          .map((p) => p.containers.map((x) => `${x.name}=${x.image}`).join());
      assert.deepStrictEqual(await images(), [
        "kube-apiserver=registry.k8s.io/kube-apiserver:v1.36.0",
        "kube-controller-manager=registry.k8s.io/kube-controller-manager:v1.36.0",
        "kube-scheduler=registry.k8s.io/kube-scheduler:v1.36.0",
      ]);
      const cfg = "cluster:\n  apiServer:\n    image: registry.k8s.io/kube-apiserver:v1.37.0\n";
      await t.applyConfiguration("cp-2", { data: cfg, mode: "NO_REBOOT" });
      assert.strictEqual(
        (await images())[0],
        "kube-apiserver=registry.k8s.io/kube-apiserver:v1.37.0",
      );
      assert.strictEqual(
        (await images())[1],
        "kube-controller-manager=registry.k8s.io/kube-controller-manager:v1.36.0",
      );
    } finally {
      k.close();
      t.close();
      c.stop();
    }
  });

  it("deletes a Node; deleting it again is not an error", async () => {
    const c = await fake();
    const k = kubeFor(c);
    try {
      assert.strictEqual(await k.deleteNode("w-2"), "deleted");
      assert.strictEqual(await k.getNode("w-2"), null);
      assert.strictEqual(await k.deleteNode("w-2"), "absent");
      assert.deepStrictEqual(
        (await k.listNodes()).map((n) => n.name),
        ["cp-1", "cp-2", "cp-3", "w-1"],
      );
    } finally {
      k.close();
      c.stop();
    }
  });

  it("reads and server-side applies kube-proxy's image; a missing object is null, an unserved kind names itself", async () => {
    const c = await fake();
    const k = kubeFor(c);
    const ref = {
      apiVersion: "apps/v1",
      kind: "DaemonSet",
      namespace: "kube-system",
      name: "kube-proxy",
    };
    try {
      const ds = await k.getObject(ref);
      assert.strictEqual(
        ds.spec.template.spec.containers[0].image,
        "registry.k8s.io/kube-proxy:v1.36.0",
      );
      const applied = JSON.parse(JSON.stringify(ds));
      delete applied.status;
      applied.spec.template.spec.containers[0].image = "registry.k8s.io/kube-proxy:v1.37.0";
      await k.applyObject(applied, { fieldManager: "em-infra-test", force: true });
      assert.strictEqual(
        (await k.getObject(ref)).spec.template.spec.containers[0].image,
        "registry.k8s.io/kube-proxy:v1.37.0",
      );
      assert.strictEqual(await k.getObject({ ...ref, name: "nope" }), null);
      assert.deepStrictEqual(
        (await k.listObjects({ apiVersion: "apps/v1", kind: "DaemonSet" })).map(
          (o: { metadata: { name: string } }) => o.metadata.name,
        ),
        ["kube-flannel", "kube-proxy"],
      );
      const e = await rejection(k.getObject({ ...ref, apiVersion: "apps/v1beta9" }));
      assert.match(e.message, /the API server does not serve DaemonSet at apps\/v1beta9/);
      assert.strictEqual(await k.deleteObject(ref), "deleted");
      assert.strictEqual(await k.deleteObject(ref), "absent");
    } finally {
      k.close();
      c.stop();
    }
  });

  it("verifies TLS against the kubeconfig's server host, not the address dialed", async () => {
    const c = await fake();
    const wrongHost = c.kubeconfig.replace("https://10.20.0.11:6443", "https://10.20.0.99:6443");
    const k = day2.createKubeClient({
      kubeconfig: wrongHost,
      endpoint: c.kubernetesEndpoint,
      ...FAST,
    });
    try {
      const e = (await rejection(k.listNodes())) as InstanceType<typeof day2.Day2Error>;
      assert.strictEqual(e.code, "TLS");
      assert.strictEqual(e.attempts, 1);
      assert.match(
        e.message,
        /^nodes: Kubernetes GET \/api\/v1\/nodes failed: TLS: server certificate is not valid for 10\.20\.0\.99 \(its names: IP Address:10\.20\.0\.11\)/,
      );
      assert.strictEqual(c.log.calls({ call: "GET nodes" }).length, 0);
    } finally {
      k.close();
      c.stop();
    }
  });

  it("a call that hangs: TIMEOUT after bounded retries, naming the call", async () => {
    const c = await fake({ faults: { kubeHang: ["GET /api/v1/nodes"] } });
    const k = day2.createKubeClient({
      kubeconfig: c.kubeconfig,
      endpoint: c.kubernetesEndpoint,
      timeoutMs: 100,
      retry: { attempts: 2, baseMs: 5, maxMs: 5 },
    });
    try {
      const e = await rejection(k.listNodes());
      assert.strictEqual(
        e.message,
        "nodes: Kubernetes GET /api/v1/nodes failed after 2 attempts: TIMEOUT: no answer within 100 ms",
      );
      assert.strictEqual(c.log.calls({ call: "GET nodes", outcome: "hung" }).length, 2);
    } finally {
      k.close();
      c.stop();
    }
  });

  it("a connection refused names the address dialed", async () => {
    const c = await fake();
    const port = await closedPort();
    const k = day2.createKubeClient({
      kubeconfig: c.kubeconfig,
      endpoint: `127.0.0.1:${port}`,
      ...FAST,
    });
    try {
      const e = await rejection(k.listNodes());
      assert.match(
        e.message,
        new RegExp(
          `^nodes: Kubernetes GET /api/v1/nodes failed after 3 attempts: REFUSED: connect ECONNREFUSED 127\\.0\\.0\\.1:${port} \\(dialed 127\\.0\\.0\\.1:${port}\\)$`,
        ),
      );
    } finally {
      k.close();
      c.stop();
    }
  });
});
