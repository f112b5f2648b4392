/**
 * The Kubernetes upgrade as `talosctl upgrade-k8s` runs it, against the fake cluster:
 * one component at a time on every control plane (kube-apiserver everywhere before any
 * kube-controller-manager), each patched into the node's running configuration and
 * waited for at its new configuration version and Ready; kube-proxy; the kubelets last;
 * then the bootstrap manifests synced by server-side apply with an inventory, also after
 * a Talos upgrade or a control-plane configuration change.
 */
import { strict as assert } from "assert";
import { inspect } from "util";
import * as YAML from "yaml";
import type { FakeCluster } from "../packages/day2/fake";
import { bundledImages } from "../packages/day2/fake/talosResources";
import {
  clusterNodes,
  fake,
  inputsFor,
  providerFor,
  touches,
  withInline,
  type InputOptions,
  type RolloutOutputs,
} from "./support/rollout";
import { rejection } from "./support/day2";
import { refOfKey } from "../packages/day2/lib/inventory";

const COMPONENTS = ["kube-apiserver", "kube-controller-manager", "kube-scheduler"];

/** What one configuration apply changed on a node, by image: `kube-apiserver v1.36.0`. */
function imagesOf(text: string): Record<string, string> {
  const doc = YAML.parse(text) ?? {};
  const tag = (i: unknown) => (typeof i === "string" ? (i.split(":").pop() ?? "") : "");
  return {
    "kube-apiserver": tag(doc.cluster?.apiServer?.image),
    "kube-controller-manager": tag(doc.cluster?.controllerManager?.image),
    "kube-scheduler": tag(doc.cluster?.scheduler?.image),
    "kube-proxy": tag(doc.cluster?.proxy?.image),
    kubelet: tag(doc.machine?.kubelet?.image),
  };
}

interface Apply {
  node: string;
  changed: string[];
  /** Every control plane's components at this moment: image tag, Ready, at its config version. */
  components: { node: string; component: string; tag: string; settled: boolean }[];
}

/** A fake cluster that records, at each configuration apply, what changed and the state of every component. */
async function recording(options: Parameters<typeof fake>[0]) {
  const applies: Apply[] = [];
  const last = new Map<string, string>();
  const holder: { c?: FakeCluster } = {};
  const c = await fake({
    ...options,
    onApplyConfiguration: (n, text) => {
      const before = imagesOf(last.get(n.name) ?? "");
      const after = imagesOf(text);
      last.set(n.name, text);
      const changed = Object.keys(after).filter((k) => after[k] !== before[k]);
      const components = (holder.c?.nodes ?? [])
        .filter((x) => x.role === "controlplane")
        .flatMap((x) =>
          COMPONENTS.map((component) => ({
            node: x.name,
            component,
            tag: x.staticPodImages[component].split(":").pop() ?? "",
            settled:
              !x.podsNotReady.has(component) &&
              x.staticPodVersions[component] === x.componentVersion(component),
          })),
        );
      applies.push({ node: n.name, changed, components });
    },
  });
  holder.c = c;
  for (const n of c.nodes) last.set(n.name, n.config ?? "");
  return { c, applies };
}

function image(c: FakeCluster, kind: string, name: string): string {
  return c.kube.objects.get(kind, "kube-system", name)?.spec.template.spec.containers[0].image;
}

async function run(c: FakeCluster, from: InputOptions, to: InputOptions, olds?: RolloutOutputs) {
  const { provider, lines } = providerFor();
  const start = olds ?? ((await provider.create(inputsFor(c, from))).outs as RolloutOutputs);
  const news = inputsFor(c, to);
  const { outs } = await provider.update("fake-rollout", start, news);
  return { outs: outs as RolloutOutputs, olds: start, news, lines, provider };
}

