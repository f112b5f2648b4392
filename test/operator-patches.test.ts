/**
 * The operator's own Talos patches (`talos.patches`, `nodes[].patches`): files or inline
 * documents, checked before anything is created (file:line:col and the field, never
 * its value) against the Talos v1.13 config schema and against what em-infra owns, then
 * rendered after em-infra's patches on exactly the nodes they target.
 */
import { strict as assert } from "assert";
import * as path from "path";
import { checkInventory, formatProblem, loadInventory } from "../lib/inventory";
import { buildClusterModel } from "../lib/model";
import { DYNAMIC, GET_CONFIG } from "../lib/tokens";
import { ProgramError, runProgram, type RunRecord } from "../tools/offline/engine";
import { unwrapSecrets } from "../tools/offline/secretSig";
import {
  DEV,
  devWith,
  editedInventory,
  invokesOf,
  resource,
  reusedRuns,
  runFor,
  stackConfig,
} from "./support/program";
import * as day2 from "../packages/day2";
import { talosSchema } from "./support/talosSchema";
import { runPlan } from "../scripts/plan";
import { cluster } from "./support/talosInventories";
import { buildAddons } from "../lib/addons/objects";
import { OWNED_INLINE_MANIFESTS, OWNED_LINK } from "../lib/inventory/patches";
import { NODE_LINK } from "../lib/talos/patches";
import { splitDeprecated } from "../lib/inventory/deprecatedTalos";
import { parse } from "yaml";

/** Every problem as `file:line:col: message`, the file relative to the inventory folder. */
function problemsOf(dir: string): string[] {
  const { problems } = checkInventory(dir);
  return problems.map((p) =>
    formatProblem({ ...p, file: path.relative(dir, path.resolve(p.file)) }),
  );
}

/** The configPatches the program sent for a node, found by its hostname patch. */
function sentPatches(record: RunRecord, node: string): string[] {
  const calls = invokesOf(record, GET_CONFIG)
    .map((i) => unwrapSecrets(i.args.configPatches) as string[])
    .filter((patches) => patches.some((p) => p.includes(`hostname: ${node}\n`)));
  assert.equal(calls.length, 1, `one configuration for ${node}`);
  return calls[0];
}

const GOOD_FILE = [
  "# sysctls every node gets",
  "machine:",
  "  sysctls:",
  '    vm.max_map_count: "262144"',
  "---",
  "apiVersion: v1alpha1",
  "kind: RegistryMirrorConfig",
  "name: docker.io",
  "endpoints:",
  "  - url: https://mirror.example.internal/",
  "",
].join("\n");

