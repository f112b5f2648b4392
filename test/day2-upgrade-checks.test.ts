/**
 * The checks a Kubernetes upgrade makes before anything changes, as talosctl upgrade-k8s
 * runs go-kubernetes' upgrade checks with upstream's table (test/facts/k8s-upgrade.json,
 * copied into packages/day2/lib): flags, feature gates and admission plugins a step
 * removes, in the rendered configurations at preview and on the nodes' static pods and
 * kubelet args at update, and removed API resources the cluster still lists.
 */
import { strict as assert } from "assert";
import * as day2 from "../packages/day2";
import {
  FACTS,
  commandLine,
  configRemovals,
  pathSupported,
  stepRemovals,
} from "../packages/day2/lib/removals";
import { upgradeChecks } from "../packages/day2/rollout/checks";
import { readFacts } from "../tools/facts";
import type { K8sUpgradeFacts } from "../tools/facts/k8sUpgrade";
import {
  clusterNodes,
  fake,
  inputsFor,
  providerFor,
  rolloutWorkDir,
  touches,
} from "./support/rollout";
import { kubeFor, rejection, talosFor } from "./support/day2";
import type { RolloutOutputs } from "./support/rollout";

const v = (minor: number) => ({ major: 1, minor });

/** A control plane's configuration with these extra lines under `cluster.<section>`. */
function withSection(section: string, lines: string[], more = ""): string {
  return [
    "version: v1alpha1",
    "machine:",
    "  type: controlplane",
    more,
    "cluster:",
    `  ${section}:`,
    "    image: registry.k8s.io/kube-apiserver:v1.29.4",
    ...lines.map((l) => `    ${l}`),
  ].join("\n");
}
const withApiServer = (lines: string[], more = "") => withSection("apiServer", lines, more);

/** A configuration whose kubelet sets these extraArgs. */
function withKubelet(args: Record<string, string>, role = "worker"): string {
  return [
    "version: v1alpha1",
    "machine:",
    `  type: ${role}`,
    "  kubelet:",
    "    extraArgs:",
    ...Object.entries(args).map(([k, val]) => `      ${k}: ${JSON.stringify(val)}`),
  ].join("\n");
}