describe("day2 rollout: a Kubernetes upgrade as talosctl upgrade-k8s runs it", () => {
  it("1.35 → 1.36 on 3 control planes and 4 workers: each component everywhere in turn, pods Ready at their new configuration version before the next node, kubelets last, manifests synced", async () => {
    const { c, applies } = await recording({
      nodes: clusterNodes(4),
      kubernetesVersion: "1.35.2",
    });
    try {
      const { outs, lines } = await run(
        c,
        { kubernetesVersion: "1.35.2", maxUnavailableWorkers: 2 },
        { kubernetesVersion: "1.36.0", maxUnavailableWorkers: 2 },
      );
      const cps = ["cp-2", "cp-3", "cp-1"];
      assert.deepEqual(
        applies.map((a) => `${a.node} ${a.changed.join("+")}`),
        [
          ...cps.map((n) => `${n} kube-apiserver`),
          ...cps.map((n) => `${n} kube-controller-manager`),
          ...cps.map((n) => `${n} kube-scheduler`),
          ...cps.map((n) => `${n} kube-proxy`),
          ...cps.map((n) => `${n} kubelet`),
          ...applies.slice(15).map((a) => `${a.node} kubelet`),
        ],
      );
      // Workers by batch of two, after every control plane.
      assert.deepEqual(new Set(applies.slice(15, 17).map((a) => a.node)), new Set(["w-1", "w-2"]));
      assert.deepEqual(new Set(applies.slice(17).map((a) => a.node)), new Set(["w-3", "w-4"]));
      for (const [i, a] of applies.entries()) {
        // Whatever was patched before this apply runs at its new version, Ready.
        const patched = applies
          .slice(0, i)
          .flatMap((p) => p.changed.map((ch) => `${p.node}/${ch}`));
        for (const s of a.components)
          if (patched.includes(`${s.node}/${s.component}`)) {
            assert.equal(s.tag, "v1.36.0", `${s.node} ${s.component} before apply ${i}`);
            assert.ok(
              s.settled,
              `${s.node} ${s.component} not Ready at its version before apply ${i}`,
            );
          }
        // No kubelet moves while any control-plane component is old.
        if (a.changed.includes("kubelet"))
          for (const s of a.components) assert.equal(s.tag, "v1.36.0", `${s.node} ${s.component}`);
      }
      // The bootstrap manifests end at what Talos renders for v1.13.0 and Kubernetes 1.36.
      const bundled = bundledImages("v1.13.0");
      assert.equal(image(c, "DaemonSet", "kube-proxy"), "registry.k8s.io/kube-proxy:v1.36.0");
      assert.equal(image(c, "Deployment", "coredns"), bundled.coredns);
      assert.equal(image(c, "DaemonSet", "kube-flannel"), bundled.flannel);
      const inventory = c.kube.objects.get(
        "ConfigMap",
        "kube-system",
        "talos-bootstrap-manifests-inventory",
      );
      assert.ok(
        "kube-system_kube-proxy_apps_DaemonSet" in inventory.data,
        JSON.stringify(inventory.data),
      );
      assert.ok("_flannel_rbac.authorization.k8s.io_ClusterRole" in inventory.data);
      const proxy = c.kube.objects.get("DaemonSet", "kube-system", "kube-proxy");
      assert.ok(
        proxy.metadata.managedFields.some((m: { manager: string }) => m.manager === "talos"),
      );
      for (const n of c.nodes) {
        assert.equal(outs.rolled[n.name].kubernetesVersion, "1.36.0");
        // The running configuration is the rendered one: nothing left for the configuration step.
        assert.equal(outs.rolled[n.name].configHash, outs.configHashes[n.name], n.name);
        assert.equal(n.boots, 1, `${n.name} rebooted`);
      }
      assert.ok(
        lines.some((l) => /bootstrap manifest DaemonSet\/kube-system\/kube-proxy: updated/.test(l)),
      );
    } finally {
      c.stop();
    }
  });

  it("a rerun fed the old state finds everything done on the cluster and changes nothing", async () => {
    const c = await fake({ kubernetesVersion: "1.35.2" });
    try {
      const first = await run(c, { kubernetesVersion: "1.35.2" }, { kubernetesVersion: "1.36.0" });
      const mark = c.log.entries.length;
      const { provider, lines } = providerFor();
      await provider.update("fake-rollout", first.olds, first.news);
      for (const n of c.nodes) assert.deepEqual(touches(c, n.name, mark), [], n.name);
      const writes = c.log
        .calls({ node: "kubernetes" })
        .filter((e) => e.seq >= mark && !/^GET /.test(e.call) && !/\(dry run\)$/.test(e.call));
      assert.deepEqual(writes, [], "no Kubernetes object written");
      assert.ok(lines.some((l) => /kube-apiserver already runs/.test(l)));
      assert.ok(lines.some((l) => /the cluster already matches what Talos renders/.test(l)));
    } finally {
      c.stop();
    }
  });

  it("a kube-apiserver that crashloops on the first control plane stops the run there; the others still run the old one, and no kubelet moved", async () => {
    const c = await fake({
      kubernetesVersion: "1.35.2",
      faults: { crashloops: [{ node: "cp-2", component: "kube-apiserver", version: "v1.36.0" }] },
    });
    try {
      const e = await rejection(
        run(
          c,
          { kubernetesVersion: "1.35.2", timing: { nodeTimeoutSeconds: 0.4 } },
          {
            kubernetesVersion: "1.36.0",
            timing: { nodeTimeoutSeconds: 0.4 },
          },
        ),
      );
      assert.match(
        e.message,
        /^cp-2: kube-apiserver did not become Ready at registry\.k8s\.io\/kube-apiserver:v1\.36\.0/,
      );
      assert.match(e.message, /talosctl -n cp-2 logs kube-apiserver/);
      for (const n of ["cp-1", "cp-3"])
        assert.equal(
          c.node(n).staticPodImages["kube-apiserver"],
          "registry.k8s.io/kube-apiserver:v1.35.2",
          n,
        );
      for (const n of c.nodes) {
        assert.equal(n.kubeletVersion, "v1.35.2", n.name);
        if (n.role === "controlplane")
          assert.equal(n.staticPodImages["kube-controller-manager"].split(":").pop(), "v1.35.2");
      }
    } finally {
      c.stop();
    }
  });
});

