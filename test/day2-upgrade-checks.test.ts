/**
 * The checks a Kubernetes upgrade makes before anything changes, as talosctl upgrade-k8s
 * runs go-kubernetes' upgrade checks: flags, feature gates and admission plugins the
 * target removes, in the rendered configurations at preview and in the nodes' running
 * ones at update, and API versions the target removes that a manager still writes
 * through.
 */
import { strict as assert } from "assert";
import * as day2 from "../packages/day2";
import { REMOVALS, configRemovals, removalsBetween } from "../packages/day2/lib/removals";
import { upgradeChecks } from "../packages/day2/rollout/checks";
import { clusterNodes, fake, inputsFor, providerFor, touches } from "./support/rollout";
import { kubeFor, rejection, talosFor } from "./support/day2";
import type { RolloutOutputs } from "./support/rollout";

/** A control plane's configuration with these extra lines under `cluster.apiServer`. */
function withApiServer(lines: string[], more = ""): string {
  return [
    "version: v1alpha1",
    "machine:",
    "  type: controlplane",
    more,
    "cluster:",
    "  apiServer:",
    "    image: registry.k8s.io/kube-apiserver:v1.29.4",
    ...lines.map((l) => `    ${l}`),
  ].join("\n");
}

const FLOW_V1BETA3 = "flowcontrol.apiserver.k8s.io/v1beta3";
const FLOW_V1 = "flowcontrol.apiserver.k8s.io/v1";

function flowSchema(apiVersion: string, name: string) {
  return {
    apiVersion,
    kind: "FlowSchema",
    metadata: { name },
    spec: { priorityLevelConfiguration: { name: "workload-low" }, matchingPrecedence: 9000 },
  };
}

