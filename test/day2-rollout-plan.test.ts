/**
 * The rollout's pure planning (packages/day2/rollout/plan.js): input checks, the
 * refusals diff raises at preview, change detection, what each node needs, the
 * removal order, and the etcd scale-down rule. No cluster, no network.
 */
import { strict as assert } from "assert";
import * as day2 from "../packages/day2";
import { rolloutWorkDir, type RolloutInputs, type RolloutOutputs } from "./support/rollout";

const plan = day2.rolloutPlan;
const { provider } = (() => {
  const lines: string[] = [];
  return {
    provider: day2.createRolloutProvider({ workDir: rolloutWorkDir(), log: (l) => lines.push(l) }),
  };
})();

function node(role: "controlplane" | "worker", ip: string, protect = false) {
  return {
    role,
    ip,
    endpoint: null,
    installer: "factory.talos.dev/nocloud-installer/abc:v1.13.0",
    schematic: "abc",
    protect,
    network: { cidr: "10.20.0.0/24", gateway: "10.20.0.1", prefixLength: 24 },
  };
}

function inputs(over: Partial<RolloutInputs> = {}): RolloutInputs {
  const nodes = {
    "cp-1": node("controlplane", "10.20.0.11"),
    "cp-2": node("controlplane", "10.20.0.12"),
    "cp-3": node("controlplane", "10.20.0.13"),
    "w-1": node("worker", "10.20.0.21"),
    "w-2": node("worker", "10.20.0.22", true),
  };
  return {
    schema: 1,
    cluster: "dev",
    talosVersion: "v1.13.0",
    kubernetesVersion: "1.36.0",
    bootstrapNode: "cp-1",
    maxUnavailableWorkers: 1,
    batches: [["cp-2"], ["cp-3"], ["cp-1"], ["w-1"], ["w-2"]],
    nodes,
    configs: Object.fromEntries(Object.keys(nodes).map((n) => [n, `config of ${n}`])),
    credentials: { caCertificate: "Y2E=", clientCertificate: "Y3J0", clientKey: "a2V5" },
    kubernetesEndpoint: null,
    timing: { nodeTimeoutSeconds: 900, drainTimeoutSeconds: 300, pollMs: 2000 },
    ...over,
  };
}

async function created(i = inputs()): Promise<RolloutOutputs> {
  return (await provider.create(i)).outs as RolloutOutputs;
}

/** A deep copy of the inputs with `edit` applied. */
function edited(edit: (i: RolloutInputs) => void, base = inputs()): RolloutInputs {
  const copy = JSON.parse(JSON.stringify(base)) as RolloutInputs;
  edit(copy);
  return copy;
}

