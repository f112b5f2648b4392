/**
 * What a Talos patch may say beyond the published schema, and how a mistake in one is
 * reported: the deprecated v1alpha1 fields Talos v1.13 still accepts (a warning naming
 * what replaces them, or a refusal saying why), a YAML syntax error at the character
 * that is wrong, and "did you mean" for a misspelt Talos field.
 */
import { strict as assert } from "assert";
import * as path from "path";
import { checkInventory, formatProblemUnlabelled, loadInventory } from "../lib/inventory";
import { DEPRECATED_FIELDS, shapeErrors } from "../lib/inventory/deprecatedTalos";
import { talosSchema } from "../lib/inventory/talosSchema";
import { buildClusterModel } from "../lib/model";
import { devWith } from "./support/program";
import { runValidate } from "../scripts/validate";

/** Every problem as `severity file:line:col: message`, the file relative to the folder. */
function problemsOf(dir: string): string[] {
  return checkInventory(dir).problems.map(
    (p) =>
      `${p.severity} ${formatProblemUnlabelled({ ...p, file: path.relative(dir, path.resolve(p.file)) })}`,
  );
}

/** The problems of one patch file in talos.patches. */
const common = (text: string) =>
  problemsOf(
    devWith({ "patches/p.yaml": text }, ({ cluster }) =>
      cluster.setIn(["talos", "patches"], ["patches/p.yaml"]),
    ),
  );

