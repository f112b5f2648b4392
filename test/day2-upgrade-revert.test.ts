/**
 * A failed Kubernetes upgrade can be reverted or fixed, against the fake cluster: the
 * update reads what each node runs through Talos and rolls every component that differs
 * from the target, whatever the stored outputs say; a failed run's outputs make the next
 * diff a change; a fix to a component's configuration goes in with that component's
 * image, before any wait on it; and a rerun after a finished upgrade touches nothing.
 */
import { strict as assert } from "assert";
import * as YAML from "yaml";
import type { FakeCluster } from "../packages/day2/fake";
import * as day2 from "../packages/day2";
import {
  clusterNodes,
  configText,
  fake,
  inputsFor,
  providerFor,
  touches,
  type RolloutInputs,
  type RolloutOutputs,
} from "./support/rollout";
import { rejection, talosFor } from "./support/day2";

const COMPONENTS = ["kube-apiserver", "kube-controller-manager", "kube-scheduler"];
const FAIL_FAST = { nodeTimeoutSeconds: 0.4 };

/** Every component's tag on every node: `cp-1 kube-apiserver v1.35.2`. */
function tags(c: FakeCluster): string[] {
  const tag = (i: string) => i.split(":").pop() ?? "";
  return c.nodes.flatMap((n) => [
    ...(n.role === "controlplane"
      ? COMPONENTS.map((k) => `${n.name} ${k} ${tag(n.staticPodImages[k])}`)
      : []),
    `${n.name} kubelet ${n.kubeletVersion}`,
  ]);
}

/** `tags(c)` when every component runs `version`. */
function allAt(c: FakeCluster, version: string): string[] {
  return tags(c).map((t) => t.replace(/ v[^ ]+$/, ` ${version}`));
}

/** A configuration with kube-apiserver extraArgs, as an operator patch adds them. */
function withApiArgs(text: string, args: Record<string, string>): string {
  const doc = YAML.parse(text);
  if (doc.cluster !== undefined) doc.cluster.apiServer.extraArgs = args;
  return YAML.stringify(doc);
}

function patched(inputs: RolloutInputs, args: Record<string, string>): RolloutInputs {
  const configs = { ...inputs.configs };
  for (const n of Object.keys(configs)) configs[n] = withApiArgs(configs[n], args);
  return { ...inputs, configs };
}

/** The outputs the engine stores after a failed update (its error's properties). */
function storedAfter(e: Error): RolloutOutputs {
  const props = (e as Error & { properties?: RolloutOutputs }).properties;
  assert.ok(props !== undefined, "a failed update carries the outputs to store");
  return props;
}

