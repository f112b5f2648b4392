/**
 * The Talos layer and the whole graph, as the real program registers it under the
 * offline engine.
 */
import { strict as assert } from "assert";
import { loadInventory, type Inventory } from "../lib/inventory";
import { buildClusterModel } from "../lib/model";
import { ProgramError, runProgram, type RunRecord } from "../tools/offline/engine";
import { isSecretWrapper, unwrapSecrets } from "../tools/offline/secretSig";
import {
  DEV,
  LARGE,
  SINGLE,
  dependsOn,
  editedInventory,
  invokesOf,
  ofType,
  plainInputs,
  resource,
  runFor,
  stackConfig,
} from "./support/program";
import { talosSchema } from "./support/talosSchema";
import {
  VM,
  SECRETS,
  APPLY,
  BOOTSTRAP,
  KUBECONFIG,
  GET_CONFIG,
  CLIENT_CONFIG,
  HEALTH,
} from "../lib/tokens";

/**
 * The configPatches the program sent for one node: the model's patches for it, found
 * among the invokes exactly.
 */
function patchesOf(record: RunRecord, inventory: Inventory, nodeName: string): string[] {
  const node = buildClusterModel(inventory).nodes.find((n) => n.name === nodeName);
  assert.ok(node, `no node ${nodeName} in the model`);
  const want = JSON.stringify(node.renderedPatches);
  const call = invokesOf(record, GET_CONFIG).find(
    (i) => JSON.stringify(unwrapSecrets(i.args.configPatches)) === want,
  );
  assert.ok(call, `no machine configuration was generated with ${nodeName}'s patches`);
  return unwrapSecrets(call.args.configPatches) as string[];
}