describe("day2 Kubernetes upgrade checks", () => {
  describe("the removals table", () => {
    it("is ordered by release, and an upgrade crosses only the releases after its start", () => {
      const minors = REMOVALS.map((r) => r.minor);
      assert.deepEqual(
        minors,
        [...minors].sort((a, b) => a - b),
      );
      assert.equal(new Set(minors).size, minors.length);
      assert.deepEqual(
        removalsBetween(31, 32).map((r) => r.minor),
        [32],
      );
      assert.deepEqual(removalsBetween(32, 33), []);
      assert.deepEqual(
        removalsBetween(24, 27).map((r) => r.minor),
        [25, 26, 27],
      );
    });
  });

  describe("in a configuration", () => {
    it("an admission plugin the target removes, as a flag (text or list) or in admissionControl", () => {
      const text = withApiServer([
        "extraArgs:",
        "  enable-admission-plugins: NodeRestriction,SecurityContextDeny",
      ]);
      assert.deepEqual(configRemovals(text, 29, 30), [
        "kube-apiserver enables the admission plugin SecurityContextDeny, and Kubernetes 1.30 removes it",
      ]);
      const list = withApiServer([
        "extraArgs:",
        "  enable-admission-plugins: [NodeRestriction, SecurityContextDeny]",
      ]);
      assert.equal(configRemovals(list, 29, 30).length, 1);
      const control = withApiServer([
        "admissionControl:",
        "  - name: PodSecurityPolicy",
        "    configuration: {}",
      ]);
      assert.deepEqual(configRemovals(control, 24, 25), [
        "kube-apiserver enables the admission plugin PodSecurityPolicy, and Kubernetes 1.25 removes it",
      ]);
      // Past the release that removed it, or before it, nothing is crossed.
      assert.deepEqual(configRemovals(text, 30, 31), []);
      assert.deepEqual(configRemovals(text, 28, 29), []);
    });

    it("a flag the target removes, on whichever component sets it, in any document", () => {
      const text = [
        "apiVersion: v1alpha1",
        "kind: HostnameConfig",
        "hostname: w-1",
        "---",
        "version: v1alpha1",
        "machine:",
        "  kubelet:",
        "    extraArgs:",
        "      network-plugin: cni",
        "      rotate-server-certificates: 'true'",
      ].join("\n");
      assert.deepEqual(configRemovals(text, 23, 24), [
        "kubelet sets --network-plugin, and Kubernetes 1.24 removes it",
      ]);
      const insecure = withApiServer(["extraArgs:", '  insecure-port: "0"']);
      assert.deepEqual(configRemovals(insecure, 23, 24), [
        "kube-apiserver sets --insecure-port, and Kubernetes 1.24 removes it",
      ]);
    });

    it("a feature gate, from --feature-gates or the kubelet's own configuration", () => {
      const table = [
        { minor: 40, apis: [], admissionPlugins: [], flags: {}, featureGates: ["OldGate"] },
      ];
      const text = [
        "version: v1alpha1",
        "machine:",
        "  kubelet:",
        "    extraConfig:",
        "      featureGates: { OldGate: true, OldGateTwo: true }",
        "cluster:",
        "  controllerManager:",
        "    extraArgs:",
        '      feature-gates: "Other=false,OldGate=true"',
      ].join("\n");
      assert.deepEqual(configRemovals(text, 39, 40, table), [
        "kube-controller-manager sets the feature gate OldGate, and Kubernetes 1.40 removes it",
        "kubelet sets the feature gate OldGate, and Kubernetes 1.40 removes it",
      ]);
      assert.deepEqual(configRemovals(text, 40, 41, table), []);
    });

    it("refuses at preview when a rendered configuration sets one", async () => {
      const provider = day2.createRolloutProvider({ log: () => undefined });
      const c = await fake({ nodes: clusterNodes(0), kubernetesVersion: "1.29.4" });
      try {
        const base = inputsFor(c, { kubernetesVersion: "1.29.4" });
        const olds = (await provider.create(base)).outs as RolloutOutputs;
        const news = inputsFor(c, { kubernetesVersion: "1.30.1" });
        news.configs["cp-2"] = withApiServer([
          "extraArgs:",
          "  enable-admission-plugins: SecurityContextDeny",
        ]);
        const found = day2.rolloutPlan.refusals(olds, news);
        assert.deepEqual(found, [
          "cp-2: kube-apiserver enables the admission plugin SecurityContextDeny, and Kubernetes 1.30 removes it; remove it from the inventory before upgrading Kubernetes",
        ]);
        await assert.rejects(
          provider.diff("fake-rollout", olds, news),
          /cp-2: kube-apiserver enables/,
        );
      } finally {
        c.stop();
      }
    });
  });

  describe("against the fake cluster", () => {
    it("reads the nodes' running configurations, where a talosctl patch may have set a removed plugin", async () => {
      const c = await fake({
        nodes: clusterNodes(1),
        kubernetesVersion: "1.29.4",
        initialConfig: (n) =>
          n.name === "cp-3"
            ? withApiServer(["extraArgs:", "  enable-admission-plugins: SecurityContextDeny"])
            : withApiServer([]),
      });
      const talos = talosFor(c);
      const kube = kubeFor(c);
      try {
        const lines: string[] = [];
        const session = { log: (l: string) => lines.push(l), talos, kube: async () => kube };
        const nodes = c.nodes.map((n) => n.name);
        const e = await rejection(upgradeChecks(session as never, nodes, 29, 30));
        assert.match(
          e.message,
          /^the Kubernetes upgrade to 1\.30 is refused, and nothing was changed on any node: cp-3: kube-apiserver enables the admission plugin SecurityContextDeny, and Kubernetes 1\.30 removes it\. Change these first/,
        );
        assert.doesNotMatch(e.message, /cp-1|cp-2|w-1/);
        assert.match(lines.join("\n"), /checking what Kubernetes 1\.30 removes/);
        // An upgrade that crosses no removal asks nothing of the nodes.
        const before = c.log.entries.length;
        await upgradeChecks(session as never, nodes, 30, 31);
        assert.equal(c.log.entries.length, before);
      } finally {
        talos.close();
        c.stop();
      }
    });

    it("an API version a manager still writes through stops 1.31 → 1.32 before anything changes; written through v1, the upgrade runs", async () => {
      const c = await fake({ nodes: clusterNodes(1), kubernetesVersion: "1.31.4" });
      const kube = kubeFor(c);
      try {
        await kube.applyObject(flowSchema(FLOW_V1BETA3, "legacy"), {
          fieldManager: "old-operator",
        });
        await kube.applyObject(flowSchema(FLOW_V1, "modern"), { fieldManager: "new-operator" });
        // Every FlowSchema reads at both versions while 1.31 serves them.
        const names = (
          await kube.listObjects({ apiVersion: FLOW_V1BETA3, kind: "FlowSchema" })
        ).map((o) => o.metadata.name);
        assert.deepEqual(names.sort(), ["legacy", "modern"]);

        const { provider } = providerFor();
        const olds = (await provider.create(inputsFor(c, { kubernetesVersion: "1.31.4" })))
          .outs as RolloutOutputs;
        const news = inputsFor(c, { kubernetesVersion: "1.32.0" });
        const since = c.log.entries.length;
        const e = await rejection(provider.update("fake-rollout", olds, news));
        assert.match(
          e.message,
          /FlowSchema legacy \(by old-operator\) is still written through flowcontrol\.apiserver\.k8s\.io\/v1beta3, and Kubernetes 1\.32 removes it; write it as flowcontrol\.apiserver\.k8s\.io\/v1 instead/,
        );
        assert.doesNotMatch(e.message, /modern/);
        for (const n of c.nodes) assert.deepEqual(touches(c, n.name, since), [], n.name);

        // The operator moves to v1: its managedFields entry now names v1.
        await kube.applyObject(flowSchema(FLOW_V1, "legacy"), { fieldManager: "old-operator" });
        await provider.update("fake-rollout", olds, news);
        for (const n of c.nodes.filter((x) => x.role === "controlplane"))
          assert.equal(
            n.staticPodImages["kube-apiserver"],
            "registry.k8s.io/kube-apiserver:v1.32.0",
          );
        // A 1.32 API server no longer serves v1beta3 at all (a new client: discovery is cached).
        assert.deepEqual(
          await kubeFor(c).listObjects({ apiVersion: FLOW_V1BETA3, kind: "FlowSchema" }),
          [],
        );
        assert.equal(
          (
            await kube.getObject({ apiVersion: FLOW_V1, kind: "FlowSchema", name: "legacy" })
          )?.metadata.managedFields.find((m: { manager: string }) => m.manager === "old-operator")
            ?.apiVersion,
          FLOW_V1,
        );
      } finally {
        c.stop();
      }
    });
  });
});