describe("day2 rollout: a failed Kubernetes upgrade reverted or fixed", () => {
  for (const [what, nodes] of [
    ["three control planes", clusterNodes(1)],
    ["a single control plane", [clusterNodes(1)[0], clusterNodes(1)[3]]],
  ] as const) {
    it(`${what}: kube-apiserver v1.36.0 crashloops on cp-1 and the run stops there; kubernetes.version set back to 1.35.2 rolls cp-1 back, every component at 1.35.2`, async () => {
      const c = await fake({
        nodes: [...nodes],
        kubernetesVersion: "1.35.2",
        faults: {
          crashloops: [{ node: "cp-1", component: "kube-apiserver", version: "v1.36.0" }],
        },
      });
      try {
        const { provider } = providerFor();
        const at = (v: string) => inputsFor(c, { kubernetesVersion: v, timing: FAIL_FAST });
        const created = (await provider.create(at("1.35.2"))).outs as RolloutOutputs;
        const e = await rejection(provider.update("fake-rollout", created, at("1.36.0")));
        assert.match(e.message, /^cp-1: kube-apiserver did not become Ready at .*v1\.36\.0/);
        assert.equal(
          c.node("cp-1").staticPodImages["kube-apiserver"],
          "registry.k8s.io/kube-apiserver:v1.36.0",
        );
        const stored = storedAfter(e);
        // The stored targets stay 1.35.2 (nothing finished), yet what was asked is there.
        assert.equal(stored.kubernetesVersion, "1.35.2");
        assert.deepEqual(stored.lastRun?.asked?.["cp-1"]?.["kube-apiserver"], {
          image: "registry.k8s.io/kube-apiserver:v1.36.0",
          done: false,
        });

        // With one control plane there was no Kubernetes API while it crashlooped.
        const refused = c.log.entries.filter((x) => x.outcome === "refused");
        assert.equal(
          refused.length > 0,
          nodes.length === 2,
          "API down only with one control plane",
        );
        // The revert: the same inputs as the stored ones, and still a change.
        const back = at("1.35.2");
        assert.deepEqual(day2.rolloutPlan.refusals(stored, back), []);
        assert.equal((await provider.diff("fake-rollout", stored, back)).changes, true);
        const reverted = providerFor();
        const { outs } = await reverted.provider.update("fake-rollout", stored, back);
        assert.deepEqual(tags(c), allAt(c, "v1.35.2"));
        assert.equal(c.node("cp-1").podsNotReady.size, 0);
        assert.ok(
          reverted.lines.some((l) =>
            /cp-1: kube-apiserver → registry\.k8s\.io\/kube-apiserver:v1\.35\.2/.test(l),
          ),
          reverted.lines.join("\n"),
        );

        // Finished: the next diff is no change, and a rerun touches nothing.
        const done = outs as RolloutOutputs;
        assert.equal(done.lastRun?.failed, undefined);
        assert.equal((await provider.diff("fake-rollout", done, back)).changes, false);
        const mark = c.log.entries.length;
        await providerFor().provider.update("fake-rollout", done, back);
        for (const n of c.nodes) assert.deepEqual(touches(c, n.name, mark), [], n.name);
      } finally {
        c.stop();
      }
    });
  }

  it("an operator patch's flag the new kube-apiserver rejects: preview lets it through, the run stops on cp-2; the patch fixed, pulumi up applies it with the image and finishes the upgrade", async () => {
    const flag = { "legacy-auth-mode": "on" }; // not in upstream's table
    const c = await fake({
      nodes: clusterNodes(1),
      kubernetesVersion: "1.35.2",
      initialConfig: (n) => withApiArgs(configText(n.role, "1.35.2"), flag),
      faults: {
        crashloops: [
          {
            node: "cp-2",
            component: "kube-apiserver",
            version: "v1.36.0",
            flag: "legacy-auth-mode",
          },
        ],
      },
    });
    try {
      const { provider } = providerFor();
      const at = (v: string) => inputsFor(c, { kubernetesVersion: v, timing: FAIL_FAST });
      const created = (await provider.create(patched(at("1.35.2"), flag))).outs as RolloutOutputs;
      const up = patched(at("1.36.0"), flag);
      assert.deepEqual(day2.rolloutPlan.refusals(created, up), []);
      const e = await rejection(provider.update("fake-rollout", created, up));
      assert.match(e.message, /^cp-2: kube-apiserver did not become Ready/);
      for (const n of ["cp-1", "cp-3"])
        assert.equal(
          c.node(n).staticPodImages["kube-apiserver"],
          "registry.k8s.io/kube-apiserver:v1.35.2",
        );

      // The patch fixed (dropped from the inventory): the fix goes in with the image.
      const fixed = at("1.36.0");
      const stored = storedAfter(e);
      assert.equal((await provider.diff("fake-rollout", stored, fixed)).changes, true);
      const second = providerFor();
      await second.provider.update("fake-rollout", stored, fixed);
      assert.deepEqual(tags(c), allAt(c, "v1.36.0"));
      for (const n of c.nodes.filter((x) => x.role === "controlplane"))
        assert.equal(
          YAML.parse(n.config ?? "").cluster.apiServer.extraArgs,
          undefined,
          `${n.name} runs the fixed configuration`,
        );
      assert.ok(
        second.lines.some((l) =>
          /cp-2: kube-apiserver → .*v1\.36\.0 with its configuration as the inventory renders it/.test(
            l,
          ),
        ),
        second.lines.join("\n"),
      );
    } finally {
      c.stop();
    }
  });

  it("an update reads the cluster: a stored state that says everything is at the target still rolls a component that is not", async () => {
    const c = await fake({ nodes: clusterNodes(0), kubernetesVersion: "1.35.2" });
    try {
      const { provider } = providerFor();
      const inputs = inputsFor(c, { kubernetesVersion: "1.35.2" });
      const created = (await provider.create(inputs)).outs as RolloutOutputs;
      // Someone moved cp-3's scheduler by hand; then a run failed elsewhere.
      const cfg = YAML.parse(c.node("cp-3").config ?? "");
      cfg.cluster.scheduler.image = "registry.k8s.io/kube-scheduler:v1.35.3";
      const talos = talosFor(c);
      try {
        await talos.applyConfiguration("cp-3", { data: YAML.stringify(cfg), mode: "NO_REBOOT" });
      } finally {
        talos.close();
      }
      assert.match(tags(c).join(), /cp-3 kube-scheduler v1\.35\.3/);
      const stored = { ...created, lastRun: { at: "x", removed: {}, warnings: [], failed: "x" } };
      await provider.update("fake-rollout", stored, inputs);
      assert.deepEqual(tags(c), allAt(c, "v1.35.2"));
    } finally {
      c.stop();
    }
  });

  it("waits as long as the inputs' waits say (upstream's by default), not the node timeout", async () => {
    const c = await fake({
      nodes: clusterNodes(0),
      kubernetesVersion: "1.35.2",
      faults: { crashloops: [{ node: "cp-2", component: "kube-apiserver", version: "v1.36.0" }] },
    });
    try {
      const { provider } = providerFor();
      const slowNode = { nodeTimeoutSeconds: 60 };
      const created = (
        await provider.create(inputsFor(c, { kubernetesVersion: "1.35.2", timing: slowNode }))
      ).outs as RolloutOutputs;
      const news = {
        ...inputsFor(c, { kubernetesVersion: "1.36.0", timing: slowNode }),
        waits: { controlPlanePodSeconds: 0.5, kubeletSeconds: 0.5, manifestsSeconds: 0.5 },
      };
      const started = Date.now();
      const e = await rejection(provider.update("fake-rollout", created, news));
      assert.match(e.message, /^cp-2: kube-apiserver did not become Ready .* within 0\.5 s/);
      assert.match(e.message, /raise rollout\.waits\.controlPlanePodSeconds/);
      assert.ok(Date.now() - started < 20_000, "not the 60 s node timeout");
      // The waits alone are no change to roll.
      const same = {
        ...inputsFor(c, { kubernetesVersion: "1.35.2", timing: slowNode }),
        waits: news.waits,
      };
      assert.equal(day2.rolloutPlan.hasChanges(created, same), false);
    } finally {
      c.stop();
    }
  });

  it("a kubelet is patched only while its service is healthy: the run stops at a sick one", async () => {
    const c = await fake({
      nodes: clusterNodes(2),
      kubernetesVersion: "1.35.2",
      faults: { unhealthyKubelet: ["w-2"] },
    });
    try {
      const { provider } = providerFor();
      const created = (await provider.create(inputsFor(c, { kubernetesVersion: "1.35.2" })))
        .outs as RolloutOutputs;
      const e = await rejection(
        provider.update("fake-rollout", created, inputsFor(c, { kubernetesVersion: "1.36.0" })),
      );
      assert.match(
        e.message,
        /^w-2: its kubelet is not healthy \(Running, healthy: false\), so it was not patched/,
      );
      assert.equal(c.node("w-2").kubeletVersion, "v1.35.2");
      assert.equal(c.node("w-1").kubeletVersion, "v1.36.0");
    } finally {
      c.stop();
    }
  });

  it("judges the path from the lowest version the cluster runs, not the stored one: preview lets 1.35 -> 1.36 through, the update refuses a cluster still at 1.34", async () => {
    const c = await fake({ nodes: clusterNodes(1), kubernetesVersion: "1.34.5" });
    try {
      const { provider } = providerFor();
      // The state claims 1.35.2 (say, written by hand or by an older em-infra).
      const created = (await provider.create(inputsFor(c, { kubernetesVersion: "1.35.2" })))
        .outs as RolloutOutputs;
      const news = inputsFor(c, { kubernetesVersion: "1.36.0" });
      assert.deepEqual(day2.rolloutPlan.refusals(created, news), []);
      const mark = c.log.entries.length;
      const e = await rejection(provider.update("fake-rollout", created, news));
      assert.match(
        e.message,
        /the cluster's lowest component runs v1\.34\.5, so v1\.34\.5 -> 1\.36\.0 skips a minor release.*nothing was changed on any node/,
      );
      for (const n of c.nodes) assert.deepEqual(touches(c, n.name, mark), [], n.name);
    } finally {
      c.stop();
    }
  });
});
