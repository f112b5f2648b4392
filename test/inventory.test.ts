import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { parse as parseYaml } from "yaml";
import {
  checkInventory,
  checkVersions,
  defaults,
  deriveMac,
  formatProblem,
  Inventory,
  InventoryError,
  ipv4,
  loadInventory,
  Problem,
  schemaFile,
} from "../lib/inventory";
import { runValidate, Writer } from "../scripts/validate";
import { PROJECT_ROOT } from "../lib/projectRoot";

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

/**
 * One row per fixture under test/fixtures/invalid: the folder name (named for the mistake
 * it makes) and every line `validate` must print for it, paths relative to the folder.
 */
const INVALID: Readonly<Record<string, readonly string[]>> = {
  "bad-label-key": [
    'nodes.yaml:12:7: nodes[1].labels: key "example.com/Team Name" is not a valid key (an optional DNS subdomain and "/", then at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit)',
  ],
  "broken-cluster-still-checks-nodes": [
    "cluster.yaml:2:1: name: required field is missing",
    'nodes.yaml:9:11: nodes[1].vmId: 101 is already used by nodes[0] "cp-1" on line 5',
  ],
  "cidr-host-bits-set": [
    'cluster.yaml:13:9: network.cidr: "10.0.0.1/24" has host bits set (did you mean "10.0.0.0/24"?)',
  ],
  "cluster-name-too-long": [
    'cluster.yaml:2:7: name: "platform-engineering-shared-services-production-eu-west-cluster-01" is not a DNS-1123 label (lower-case letters, digits and "-", at most 63 characters, starting and ending with a letter or digit)',
  ],
  "controlplane-below-minimum-cores": [
    "nodes.yaml:7:12: nodes[0].cores: 1 is below the 2 cores a control plane needs",
  ],
  "controlplane-below-minimum-memory": [
    "nodes.yaml:7:16: nodes[0].memoryMiB: 1536 is below the 2048 MiB a control plane needs",
  ],
  "controlplane-ip-is-vip": [
    'nodes.yaml:10:9: nodes[1].ip: "10.0.0.10" is the cluster vip; the VIP must not be a node\'s own address',
  ],
  "controlplane-taint-key-repeated": [
    'nodes.yaml:11:9: nodes[0].taints[1]: taint "dedicated" is already at taints[0]; a control plane\'s taints (Talos machine.nodeTaints) hold one effect per key',
  ],
  "cpu-type-with-space": [
    'nodes.yaml:11:14: nodes[1].cpuType: "x86-64-v2 AES" is not a QEMU CPU type (such as "x86-64-v2-AES" or "host")',
  ],
  "duplicate-ip": [
    'nodes.yaml:10:9: nodes[1].ip: "10.0.0.11" is already used by nodes[0] "cp-1" on line 6',
  ],
  "duplicate-mac": [
    'nodes.yaml:12:10: nodes[1].mac: "BC:24:11:00:00:11" is already used by nodes[0] "cp-1" on line 7',
  ],
  "duplicate-node-name": [
    'nodes.yaml:7:11: nodes[1].name: "cp-1" is already used by nodes[0] on line 3',
  ],
  "duplicate-taint": [
    'nodes.yaml:15:9: nodes[1].taints[1]: taint "dedicated" with effect "NoSchedule" is already at taints[0]',
  ],
  "duplicate-vmid": [
    'nodes.yaml:9:11: nodes[1].vmId: 101 is already used by nodes[0] "cp-1" on line 5',
  ],
  "duplicate-yaml-key": ["nodes.yaml:11:5: nodes[1].ip: duplicate key (first set on line 10)"],
  "empty-cluster-file": [
    "cluster.yaml:1:1: file is empty; expected the cluster settings (name, talos, kubernetes, proxmox, network)",
  ],
  "empty-nodes-file": ['nodes.yaml:1:1: file is empty; expected a "nodes:" list'],
  "gateway-outside-cidr": [
    'cluster.yaml:14:12: network.gateway: "10.0.1.1" is outside network.cidr "10.0.0.0/24"',
  ],
  "gpu-mapping-is-pci-id": [
    'nodes.yaml:12:16: nodes[1].gpu.mapping: "0000:01:00.0" is not a Proxmox resource mapping name (a letter, then letters, digits, "-" or "_")',
  ],
  "gpu-node-without-gpu-extensions": [
    "nodes.yaml:11:5: nodes[1].gpu: talos.gpuExtensions is empty, so this GPU worker's image would carry no NVIDIA driver: Talos could not load the nvidia kernel modules it is given, and GPU pods would find no nvidia container runtime. Leave talos.gpuExtensions out for the default NVIDIA extensions, list them there, or remove this node's gpu",
  ],
  "gpu-on-controlplane": [
    'nodes.yaml:7:5: nodes[0].gpu: only workers take a GPU, and nodes[0] "cp-1" is a control plane',
  ],
  "host-is-fqdn": [
    'nodes.yaml:11:11: nodes[1].host: "pve2.lab.internal" is not a host name (letters, digits and "-", at most 63 characters, starting and ending with a letter or digit)',
  ],
  "invalid-ipv4-address": ['nodes.yaml:10:9: nodes[1].ip: "10.0.0.300" is not an IPv4 address'],
  "ip-as-number": ["nodes.yaml:10:9: nodes[1].ip: expected an IPv4 address, got the number 10.21"],
  "kubernetes-version-as-number": [
    'cluster.yaml:7:12: kubernetes.version: expected a Kubernetes version (X.Y.Z, such as "1.36.0"), got the number 1.36',
  ],
  "kubernetes-version-unsupported": [
    'cluster.yaml:7:12: kubernetes.version: "1.30.4" is not supported by Talos v1.13, which runs Kubernetes 1.31 to 1.36',
  ],
  "kubernetes-version-with-v-prefix": [
    'cluster.yaml:7:12: kubernetes.version: "v1.36.0" is not a Kubernetes version (X.Y.Z, such as "1.36.0"); drop the leading "v"',
  ],
  "label-value-not-string": [
    'nodes.yaml:12:31: nodes[1].labels["nvidia.com/gpu.present"]: expected a valid label value, got the boolean true; put it in quotes: "true"',
  ],
  "mac-equals-derived-mac": [
    'nodes.yaml:12:10: nodes[1].mac: "F6:21:D6:A1:E8:51" is the MAC derived for nodes[0] "cp-1"; pick another',
  ],
  "mac-is-broadcast": [
    'nodes.yaml:11:10: nodes[1].mac: "ff:ff:ff:ff:ff:ff" is the broadcast address; a network card needs a unicast one',
  ],
  "mac-with-dashes": [
    'nodes.yaml:11:10: nodes[1].mac: "BC-24-11-00-00-21" is not a MAC address (six hex pairs separated by ":", such as "bc:24:11:0a:00:01")',
  ],
  "memory-with-unit": [
    'nodes.yaml:11:16: nodes[1].memoryMiB: expected a whole number, got the string "8G"',
  ],
  "missing-cluster-file": ["cluster.yaml:1:1: file not found"],
  "missing-network-gateway": ["cluster.yaml:13:3: network.gateway: required field is missing"],
  "missing-required-node-fields": [
    "nodes.yaml:7:5: nodes[1].vmId: required field is missing",
    "nodes.yaml:7:5: nodes[1].ip: required field is missing",
  ],
  "multicast-mac": [
    'nodes.yaml:11:10: nodes[1].mac: "01:00:5e:00:00:15" is a multicast address (the first octet is odd); a network card needs a unicast one',
  ],
  "multiple-yaml-documents": [
    'nodes.yaml:11:1: more than one YAML document ("---"); an inventory file holds exactly one',
  ],
  "nameserver-not-an-ip": [
    'cluster.yaml:17:7: network.nameservers[1]: "dns.lab.internal" is not an IPv4 address',
  ],
  "negative-disk-size": ["nodes.yaml:11:14: nodes[1].diskGiB: -50 is below the minimum of 10"],
  "no-controlplane": [
    'nodes.yaml:2:1: nodes: no node has role "controlplane"; a cluster needs at least one control plane',
  ],
  "node-ip-is-broadcast": [
    'nodes.yaml:10:9: nodes[1].ip: "10.0.0.255" is the broadcast address of network.cidr "10.0.0.0/24"',
  ],
  "node-ip-is-gateway": ['nodes.yaml:10:9: nodes[1].ip: "10.0.0.1" is network.gateway'],
  "node-ip-is-vip": [
    'nodes.yaml:10:9: nodes[1].ip: "10.0.0.10" is the cluster vip; the VIP must not be a node\'s own address',
  ],
  "node-ip-outside-cidr": [
    'nodes.yaml:10:9: nodes[1].ip: "10.0.1.21" is outside network.cidr "10.0.0.0/24"',
  ],
  "node-ip-with-prefix": ['nodes.yaml:10:9: nodes[1].ip: "10.0.0.21/24" is not an IPv4 address'],
  "node-network-overlaps-default-service-subnet": [
    'cluster.yaml:13:9: network.cidr: "10.96.0.0/24" overlaps the default kubernetes.serviceSubnets "10.96.0.0/12"; set kubernetes.serviceSubnets to a range that does not',
  ],
  "nodes-empty-list": ["nodes.yaml:2:8: nodes: needs at least 1 entry"],
  "nodes-file-is-a-bare-list": [
    "nodes.yaml:3:1: expected a mapping of fields at the top of the file, got a list",
  ],
  "nodes-is-a-map": ["nodes.yaml:3:3: nodes: expected a list, got a mapping"],
  "pod-and-service-subnets-overlap": [
    'cluster.yaml:11:7: kubernetes.serviceSubnets[0]: "172.20.0.0/16" overlaps kubernetes.podSubnets[0] "172.16.0.0/12"',
  ],
  "pod-subnet-overlaps-node-network": [
    'cluster.yaml:9:7: kubernetes.podSubnets[0]: "10.0.0.0/16" overlaps network.cidr "10.0.0.0/24"',
  ],
  "pod-subnet-smaller-than-24": [
    'cluster.yaml:9:7: kubernetes.podSubnets[0]: "10.244.0.0/25" is smaller than a /24; kube-controller-manager gives every node a /24 of the pod network (its default node CIDR mask size), so use a /24 or larger',
  ],
  "pod-subnet-too-small-for-nodes": [
    'cluster.yaml:9:7: kubernetes.podSubnets[0]: "10.244.0.0/23" has room for 2 nodes and nodes.yaml lists 3; kube-controller-manager gives every node a /24 of the pod network, so use a /22 or larger',
  ],
  "protect-yes-not-boolean": [
    'nodes.yaml:12:14: nodes[1].protect: expected true or false, got the string "yes"',
  ],
  "role-capitalised": [
    'nodes.yaml:8:11: nodes[1].role: "Worker" is not one of "controlplane", "worker"',
  ],
  "service-subnet-larger-than-12": [
    'cluster.yaml:9:7: kubernetes.serviceSubnets[0]: "10.96.0.0/11" is larger than a /12, the largest service network kube-apiserver accepts; use a /12 or smaller (such as "10.96.0.0/12")',
  ],
  "service-subnet-overlaps-pod-subnet": [
    'cluster.yaml:9:7: kubernetes.serviceSubnets[0]: "10.244.128.0/20" overlaps the default kubernetes.podSubnets "10.244.0.0/16"',
  ],
  "tab-indentation": [
    "nodes.yaml:8:1: a tab is used for indentation; YAML indents with spaces only",
  ],
  "taint-bad-effect": [
    'nodes.yaml:13:17: nodes[1].taints[0].effect: "NoExec" is not one of "NoSchedule", "PreferNoSchedule", "NoExecute"',
  ],
  "talos-version-before-network-documents": [
    'cluster.yaml:5:12: talos.version: "v1.11.5" is too old: em-infra\'s node configuration needs Talos >= v1.12 (it uses the multi-document network configuration, HostnameConfig, LinkAliasConfig, LinkConfig, Layer2VIPConfig and ResolverConfig, which Talos v1.12 introduced); use a v1.12 or newer release',
  ],
  "talos-version-too-old": [
    'cluster.yaml:5:12: talos.version: "v1.5.3" is too old: em-infra\'s node configuration needs Talos >= v1.12 (it uses the multi-document network configuration, HostnameConfig, LinkAliasConfig, LinkConfig, Layer2VIPConfig and ResolverConfig, which Talos v1.12 introduced); use a v1.12 or newer release',
  ],
  "talos-version-without-v-prefix": [
    'cluster.yaml:5:12: talos.version: "1.13.0" is not a Talos version (vX.Y.Z, such as "v1.13.0"); add a leading "v"',
  ],
  "two-ipv4-pod-subnets": [
    'cluster.yaml:11:7: kubernetes.podSubnets[1]: "10.245.0.0/16" is one entry too many; kubernetes.podSubnets takes one IPv4 range (Kubernetes allows one per IP family, and em-infra does not support dual stack); list a single range large enough for every node',
  ],
  "two-ipv4-service-subnets": [
    'cluster.yaml:10:7: kubernetes.serviceSubnets[1]: "10.112.0.0/12" is one entry too many; kubernetes.serviceSubnets takes one IPv4 range (Kubernetes allows one per IP family, and em-infra does not support dual stack); list a single range, a /12 at most',
  ],
  "unicode-cyrillic-e-in-name": [
    'nodes.yaml:7:11: nodes[1].name: "workеr-1" is not a DNS-1123 label (lower-case letters, digits and "-", at most 63 characters, starting and ending with a letter or digit); it contains the non-ASCII character "е" (U+0435)',
  ],
  "unicode-lookalike-name": [
    'nodes.yaml:3:11: nodes[0].name: "сp-1" is not a DNS-1123 label (lower-case letters, digits and "-", at most 63 characters, starting and ending with a letter or digit); it contains the non-ASCII character "с" (U+0441)',
  ],
  "unknown-key-in-node": [
    'nodes.yaml:11:5: nodes[1]: unknown field "core" (did you mean "cores"?)',
  ],
  "unknown-role": [
    'nodes.yaml:8:11: nodes[1].role: "master" is not one of "controlplane", "worker"',
  ],
  "unknown-top-level-key": [
    "cluster.yaml:2:1: network: required field is missing",
    'cluster.yaml:12:1: unknown field "netwrok" (did you mean "network"?)',
  ],
  "vip-equals-gateway": [
    'cluster.yaml:3:6: vip: "10.0.0.1" is also network.gateway; the VIP needs an address of its own',
  ],
  "vip-outside-cidr": ['cluster.yaml:3:6: vip: "10.0.1.10" is outside network.cidr "10.0.0.0/24"'],
  "vlan-out-of-range": ["cluster.yaml:12:9: proxmox.vlan: 4095 is above the maximum of 4094"],
  "vmid-as-string": [
    'nodes.yaml:9:11: nodes[1].vmId: expected a whole number, got the string "201"; remove the quotes',
  ],
  "vmid-below-100": ["nodes.yaml:9:11: nodes[1].vmId: 99 is below the minimum of 100"],
  "worker-label-node-restriction-prefix": [
    "nodes.yaml:13:7: nodes[1].labels[\"node-restriction.kubernetes.io/pci-dss\"]: the NodeRestriction admission plugin forbids a kubelet to set labels under node-restriction.kubernetes.io/; Talos sets a worker's labels with its kubelet's credentials, so none of this node's labels would be applied. Set this one with `kubectl label node` instead",
  ],
  "worker-label-node-role": [
    "nodes.yaml:12:7: nodes[1].labels[\"node-role.kubernetes.io/worker\"]: the NodeRestriction admission plugin forbids a kubelet to set kubernetes.io and k8s.io labels other than a few well-known ones (such as topology.kubernetes.io/zone); Talos sets a worker's labels with its kubelet's credentials, so none of this node's labels would be applied. Set this one with `kubectl label node` instead",
  ],
  "yaml-anchor": [
    'nodes.yaml:7:13: anchor "&zone" is not supported; write every value out in full',
    'nodes.yaml:13:13: alias "*zone" is not supported; write the value out in full',
  ],
  "yaml-merge-key": [
    'nodes.yaml:8:5: merge keys ("<<") are not supported; write the fields out in full',
  ],
  "yaml-syntax-error": [
    "nodes.yaml:7:3: YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]",
  ],
};

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
        installDisk: "/dev/sda",
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

    it("a Talos minor newer than the support table is a warning", () => {
      const dir = path.join(FIXTURES, "valid", "newer-talos");
      assert.deepEqual(lines(loadInventory(dir).warnings), [
        `${shown(dir)}/cluster.yaml:5:12: warning: talos.version: Talos v1.14 is newer than em-infra's support table (up to v1.13); cannot confirm it runs Kubernetes 1.36.0`,
      ]);
    });
  });

  describe("invalid fixtures", () => {
    const folders = fs.readdirSync(path.join(FIXTURES, "invalid")).sort();

    it("has a table row for every fixture folder, and at least 25 of them", () => {
      assert.deepEqual(folders, Object.keys(INVALID).sort());
      assert.ok(folders.length >= 25, `only ${folders.length} invalid fixtures`);
    });

    for (const [name, expected] of Object.entries(INVALID)) {
      it(name, () => {
        const dir = path.join(FIXTURES, "invalid", name);
        const want = expected.map((line) => `${shown(dir)}/${line}`);
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

  describe("formatProblem", () => {
    it("writes file:line:col: message, with warning: before a warning's message", () => {
      const at = { file: "inventory/x/nodes.yaml", line: 3, col: 7 };
      assert.equal(
        formatProblem({ ...at, message: "m", severity: "error" }),
        "inventory/x/nodes.yaml:3:7: m",
      );
      assert.equal(
        formatProblem({ ...at, message: "m", severity: "warning" }),
        "inventory/x/nodes.yaml:3:7: warning: m",
      );
    });

    it("uses an absolute path for a file outside the working directory", () => {
      const outside = path.join(path.parse(process.cwd()).root, "em-infra-no-such-inventory");
      assert.deepEqual(lines(checkInventory(outside).problems), [
        `${outside}:1:1: inventory folder not found`,
      ]);
    });

    it("gives every problem of every fixture the file:line:col: message shape", () => {
      for (const name of Object.keys(INVALID)) {
        for (const line of lines(checkInventory(path.join(FIXTURES, "invalid", name)).problems)) {
          assert.match(
            line,
            /^test\/fixtures\/invalid\/[a-z0-9-]+\/(cluster|nodes)\.yaml:\d+:\d+: \S.*$/,
          );
        }
      }
    });
  });

  describe("deriveMac", () => {
    it("is stable: changing it would change every derived MAC in every cluster", () => {
      assert.equal(deriveMac("dev", "dev-cp-1"), "9a:ec:78:74:eb:c3");
      assert.equal(deriveMac("dev", "dev-cp-1"), deriveMac("dev", "dev-cp-1"));
    });

    it("is unicast, locally administered, lower-case and colon-separated", () => {
      for (let i = 0; i < 64; i++) {
        const mac = deriveMac("lab", `node-${i}`);
        assert.match(mac, /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
        const first = parseInt(mac.slice(0, 2), 16);
        assert.equal(first & 1, 0, `${mac} is multicast`);
        assert.equal(first & 2, 2, `${mac} is not locally administered`);
      }
    });

    it("differs per node and per cluster", () => {
      const macs = new Set(["a", "b", "c", "d"].map((n) => deriveMac("lab", n)));
      assert.equal(macs.size, 4);
      assert.notEqual(deriveMac("lab", "cp-1"), deriveMac("dev", "cp-1"));
      // The separator keeps ("a-b", "c") and ("a", "b-c") apart.
      assert.notEqual(deriveMac("a-b", "c"), deriveMac("a", "b-c"));
    });
  });

  describe("validate command", () => {
    it("prints a summary and exits 0 for inventory/dev", () => {
      const out = new Buffer();
      const err = new Buffer();
      const code = runValidate([], out, err);
      assert.equal(code, 0, err.text);
      assert.equal(err.text, "");
      assert.equal(out.lines[0], "inventory/dev: valid");
      assert.ok(out.lines.includes("endpoint    https://10.20.0.10:6443 (vip)"), out.text);
      assert.ok(
        out.lines.includes("Control planes (1)") && out.lines.includes("Workers (2)"),
        out.text,
      );
      assert.ok(
        out.lines.some((l) => /dev-gpu-1 .*vm 1031 .*32768 MiB .*gpu rtx-a4000 \(pcie\)$/.test(l)),
        out.text,
      );
    });

    it("prints the problem lines on stderr and exits 1 for a bad inventory", () => {
      const dir = shown(path.join(FIXTURES, "invalid", "duplicate-vmid"));
      const out = new Buffer();
      const err = new Buffer();
      assert.equal(runValidate([dir], out, err), 1);
      assert.equal(out.text, "");
      assert.deepEqual(
        err.lines,
        INVALID["duplicate-vmid"].map((l) => `${dir}/${l}`),
      );
    });

    it("lists warnings in the summary of a valid inventory", () => {
      const out = new Buffer();
      assert.equal(
        runValidate([shown(path.join(FIXTURES, "valid", "even-controlplanes"))], out, new Buffer()),
        0,
      );
      assert.ok(out.lines.includes("Warnings (1)"), out.text);
    });

    it("exits 2 on bad usage", () => {
      const err = new Buffer();
      assert.equal(runValidate(["--frobnicate"], new Buffer(), err), 2);
      assert.match(err.text, /^unknown option --frobnicate\nusage: /);
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
      assert.equal(
        at(`${cluster}/talos/properties/installDisk`).default,
        defaults.DEFAULT_INSTALL_DISK,
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

  describe("ipv4", () => {
    it("parses addresses, rejecting leading zeros and out-of-range octets", () => {
      assert.equal(ipv4.parseIpv4("10.20.0.1"), 0x0a140001);
      assert.equal(ipv4.parseIpv4("255.255.255.255"), 0xffffffff);
      for (const bad of [
        "10.0.0.300",
        "010.0.0.1",
        "10.0.0",
        "10.0.0.1.2",
        "",
        "a.b.c.d",
        " 10.0.0.1",
      ]) {
        assert.equal(ipv4.parseIpv4(bad), undefined, bad);
      }
      assert.equal(ipv4.formatIpv4(0xc0a80132), "192.168.1.50");
    });

    it("computes network, broadcast and containment", () => {
      const cidr = ipv4.parseCidr("10.20.0.7/24")!;
      assert.equal(ipv4.formatIpv4(cidr.network), "10.20.0.0");
      assert.equal(ipv4.formatIpv4(cidr.broadcast), "10.20.0.255");
      assert.equal(cidr.prefix, 24);
      assert.ok(ipv4.hasHostBits(cidr));
      assert.equal(ipv4.canonicalCidr(cidr), "10.20.0.0/24");
      assert.ok(ipv4.cidrContains(cidr, ipv4.parseIpv4("10.20.0.255")!));
      assert.ok(!ipv4.cidrContains(cidr, ipv4.parseIpv4("10.20.1.0")!));
      const all = ipv4.parseCidr("0.0.0.0/0")!;
      assert.deepEqual([all.network, all.broadcast], [0, 0xffffffff]);
      const one = ipv4.parseCidr("10.0.0.5/32")!;
      assert.deepEqual([one.network, one.broadcast], [0x0a000005, 0x0a000005]);
      assert.equal(ipv4.prefixMask(20), 0xfffff000);
      assert.equal(ipv4.parseCidr("10.0.0.0/33"), undefined);
      assert.equal(ipv4.parseCidr("10.0.0.0"), undefined);
    });

    it("detects overlapping blocks", () => {
      const c = (t: string) => ipv4.parseCidr(t)!;
      assert.ok(ipv4.cidrsOverlap(c("10.96.0.0/12"), c("10.100.0.0/16")));
      assert.ok(ipv4.cidrsOverlap(c("10.0.0.0/8"), c("10.244.0.0/16")));
      assert.ok(!ipv4.cidrsOverlap(c("10.244.0.0/16"), c("10.96.0.0/12")));
      assert.ok(!ipv4.cidrsOverlap(c("10.0.0.0/24"), c("10.0.1.0/24")));
    });
  });

  describe("checkVersions", () => {
    it("follows the Talos support matrix", () => {
      assert.equal(checkVersions("v1.13.0", "1.36.0").status, "supported");
      assert.equal(checkVersions("v1.13.2", "1.31.9").status, "supported");
      assert.deepEqual(checkVersions("v1.13.0", "1.30.4"), {
        status: "unsupported",
        talos: "v1.13",
        supported: "1.31 to 1.36",
      });
      assert.equal(checkVersions("v1.12.0", "1.36.0").status, "unsupported");
      assert.equal(checkVersions("v1.14.0", "1.36.0").status, "talos-unknown");
      assert.equal(checkVersions("v2.0.0", "1.36.0").status, "talos-unknown");
      assert.equal(checkVersions("v1.5.3", "1.28.0").status, "talos-too-old");
    });
  });
});