describe("operator patches: deprecated fields, syntax and typos", () => {
  describe("deprecated v1alpha1 fields Talos v1.13 still accepts", () => {
    it("are absent from the published schema, which is why they need their own table", () => {
      const schema = talosSchema();
      for (const f of DEPRECATED_FIELDS) {
        const doc = f.path.reduceRight<unknown>((v, k) => ({ [k]: v }), true);
        // The published schema refuses every one of them (as unknown, or as not true).
        assert.notDeepEqual(schema.validateDocument(doc), [], f.path.join("."));
      }
    });

    it("accepts machine.time with a warning naming the document that replaces it", () => {
      const found = common("machine:\n  time:\n    servers: [time.example.internal]\n");
      assert.deepEqual(found, [
        "warning patches/p.yaml:2:3: talos.patches[0] (patches/p.yaml): machine.time is deprecated in Talos v1.13, which still accepts it; write a TimeSyncConfig document instead",
      ]);
    });

    it("renders it for the node, beside the rest of the document", () => {
      const dir = devWith(
        {
          "patches/p.yaml":
            'machine:\n  env:\n    HTTPS_PROXY: http://proxy:3128\n  sysctls:\n    vm.swappiness: "10"\n',
        },
        ({ cluster }) => cluster.setIn(["talos", "workerPatches"], ["patches/p.yaml"]),
      );
      const inv = loadInventory(dir);
      assert.equal(inv.warnings.length, 1);
      assert.match(
        inv.warnings[0].message,
        /^talos\.workerPatches\[0\] .*machine\.env is deprecated.*EnvironmentConfig/,
      );
      // npm run validate shows it under its warnings, and succeeds.
      let text = "";
      const code = runValidate(
        [dir, "--wide"],
        { write: (c: string) => (text += c) },
        { write: () => true },
      );
      assert.equal(code, 0);
      assert.match(
        text,
        /\nWarnings \(1\)\n {2}.*patches\/p\.yaml:2:3: talos\.workerPatches\[0\] .*machine\.env is deprecated/,
      );
      const model = buildClusterModel(inv);
      const last = (i: number) => model.nodes[i].renderedPatches.at(-1) ?? "";
      assert.match(last(1), /HTTPS_PROXY: http:\/\/proxy:3128\n/);
      assert.doesNotMatch(
        last(0),
        /HTTPS_PROXY/,
        "a control plane does not get the workers' patch",
      );
    });

    it("checks the value against the field's Go type, naming the field and not the value", () => {
      const found = common(
        "machine:\n  registries:\n    mirrors:\n      docker.io:\n        endpoint: [x]\n",
      );
      assert.deepEqual(found, [
        'error patches/p.yaml:5:9: talos.patches[0] (patches/p.yaml): machine.registries.mirrors["docker.io"].endpoint: not valid Talos v1.13 configuration (machine.registries, deprecated): unknown field (did you mean "endpoints"?)',
      ]);
      assert.deepEqual(common("persist: false\n"), [
        "error patches/p.yaml:1:1: talos.patches[0] (patches/p.yaml): persist: not valid Talos v1.13 configuration (persist, deprecated): must be true",
      ]);
      assert.deepEqual(
        shapeErrors(
          DEPRECATED_FIELDS.find((f) => f.path.join(".") === "machine.disks")!,
          [{ device: "/dev/sdb", partitions: [{ size: "100 GB", mountpoint: "/var/mnt/a" }] }],
        ),
        [],
      );
    });

    it("refuses one that conflicts with what em-infra writes, saying why", () => {
      assert.deepEqual(common("machine:\n  features:\n    stableHostname: true\n"), [
        "error patches/p.yaml:3:5: talos.patches[0] (patches/p.yaml): machine.features.stableHostname is deprecated in Talos v1.13 and refused here: em-infra writes each node's HostnameConfig (from nodes[].name), and Talos v1.13 refuses a HostnameConfig beside it",
      ]);
      assert.match(
        common("cluster:\n  allowSchedulingOnMasters: true\n")[0],
        /^error patches\/p\.yaml:2:3: .*cluster\.allowSchedulingOnMasters is deprecated .*use kubernetes\.allowSchedulingOnControlPlanes instead$/,
      );
      // machine.network is deprecated too, and em-infra writes the network documents.
      assert.match(
        common("machine:\n  network:\n    hostname: x\n")[0],
        /machine\.network is set by em-infra/,
      );
    });

    it("refuses machine.time beside a TimeSyncConfig that applies to the same node, once", () => {
      const dir = devWith(
        {
          "patches/time.yaml": "machine:\n  time:\n    servers: [a.example]\n",
          "patches/sync.yaml":
            "apiVersion: v1alpha1\nkind: TimeSyncConfig\nntp:\n  servers: [b.example]\n",
        },
        ({ cluster }) => {
          cluster.setIn(["talos", "patches"], ["patches/time.yaml"]);
          cluster.setIn(["talos", "workerPatches"], ["patches/sync.yaml"]);
        },
      );
      const errors = problemsOf(dir).filter((p) => p.startsWith("error"));
      assert.equal(errors.length, 1, errors.join("\n"));
      assert.match(
        errors[0],
        /^error patches\/time\.yaml:1:1: talos\.patches\[0\]: machine\.time is refused beside the TimeSyncConfig document of talos\.workerPatches\[0\] \(.*patches\/sync\.yaml:1:1\), which both apply to dev-worker-1, dev-gpu-1: Talos v1\.13 refuses time settings in both machine\.time and a TimeSyncConfig; write a TimeSyncConfig document instead$/,
      );
      // On the control planes alone the two never meet: accepted.
      const apart = devWith(
        {
          "patches/time.yaml": "machine:\n  time:\n    servers: [a.example]\n",
          "patches/sync.yaml":
            "apiVersion: v1alpha1\nkind: TimeSyncConfig\nntp:\n  servers: [b.example]\n",
        },
        ({ cluster }) => {
          cluster.setIn(["talos", "controlPlanePatches"], ["patches/time.yaml"]);
          cluster.setIn(["talos", "workerPatches"], ["patches/sync.yaml"]);
        },
      );
      assert.deepEqual(
        problemsOf(apart).filter((p) => p.startsWith("error")),
        [],
      );
    });
  });

  it("refuses machine.systemDiskEncryption only beside a VolumeConfig encrypting the same volume", () => {
    const legacy =
      "machine:\n  systemDiskEncryption:\n    ephemeral:\n      provider: luks2\n      keys:\n        - nodeID: {}\n          slot: 0\n";
    const volume = (name: string) =>
      `apiVersion: v1alpha1\nkind: VolumeConfig\nname: ${name}\nencryption:\n  provider: luks2\n  keys:\n    - nodeID: {}\n      slot: 0\n`;
    const errors = (other: string) =>
      problemsOf(
        devWith({ "patches/legacy.yaml": legacy, "patches/volume.yaml": other }, ({ cluster }) =>
          cluster.setIn(["talos", "patches"], ["patches/legacy.yaml", "patches/volume.yaml"]),
        ),
      ).filter((p) => p.startsWith("error"));
    assert.match(
      errors(volume("EPHEMERAL")).join("\n"),
      /machine\.systemDiskEncryption is refused beside the VolumeConfig EPHEMERAL document of talos\.patches\[1\]/,
    );
    assert.deepEqual(errors(volume("STATE")), []);
  });

  it("refuses cluster.etcd.subnet beside cluster.etcd.advertisedSubnets, even in one document", () => {
    const found = common(
      "cluster:\n  etcd:\n    subnet: 10.20.0.0/24\n    advertisedSubnets: [10.20.0.0/24]\n",
    ).filter((p) => p.startsWith("error"));
    assert.equal(found.length, 1, found.join("\n"));
    assert.match(
      found[0],
      /cluster\.etcd\.subnet is refused beside the cluster\.etcd\.advertisedSubnets field of talos\.patches\[0\] .*: Talos v1\.13 refuses cluster\.etcd\.subnet beside cluster\.etcd\.advertisedSubnets; write cluster\.etcd\.advertisedSubnets instead$/,
    );
    assert.match(
      common("cluster:\n  etcd:\n    subnet: 10.20.0.0/24\n")[0],
      /^warning .*cluster\.etcd\.subnet is deprecated/,
    );
  });

  describe("a YAML syntax error", () => {
    it("is reported at the key that is wrong, not at the start of its line", () => {
      // "   kernel:" is indented one space too far: the key is at column 4.
      assert.deepEqual(common('machine:\n  sysctls:\n    net.x: "1"\n   kernel:\n'), [
        "error patches/p.yaml:4:4: talos.patches[0]: not valid YAML (bad indent)",
      ]);
    });

    it("and a duplicate key at the key", () => {
      assert.deepEqual(common("machine:\n  sysctls: {}\n  sysctls: {}\n"), [
        "error patches/p.yaml:3:3: talos.patches[0]: not valid YAML (duplicate key)",
      ]);
    });
  });

  it("suggests the Talos field a typo was meant to be", () => {
    const found = common('machine:\n  sysctl:\n    vm.swappiness: "10"\n');
    assert.equal(found.length, 1);
    assert.match(
      found[0],
      /^error patches\/p\.yaml:2:3: .*machine\.sysctl\b.*\(sysctl\) \(did you mean "sysctls"\?\)$/,
    );
    // Nothing is suggested for a field that is close to none.
    assert.doesNotMatch(common("machine:\n  zzzzzzzz: {}\n")[0], /did you mean/);
  });
});
