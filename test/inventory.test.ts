import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { parse as parseYaml } from "yaml";
import {
  checkInventory,
  defaults,
  deriveMac,
  formatProblem,
  Inventory,
  InventoryError,
  loadInventory,
  Problem,
  schemaFile,
  SCSI_CONTROLLERS,
} from "../lib/inventory";
import { runValidate, Writer } from "../scripts/validate";
import { PROJECT_ROOT } from "../lib/projectRoot";
import {
  expectedFor,
  expectedLines,
  fixtureNames,
  INVALID,
  materialise,
} from "./support/invalidFixtures";

const ROOT = PROJECT_ROOT;
const FIXTURES = path.join(ROOT, "test", "fixtures");
const DEV = path.join(ROOT, "inventory", "dev");

/** A fixture folder as problems name it: relative to the working directory. */
function shown(dir: string): string {
  return path.relative(process.cwd(), dir);
}

function lines(problems: readonly Problem[]): string[] {
  return problems.map(formatProblem);
}

/** Collects what a command writes. */
class Buffer implements Writer {
  public text = "";
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
  get lines(): string[] {
    return this.text.split("\n").filter((l) => l !== "");
  }
}

describe("inventory", () => {
  describe("inventory/dev", () => {
    let inventory: Inventory;
    before(() => {
      inventory = loadInventory(DEV);
    });

    it("applies the cluster defaults", () => {
      const { cluster } = inventory;
      assert.equal(inventory.dir, DEV);
      assert.equal(cluster.name, "dev");
      assert.equal(cluster.vip, "10.20.0.10");
      assert.deepEqual(cluster.talos, {
        version: "v1.13.0",
        extensions: ["siderolabs/qemu-guest-agent"],
        gpuExtensions: [
          "siderolabs/nvidia-open-gpu-kernel-modules-production",
          "siderolabs/nvidia-container-toolkit-production",
        ],
        allowUnsupportedVersion: false,
        patches: [],
        controlPlanePatches: [],
        workerPatches: [],
      });
      assert.deepEqual(cluster.kubernetes, {
        version: "1.36.0",
        podSubnets: ["10.244.0.0/16"],
        serviceSubnets: ["10.96.0.0/12"],
        cni: "flannel",
        allowSchedulingOnControlPlanes: false,
      });
      assert.deepEqual(cluster.proxmox, {
        node: "pve1",
        vmDatastore: "local-lvm",
        imageDatastore: "local",
        bridge: "vmbr0",
        scsiController: "virtio-scsi-pci",
      });
      assert.deepEqual(cluster.rollout, {
        maxUnavailableWorkers: 1,
        waits: { controlPlanePodSeconds: 300, kubeletSeconds: 180, manifestsSeconds: 300 },
      });
      assert.deepEqual(cluster.network, {
        cidr: "10.20.0.0/24",
        prefixLength: 24,
        gateway: "10.20.0.1",
        nameservers: ["10.20.0.1", "1.1.1.1"],
      });
      assert.deepEqual(inventory.endpoint, { host: "10.20.0.10", url: "https://10.20.0.10:6443" });
      assert.deepEqual(inventory.warnings, []);
    });

    it("applies the node defaults and overrides", () => {
      const [cp, worker, gpu] = inventory.nodes;
      assert.deepEqual(
        inventory.nodes.map((n) => [n.name, n.role, n.vmId, n.ip, n.host]),
        [
          ["dev-cp-1", "controlplane", 1011, "10.20.0.11", "pve1"],
          ["dev-worker-1", "worker", 1021, "10.20.0.21", "pve1"],
          ["dev-gpu-1", "worker", 1031, "10.20.0.31", "pve1"],
        ],
      );
      assert.deepEqual(cp.sizing, {
        cores: 2,
        memoryMiB: 4096,
        diskGiB: 32,
        cpuType: "x86-64-v2-AES",
      });
      assert.deepEqual(worker.sizing, {
        cores: 4,
        memoryMiB: 8192,
        diskGiB: 64,
        cpuType: "x86-64-v2-AES",
      });
      assert.deepEqual(gpu.sizing, { cores: 8, memoryMiB: 32768, diskGiB: 128, cpuType: "host" });
      assert.equal(cp.mac, deriveMac("dev", "dev-cp-1"));
      assert.equal(cp.macSource, "derived");
      assert.deepEqual(cp.labels, {});
      assert.deepEqual(cp.taints, []);
      assert.equal(cp.gpu, undefined);
      assert.deepEqual(gpu.gpu, { mapping: "rtx-a4000", pcie: true });
      assert.deepEqual(gpu.labels, { "nvidia.com/gpu.present": "true" });
      assert.deepEqual(gpu.taints, [{ key: "nvidia.com/gpu", effect: "NoSchedule" }]);
    });

    it("is deeply frozen", () => {
      assert.ok(Object.isFrozen(inventory));
      assert.ok(Object.isFrozen(inventory.cluster.defaults.worker));
      assert.ok(Object.isFrozen(inventory.nodes[2].taints[0]));
      assert.throws(() => {
        (inventory.nodes[0] as { ip: string }).ip = "10.20.0.99";
      }, TypeError);
      assert.throws(() => (inventory.cluster.talos.extensions as string[]).push("x"), TypeError);
    });
  });

  describe("valid fixtures", () => {
    it("large: three control planes, six workers, two hosts", () => {
      const inventory = loadInventory(path.join(FIXTURES, "valid", "large"));
      const byName = new Map(inventory.nodes.map((n) => [n.name, n]));
      assert.equal(inventory.nodes.length, 9);
      assert.equal(inventory.nodes.filter((n) => n.role === "controlplane").length, 3);
      assert.deepEqual([...new Set(inventory.nodes.map((n) => n.host))].sort(), ["pve-a", "pve-b"]);
      assert.equal(inventory.endpoint.url, "https://10.40.0.10:6443");
      assert.equal(inventory.cluster.proxmox.vlan, 40);
      assert.equal(inventory.cluster.proxmox.scsiController, "virtio-scsi-pci");
      assert.deepEqual(inventory.cluster.rollout.maxUnavailableWorkers, 2);
      assert.deepEqual(inventory.cluster.talos.extensions, [
        "siderolabs/qemu-guest-agent",
        "siderolabs/iscsi-tools",
      ]);
      const pinned = byName.get("lab-worker-4")!;
      assert.equal(pinned.mac, "bc:24:11:40:00:24");
      assert.equal(pinned.macSource, "inventory");
      assert.deepEqual(pinned.sizing, {
        cores: 16,
        memoryMiB: 32768,
        diskGiB: 100,
        cpuType: "x86-64-v3",
      });
      assert.deepEqual(byName.get("lab-worker-5")!.taints, [
        { key: "dedicated", value: "storage", effect: "NoSchedule" },
      ]);
      assert.equal(byName.get("lab-worker-5")!.labels["node.example.com/storage"], "");
      assert.deepEqual(byName.get("lab-gpu-1")!.gpu, { mapping: "l40s-pve-b", pcie: true });
      assert.deepEqual(byName.get("lab-cp-2")!.sizing, {
        cores: 4,
        memoryMiB: 8192,
        diskGiB: 64,
        cpuType: "x86-64-v2-AES",
      });
      assert.equal(inventory.cluster.kubernetes.allowSchedulingOnControlPlanes, false);
    });

    it("single: no workers and no vip", () => {
      const inventory = loadInventory(path.join(FIXTURES, "valid", "single"));
      assert.equal(inventory.cluster.vip, undefined);
      assert.ok(!("vip" in inventory.cluster));
      assert.ok(!("vlan" in inventory.cluster.proxmox));
      assert.deepEqual(inventory.endpoint, {
        host: "192.168.1.50",
        url: "https://192.168.1.50:6443",
      });
      assert.equal(inventory.cluster.kubernetes.allowSchedulingOnControlPlanes, true);
      assert.equal(inventory.nodes[0].host, "pve");
      // Without a vip the endpoint is the first control plane: validate warns, by its line.
      assert.deepEqual(
        inventory.warnings.map((w) => `${w.line}:${w.col}: ${w.message}`),
        [
          `3:11: nodes[0] "solo-1": the cluster endpoint is the first control plane, 192.168.1.50; removing or reordering it moves the endpoint, which every node's configuration and kubeconfig name, so pulumi up refuses that. To make it removable later, set vip in cluster.yaml first, in a pulumi up of its own`,
        ],
      );
    });

    it("an even number of control planes is a warning, not an error", () => {
      const dir = path.join(FIXTURES, "valid", "even-controlplanes");
      const expected = [
        `${shown(dir)}/nodes.yaml:8:11: warning: nodes: 2 control planes; etcd needs a majority, so 2 tolerate no more failures than 1 would; use an odd number (1, 3 or 5)`,
      ];
      const inventory = loadInventory(dir);
      assert.deepEqual(lines(inventory.warnings), expected);
      assert.equal(inventory.warnings[0].severity, "warning");
      assert.deepEqual(lines(checkInventory(dir).problems), expected);
    });

    it("a Talos minor newer than the support table is a warning with allowUnsupportedVersion", () => {
      const dir = path.join(FIXTURES, "valid", "newer-talos");
      const inventory = loadInventory(dir);
      assert.deepEqual(lines(inventory.warnings), [
        `${shown(dir)}/cluster.yaml:5:12: warning: talos.version: Talos v1.14 is newer than em-infra's support table (up to v1.13), deployed anyway because talos.allowUnsupportedVersion is true; cannot confirm it runs Kubernetes 1.36.0`,
      ]);
      assert.equal(inventory.cluster.talos.allowUnsupportedVersion, true);
    });
  });

  describe("invalid fixtures", () => {
    const names = fixtureNames();

    it("has an expected.txt for every fixture folder, and at least 25 of them", () => {
      const without = names.filter((n) => !fs.existsSync(path.join(INVALID, n, "expected.txt")));
      assert.deepEqual(without, []);
      assert.ok(names.length >= 25, `only ${names.length} invalid fixtures`);
    });

    for (const name of names) {
      it(name, () => {
        const dir = materialise(name);
        const want = expectedFor(name, dir);
        assert.ok(want.length > 0, "expected.txt is empty");
        const { inventory, problems } = checkInventory(dir);
        assert.equal(inventory, undefined);
        assert.deepEqual(lines(problems), want);
        assert.throws(
          () => loadInventory(dir),
          (e: unknown) =>
            e instanceof InventoryError &&
            e.message === want.join("\n") &&
            e.problems.length === want.length,
        );
      });
    }

    it("reports a missing folder at its path", () => {
      const dir = path.join(FIXTURES, "invalid", "no-such-folder");
      assert.deepEqual(lines(checkInventory(dir).problems), [
        `${shown(dir)}:1:1: inventory folder not found`,
      ]);
    });
  });

  describe("problem lines", () => {
    it("uses an absolute path for a file outside the working directory", () => {
      const outside = path.join(path.parse(process.cwd()).root, "em-infra-no-such-inventory");
      assert.deepEqual(lines(checkInventory(outside).problems), [
        `${outside}:1:1: inventory folder not found`,
      ]);
    });

    it("gives every problem of every fixture the file:line:col: message shape", () => {
      for (const name of fixtureNames()) {
        for (const line of expectedLines(name)) {
          assert.match(line, /^(cluster|nodes)\.yaml:\d+:\d+: \S.*$/, name);
        }
      }
    });
  });

  describe("validate command", () => {
    it("prints a summary and exits 0 for inventory/dev", () => {
      const out = new Buffer();
      const err = new Buffer();
      const code = runValidate(["--wide"], out, err);
      assert.equal(code, 0, err.text);
      assert.equal(err.text, "");
      assert.equal(out.lines[0], "inventory/dev: valid");
      assert.ok(out.lines.includes("endpoint    https://10.20.0.10:6443 (vip)"), out.text);
      assert.ok(
        out.lines.includes(
          "proxmox     pve1, disks on local-lvm, images on local, bridge vmbr0, scsi virtio-scsi-pci",
        ),
        out.text,
      );
      assert.ok(
        out.lines.includes("rollout     control planes one at a time, workers 1 at a time"),
        out.text,
      );
      assert.ok(
        out.lines.includes("Control planes (1)") && out.lines.includes("Workers (2)"),
        out.text,
      );
      assert.ok(
        out.lines.some((l) => /dev-gpu-1 .* 1031 .*32768 MiB .*rtx-a4000 \(pcie\)$/.test(l)),
        out.text,
      );
    });

    it("prints the problem lines on stderr and exits 1 for a bad inventory", () => {
      const dir = materialise("duplicate-vmid");
      const out = new Buffer();
      const err = new Buffer();
      assert.equal(runValidate([dir, "--wide"], out, err), 1);
      assert.equal(out.text, "");
      assert.deepEqual(err.lines, expectedFor("duplicate-vmid", dir));
    });

    it("lists warnings in the summary of a valid inventory", () => {
      const out = new Buffer();
      assert.equal(
        runValidate(
          [shown(path.join(FIXTURES, "valid", "even-controlplanes")), "--wide"],
          out,
          new Buffer(),
        ),
        0,
      );
      assert.ok(out.lines.includes("Warnings (1)"), out.text);
      // Under the heading, the line does not say "warning" again.
      const line = out.lines[out.lines.indexOf("Warnings (1)") + 1];
      assert.match(
        line,
        /^ {2}test\/fixtures\/valid\/even-controlplanes\/nodes\.yaml:8:11: nodes: 2 control planes;/,
      );
      assert.doesNotMatch(line, /warning/i);
    });

    it("exits 2 on bad usage", () => {
      const err = new Buffer();
      assert.equal(runValidate(["--frobnicate"], new Buffer(), err), 2);
      assert.equal(
        err.text,
        "unknown option --frobnicate\nrun `npm run validate -- --help` for usage\n",
      );
      assert.equal(runValidate(["a", "b"], new Buffer(), new Buffer()), 2);
    });
  });

  describe("schema.json", () => {
    const schema = JSON.parse(fs.readFileSync(schemaFile(), "utf8")) as Record<string, unknown>;
    type Node = Record<string, unknown>;
    const at = (pointer: string): Node =>
      pointer.split("/").reduce<Node>((node, key) => node[key] as Node, schema);

    it("describes every property", () => {
      const missing: string[] = [];
      const walk = (node: unknown, where: string): void => {
        if (node === null || typeof node !== "object") return;
        const properties = (node as Node).properties as Record<string, Node> | undefined;
        for (const [name, property] of Object.entries(properties ?? {})) {
          if (typeof property.description !== "string" || property.description.length < 10) {
            missing.push(`${where}/properties/${name}`);
          }
        }
        for (const [key, child] of Object.entries(node)) walk(child, `${where}/${key}`);
      };
      walk(schema, "#");
      assert.deepEqual(missing, []);
      assert.equal(typeof schema.title, "string");
      assert.equal(typeof schema.description, "string");
    });

    it("states the same defaults the loader applies", () => {
      const cluster = "$defs/clusterFile/properties";
      assert.deepEqual(
        at(`${cluster}/talos/properties/extensions`).default,
        defaults.DEFAULT_EXTENSIONS,
      );
      assert.deepEqual(
        at(`${cluster}/talos/properties/gpuExtensions`).default,
        defaults.DEFAULT_GPU_EXTENSIONS,
      );
      assert.deepEqual(
        at(`${cluster}/kubernetes/properties/podSubnets`).default,
        defaults.DEFAULT_POD_SUBNETS,
      );
      assert.deepEqual(
        at(`${cluster}/kubernetes/properties/serviceSubnets`).default,
        defaults.DEFAULT_SERVICE_SUBNETS,
      );
      assert.equal(at(`${cluster}/kubernetes/properties/cni`).default, defaults.DEFAULT_CNI);
      assert.equal(at(`${cluster}/proxmox/properties/bridge`).default, defaults.DEFAULT_BRIDGE);
      assert.equal(
        at(`${cluster}/proxmox/properties/scsiController`).default,
        defaults.DEFAULT_SCSI_CONTROLLER,
      );
      assert.deepEqual(at(`${cluster}/proxmox/properties/scsiController`).enum, SCSI_CONTROLLERS);
      assert.equal(
        at(`${cluster}/talos/properties/allowUnsupportedVersion`).default,
        defaults.DEFAULT_ALLOW_UNSUPPORTED_VERSION,
      );
      assert.equal(
        at(`${cluster}/rollout/properties/maxUnavailableWorkers`).default,
        defaults.DEFAULT_MAX_UNAVAILABLE_WORKERS,
      );
      assert.equal(
        at("$defs/node/properties/gpu/properties/pcie").default,
        defaults.DEFAULT_GPU_PCIE,
      );
      for (const role of ["controlplane", "worker"] as const) {
        const sizing = at(`$defs/${role}Sizing/properties`) as Record<string, Node>;
        const fromSchema = Object.fromEntries(
          Object.entries(sizing).map(([k, v]) => [k, v.default]),
        );
        assert.deepEqual(fromSchema, defaults.DEFAULT_SIZING[role]);
        assert.equal(sizing.cores.minimum, defaults.MINIMUM_SIZING[role].cores);
        assert.equal(sizing.memoryMiB.minimum, defaults.MINIMUM_SIZING[role].memoryMiB);
        assert.equal(sizing.diskGiB.minimum, defaults.MINIMUM_SIZING[role].diskGiB);
      }
    });

    it("picks the right file schema for editors from the root", () => {
      const ajv = new Ajv2020({ allErrors: true, strict: true });
      addFormats(ajv, ["ipv4"]);
      const validate = ajv.compile(schema);
      for (const dir of [DEV, path.join(FIXTURES, "valid", "large")]) {
        for (const file of ["cluster.yaml", "nodes.yaml"]) {
          const data: unknown = parseYaml(fs.readFileSync(path.join(dir, file), "utf8"));
          assert.ok(validate(data), `${dir}/${file}: ${JSON.stringify(validate.errors)}`);
        }
      }
      assert.equal(validate({ nodes: [], name: "x" }), false);
    });

    it("every inventory file names the schema on its first line", () => {
      const files = [
        DEV,
        ...["large", "single"].map((d) => path.join(FIXTURES, "valid", d)),
      ].flatMap((dir) => ["cluster.yaml", "nodes.yaml"].map((f) => path.join(dir, f)));
      for (const file of files) {
        const first = fs.readFileSync(file, "utf8").split("\n")[0];
        const relative = path.relative(path.dirname(file), schemaFile());
        assert.equal(first, `# yaml-language-server: $schema=${relative}`, file);
      }
    });
  });
});