describe("operator patches", () => {
  it("owns the inline manifests em-infra writes, as lib/addons and the GPU patch name them", () => {
    const all = buildAddons(
      cluster({ storage: { localPath: true }, addons: { metricsServer: true } }),
      true,
    );
    assert.deepEqual(
      Object.keys(OWNED_INLINE_MANIFESTS).sort(),
      ["nvidia-runtime-class", ...all.map((a) => a.name)].sort(),
    );
  });

  it("owns the link em-infra configures, as lib/talos names it", () => {
    assert.equal(OWNED_LINK, NODE_LINK);
  });

  describe("a good patch", () => {
    let dir: string;
    before(() => {
      dir = devWith({ "patches/common.yaml": GOOD_FILE }, ({ cluster, nodes }) => {
        cluster.setIn(["talos", "patches"], ["patches/common.yaml"]);
        // The control planes' and the workers' own, inline (the GPU worker is a worker).
        cluster.setIn(
          ["talos", "controlPlanePatches"],
          [{ machine: { sysctls: { "kernel.role": "controlplane" } } }],
        );
        cluster.setIn(
          ["talos", "workerPatches"],
          [
            {
              machine: {
                sysctls: { "kernel.role": "worker", "net.core.somaxconn": "1024" },
                // Deprecated, still accepted by Talos v1.13: a warning, and it is applied.
                env: { NO_PROXY: "10.0.0.0/8" },
              },
            },
          ],
        );
        // One node's own, inline.
        nodes.setIn(
          ["nodes", 1, "patches"],
          [{ machine: { sysctls: { "net.core.somaxconn": "4096" } } }],
        );
      });
    });

    it("loads, each document with where it was written", () => {
      const inv = loadInventory(dir);
      const origins = (inv.cluster.talos.patches ?? []).map((p) => p.origin);
      assert.equal(origins.length, 2);
      assert.ok(origins[0].endsWith(`${path.join("patches", "common.yaml")}:2:1`), origins[0]);
      assert.ok(origins[1].endsWith(`${path.join("patches", "common.yaml")}:6:1`), origins[1]);
      assert.equal(inv.nodes[1].patches?.length, 1);
      assert.match(inv.nodes[1].patches![0].origin, /nodes\.yaml:\d+:\d+$/);
      assert.deepEqual(inv.nodes[0].patches, []);
    });

    it("renders after em-infra's patches on exactly the nodes it targets, valid for Talos v1.13", () => {
      const inv = loadInventory(dir);
      const model = buildClusterModel(inv);
      const validator = talosSchema();
      for (const [i, node] of model.nodes.entries()) {
        const patches = node.renderedPatches;
        // talos.patches (two documents), the role's, and for dev-worker-1 its own.
        const ownCount = i === 1 ? 4 : 3;
        const tail = patches.slice(-ownCount);
        assert.match(tail[0], /vm\.max_map_count/);
        assert.match(tail[1], /kind: RegistryMirrorConfig/);
        const role = inv.nodes[i].role === "controlplane" ? "controlplane" : "worker";
        assert.match(tail[2], new RegExp(`kernel\\.role: ${role}\n`), node.name);
        assert.equal(patches.filter((p) => p.includes("kernel.role")).length, 1, node.name);
        const own = patches.filter((p) => p.includes('net.core.somaxconn: "4096"'));
        assert.equal(own.length, i === 1 ? 1 : 0, node.name);
        // The node's own come last, so they win over the workers' value.
        if (i === 1) assert.equal(patches[patches.length - 1], own[0], "the node's own come last");
        // Valid for Talos v1.13: the published schema, less the deprecated fields it leaves
        // out (lib/inventory/deprecatedTalos).
        for (const p of tail)
          assert.deepEqual(validator.validateDocument(splitDeprecated(parse(p)).rest), [], p);
      }
    });

    it("reaches the Talos provider through the offline engine, and the plan", async function () {
      this.timeout(30000);
      const record = await runFor(dir);
      const inv = loadInventory(dir);
      for (const [i, n] of inv.nodes.entries()) {
        const sent = sentPatches(record, n.name).join("\n");
        assert.match(sent, /vm\.max_map_count: "262144"/, n.name);
        assert.equal(sent.includes('net.core.somaxconn: "4096"'), i === 1, n.name);
        assert.equal(sent.includes("kernel.role: worker"), n.role === "worker", n.name);
        assert.equal(sent.includes("NO_PROXY: 10.0.0.0/8"), n.role === "worker", n.name);
      }
      let text = "";
      const code = await runPlan(
        [dir, "--wide"],
        { write: (c: string) => (text += c) },
        {
          write: () => true,
        },
      );
      assert.equal(code, 0);
      // Each of the operator's patches is marked with its list and where it is written.
      const marks = text.split("\n").filter((l) => l.includes("--- # your patch "));
      assert.equal(marks.length, inv.nodes.length * 3 + 1);
      assert.equal(
        marks.filter((l) => l.includes("# your patch talos.patches[0], from")).length,
        6,
      );
      assert.equal(marks.filter((l) => l.includes("talos.controlPlanePatches[0], from")).length, 1);
      assert.equal(marks.filter((l) => l.includes("talos.workerPatches[0], from")).length, 2);
      assert.equal(marks.filter((l) => l.includes('"dev-worker-1".patches[0], from')).length, 1);
      // The deprecated field's warning reaches the plan, as it reaches pulumi up.
      assert.match(
        text,
        /\nwarning +.*talos\.workerPatches\[0\]: machine\.env is deprecated in Talos v1\.13/,
      );
      assert.ok(
        marks.some((l) => /patches\/common\.yaml:6:1$/.test(l)),
        marks.join("\n"),
      );
      assert.equal(marks.filter((l) => /nodes\.yaml:\d+:\d+$/.test(l)).length, 1);
    });
  });

  it("the plan does not repeat a secret a patch carries; the provider still gets it", async function () {
    this.timeout(30000);
    const auth =
      "apiVersion: v1alpha1\nkind: RegistryAuthConfig\nname: ghcr.io\nusername: robot\npassword: hunter2-not-real\n";
    const dir = devWith({ "patches/auth.yaml": auth }, ({ cluster }) =>
      cluster.setIn(["talos", "patches"], ["patches/auth.yaml"]),
    );
    let text = "";
    const quiet = { write: () => true };
    await runPlan([dir, "--wide"], { write: (c: string) => (text += c) }, quiet, reusedRuns);
    let json = "";
    await runPlan([dir, "--json"], { write: (c: string) => (json += c) }, quiet, reusedRuns);
    assert.match(text, /password: "\[redacted\]"/);
    assert.match(text, /kind: RegistryAuthConfig/);
    assert.doesNotMatch(text + json, /hunter2-not-real/);
    const record = await runFor(dir);
    assert.match(sentPatches(record, "dev-cp-1").join("\n"), /password: hunter2-not-real/);
  });

  it("reaches running nodes as a configuration change of exactly the nodes it targets", async function () {
    this.timeout(30000);
    const dir = devWith({}, ({ nodes }) =>
      nodes.setIn(
        ["nodes", 1, "patches"],
        [{ machine: { sysctls: { "vm.overcommit_memory": "1" } } }],
      ),
    );
    const configs = async (d: string) =>
      unwrapSecrets(resource(await runFor(d), DYNAMIC, "dev-rollout").inputs.configs) as Record<
        string,
        string
      >;
    const before = await configs(DEV);
    const after = await configs(dir);
    const changed = Object.keys(after).filter(
      (n) => day2.rolloutPlan.configHash(after[n]) !== day2.rolloutPlan.configHash(before[n]),
    );
    assert.deepEqual(changed, [loadInventory(dir).nodes[1].name]);
  });

  describe("refused before anything is created, at file:line:col with the field (never its value)", () => {
    const refused = (files: Record<string, string>, edit: Parameters<typeof editedInventory>[1]) =>
      problemsOf(devWith(files, edit));
    const common = (text: string) =>
      refused({ "patches/p.yaml": text }, ({ cluster }) =>
        cluster.setIn(["talos", "patches"], ["patches/p.yaml"]),
      );

    it("a field Talos v1.13 does not have", () => {
      assert.deepEqual(common("machine:\n  sysctl:\n    a: b\n"), [
        'patches/p.yaml:2:3: talos.patches[0] (patches/p.yaml): machine.sysctl (a mapping): not valid Talos v1.13 configuration: v1alpha1.Config /machine: must NOT have additional properties (sysctl) (did you mean "sysctls"?)',
      ]);
    });

    it("a value of the wrong type", () => {
      assert.deepEqual(common("machine:\n  sysctls:\n    vm.swappiness: 10\n"), [
        'patches/p.yaml:3:5: talos.patches[0] (patches/p.yaml): machine.sysctls["vm.swappiness"] (a number): not valid Talos v1.13 configuration: v1alpha1.Config /machine/sysctls/vm.swappiness: must be string',
      ]);
    });

    it("a wrong typed document, in the second document of a file", () => {
      const text =
        "machine:\n  sysctls: { a: b }\n---\napiVersion: v1alpha1\nkind: RegistryMirrorConfig\nname: docker.io\nendpoints: https://x/\n";
      const found = common(text);
      assert.equal(found.length, 1, found.join("\n"));
      assert.match(
        found[0],
        /^patches\/p\.yaml:7:1: talos\.patches\[0\] \(patches\/p\.yaml, document 2\): endpoints \(a string\): not valid Talos v1\.13 configuration: cri\.RegistryMirrorConfigV1Alpha1 \/endpoints: must be array$/,
      );
    });

    it("what em-infra owns, naming the inventory field to use", () => {
      assert.deepEqual(common("machine:\n  install:\n    disk: /dev/sdb\n"), [
        "patches/p.yaml:2:3: talos.patches[0] (patches/p.yaml): machine.install is set by em-infra; use talos.version and talos.extensions (every node boots an Image Factory image, already installed) instead",
      ]);
      assert.match(
        common("cluster:\n  network:\n    cni:\n      name: none\n")[0],
        /^patches\/p\.yaml:3:5: .*cluster\.network\.cni is set by em-infra; use kubernetes\.cni instead$/,
      );
      assert.match(
        common("cluster:\n  controlPlane:\n    endpoint: https://10.0.0.1:6443\n")[0],
        /cluster\.controlPlane\.endpoint is set by em-infra; use vip/,
      );
      assert.match(
        common("cluster:\n  inlineManifests:\n    - name: metrics-server\n      contents: ''\n")[0],
        /^patches\/p\.yaml:3:7: .*cluster\.inlineManifests\[0\]\.name \("metrics-server"\) is set by em-infra; use addons\.metricsServer instead$/,
      );
      assert.match(
        common("apiVersion: v1alpha1\nkind: LinkConfig\nname: net0\nmtu: 9000\n")[0],
        /^patches\/p\.yaml:2:1: .*kind \("LinkConfig net0"\) is set by em-infra; use nodes\[\]\.ip and network instead$/,
      );
      assert.match(
        common(
          "machine:\n  kubelet:\n    extraArgs:\n      rotate-server-certificates: 'false'\n",
        )[0],
        /use addons\.metricsServer instead$/,
      );
      // What em-infra does not own passes: another link, another inline manifest.
      assert.deepEqual(
        common("cluster:\n  inlineManifests:\n    - name: my-app\n      contents: ''\n"),
        [],
      );
    });

    it("$patch directives and JSON 6902 patches", () => {
      assert.match(
        common("machine:\n  sysctls:\n    $patch: delete\n")[0],
        /^patches\/p\.yaml:3:5: talos\.patches\[0\] \(patches\/p\.yaml\): machine\.sysctls\["\$patch"\] is refused: .*change the inventory field that makes it$/,
      );
      assert.match(
        common("- op: add\n  path: /machine/sysctls/a\n  value: b\n")[0],
        /^patches\/p\.yaml:1:1: talos\.patches\[0\] \(patches\/p\.yaml\): JSON 6902 patches \(op\/path lists\) are not supported/,
      );
    });

    it("a document that is a list, or a scalar", () => {
      assert.match(
        common("- a\n- b\n")[0],
        /^patches\/p\.yaml:1:1: .*expected a YAML mapping \(a config document\), got a list$/,
      );
      assert.match(
        common("just text\n")[0],
        /expected a YAML mapping \(a config document\), got a string$/,
      );
    });

    it("a file that is not there, at the inventory line that names it", () => {
      const found = refused({}, ({ cluster }) =>
        cluster.setIn(["talos", "patches"], ["patches/missing.yaml"]),
      );
      assert.equal(found.length, 1);
      assert.match(
        found[0],
        /^cluster\.yaml:\d+:\d+: talos\.patches\[0\]: patch file "patches\/missing\.yaml" not found/,
      );
    });

    it("an inline document in nodes.yaml, at its own line", () => {
      const found = refused({}, ({ nodes }) =>
        nodes.setIn(["nodes", 2, "patches"], [{ machine: { nodeLabels: { team: "ml" } } }]),
      );
      assert.equal(found.length, 1);
      assert.match(
        found[0],
        /^nodes\.yaml:\d+:\d+: nodes\[2\] "dev-gpu-1"\.patches\[0\]: machine\.nodeLabels is set by em-infra; use nodes\[\]\.labels instead$/,
      );
    });

    it("and pulumi up registers nothing", async () => {
      const dir = devWith({ "patches/p.yaml": "machine:\n  sysctl: {}\n" }, ({ cluster }) =>
        cluster.setIn(["talos", "patches"], ["patches/p.yaml"]),
      );
      const err = await runProgram({ ...stackConfig(dir) }).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(err instanceof ProgramError, String(err));
      assert.match(err.message, /machine\.sysctl/);
      assert.deepEqual(
        err.record.resources.map((r) => r.type),
        ["pulumi:pulumi:Stack"],
      );
    });
  });
});