describe("day2 Kubernetes upgrade checks", () => {
  describe("upstream's table", () => {
    it("is the committed facts file, and every step 1.30->1.31 to 1.35->1.36 has entries", () => {
      const committed = readFacts<K8sUpgradeFacts>("k8s-upgrade").facts;
      assert.deepEqual(FACTS, committed);
      for (let m = 30; m <= 35; m++) {
        const step = stepRemovals(v(m), v(m + 1));
        assert.ok(step !== null && step.featureGates.length > 0, `1.${m}->1.${m + 1}`);
      }
      // A move within a minor has no checks; neither does a step upstream does not list.
      assert.equal(stepRemovals(v(35), v(35)), null);
      assert.equal(stepRemovals(v(18), v(19)), null);
      // Upstream's list for 1.36 is provisional, and says so.
      assert.match(stepRemovals(v(35), v(36))!.todos.join(" "), /TODO: update this/);
    });

    it("allows any move within a minor and one minor up, as path.go; nothing else", () => {
      assert.ok(pathSupported({ major: 1, minor: 35 }, { major: 1, minor: 35 }));
      assert.ok(pathSupported(v(35), v(36)));
      assert.ok(!pathSupported(v(36), v(35)));
      assert.ok(!pathSupported(v(34), v(36)));
      assert.ok(!pathSupported(v(36), v(37)), "path.go stops at 1.36");
    });
  });

  describe("in a configuration", () => {
    // For each step from 1.30->1.31 to 1.35->1.36: a feature gate upstream lists, set on
    // a control-plane component, and a flag where upstream lists one.
    const cases: { to: number; gate: string; flag?: [string, string] }[] = [
      { to: 31, gate: "APIPriorityAndFairness", flag: ["kubelet", "keep-terminated-pod-volumes"] },
      { to: 32, gate: "KMSv2" },
      { to: 33, gate: "AppArmor", flag: ["kube-apiserver", "cloud-config"] },
      { to: 34, gate: "LegacySidecarContainers", flag: ["kubelet", "cloud-config"] },
      { to: 35, gate: "SizeMemoryBackedVolumes", flag: ["kubelet", "pod-infra-container-image"] },
      { to: 36, gate: "WatchFromStorageWithoutResourceVersion" },
    ];
    for (const c of cases)
      it(`1.${c.to - 1} -> 1.${c.to}: the feature gate ${c.gate}${c.flag ? ` and ${c.flag[0]} --${c.flag[1]}` : ""} are refused at preview, naming node, setting and release`, () => {
        const step = stepRemovals(v(c.to - 1), v(c.to))!;
        assert.ok(step.featureGates.includes(c.gate));
        if (c.flag) assert.ok(step.flags[c.flag[0]]?.includes(c.flag[1]));
        const olds = {
          schema: 1,
          cluster: "t",
          kubernetesVersion: `1.${c.to - 1}.2`,
          nodes: {
            "cp-1": { role: "controlplane", ip: "10.0.0.1" },
            "w-1": { role: "worker", ip: "10.0.0.2" },
          },
        };
        const cpArgs = [`  feature-gates: "Other=true,${c.gate}=true"`];
        const news = {
          ...olds,
          kubernetesVersion: `1.${c.to}.0`,
          configs: {
            "cp-1": withSection("controllerManager", ["extraArgs:", ...cpArgs]),
            "w-1": withKubelet(c.flag?.[0] === "kubelet" ? { [c.flag[1]]: "x" } : {}),
          },
        };
        const found = day2.rolloutPlan.refusals(olds, news as never);
        const expect = [
          `cp-1: kube-controller-manager sets the feature gate ${c.gate}, and Kubernetes 1.${c.to} removes it; remove it from the inventory before upgrading Kubernetes`,
        ];
        if (c.flag?.[0] === "kubelet")
          expect.push(
            `w-1: kubelet sets --${c.flag[1]}, and Kubernetes 1.${c.to} removes it; remove it from the inventory before upgrading Kubernetes`,
          );
        assert.deepEqual(found, expect);
        if (c.flag?.[0] === "kube-apiserver")
          assert.deepEqual(
            configRemovals(
              withApiServer(["extraArgs:", `  ${c.flag[1]}: /etc/x`]),
              v(c.to - 1),
              v(c.to),
            ),
            [`kube-apiserver sets --${c.flag[1]}, and Kubernetes 1.${c.to} removes it`],
          );
        // The same settings cross nothing on a patch move within the older minor.
        assert.deepEqual(
          day2.rolloutPlan.refusals(olds, {
            ...news,
            kubernetesVersion: `1.${c.to - 1}.3`,
          } as never),
          [],
        );
      });

    it("feature gates count on the control-plane components only, as upstream checks them", () => {
      const text = [
        "version: v1alpha1",
        "machine:",
        "  type: controlplane",
        "  kubelet:",
        "    extraArgs:",
        "      feature-gates: AppArmor=true",
        "    extraConfig:",
        "      featureGates: { AppArmor: true }",
        "cluster:",
        "  scheduler:",
        "    extraArgs:",
        "      feature-gates: [CPUManager=true]",
      ].join("\n");
      assert.deepEqual(configRemovals(text, v(32), v(33)), [
        "kube-scheduler sets the feature gate CPUManager, and Kubernetes 1.33 removes it",
      ]);
    });

    it("an admission plugin the step removes, added to Talos's NodeRestriction", () => {
      const text = withApiServer(["extraArgs:", "  enable-admission-plugins: SecurityContextDeny"]);
      assert.deepEqual(configRemovals(text, v(29), v(30)), [
        "kube-apiserver enables the admission plugin SecurityContextDeny, and Kubernetes 1.30 removes it",
      ]);
      assert.deepEqual(configRemovals(text, v(30), v(31)), []);
      assert.deepEqual(
        commandLine(
          { "enable-admission-plugins": "A,B", "feature-gates": ["X=true"] },
          {
            "enable-admission-plugins": ["NodeRestriction"],
          },
        ),
        ["--enable-admission-plugins=NodeRestriction,A,B", "--feature-gates=X=true"],
      );
    });

    it("a flag on whichever component sets it, in any document; a worker's cluster section is not run", () => {
      const text = [
        "apiVersion: v1alpha1",
        "kind: HostnameConfig",
        "hostname: w-1",
        "---",
        "version: v1alpha1",
        "machine:",
        "  type: worker",
        "  kubelet:",
        "    extraArgs:",
        "      iptables-drop-bit: '15'",
        "      rotate-server-certificates: 'true'",
        "cluster:",
        "  controllerManager:",
        "    extraArgs:",
        "      volume-host-cidr-denylist: 10.0.0.0/8",
      ].join("\n");
      assert.deepEqual(configRemovals(text, v(30), v(31)), [
        "kubelet sets --iptables-drop-bit, and Kubernetes 1.31 removes it",
      ]);
    });

    it("refuses at preview when a rendered configuration sets one", async () => {
      const provider = day2.createRolloutProvider({
        workDir: rolloutWorkDir(),
        log: () => undefined,
      });
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
    it("reads the static pods' command lines and the kubelet's args through Talos, where a talosctl patch may have set them", async () => {
      const c = await fake({
        nodes: clusterNodes(1),
        kubernetesVersion: "1.29.4",
        initialConfig: (n) =>
          n.name === "cp-3"
            ? withApiServer(["extraArgs:", "  enable-admission-plugins: SecurityContextDeny"])
            : n.name === "w-1"
              ? withKubelet({ "feature-gates": "KubeletPodResources=true" })
              : withApiServer([]),
      });
      const talos = talosFor(c);
      const kube = kubeFor(c);
      try {
        const lines: string[] = [];
        const news = inputsFor(c, { kubernetesVersion: "1.30.0" });
        const session = {
          log: (l: string) => lines.push(l),
          talos,
          kube: async () => kube,
          news,
        };
        const nodes = c.nodes.map((n) => n.name);
        const e = await rejection(upgradeChecks(session as never, nodes, v(29), v(30)));
        // The kubelet's feature gate is not looked for (upstream checks gates on the
        // control-plane components only).
        assert.equal(
          e.message.split(". Change these first")[0],
          "the Kubernetes upgrade to 1.30 is refused, and nothing was changed on any node: cp-3: kube-apiserver enables the admission plugin SecurityContextDeny, and Kubernetes 1.30 removes it",
        );
        assert.match(lines.join("\n"), /checking what Kubernetes 1\.30 removes/);
        // A move within a minor asks nothing of the nodes.
        const before = c.log.entries.length;
        await upgradeChecks(session as never, nodes, v(29), v(29));
        assert.equal(c.log.entries.length, before);
      } finally {
        talos.close();
        c.stop();
      }
    });

    it("a removed API resource the cluster still lists is refused with its count; one not served passes", async () => {
      const asked: string[] = [];
      const kube = {
        countResource: async (r: { group: string; version: string; resource: string }) => {
          asked.push(`${r.resource}.${r.version}.${r.group}`);
          return r.resource === "podschedulingcontexts" ? 2 : null;
        },
      };
      const session = {
        log: () => undefined,
        talos: {},
        kube: async () => kube,
        news: { nodes: {} },
      };
      const e = await rejection(upgradeChecks(session as never, [], v(31), v(32)));
      assert.match(
        e.message,
        /the cluster still holds 2 podschedulingcontexts\.v1alpha3\.resource\.k8s\.io object\(s\), and Kubernetes 1\.32 removes that resource/,
      );
      assert.deepEqual(asked, ["podschedulingcontexts.v1alpha3.resource.k8s.io"]);
      await upgradeChecks(session as never, [], v(24), v(25)).catch((x: Error) =>
        assert.fail(x.message),
      );
      assert.deepEqual(asked.slice(1), ["podsecuritypolicies.v1beta1.policy"]);
    });

    it("the fake's kube-apiserver answers 404 for a resource it does not serve", async () => {
      const c = await fake({ nodes: clusterNodes(0), kubernetesVersion: "1.31.4" });
      try {
        assert.equal(
          await kubeFor(c).countResource({
            group: "policy",
            version: "v1beta1",
            resource: "podsecuritypolicies",
          }),
          null,
        );
        assert.equal(
          await kubeFor(c).countResource({ group: "", version: "v1", resource: "nodes" }),
          3,
        );
      } finally {
        c.stop();
      }
    });

    it("runs an upgrade whose step removes nothing the cluster uses", async () => {
      const c = await fake({ nodes: clusterNodes(0), kubernetesVersion: "1.31.4" });
      try {
        const { provider } = providerFor();
        const olds = (await provider.create(inputsFor(c, { kubernetesVersion: "1.31.4" })))
          .outs as RolloutOutputs;
        const since = c.log.entries.length;
        await provider.update("fake-rollout", olds, inputsFor(c, { kubernetesVersion: "1.32.0" }));
        assert.ok(touches(c, "cp-1", since).length > 0);
        for (const n of c.nodes)
          assert.equal(
            n.staticPodImages["kube-apiserver"],
            "registry.k8s.io/kube-apiserver:v1.32.0",
          );
      } finally {
        c.stop();
      }
    });
  });
});
