/**
 * The rollout engine's Kubernetes upgrade and configuration changes against the fake
 * cluster, and what `create` does (nothing on the wire).
 */
import { strict as assert } from "assert";
import { performance } from "perf_hooks";
import type { FakeCluster } from "../packages/day2/fake";
import { fake, inputsFor, providerFor, type RolloutOutputs } from "./support/rollout";
import { rejection } from "./support/day2";

type Applied = { node: string; t: number; text: string };

/** A fake cluster that records when each configuration takes effect. */
async function recording(options: Parameters<typeof fake>[0] = {}) {
  const applied: Applied[] = [];
  const c = await fake({
    ...options,
    onApplyConfiguration: (n, text) => applied.push({ node: n.name, t: performance.now(), text }),
  });
  return { c, applied };
}

function downs(c: FakeCluster) {
  return c.nodes.map((n) => n.name).filter((n) => c.log.downIntervals(n).length > 0);
}

describe("day2 rollout: create", () => {
  it("records every node at the current targets and dials nothing", async () => {
    const c = await fake();
    try {
      const { provider } = providerFor();
      const mark = c.log.entries.length;
      const inputs = inputsFor(c);
      const { id, outs } = await provider.create(inputs);
      assert.equal(id, "fake-rollout");
      assert.deepEqual(c.log.entries.slice(mark), []);
      assert.equal("configs" in outs, false);
      assert.deepEqual(Object.keys(outs.rolled), Object.keys(inputs.nodes));
      assert.deepEqual(outs.rolled["w-1"], {
        talosVersion: "v1.13.0",
        schematic: inputs.nodes["w-1"].schematic,
        kubernetesVersion: "1.36.0",
        configHash: outs.configHashes["w-1"],
      });
      assert.match(outs.configHashes["w-1"], /^[0-9a-f]{64}$/);
      assert.equal("credentials" in outs, false, "credentials stay inputs");
    } finally {
      c.stop();
    }
  });
});

describe("day2 rollout: configuration changes", () => {
  it("rolls a change that needs a reboot one control plane at a time, staged, never early", async () => {
    const names = ["cp-1", "cp-2", "cp-3", "w-1", "w-2"];
    const { c, applied } = await recording({ faults: { configNeedsReboot: names } });
    try {
      const { provider } = providerFor();
      const olds = (await provider.create(inputsFor(c))).outs as RolloutOutputs;
      const news = inputsFor(c, { extraConfig: "sysctl change" });
      const { outs } = await provider.update("fake-rollout", olds, news);
      assert.deepEqual(
        applied.map((a) => a.node),
        ["cp-2", "cp-3", "cp-1", "w-1", "w-2"],
      );
      for (const n of names) {
        assert.equal(c.node(n).boots, 2, `${n} rebooted once`);
        assert.equal(c.node(n).config, news.configs[n]);
        assert.equal(c.node(n).cordoned, false);
        assert.equal(outs.rolled[n].configHash, outs.configHashes[n]);
      }
      assert.equal(c.log.maxConcurrentDown(["cp-1", "cp-2", "cp-3"]), 1);
      // The new configuration took effect on each node only after the previous one was back.
      for (let i = 1; i < applied.length; i++) {
        const prev = c.log.downIntervals(applied[i - 1].node)[0];
        const mine = c.log.downIntervals(applied[i].node)[0];
        assert.ok(
          prev[1] <= mine[0],
          `${applied[i].node} went down before ${applied[i - 1].node} was back`,
        );
      }
    } finally {
      c.stop();
    }
  });

  it("applies a change that needs no reboot without one", async () => {
    const { c, applied } = await recording();
    try {
      const { provider, lines } = providerFor();
      const olds = (await provider.create(inputsFor(c))).outs as RolloutOutputs;
      const news = inputsFor(c, { extraConfig: "a label" });
      await provider.update("fake-rollout", olds, news);
      assert.equal(applied.length, 5);
      assert.deepEqual(downs(c), []);
      assert.equal(c.log.calls({ call: "Reboot" }).length, 0);
      assert.ok(
        lines.includes(
          "[configuration, workers batch 2/2] w-2: the new configuration applies without a reboot",
        ),
        lines.join("\n"),
      );
    } finally {
      c.stop();
    }
  });
});

describe("day2 rollout: secrets", () => {
  it("neither the log, the outputs, nor a failure (its stored outputs included) carries key material", async () => {
    const c = await fake({ faults: { configNeedsReboot: ["w-1"], neverComesBack: ["w-1"] } });
    try {
      const { provider, lines } = providerFor();
      const olds = (await provider.create(inputsFor(c))).outs as RolloutOutputs;
      const gone = inputsFor(c, { only: ["cp-1", "cp-2", "cp-3", "w-1"] });
      const { outs } = await provider.update("fake-rollout", olds, gone);
      const failing = inputsFor(c, {
        only: ["cp-1", "cp-2", "cp-3", "w-1"],
        extraConfig: "x",
        timing: { nodeTimeoutSeconds: 0.2 },
      });
      const err = await rejection(provider.update("fake-rollout", outs, failing));
      const rest = outs;
      const stored = (err as Error & { properties?: unknown }).properties;
      assert.ok(stored !== undefined && !("credentials" in (stored as object)));
      const text = [
        ...lines,
        JSON.stringify(rest),
        JSON.stringify(stored),
        err.message,
        err.stack ?? "",
      ].join("\n");
      for (const [what, pem] of Object.entries(c.secretMaterial())) {
        for (const line of pem.split("\n").filter((l) => l.length > 16 && !l.startsWith("-----")))
          assert.ok(!text.includes(line), `${what} leaked`);
        assert.ok(!text.includes(Buffer.from(pem).toString("base64")), `${what} leaked as base64`);
      }
      assert.ok(
        !JSON.stringify(rest).includes("kubelet:v1.36.0"),
        "no configuration in the outputs",
      );
    } finally {
      c.stop();
    }
  });
});