describe("day2 rollout plan", () => {
  describe("check", () => {
    it("accepts the contract's inputs", async () => {
      const i = inputs();
      assert.deepEqual(await provider.check({}, i), { inputs: i });
    });

    it("reports a batch wider than maxUnavailableWorkers, a node in no batch, two control planes in one", async () => {
      const i = inputs({ batches: [["cp-2", "cp-3"], ["cp-1"], ["w-1", "w-2"]] });
      const { failures } = await provider.check({}, i);
      assert.deepEqual(failures, [
        { property: "batches", reason: "control planes go one per batch: [cp-2, cp-3]" },
        { property: "batches", reason: "[w-1, w-2] is wider than maxUnavailableWorkers (1)" },
      ]);
      const missing = await provider.check({}, inputs({ batches: [["cp-1"]] }));
      assert.deepEqual(
        missing.failures?.map((f) => f.reason),
        [
          "cp-2 must be in exactly one batch (found 0)",
          "cp-3 must be in exactly one batch (found 0)",
          "w-1 must be in exactly one batch (found 0)",
          "w-2 must be in exactly one batch (found 0)",
        ],
      );
    });

    it("reports a bad version, schema and bootstrap node", async () => {
      const { failures } = await provider.check(
        {},
        inputs({ schema: 2 as 1, kubernetesVersion: "1.36", bootstrapNode: "w-1" }),
      );
      assert.deepEqual(
        failures?.map((f) => f.property),
        ["schema", "kubernetesVersion", "bootstrapNode"],
      );
    });

    it("reports a node without a configuration, and incomplete credentials", async () => {
      const i = edited((x) => {
        delete x.configs["w-1"];
        delete (x.credentials as Partial<RolloutInputs["credentials"]>).clientKey;
      });
      const { failures } = await provider.check({}, i);
      assert.deepEqual(
        failures?.map((f) => f.property),
        ["configs.w-1", "credentials.clientKey"],
      );
    });

    it("lets values unknown at preview through", async () => {
      const i = inputs({ talosVersion: plan.UNKNOWN });
      assert.equal((await provider.check({}, i)).failures, undefined);
    });
  });

  describe("diff refusals", () => {
    const refuse = async (news: RolloutInputs, pattern: RegExp) => {
      const olds = await created();
      await assert.rejects(provider.diff("dev-rollout", olds, news), pattern);
    };

    it("a network identity edit: remove the node and add it back", async () => {
      await refuse(
        edited((i) => (i.nodes["w-1"].ip = "10.20.0.31")),
        /^Error: w-1: its network identity cannot change while it exists \(ip 10\.20\.0\.21 -> 10\.20\.0\.31\); remove the node and add it back instead/,
      );
      await refuse(
        edited((i) => (i.nodes["cp-2"].network.gateway = "10.20.0.254")),
        /cp-2: .*\(network\.gateway 10\.20\.0\.1 -> 10\.20\.0\.254\)/,
      );
      await refuse(
        edited((i) => {
          i.nodes["w-1"].network.cidr = "10.20.0.0/16";
          i.nodes["w-1"].network.prefixLength = 16;
        }),
        /w-1: .*\(network\.cidr 10\.20\.0\.0\/24 -> 10\.20\.0\.0\/16, network\.prefixLength 24 -> 16\)/,
      );
    });

    it("a network change on a node that is new is fine", async () => {
      const olds = await created();
      const news = edited((i) => {
        i.nodes["w-3"] = node("worker", "10.20.0.23");
        i.batches.push(["w-3"]);
        i.configs["w-3"] = "config of w-3";
      });
      assert.equal((await provider.diff("dev-rollout", olds, news)).changes, true);
    });

    it("removing a protected node", async () => {
      await refuse(
        edited((i) => {
          delete i.nodes["w-2"];
          i.batches = i.batches.filter((b) => b[0] !== "w-2");
        }),
        /w-2: removing a protected node is refused; set protect: false in a separate pulumi up first/,
      );
    });

    it("a skipped Kubernetes minor, and a downgrade", async () => {
      await refuse(
        inputs({ kubernetesVersion: "1.38.0" }),
        /1\.36\.0 -> 1\.38\.0 skips a minor release.*go to 1\.37\.x first/,
      );
      await refuse(
        inputs({ kubernetesVersion: "1.35.9" }),
        /downgrading Kubernetes from 1\.36\.0 to 1\.35\.9/,
      );
      await refuse(inputs({ kubernetesVersion: "2.0.0" }), /skips a minor release/);
      // path.go (go-kubernetes v0.2.38) ends at 1.36->1.36: a step it does not list is refused.
      await refuse(
        inputs({ kubernetesVersion: "1.37.0" }),
        /1\.36\.0 -> 1\.37\.0 is not an upgrade path go-kubernetes v0\.2\.38/,
      );
    });

    it("a patch move within a minor, down as well as up, as path.go allows", () => {
      const olds = { kubernetesVersion: "1.35.2", nodes: {} };
      for (const to of ["1.35.1", "1.35.0", "1.35.9"])
        assert.deepEqual(
          plan.refusals(olds, { ...inputs(), kubernetesVersion: to, nodes: {}, batches: [] }),
          [],
          to,
        );
      assert.match(
        plan
          .refusals(
            { kubernetesVersion: "1.36.0", nodes: {} },
            { ...inputs(), kubernetesVersion: "1.35.9", nodes: {}, batches: [] },
          )
          .join(),
        /downgrading Kubernetes from 1\.36\.0 to 1\.35\.9 crosses a minor release/,
      );
      assert.match(
        plan
          .refusals(
            { kubernetesVersion: "1.34.3", nodes: {} },
            { ...inputs(), kubernetesVersion: "1.36.0", nodes: {}, batches: [] },
          )
          .join(),
        /1\.34\.3 -> 1\.36\.0 skips a minor release/,
      );
    });

    it("a pre-release or build-suffixed Talos tag is judged by its release", () => {
      const news = {
        ...inputs(),
        kubernetesSupport: [
          { talosMinor: 13, oldestKubernetesMinor: 31, newestKubernetesMinor: 36 },
        ],
      };
      assert.equal(plan.releaseOf("v1.13.0-beta.1")?.minor, 13);
      assert.equal(plan.releaseOf("v1.13.2+dirty")?.patch, 2);
      assert.equal(plan.releaseOf("1.13"), null);
      assert.match(
        String(plan.unsupportedKubernetes(news, "v1.13.0-beta.1", { major: 1, minor: 37 })),
        /runs Kubernetes 1\.31 to 1\.36, not 1\.37/,
      );
      assert.equal(
        plan.unsupportedKubernetes(news, "v1.13.0-beta.1", { major: 1, minor: 36 }),
        null,
      );
    });

    it("a Talos and a Kubernetes bump together", async () => {
      await refuse(
        inputs({ talosVersion: "v1.13.3", kubernetesVersion: "1.37.0" }),
        /talosVersion \(v1\.13\.0 -> v1\.13\.3\) and kubernetesVersion \(1\.36\.0 -> 1\.37\.0\) changed together; change one, pulumi up, then the other/,
      );
    });

    it("lists every refusal at once", async () => {
      const olds = await created();
      const news = edited((i) => {
        i.nodes["w-1"].ip = "10.20.0.31";
        i.kubernetesVersion = "1.38.0";
      });
      assert.equal(plan.refusals(olds, news).length, 2);
    });
  });

  describe("changes", () => {
    it("none for the same inputs, whatever __provider says", async () => {
      const olds = { ...(await created()), __provider: "old text" };
      const diff = await provider.diff("dev-rollout", olds, {
        ...inputs(),
        __provider: "new text",
      } as RolloutInputs);
      assert.deepEqual(diff, { changes: false, replaces: [], deleteBeforeReplace: false });
    });

    for (const [what, edit] of [
      ["a Talos patch", (i: RolloutInputs) => (i.talosVersion = "v1.13.3")],
      ["a Kubernetes patch", (i: RolloutInputs) => (i.kubernetesVersion = "1.36.1")],
      ["a schematic", (i: RolloutInputs) => (i.nodes["w-1"].schematic = "def")],
      ["a configuration", (i: RolloutInputs) => (i.configs["cp-3"] += " changed")],
      ["an endpoint", (i: RolloutInputs) => (i.nodes["w-1"].endpoint = "127.0.0.1:50001")],
      ["protect", (i: RolloutInputs) => (i.nodes["w-2"].protect = false)],
      [
        "the batches",
        (i: RolloutInputs) => (i.batches = [["cp-3"], ["cp-2"], ["cp-1"], ["w-1"], ["w-2"]]),
      ],
      ["the Kubernetes endpoint", (i: RolloutInputs) => (i.kubernetesEndpoint = "127.0.0.1:6443")],
    ] as const) {
      it(`for ${what}`, async () => {
        const diff = await provider.diff("dev-rollout", await created(), edited(edit));
        assert.equal(diff.changes, true);
        assert.deepEqual(diff.replaces, []);
      });
    }

    it("for a configuration not known yet (preview)", async () => {
      const news = edited((i) => (i.configs["w-1"] = plan.UNKNOWN));
      assert.equal((await provider.diff("dev-rollout", await created(), news)).changes, true);
    });
  });

  describe("what disturbs a control plane (the snapshot first)", () => {
    it("a rerun after a failed Kubernetes step counts, though the targets look reached", async () => {
      const i = inputs();
      const olds = plan.normalizeOutputs(await created(i));
      assert.deepEqual(plan.controlPlaneRisks(olds, i, olds.rolled), []);
      const failed = {
        ...olds,
        lastRun: {
          at: "2026-12-07T00:00:00.000Z",
          removed: {},
          warnings: [],
          failed: "cp-2: kube-apiserver did not become Ready",
          asked: {
            "cp-2": {
              "kube-apiserver": { image: "registry.k8s.io/kube-apiserver:v1.36.0", done: false },
            },
            "w-1": { kubelet: { image: "ghcr.io/siderolabs/kubelet:v1.36.0", done: false } },
          },
        },
      };
      assert.deepEqual(plan.controlPlaneRisks(failed, i, olds.rolled), [
        "a rerun of the failed Kubernetes step on cp-2",
      ]);
      // A run that finished leaves nothing to move back.
      const { failed: _, ...finished } = failed.lastRun;
      assert.deepEqual(plan.controlPlaneRisks({ ...olds, lastRun: finished }, i, olds.rolled), []);
    });
  });

  describe("state", () => {
    it("create stores every input but the configurations, hashed, and each node rolled", async () => {
      const outs = await created();
      assert.equal("configs" in outs, false);
      assert.equal(outs.schema, 1);
      assert.equal(outs.configHashes["w-1"], plan.configHash("config of w-1"));
      assert.equal(outs.lastRun, null);
      assert.deepEqual(plan.needs(outs.rolled["w-1"], inputs(), "w-1"), {
        talos: false,
        kubernetes: false,
        config: false,
        hardware: false,
      });
      assert.deepEqual(plan.needs(outs.rolled["w-1"], inputs({ talosVersion: "v1.13.3" }), "w-1"), {
        talos: true,
        kubernetes: false,
        config: false,
        hardware: false,
      });
    });

    it("reads outputs without rolled (an older shape) as rolled at their versions", async () => {
      const { rolled: _r, lastRun: _l, ...older } = await created();
      const olds = plan.normalizeOutputs(older);
      assert.deepEqual(olds.rolled["cp-1"], {
        talosVersion: "v1.13.0",
        schematic: "abc",
        kubernetesVersion: "1.36.0",
        configHash: plan.configHash("config of cp-1"),
      });
      assert.equal((await provider.diff("dev-rollout", older, inputs())).changes, false);
    });

    it("orders removals workers first, control planes in batch order", async () => {
      const olds = await created();
      const news = edited((i) => {
        for (const n of ["cp-1", "cp-3", "w-1"]) delete i.nodes[n];
      });
      assert.deepEqual(plan.removedNodes(olds, news), {
        workers: ["w-1"],
        controlPlanes: ["cp-3", "cp-1"],
      });
    });
  });

  describe("scale-down rule (Omni's CanScaleDown)", () => {
    const rule = (total: number, healthy: number, leavingHealthy: boolean) =>
      plan.scaleDownRefusal({ total, healthy, leavingHealthy, node: "cp-3" });

    it("allows 3 healthy -> 2, and removing the one unhealthy member of 3", () => {
      assert.equal(rule(3, 3, true), null);
      assert.equal(rule(3, 2, false), null);
      assert.equal(rule(2, 2, true), null);
    });

    it("refuses when quorum is lost now, or after the removal", () => {
      assert.equal(rule(3, 1, false), "etcd has no quorum now (1 of 3 members healthy, 2 needed)");
      assert.equal(
        rule(3, 2, true),
        "removing cp-3 would break etcd quorum (1 of 2 remaining members healthy, 2 needed)",
      );
      assert.equal(
        rule(1, 1, true),
        "removing cp-3 would break etcd quorum (0 of 0 remaining members healthy, 1 needed)",
      );
    });
  });
});