describe("Talos layer", function () {
  for (const [label, dir] of [
    ["dev", DEV],
    ["large", LARGE],
  ] as const) {
    describe(`${label} inventory`, function () {
      let record: RunRecord;
      const inv = loadInventory(dir);
      const name = inv.cluster.name;
      const first = inv.nodes.find((n) => n.role === "controlplane")!;
      before(async function () {
        record = await runFor(dir);
      });

      it("registers one Secrets, one apply per node, one Bootstrap, one Kubeconfig", function () {
        assert.equal(ofType(record, SECRETS).length, 1);
        assert.deepEqual(
          ofType(record, APPLY)
            .map((a) => a.name)
            .sort(),
          inv.nodes.map((n) => `${name}-apply-${n.name}`).sort(),
        );
        assert.equal(ofType(record, BOOTSTRAP).length, 1);
        assert.equal(ofType(record, KUBECONFIG).length, 1);
        assert.equal(invokesOf(record, GET_CONFIG).length, inv.nodes.length);
      });

      it("protects the machine secrets, and keeps their version contract", function () {
        const secrets = resource(record, SECRETS, `${name}-secrets`);
        assert.equal(secrets.protect, true);
        assert.deepEqual(secrets.ignoreChanges, ["talosVersion"]);
        assert.deepEqual(plainInputs(secrets), { talosVersion: "v1.13" });
      });

      it("chains VM → apply → bootstrap → kubeconfig through recorded dependencies", function () {
        const vm = resource(record, VM, `${first.name}-vm`);
        const apply = resource(record, APPLY, `${name}-apply-${first.name}`);
        const bootstrap = resource(record, BOOTSTRAP, `${name}-bootstrap`);
        const kubeconfig = resource(record, KUBECONFIG, `${name}-kubeconfig`);
        assert.ok(apply.dependencies.includes(vm.urn), "apply does not wait for its VM");
        assert.ok(bootstrap.dependencies.includes(apply.urn), "bootstrap does not wait for apply");
        assert.ok(kubeconfig.dependencies.includes(bootstrap.urn), "kubeconfig before bootstrap");
        assert.ok(dependsOn(record, kubeconfig, vm));
        // Every node's apply waits for its own VM and is replaced with it: a new VM
        // needs its configuration applied again. A worker's apply also waits for
        // every control plane's VM, so a destroy deletes no control plane while a
        // worker is still being drained and reset.
        const cpVms = inv.nodes.filter((n) => n.role === "controlplane").map((n) => `${n.name}-vm`);
        for (const node of inv.nodes) {
          const a = resource(record, APPLY, `${name}-apply-${node.name}`);
          assert.deepEqual(a.replaceWith, [resource(record, VM, `${node.name}-vm`).urn]);
          assert.equal(a.deleteBeforeReplace, true, node.name);
          const vms = ofType(record, VM)
            .filter((v) => a.dependencies.includes(v.urn))
            .map((v) => v.name)
            .sort();
          const expected =
            node.role === "worker" ? [...cpVms, `${node.name}-vm`] : [`${node.name}-vm`];
          assert.deepEqual(vms, expected.sort(), node.name);
        }
      });

      it("bootstraps the first control plane at its own address, not the VIP", function () {
        const bootstrap = plainInputs(resource(record, BOOTSTRAP, `${name}-bootstrap`));
        assert.equal(bootstrap.node, first.ip);
        assert.equal(bootstrap.endpoint, first.ip);
        const kubeconfig = plainInputs(resource(record, KUBECONFIG, `${name}-kubeconfig`));
        assert.equal(kubeconfig.node, first.ip);
        assert.equal(kubeconfig.endpoint, first.ip);
      });

      it("applies each node's config at its own address, resetting nothing on destroy", function () {
        for (const node of inv.nodes) {
          const apply = plainInputs(resource(record, APPLY, `${name}-apply-${node.name}`));
          assert.equal(apply.node, node.ip);
          assert.equal(apply.endpoint, node.ip);
          assert.equal(apply.applyMode, "auto");
          // Removal is the rollout's decommission; destroy tears the cluster down.
          assert.deepEqual(apply.onDestroy, { graceful: false, reboot: false, reset: false });
          assert.deepEqual(apply.timeouts, { create: "15m", update: "15m", delete: "10m" });
        }
      });

      it("generates each node's config for its role, cluster, endpoint and versions", function () {
        for (const node of inv.nodes) {
          patchesOf(record, inv, node.name);
        }
        for (const call of invokesOf(record, GET_CONFIG)) {
          const args = unwrapSecrets(call.args) as Record<string, unknown>;
          assert.equal(args.clusterName, name);
          assert.equal(args.clusterEndpoint, inv.endpoint.url);
          // The contract the secrets keep (the minor), not the inventory's full version.
          assert.equal(args.talosVersion, inv.cluster.talos.version.replace(/\.\d+$/, ""));
          assert.equal(args.kubernetesVersion, inv.cluster.kubernetes.version);
          assert.ok(["controlplane", "worker"].includes(args.machineType as string));
          assert.ok(isSecretWrapper(call.args.machineSecrets), "machine secrets sent in the clear");
        }
      });

      it("gates health on every control plane and worker, after bootstrap and every apply", function () {
        const [health] = invokesOf(record, HEALTH);
        const args = unwrapSecrets(health.args) as Record<string, unknown>;
        const ips = (role: string) => inv.nodes.filter((n) => n.role === role).map((n) => n.ip);
        assert.deepEqual(args.controlPlaneNodes, ips("controlplane"));
        assert.deepEqual(args.workerNodes, ips("worker"));
        assert.deepEqual(args.endpoints, ips("controlplane"));
        assert.deepEqual(args.timeouts, { read: "20m" });
        assert.equal(invokesOf(record, HEALTH).length, 1);
        const waitsFor = (type: string, n: string) =>
          health.dependencies.includes(resource(record, type, n).urn);
        assert.ok(waitsFor(BOOTSTRAP, `${name}-bootstrap`), "health does not wait for bootstrap");
        assert.ok(waitsFor(KUBECONFIG, `${name}-kubeconfig`));
        for (const node of inv.nodes) {
          assert.ok(waitsFor(APPLY, `${name}-apply-${node.name}`), `health skips ${node.name}`);
        }
      });

      it("gives talosctl every control plane as endpoint and every node", function () {
        const [call] = invokesOf(record, CLIENT_CONFIG);
        const args = unwrapSecrets(call.args) as Record<string, unknown>;
        assert.deepEqual(
          args.endpoints,
          inv.nodes.filter((n) => n.role === "controlplane").map((n) => n.ip),
        );
        assert.deepEqual(
          args.nodes,
          inv.nodes.map((n) => n.ip),
        );
      });

      it("exports the stack outputs, with kubeconfig and talosconfig secret", function () {
        const out = record.stackOutputs;
        assert.ok(isSecretWrapper(out.kubeconfig), "kubeconfig is not secret");
        assert.ok(isSecretWrapper(out.talosconfig), "talosconfig is not secret");
        assert.match(String(unwrapSecrets(out.kubeconfig)), /kind: Config/);
        assert.equal(out.endpoint, inv.endpoint.url);
        assert.equal(out.talosVersion, inv.cluster.talos.version);
        assert.equal(out.kubernetesVersion, inv.cluster.kubernetes.version);
        assert.deepEqual(
          Object.keys(out.nodes as object).sort(),
          inv.nodes.map((n) => n.name).sort(),
        );
        const gpu = inv.nodes.find((n) => n.gpu)!;
        assert.deepEqual((out.nodes as Record<string, unknown>)[gpu.name], {
          role: "worker",
          host: gpu.host,
          vmId: gpu.vmId,
          ip: gpu.ip,
          gpu: gpu.gpu!.mapping,
        });
        assert.deepEqual(Object.keys(out.schematics as object).sort(), ["base", "gpu"]);
      });

      it("sends patches that validate against the Talos v1.13 config schema", function () {
        const validator = talosSchema();
        for (const node of inv.nodes) {
          for (const patch of patchesOf(record, inv, node.name)) {
            assert.deepEqual(validator.validateYaml(patch), [], `${node.name}: ${patch}`);
          }
        }
      });

      it("gives the GPU worker its modules, label and taint, and no other node any", function () {
        for (const node of inv.nodes) {
          const all = patchesOf(record, inv, node.name);
          // The add-ons' inline manifests name the GPU label and taint to find GPU nodes.
          const text = all.filter((p) => !p.includes("inlineManifests")).join("\n---\n");
          const isGpu = node.gpu !== undefined;
          assert.equal(text.includes("nvidia_uvm"), isGpu, `${node.name} modules`);
          assert.equal(text.includes("nvidia.com/gpu.present"), isGpu, `${node.name} label`);
          assert.equal(/key: nvidia\.com\/gpu\n/.test(text), isGpu, `${node.name} taint`);
          assert.equal(
            all.join("\n").includes("kind: RuntimeClass"),
            node.role === "controlplane",
            `${node.name} RuntimeClass`,
          );
          assert.equal(
            all.join("\n").includes("name: nvidia-device-plugin\n"),
            node.role === "controlplane",
            `${node.name} device plugin`,
          );
        }
      });

      it("names no installer and no install disk in any node's configuration", function () {
        // Image Factory disk images boot installed; upgrades name their installer.
        for (const node of inv.nodes) {
          const text = patchesOf(record, inv, node.name).join("\n");
          assert.doesNotMatch(text, /install:|installer/, node.name);
        }
      });
    });
  }

  describe("edge inventories", function () {
    it("a single control plane with no workers allows scheduling and has no VIP", async function () {
      const record = await runFor(SINGLE);
      const inv = loadInventory(SINGLE);
      assert.equal(inv.nodes.length, 1);
      const [node] = inv.nodes;
      const text = patchesOf(record, inv, node.name).join("\n---\n");
      assert.match(text, /allowSchedulingOnControlPlanes: true/);
      assert.doesNotMatch(text, /Layer2VIPConfig/);
      assert.doesNotMatch(text, /RuntimeClass/);
      assert.equal(record.stackOutputs.endpoint, `https://${node.ip}:6443`);
      const [health] = invokesOf(record, HEALTH);
      assert.deepEqual((unwrapSecrets(health.args) as { workerNodes: string[] }).workerNodes, []);
    });

    it("three control planes behind a VIP still bootstrap at the first one's own address", async function () {
      const record = await runFor(LARGE);
      const inv = loadInventory(LARGE);
      const cps = inv.nodes.filter((n) => n.role === "controlplane");
      assert.equal(cps.length, 3);
      assert.ok(inv.cluster.vip);
      const bootstrap = plainInputs(resource(record, BOOTSTRAP, `${inv.cluster.name}-bootstrap`));
      assert.equal(bootstrap.node, cps[0].ip);
      assert.notEqual(bootstrap.node, inv.cluster.vip);
      for (const cp of cps) {
        const text = patchesOf(record, inv, cp.name).join("\n---\n");
        assert.match(
          text,
          new RegExp(`kind: Layer2VIPConfig\\nname: ${inv.cluster.vip!.replace(/\./g, "\\.")}`),
        );
      }
    });
  });

  describe("determinism", function () {
    it("two runs over the same inventory record byte-identical inputs and arguments", async function () {
      const a = await runProgram(stackConfig(LARGE));
      const b = await runProgram(stackConfig(LARGE));
      const shape = (r: RunRecord) =>
        JSON.stringify({
          resources: r.resources.map((x) => [x.type, x.name, x.parent, x.inputs, x.dependencies]),
          invokes: r.invokes.map((i) => JSON.stringify([i.token, i.args])).sort(),
          outputs: r.stackOutputs,
        });
      assert.equal(shape(a), shape(b));
    });
  });

  describe("cluster options", function () {
    it("runs the bootstrap once: later changes to its target are ignored", async function () {
      const record = await runFor(DEV);
      const bootstrap = resource(record, BOOTSTRAP, "dev-bootstrap");
      assert.deepEqual(bootstrap.ignoreChanges, [
        "node",
        "endpoint",
        "clientConfiguration",
        "timeouts",
      ]);
    });

    it("checks Kubernetes in the health gate only when there is a CNI", async function () {
      const none = editedInventory(DEV, ({ cluster }) => {
        cluster.setIn(["kubernetes", "cni"], "none");
      });
      const skip = (r: RunRecord) =>
        (unwrapSecrets(invokesOf(r, HEALTH)[0].args) as { skipKubernetesChecks: boolean })
          .skipKubernetesChecks;
      assert.equal(skip(await runFor(none)), true);
      assert.equal(skip(await runFor(DEV)), false);
    });
  });

  describe("health gate", function () {
    it("holds back the stack outputs, kubeconfig included, when the cluster is not healthy", async function () {
      await assert.rejects(
        runProgram({ ...stackConfig(DEV), failingFunctions: [HEALTH] }),
        (err: ProgramError) => {
          assert.match(err.message, /getHealth failed: timed out/);
          assert.deepEqual(err.record.stackOutputs, {});
          assert.equal(ofType(err.record, KUBECONFIG).length, 1);
          return true;
        },
      );
    });

    it("refuses a switch value other than true or false, before any resource", async function () {
      await assert.rejects(
        runProgram({
          ...stackConfig(DEV),
          config: { ...stackConfig(DEV).config, "em-infra:healthGate": "off" },
        }),
        (err: ProgramError) => {
          assert.equal(err.message, 'em-infra:healthGate: "off" is not true or false');
          assert.deepEqual(
            err.record.resources.map((r) => r.type),
            ["pulumi:pulumi:Stack"],
          );
          return true;
        },
      );
    });

    it("can be turned off for one operation, with a warning", async function () {
      const off = await runProgram({
        ...stackConfig(DEV),
        config: { ...stackConfig(DEV).config, "em-infra:healthGate": "false" },
      });
      assert.equal(invokesOf(off, HEALTH).length, 0);
      assert.ok(isSecretWrapper(off.stackOutputs.kubeconfig));
      // The one warning; the rollout's create adds an info line of its own.
      const warnings = off.logs.filter((l) => l.severity !== "info");
      assert.equal(warnings.length, 1);
      assert.match(warnings[0].message, /health gate is off \(em-infra:healthGate=false\)/);
    });
  });

  describe("preview", function () {
    it("of an existing stack reads configs but does not wait on the cluster's health", async function () {
      const preview = await runFor(DEV, { dryRun: true, existing: true });
      assert.equal(invokesOf(preview, GET_CONFIG).length, 3);
      assert.equal(invokesOf(preview, HEALTH).length, 0);
      assert.ok(isSecretWrapper(preview.stackOutputs.kubeconfig));
      assert.match(String(unwrapSecrets(preview.stackOutputs.kubeconfig)), /kind: Config/);
    });

    it("runs with unknown ids and outputs, registering the same resources", async function () {
      const update = await runFor(DEV);
      const preview = await runFor(DEV, { dryRun: true });
      const names = (r: RunRecord) => r.resources.map((x) => `${x.type}::${x.name}`).sort();
      assert.deepEqual(names(preview), names(update));
      // Nothing that depends on a not-yet-created resource was invoked.
      assert.equal(invokesOf(preview, HEALTH).length, 0);
      assert.equal(invokesOf(preview, GET_CONFIG).length, 0);
    });
  });
});