const DEMO = (value: string) => ({
  name: "demo",
  contents: `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: demo\n  namespace: kube-system\ndata:\n  value: "${value}"\n`,
});

describe("day2 rollout: the bootstrap manifests follow Talos", () => {
  it("a Talos patch release moves CoreDNS and Flannel to the images it renders", async () => {
    const c = await fake({});
    try {
      const before = bundledImages("v1.13.0");
      const after = bundledImages("v1.13.9");
      assert.notEqual(before.coredns, after.coredns);
      assert.equal(image(c, "Deployment", "coredns"), before.coredns);
      const { lines } = await run(c, { talosVersion: "v1.13.0" }, { talosVersion: "v1.13.9" });
      assert.equal(image(c, "Deployment", "coredns"), after.coredns);
      assert.equal(image(c, "DaemonSet", "kube-flannel"), after.flannel);
      assert.ok(
        lines.some((l) => /sync the bootstrap manifests after the control planes' Talos/.test(l)),
      );
    } finally {
      c.stop();
    }
  });

  it("an inline manifest that changes is updated, and one removed is pruned through the inventory", async () => {
    const c = await fake({});
    try {
      const { provider } = providerFor();
      const base = inputsFor(c);
      const olds = (await provider.create(base)).outs as RolloutOutputs;
      const one = withInline(base, [DEMO("one")]);
      const r1 = (await provider.update("fake-rollout", olds, one)).outs as RolloutOutputs;
      assert.equal(c.kube.objects.get("ConfigMap", "kube-system", "demo")?.data.value, "one");
      const two = withInline(base, [DEMO("two")]);
      const r2 = (await provider.update("fake-rollout", r1, two)).outs as RolloutOutputs;
      // Talos would leave the object as it was created; the sync updates it.
      assert.equal(c.kube.objects.get("ConfigMap", "kube-system", "demo")?.data.value, "two");
      const inventory = () =>
        c.kube.objects.get("ConfigMap", "kube-system", "talos-bootstrap-manifests-inventory").data;
      assert.ok("kube-system_demo__ConfigMap" in inventory());
      await provider.update("fake-rollout", r2, withInline(base, []));
      assert.equal(c.kube.objects.get("ConfigMap", "kube-system", "demo"), undefined, "pruned");
      assert.equal("kube-system_demo__ConfigMap" in inventory(), false);
      assert.ok(c.kube.objects.get("Deployment", "kube-system", "coredns"), "nothing else pruned");
    } finally {
      c.stop();
    }
  });

  it("a manifest the API server rejects stops the run naming it, and nothing is pruned", async () => {
    const c = await fake({
      kubernetesVersion: "1.35.2",
      faults: { rejectObjects: ["DaemonSet/kube-system/kube-proxy"] },
    });
    try {
      const e = await rejection(
        run(c, { kubernetesVersion: "1.35.2" }, { kubernetesVersion: "1.36.0" }),
      );
      assert.match(
        e.message,
        // The API server refused Talos's own create too, so it is missing.
        /^applying the bootstrap manifest DaemonSet\/kube-system\/kube-proxy \(missing\) failed: .*422 Invalid/,
      );
      assert.match(e.message, /nothing was pruned/);
      // Talos wrote the inventory of what it created; the failed run wrote nothing to
      // it, and every object it lists is still there.
      const inventory = c.kube.objects.get(
        "ConfigMap",
        "kube-system",
        "talos-bootstrap-manifests-inventory",
      );
      const keys = Object.keys(inventory?.data ?? {});
      assert.ok(keys.includes("kube-system_coredns_apps_Deployment"), keys.join(", "));
      assert.equal(keys.includes("kube-system_kube-proxy_apps_DaemonSet"), false);
      for (const key of keys) {
        const { namespace: ns, name, kind } = refOfKey(key);
        assert.ok(c.kube.objects.get(kind, ns, name) !== undefined, `${key} was pruned`);
      }
    } finally {
      c.stop();
    }
  });

  it("a workload whose new image cannot be pulled never rolls out: the run stops naming it", async () => {
    const c = await fake({ faults: { badImages: [bundledImages("v1.13.9").flannel] } });
    try {
      const e = await rejection(
        run(
          c,
          { talosVersion: "v1.13.0", timing: { nodeTimeoutSeconds: 0.5 } },
          {
            talosVersion: "v1.13.9",
            timing: { nodeTimeoutSeconds: 0.5 },
          },
        ),
      );
      assert.match(
        e.message,
        /^DaemonSet\/kube-system\/kube-flannel did not roll out within 0\.5 s .*updated 0\/\d+/,
      );
    } finally {
      c.stop();
    }
  });
});

describe("day2 rollout: the machine configuration read through COSI stays secret", () => {
  /** A stand-in for the cluster secrets every real machine configuration carries. */
  const SECRET = "em-infra-test-secret-9f3c1d7a";
  const withSecret = (text: string) => {
    const doc = YAML.parse(text);
    doc.cluster ??= {};
    doc.cluster.secretboxEncryptionSecret = SECRET;
    return YAML.stringify(doc);
  };

  for (const outcome of ["succeeds", "fails"] as const) {
    it(`a Kubernetes upgrade that ${outcome} keeps it out of the log, the outputs and the error`, async () => {
      let carried = 0;
      const c = await fake({
        nodes: clusterNodes(1),
        kubernetesVersion: "1.35.2",
        onApplyConfiguration: (_n, text) => void (carried += text.includes(SECRET) ? 1 : 0),
        initialConfig: (n) =>
          withSecret(
            YAML.stringify({
              version: "v1alpha1",
              machine: { type: n.role, kubelet: { image: "ghcr.io/siderolabs/kubelet:v1.35.2" } },
              ...(n.role === "controlplane"
                ? {
                    cluster: {
                      apiServer: { image: "registry.k8s.io/kube-apiserver:v1.35.2" },
                      controllerManager: {
                        image: "registry.k8s.io/kube-controller-manager:v1.35.2",
                      },
                      scheduler: { image: "registry.k8s.io/kube-scheduler:v1.35.2" },
                      proxy: { image: "registry.k8s.io/kube-proxy:v1.35.2" },
                    },
                  }
                : {}),
            }),
          ),
        faults:
          outcome === "fails"
            ? { crashloops: [{ node: "cp-3", component: "kube-scheduler", version: "v1.36.0" }] }
            : {},
      });
      try {
        const { provider, lines } = providerFor();
        const timing = { nodeTimeoutSeconds: 0.5 };
        const olds = (await provider.create(inputsFor(c, { kubernetesVersion: "1.35.2", timing })))
          .outs;
        let seen = "";
        try {
          seen = inspect(
            (
              await provider.update(
                "fake-rollout",
                olds,
                inputsFor(c, { kubernetesVersion: "1.36.0", timing }),
              )
            ).outs,
            { depth: null },
          );
        } catch (e) {
          assert.equal(outcome, "fails", (e as Error).message);
          seen = inspect(e, { depth: null });
        }
        // The run read and re-applied it: the secret reached the nodes, as it must.
        assert.ok(carried > 0, "no patch carried the running configuration");
        assert.equal(seen.includes(SECRET), false, "in the outputs or the error");
        assert.deepEqual(
          lines.filter((l) => l.includes(SECRET)),
          [],
          "in the log",
        );
      } finally {
        c.stop();
      }
    });
  }
});
