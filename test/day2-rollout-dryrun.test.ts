/**
 * `npm run day2 -- rollout --dry-run` against the fake cluster: the next rollout's steps
 * from what the nodes say, read-only.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import "./support/loopbackOnly";
import { loadInventory } from "../lib/inventory";
import { buildClusterModel } from "../lib/model";
import { startFakeCluster, type FakeCluster } from "../packages/day2/fake";
import { runDay2 } from "../scripts/day2";
import { formatDryRun, rolloutDryRun, type DryRun } from "../tools/day2/rolloutPlan";
import { DEV } from "./support/program";
import { tempDir } from "./support/tmp";

/** Calls that change something on a node or in Kubernetes. */
const MUTATING =
  /Upgrade|Reboot|Reset|ApplyConfiguration|Leave|Remove|Forfeit|Pull|PATCH|POST|DELETE/;

describe("day2 rollout --dry-run", function () {
  const inventory = loadInventory(DEV);
  let cluster: FakeCluster;
  let dir: string;

  before(async function () {
    // The inventory wants v1.13.0 and 1.36.0; the control plane still runs v1.12.9.
    cluster = await startFakeCluster({
      nodes: inventory.nodes.map((n) => ({ name: n.name, ip: n.ip, role: n.role })),
      clusterName: "dev",
      endpointHost: inventory.endpoint.host,
      talosVersion: "v1.13.0",
      kubernetesVersion: "1.35.0",
    });
    cluster.node("dev-cp-1").version = "v1.12.9";
    dir = tempDir("dryrun");
    fs.writeFileSync(path.join(dir, "talosconfig"), cluster.talosconfig, { mode: 0o600 });
    fs.writeFileSync(path.join(dir, "kubeconfig"), cluster.kubeconfig, { mode: 0o600 });
    fs.writeFileSync(path.join(dir, "endpoints.json"), JSON.stringify(cluster.endpoints));
  });
  after(function () {
    cluster?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  async function run(...extra: string[]) {
    let out = "";
    let err = "";
    const code = await runDay2(
      [
        "rollout",
        "--wide",
        DEV,
        "--talosconfig",
        path.join(dir, "talosconfig"),
        "--kubeconfig",
        path.join(dir, "kubeconfig"),
        "--endpoints",
        path.join(dir, "endpoints.json"),
        "--kubernetes-endpoint",
        cluster.kubernetesEndpoint,
        ...extra,
      ],
      { write: (s: string) => (out += s) },
      { write: (s: string) => (err += s) },
      { projectRoot: dir, timeoutMs: 400, retry: { attempts: 2, baseMs: 5, maxMs: 5 } },
    );
    return { code, out, err };
  }

  it("lists every node in rollout order, with what it would do and why, and changes nothing", async function () {
    const { code, out } = await run("--dry-run", "--json");
    assert.equal(code, 1);
    const plan = JSON.parse(out) as DryRun;
    assert.deepEqual(
      plan.nodes.map((n) => [n.batch, n.name]),
      [
        [1, "dev-cp-1"],
        [2, "dev-worker-1"],
        [3, "dev-gpu-1"],
      ],
    );
    const cp = plan.nodes[0];
    assert.match(cp.why, /runs Talos v1\.12\.9, the inventory wants v1\.13\.0/);
    // talosctl's order: pull, stage, and only then cordon, drain and reboot.
    assert.deepEqual(
      cp.steps.slice(0, 6).map((s) => s.split(" ").slice(0, 2).join(" ")),
      ["pull the", "stage the", "cordon and", "reboot", "wait for", "uncordon"],
    );
    assert.match(cp.steps[1], /^stage the upgrade Talos v1\.12\.9 → v1\.13\.0/);
    assert.match(cp.steps[4], /API server, controller manager and scheduler pods Ready/);
    const worker = plan.nodes[1];
    assert.match(
      worker.why,
      /already runs Talos v1\.13\.0; kubelet v1\.35\.0, the inventory wants v1\.36\.0/,
    );
    assert.equal(worker.steps.length, 1);
    assert.match(worker.steps[0], /its kubelet \(no reboot\), after every control-plane component/);
    // upgrade-k8s's order across nodes: checks, pre-pull, each component, kube-proxy,
    // kubelets, manifests.
    assert.deepEqual(
      plan.kubernetes.map((s) => s.split(/[ :]/)[0]),
      [
        "check",
        "pre-pull",
        "kube-apiserver",
        "kube-controller-manager",
        "kube-scheduler",
        "kube-proxy's",
        "kubelets",
        "sync",
        "apply",
      ],
    );
    assert.match(
      plan.kubernetes[2],
      /^kube-apiserver on dev-cp-1: its image patched into the running configuration \(no reboot; with its section as the inventory renders it, when that changed\), then its pod Ready at the new configuration version/,
    );
    assert.match(
      plan.kubernetes[6],
      /^kubelets: dev-cp-1, then the workers in 2 batches of up to 1/,
    );
    assert.match(plan.kubernetes[7], /talos-bootstrap-manifests-inventory/);
    assert.match(plan.notes.join("\n"), /one control plane: the Kubernetes API is down/);
    assert.deepEqual(
      cluster.log.calls().filter((c) => MUTATING.test(c.call) && !/\(dry run\)$/.test(c.call)),
      [],
      "a dry run only reads",
    );
  });

  it("prints the same as text, and refuses to run without --dry-run", async function () {
    const text = await run("--dry-run");
    assert.match(text.out, /^1\. dev-cp-1 \(controlplane\): included: runs Talos v1\.12\.9/m);
    assert.match(text.out, /3 of 3 nodes would be rolled; nothing was changed\.$/m);
    assert.match(
      text.out,
      /^Kubernetes v1\.36\.0, in this order:\n {2}1\. check that nothing Kubernetes v1\.36\.0 removes is in use.*\n {2}2\. pre-pull/m,
    );
    const refused = await run();
    assert.equal(refused.code, 2);
    assert.match(refused.err, /rollout needs --dry-run/);
  });

  it("after a failed upgrade, shows the component a revert rolls back though every kubelet is at the target", function () {
    const model = buildClusterModel(inventory);
    const want = `v${model.kubernetesVersion}`;
    const at = (tags: Record<string, string>) => ({ ok: tags });
    const run = rolloutDryRun(model, {
      nodes: {
        "dev-cp-1": {
          endpoint: "x",
          version: { ok: "v1.13.0" },
          components: at({
            kubelet: want,
            "kube-apiserver": "v1.37.0",
            "kube-controller-manager": want,
            "kube-scheduler": want,
            "kube-proxy": want,
          }),
        },
        "dev-worker-1": {
          endpoint: "x",
          version: { ok: "v1.13.0" },
          components: at({ kubelet: want }),
        },
        "dev-gpu-1": {
          endpoint: "x",
          version: { ok: "v1.13.0" },
          components: at({ kubelet: want }),
        },
      },
      etcdMembers: { error: "not asked" },
    } as never);
    assert.match(
      run.nodes[0].why,
      new RegExp(
        `runs kube-apiserver v1\\.37\\.0, the inventory wants ${want.replace(/\./g, "\\.")}`,
      ),
    );
    assert.match(
      run.nodes[0].steps[0],
      /its kube-apiserver rolled to it in the component steps below/,
    );
    assert.deepEqual(run.nodes[1].steps, []);
    assert.ok(run.kubernetes.length > 0, "the Kubernetes steps are listed");
    assert.match(
      run.notes.join("\n"),
      /setting kubernetes\.version back within the minor .* rolls back every component that moved/,
    );
  });

  it("skips a node the inventory already describes, and refuses a 2-member etcd up front", function () {
    const model = buildClusterModel(inventory);
    const run = rolloutDryRun(model, {
      nodes: {
        "dev-cp-1": { endpoint: "x", version: { ok: "v1.13.0" } },
        "dev-worker-1": { endpoint: "x", version: { ok: "v1.13.0" } },
        "dev-gpu-1": { endpoint: "x", version: { error: "dev-gpu-1: connection refused" } },
      },
      etcdMembers: {
        ok: {
          from: "dev-cp-1",
          members: [
            { id: "1", hostname: "dev-cp-1", peerUrls: [], clientUrls: [], isLearner: false },
            { id: "2", hostname: "old-cp", peerUrls: [], clientUrls: [], isLearner: false },
          ],
        },
      },
    } as never);
    assert.deepEqual(run.nodes[0].steps, []);
    assert.match(run.nodes[0].why, /already runs Talos v1\.13\.0; kubelet not checked/);
    assert.match(run.nodes[2].why, /did not answer \(dev-gpu-1: connection refused\)/);
    assert.match(run.refusals[0], /etcd has exactly 2 members/);
    assert.match(formatDryRun(run).at(-1)!, /pulumi up would refuse this rollout/);
  });
});
