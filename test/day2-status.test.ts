/**
 * `npm run day2 -- status`: the pure report (statusReport, formatStatus) on hand-made
 * observations, and the whole command run in-process against the fake cluster, with
 * every endpoint overridden to 127.0.0.1 (the inventory's 10.x addresses are never
 * dialed). Each fault shows as a row and a problem naming the node, never a crash.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { loadInventory } from "../lib/inventory";
import "./support/loopbackOnly";
import * as day2 from "../packages/day2";
import { full, rig } from "./support/day2Cli";
import {
  formatStatus,
  statusReport,
  type Observations,
  type StatusReport,
} from "../tools/day2/status";

const DEV = path.resolve(__dirname, "..", "inventory", "dev");
const LARGE = path.resolve(__dirname, "fixtures", "valid", "large");

function json(out: string): StatusReport {
  return JSON.parse(out) as StatusReport;
}

describe("day2 status (pure report)", () => {
  const inventory = loadInventory(DEV);
  const healthy = (): Observations => ({
    nodes: {
      "dev-cp-1": {
        endpoint: "10.20.0.11:50000",
        version: { ok: "v1.13.0" },
        etcd: {
          ok: {
            memberId: "18000000000000000001",
            leader: "18000000000000000001",
            isLearner: false,
            errors: [],
            protocolVersion: "3.6.0",
            storageVersion: "3.6.0",
            raftIndex: "1",
            raftTerm: "1",
          },
        },
      },
      "dev-worker-1": { endpoint: "10.20.0.21:50000", version: { ok: "v1.13.0" } },
      "dev-gpu-1": { endpoint: "10.20.0.31:50000", version: { ok: "v1.13.0" } },
    },
    etcdMembers: {
      ok: {
        from: "dev-cp-1",
        members: [
          {
            id: "18000000000000000001",
            hostname: "dev-cp-1",
            peerUrls: [],
            clientUrls: [],
            isLearner: false,
          },
        ],
      },
    },
  });

  it("matches when every node runs the inventory's Talos and the control plane is a healthy member", () => {
    const r = statusReport(inventory, healthy());
    assert.deepStrictEqual([r.matches, r.problems, r.kubernetesChecked], [true, [], false]);
    assert.deepStrictEqual(
      r.nodes.map((n) => [
        n.name,
        n.etcdMember,
        n.etcdHealthy,
        n.ready,
        n.kubeletVersion,
        n.wantKubeletVersion,
      ]),
      [
        ["dev-cp-1", true, true, null, null, null],
        ["dev-worker-1", null, null, null, null, null],
        ["dev-gpu-1", null, null, null, null, null],
      ],
    );
    const text = formatStatus(r, "inventory/dev", Infinity);
    assert.strictEqual(
      text[text.length - 1],
      "The cluster matches the inventory (Talos and etcd only: pass --kubeconfig to check Kubernetes).",
    );
    assert.match(
      text[3],
      /^dev-cp-1 +controlplane +10\.20\.0\.11 +v1\.13\.0 +member, healthy +- +-$/,
    );
  });

  it("names each node that differs, and cluster-level surprises", () => {
    const o = healthy();
    const nodes = {
      ...o.nodes,
      "dev-worker-1": { endpoint: "10.20.0.21:50000", version: { ok: "v1.12.4" } },
      "dev-gpu-1": {
        endpoint: "127.0.0.1:1",
        version: { error: "dev-gpu-1 (10.20.0.31 via 127.0.0.1:1): Talos Version failed" },
      },
    };
    const members = [
      ...("ok" in o.etcdMembers ? o.etcdMembers.ok.members : []),
      { id: "5", hostname: "old-cp", peerUrls: [], clientUrls: [], isLearner: false },
    ];
    const r = statusReport(inventory, {
      nodes,
      etcdMembers: { ok: { from: "dev-cp-1", members } },
      kubernetes: {
        ok: [
          {
            name: "dev-cp-1",
            ready: true,
            readyReason: "KubeletReady",
            kubeletVersion: "v1.36.0",
            unschedulable: false,
            annotations: {},
            labels: {},
            allocatable: {},
          },
          {
            name: "dev-worker-1",
            ready: false,
            readyReason: "NodeStatusUnknown",
            kubeletVersion: "v1.35.0",
            unschedulable: false,
            annotations: {},
            labels: {},
            allocatable: {},
          },
          {
            name: "stray",
            ready: true,
            readyReason: "",
            kubeletVersion: "v1.36.0",
            unschedulable: false,
            annotations: {},
            labels: {},
            allocatable: {},
          },
        ],
      },
    });
    assert.strictEqual(r.matches, false);
    assert.deepStrictEqual(r.problems, [
      "dev-worker-1: runs Talos v1.12.4, the inventory wants v1.13.0",
      "dev-worker-1: its Kubernetes Node is not Ready (NodeStatusUnknown)",
      "dev-worker-1: runs kubelet v1.35.0, the inventory wants v1.36.0",
      "dev-gpu-1 (10.20.0.31 via 127.0.0.1:1): Talos Version failed",
      "dev-gpu-1: has no Kubernetes Node",
      "etcd: member old-cp (id 5) is not a control plane in the inventory",
      "Kubernetes: Node stray is not in the inventory",
    ]);
    assert.deepStrictEqual(r.warnings, [
      "etcd has 2 members (dev-cp-1, old-cp): losing either one loses quorum; add a third control plane",
    ]);
    const text = formatStatus(r, "inventory/dev", Infinity);
    assert.match(
      text.find((l) => l.startsWith("dev-gpu-1")) ?? "",
      /10\.20\.0\.31 via 127\.0\.0\.1:1 +unreachable +- +no Node +unknown$/,
    );
    assert.strictEqual(
      text[text.length - 1],
      "The cluster does not match the inventory: 2 of 3 nodes differ, 7 problems.",
    );
  });

  it("reports an unknown etcd membership without inventing members", () => {
    const o = healthy();
    const r = statusReport(inventory, {
      ...o,
      etcdMembers: { error: "no control plane answered" },
    });
    assert.deepStrictEqual(r.problems, ["etcd: membership unknown: no control plane answered"]);
    assert.strictEqual(r.nodes[0].etcdMember, true, "its own status still says it is a member");
  });
});

describe("day2 status against the fake cluster", () => {
  it("matches a healthy cluster: text ends with one verdict line, exit 0", async () => {
    const r = await rig(DEV);
    try {
      const { code, out, err } = await r.run(full(r, DEV));
      assert.strictEqual(err, "");
      assert.strictEqual(code, 0, out);
      const lines = out.trimEnd().split("\n");
      assert.strictEqual(lines[lines.length - 1], "The cluster matches the inventory.");
      assert.match(
        lines[0],
        /: cluster dev, inventory wants Talos v1\.13\.0, Kubernetes 1\.36\.0$/,
      );
      assert.match(
        out,
        /\ndev-cp-1 +controlplane +10\.20\.0\.11 via 127\.0\.0\.1:\d+ +v1\.13\.0 +member, healthy +yes +v1\.36\.0\n/,
      );
      assert.match(
        out,
        /\ndev-gpu-1 +worker +10\.20\.0\.31 via 127\.0\.0\.1:\d+ +v1\.13\.0 +- +yes, 1 gpu +v1\.36\.0\n/,
      );
    } finally {
      r.close();
    }
  });

  it("--json writes one clean document with the documented fields", async () => {
    const r = await rig(DEV);
    try {
      const { code, out } = await r.run(full(r, DEV, "--json"));
      assert.strictEqual(code, 0);
      const doc = json(out);
      assert.strictEqual(doc.matches, true);
      assert.deepStrictEqual(doc.nodes[0], {
        name: "dev-cp-1",
        role: "controlplane",
        address: "10.20.0.11",
        endpoint: r.cluster.endpoints["dev-cp-1"],
        talosVersion: "v1.13.0",
        wantTalosVersion: "v1.13.0",
        etcdMember: true,
        etcdHealthy: true,
        ready: true,
        kubeletVersion: "v1.36.0",
        cordoned: null,
        gpus: null,
        wantKubeletVersion: "v1.36.0",
        pendingHardware: null,
        matches: true,
        problems: [],
      });
      assert.deepStrictEqual(
        doc.nodes.map((n) => n.etcdMember),
        [true, null, null],
      );
    } finally {
      r.close();
    }
  });

  it("without a kubeconfig, ready and kubeletVersion are null", async () => {
    const r = await rig(DEV);
    try {
      const { code, out } = await r.run([
        DEV,
        "--talosconfig",
        r.files.talosconfig,
        "--endpoints",
        r.files.endpoints,
        "--json",
      ]);
      assert.strictEqual(code, 0);
      const doc = json(out);
      assert.strictEqual(doc.kubernetesChecked, false);
      assert.ok(doc.nodes.every((n) => n.ready === null && n.kubeletVersion === null));
      assert.strictEqual(r.cluster.log.calls({ node: "kubernetes" }).length, 0);
    } finally {
      r.close();
    }
  });

  it("reads em-infra:talosEndpoints, kubernetesEndpoint and the inventory from Pulumi.<stack>.yaml", async () => {
    const r = await rig(DEV);
    try {
      const eps = Object.entries(r.cluster.endpoints).map(([k, v]) => `    ${k}: "${v}"`);
      fs.writeFileSync(
        path.join(r.dir, "Pulumi.lab.yaml"),
        [
          "config:",
          `  em-infra:inventory: ${DEV}`,
          "  em-infra:talosEndpoints:",
          ...eps,
          `  em-infra:kubernetesEndpoint: "${r.cluster.kubernetesEndpoint}"`,
          "",
        ].join("\n"),
      );
      const { code, out } = await r.run([
        "--stack",
        "lab",
        "--talosconfig",
        r.files.talosconfig,
        "--kubeconfig",
        r.files.kubeconfig,
        "--json",
      ]);
      assert.strictEqual(code, 0, out);
      assert.ok(
        json(out).nodes.every((n) => n.ready === true && n.endpoint.startsWith("127.0.0.1:")),
      );
    } finally {
      r.close();
    }
  });

  it("an unreachable node is a row and a problem naming it, not a crash; exit 1", async () => {
    const r = await rig(DEV, { faults: { connectionRefused: ["dev-worker-1"] } });
    try {
      const { code, out } = await r.run(full(r, DEV));
      assert.strictEqual(code, 1);
      assert.match(
        out,
        /\ndev-worker-1 +worker +10\.20\.0\.21 via 127\.0\.0\.1:\d+ +unreachable +- +no +v1\.36\.0\n/,
      );
      assert.match(
        out,
        /\n {2}dev-worker-1 \(10\.20\.0\.21 via 127\.0\.0\.1:\d+\): Talos Version failed after 2 attempts: UNAVAILABLE: connection refused/,
      );
      assert.match(
        out,
        /\n {2}dev-worker-1: its Kubernetes Node is not Ready \(NodeStatusUnknown\)\n/,
      );
      assert.match(
        out,
        /\nThe cluster does not match the inventory: 1 of 3 nodes differ, 2 problems\.\n$/,
      );
    } finally {
      r.close();
    }
  });

  it("a node at the wrong version and a kubelet at the wrong version", async () => {
    const r = await rig(DEV);
    try {
      r.cluster.node("dev-gpu-1").version = "v1.12.9";
      r.cluster.node("dev-worker-1").kubeletVersion = "v1.35.4";
      const { code, out } = await r.run(full(r, DEV, "--json"));
      assert.strictEqual(code, 1);
      const doc = json(out);
      assert.deepStrictEqual(doc.problems, [
        "dev-worker-1: runs kubelet v1.35.4, the inventory wants v1.36.0",
        "dev-gpu-1: runs Talos v1.12.9, the inventory wants v1.13.0",
      ]);
      assert.deepStrictEqual(
        doc.nodes.map((n) => n.matches),
        [true, false, false],
      );
    } finally {
      r.close();
    }
  });

  it("bootstrap manifests the cluster holds other than Talos renders them are a warning naming each, not a problem", async () => {
    const r = await rig(DEV);
    try {
      // What Talos created at bootstrap, then edited by hand (kubectl edit, an update):
      // Talos never puts it back.
      const proxy = r.cluster.kube.objects.get("DaemonSet", "kube-system", "kube-proxy");
      proxy.spec.template.spec.containers[0].image = "registry.example/kube-proxy:edited";
      r.cluster.kube.objects.update("DaemonSet", "kube-system", "kube-proxy", proxy, {
        manager: "kubectl-edit",
        apiVersion: "apps/v1",
      });
      r.cluster.kube.objects.delete("Service", "kube-system", "kube-dns");
      const doc = json((await r.run(full(r, DEV, "--json"))).out);
      assert.deepStrictEqual(doc.warnings.slice(0, 1), [
        "bootstrap manifests differ from what dev-cp-1 renders: DaemonSet/kube-system/kube-proxy (differs), Service/kube-system/kube-dns (missing); the next pulumi up that changes Talos, Kubernetes or a control plane's configuration syncs them (or talosctl upgrade-k8s --to 1.36.0)",
      ]);
      assert.strictEqual(doc.matches, true, "a warning, not a problem");
    } finally {
      r.close();
    }
  });

  it("a GPU worker shows its allocatable GPUs, and one whose Node advertises none is a problem", async () => {
    const r = await rig(DEV, { gpus: {} });
    try {
      const { code, out } = await r.run(full(r, DEV, "--json"));
      assert.strictEqual(code, 1);
      const doc = json(out);
      assert.deepStrictEqual(
        doc.nodes.map((n) => n.gpus),
        [null, null, 0],
      );
      assert.deepStrictEqual(doc.problems, [
        "dev-gpu-1: a GPU worker whose Node advertises no nvidia.com/gpu, so no pod can request its GPU (is the NVIDIA device plugin running on it?)",
      ]);
    } finally {
      r.close();
    }
    const ok = await rig(DEV, { gpus: { "dev-gpu-1": 2 } });
    try {
      const doc = json((await ok.run(full(ok, DEV, "--json"))).out);
      assert.strictEqual(doc.nodes[2].gpus, 2);
      assert.strictEqual(doc.matches, true);
    } finally {
      ok.close();
    }
  });

  it("knows the add-ons: each running, and one missing or not rolled out is a problem naming it", async () => {
    const healthy = await rig(DEV);
    try {
      const { code, out } = await healthy.run(full(healthy, DEV));
      assert.strictEqual(code, 0, out);
      assert.match(
        out,
        /\nAdd-ons: nvidia-device-plugin running, local-path-provisioner running, metrics-server running, kubelet-serving-cert-approver running\n/,
      );
      const doc = json((await healthy.run(full(healthy, DEV, "--json"))).out);
      assert.deepStrictEqual(
        doc.addons?.map((a) => `${a.object}: ${a.seen}`),
        [
          "DaemonSet kube-system/nvidia-device-plugin-daemonset: rolled out",
          "Deployment local-path-storage/local-path-provisioner: rolled out",
          "StorageClass local-path: the default class",
          "Deployment kube-system/metrics-server: rolled out",
          "Deployment kubelet-serving-cert-approver/kubelet-serving-cert-approver: rolled out",
        ],
      );
    } finally {
      healthy.close();
    }
    const broken = await rig(DEV, {
      faults: { badImages: ["docker.io/rancher/local-path-provisioner:v0.0.37"] },
    });
    try {
      broken.cluster.kube.objects.delete("Deployment", "kube-system", "metrics-server");
      const { code, out } = await broken.run(full(broken, DEV));
      assert.strictEqual(code, 1, out);
      assert.match(out, /local-path-provisioner NOT running, metrics-server NOT running/);
      assert.match(
        out,
        /add-on metrics-server: Deployment kube-system\/metrics-server missing \(Talos creates/,
      );
      assert.match(
        out,
        /add-on local-path-provisioner: Deployment local-path-storage\/local-path-provisioner not rolled out \(available 0\/1\)/,
      );
    } finally {
      broken.close();
    }
  });

  it("a node the rollout left cordoned is a problem; one cordoned by someone else is a warning", async () => {
    const r = await rig(DEV);
    const k = day2.createKubeClient({
      kubeconfig: r.cluster.kubeconfig,
      endpoint: r.cluster.kubernetesEndpoint,
    });
    try {
      await k.cordon("dev-worker-1", {
        annotation: { key: "em-infra.dev/cordoned-by", value: "rollout" },
      });
      await k.cordon("dev-gpu-1");
      const { code, out } = await r.run(full(r, DEV, "--json"));
      assert.strictEqual(code, 1);
      const doc = json(out);
      assert.deepStrictEqual(
        doc.nodes.map((n) => n.cordoned),
        [null, "rollout", "other"],
      );
      assert.deepStrictEqual(doc.problems, [
        "dev-worker-1: cordoned by an earlier rollout that did not finish it (annotation em-infra.dev/cordoned-by); the health gate fails while it is unschedulable. The next pulumi up uncordons it once it is at its targets and healthy",
      ]);
      assert.deepStrictEqual(
        doc.warnings.filter((w) => /cordon/.test(w)),
        [
          "dev-gpu-1: cordoned, not by the rollout; the health gate fails while it is unschedulable (kubectl uncordon dev-gpu-1)",
        ],
      );
      const text = (await r.run(full(r, DEV))).out;
      assert.match(text, /dev-worker-1 .* yes, cordoned \(rollout\) /);
    } finally {
      k.close();
      r.close();
    }
  });

  it("an unhealthy etcd member, a 2-member etcd, a wrong certificate and a hung call, in a 3-control-plane cluster", async () => {
    const r = await rig(LARGE, {
      faults: {
        etcdMembers: ["lab-cp-1", "lab-cp-2"],
        unhealthyEtcd: ["lab-cp-2"],
        wrongCertIp: ["lab-worker-2"],
        hang: [{ node: "lab-worker-3", call: "Version" }],
      },
    });
    try {
      const { code, out } = await r.run(full(r, LARGE));
      assert.strictEqual(code, 1);
      const problems = out.split("\nProblems")[1];
      assert.match(
        problems,
        /\n {2}lab-cp-2: its etcd member reports errors: etcdserver: member is unhealthy \(fault injected\)\n/,
      );
      assert.match(problems, /\n {2}lab-cp-3: is not an etcd member\n/);
      assert.match(
        problems,
        /\n {2}lab-worker-2 \(10\.40\.0\.22 via 127\.0\.0\.1:\d+\): Talos Version failed: TLS: server certificate is not valid for 10\.40\.0\.22/,
      );
      assert.match(
        problems,
        /\n {2}lab-worker-3 \(10\.40\.0\.23 via 127\.0\.0\.1:\d+\): Talos Version failed after 2 attempts: DEADLINE_EXCEEDED: no answer within 400 ms/,
      );
      assert.match(
        out,
        /\nWarnings \(2\)\n {2}etcd has 2 members \(lab-cp-1, lab-cp-2\): losing either one loses quorum; add a third control plane\n/,
      );
      assert.match(
        out,
        /\nlab-cp-2 +controlplane +\S+ via \S+ +v1\.13\.0 +member, unhealthy +yes +v1\.35\.3\n/,
      );
    } finally {
      r.close();
    }
  });

  it("refuses bad input with exit 2 and a message naming the key or flag", async () => {
    const r = await rig(DEV);
    try {
      const noTalosconfig = await r.run([DEV]);
      assert.deepStrictEqual(
        [noTalosconfig.code, noTalosconfig.err],
        [
          2,
          "--talosconfig FILE is required; export it from the stack: (umask 077 && npx pulumi stack output talosconfig --show-secrets > talosconfig)\nrun `npm run day2 -- status --help` for usage\n",
        ],
      );
      const missing = await r.run([DEV, "--talosconfig", path.join(r.dir, "nope")]);
      assert.deepStrictEqual(
        [missing.code, missing.err],
        [
          2,
          `--talosconfig ${path.join(r.dir, "nope")}: no such file; export it from the stack: (umask 077 && npx pulumi stack output talosconfig --show-secrets > talosconfig)\n`,
        ],
      );
      const unknown = await r.run([DEV, "--talosconfig", r.files.talosconfig, "--frobnicate"]);
      assert.deepStrictEqual(
        [unknown.code, unknown.err.split("\n")[0]],
        [2, "unknown option --frobnicate"],
      );
      fs.writeFileSync(
        r.files.endpoints,
        JSON.stringify({ "dev-cp-9": "127.0.0.1:1", "dev-cp-1": "127.0.0.1:0" }),
      );
      const bad = await r.run([
        DEV,
        "--talosconfig",
        r.files.talosconfig,
        "--endpoints",
        r.files.endpoints,
      ]);
      assert.strictEqual(bad.code, 2);
      assert.strictEqual(
        bad.err,
        `${r.files.endpoints}: dev-cp-9: "dev-cp-9" is not a node in the inventory (nodes: dev-cp-1, dev-worker-1, dev-gpu-1)\n` +
          `${r.files.endpoints}: dev-cp-1: "127.0.0.1:0": port 0 is not between 1 and 65535\n`,
      );
      fs.writeFileSync(r.files.endpoints, JSON.stringify(r.cluster.endpoints));
      const badKube = await r.run(
        full(r, DEV).map((a) => (a === r.cluster.kubernetesEndpoint ? "nope" : a)),
      );
      assert.deepStrictEqual(
        [badKube.code, badKube.err],
        [2, '--kubernetes-endpoint: "nope" is not host:port\n'],
      );
      const noInventory = await r.run([
        path.join(r.dir, "missing"),
        "--talosconfig",
        r.files.talosconfig,
      ]);
      assert.strictEqual(noInventory.code, 2);
      assert.match(noInventory.err, /inventory folder not found/);
      const noStack = await r.run(["--stack", "nope", "--talosconfig", r.files.talosconfig]);
      assert.deepStrictEqual(
        [noStack.code, noStack.err],
        [2, `stack config ${path.join(r.dir, "Pulumi.nope.yaml")} not found\n`],
      );
      assert.strictEqual(r.cluster.log.calls().length, 0, "nothing was dialed");
    } finally {
      r.close();
    }
  });
});
