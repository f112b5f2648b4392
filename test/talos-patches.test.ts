import * as assert from "assert";
import { parse } from "yaml";
import {
  buildNodePatches as buildFor,
  hasGpuNodes,
  macSelector,
  NODE_LINK,
  renderPatch,
  type PatchName,
  type TalosPatch,
} from "../lib/talos/patches";
import type { Inventory, NodeSpec } from "../lib/inventory/types";
import { talosSchema, type TalosSchemaValidator } from "./support/talosSchema";
import {
  cluster,
  haWithGpu,
  haWithoutGpu,
  inventory,
  node,
  nodeNamed,
  singleNode,
} from "./support/talosInventories";

/** A node's patches within its inventory: the cluster spec, and whether any node has a GPU. */
function buildNodePatches(inv: Inventory, n: NodeSpec): TalosPatch[] {
  return buildFor(inv.cluster, n, hasGpuNodes(inv.nodes));
}

function build(inv: Inventory, name: string): TalosPatch[] {
  const n = nodeNamed(inv, name);
  return buildNodePatches(inv, n);
}

/** Patches as plain `{ name, document }` pairs, for deep equality. */
function plain(patches: readonly TalosPatch[]): { name: string; document: unknown }[] {
  return patches.map((p) => ({ name: p.name, document: p.document }));
}

function names(patches: readonly TalosPatch[]): PatchName[] {
  return patches.map((p) => p.name);
}

function renderAll(patches: readonly TalosPatch[]): string {
  return patches.map(renderPatch).join("---\n");
}

const header = (kind: string) => ({ apiVersion: "v1alpha1", kind });

/** The patches every node of the 192.168.10.0/24 test network shares, up to the kubelet. */
function commonHead(name: string, ip: string, mac: string, vip?: string) {
  return [
    {
      name: "hostname",
      document: { ...header("HostnameConfig"), hostname: name, auto: "off" },
    },
    {
      name: "link-alias",
      document: {
        ...header("LinkAliasConfig"),
        name: "net0",
        selector: { match: `mac(link.permanent_addr) == "${mac}"` },
      },
    },
    {
      name: "link",
      document: {
        ...header("LinkConfig"),
        name: "net0",
        addresses: [{ address: `${ip}/24` }],
        routes: [{ gateway: "192.168.10.1" }],
      },
    },
    ...(vip
      ? [{ name: "vip", document: { ...header("Layer2VIPConfig"), name: vip, link: "net0" } }]
      : []),
    {
      name: "resolver",
      document: {
        ...header("ResolverConfig"),
        nameservers: [{ address: "192.168.10.1" }, { address: "1.1.1.1" }],
      },
    },
    {
      name: "kubelet",
      document: { machine: { kubelet: { nodeIP: { validSubnets: ["192.168.10.0/24"] } } } },
    },
  ];
}

const DEFAULT_CLUSTER_NETWORK = {
  name: "cluster-network",
  document: {
    cluster: {
      network: {
        cni: { name: "flannel" },
        podSubnets: ["10.244.0.0/16"],
        serviceSubnets: ["10.96.0.0/12"],
      },
    },
  },
};

const RUNTIME_CLASS = {
  name: "nvidia-runtime-class",
  document: {
    cluster: {
      inlineManifests: [
        {
          name: "nvidia-runtime-class",
          contents:
            'apiVersion: node.k8s.io/v1\nkind: RuntimeClass\nmetadata:\n  name: nvidia\nhandler: nvidia\nscheduling:\n  nodeSelector:\n    nvidia.com/gpu.present: "true"\n',
        },
      ],
    },
  },
};

describe("talos patches", () => {
  describe("buildNodePatches", () => {
    it("gives a control plane behind a VIP its NIC, the VIP on the alias, and the cluster settings", () => {
      const patches = plain(build(haWithGpu(), "cp-1"));
      // The add-ons are their own tests' (test/addons.test.ts): here, only which ones.
      const addons = patches.find((p) => p.name === "addons")?.document as {
        cluster: { inlineManifests: { name: string }[] };
      };
      assert.deepStrictEqual(
        addons.cluster.inlineManifests.map((m) => m.name),
        ["nvidia-device-plugin"],
      );
      assert.deepStrictEqual(
        patches.filter((p) => p.name !== "addons"),
        [
          ...commonHead("cp-1", "192.168.10.11", "bc:24:11:00:00:01", "192.168.10.50"),
          DEFAULT_CLUSTER_NETWORK,
          { name: "scheduling", document: { cluster: { allowSchedulingOnControlPlanes: false } } },
          RUNTIME_CLASS,
        ],
      );
    });

    it("gives a single control plane without a VIP no Layer2VIPConfig, and allows scheduling", () => {
      assert.deepStrictEqual(plain(build(singleNode(), "solo")), [
        ...commonHead("solo", "192.168.10.10", "bc:24:11:00:00:10"),
        {
          name: "cluster-network",
          document: {
            cluster: {
              network: {
                cni: { name: "none" },
                podSubnets: ["10.32.0.0/16"],
                serviceSubnets: ["10.33.0.0/16"],
              },
            },
          },
        },
        { name: "scheduling", document: { cluster: { allowSchedulingOnControlPlanes: true } } },
      ]);
    });

    it("gives a worker its sorted labels, and its taints through registerWithTaints", () => {
      assert.deepStrictEqual(plain(build(haWithGpu(), "worker-1")), [
        ...commonHead("worker-1", "192.168.10.21", "bc:24:11:00:00:21"),
        {
          name: "node-labels",
          document: {
            machine: {
              nodeLabels: {
                "example.com/tier": "general",
                "topology.kubernetes.io/zone": "rack-a",
              },
            },
          },
        },
        {
          name: "node-taints",
          document: {
            machine: {
              kubelet: {
                extraConfig: {
                  registerWithTaints: [
                    { key: "example.com/dedicated", value: "batch", effect: "NoSchedule" },
                    { key: "example.com/maintenance", effect: "PreferNoSchedule" },
                  ],
                },
              },
            },
          },
        },
        DEFAULT_CLUSTER_NETWORK,
      ]);
    });

    it("gives a GPU worker the NVIDIA modules and sysctl, and merges the GPU label and taint", () => {
      assert.deepStrictEqual(plain(build(haWithGpu(), "gpu-1")), [
        ...commonHead("gpu-1", "192.168.10.31", "bc:24:11:00:00:31"),
        {
          name: "node-labels",
          document: {
            machine: {
              nodeLabels: {
                "example.com/gpu-model": "rtx-a2000",
                "nvidia.com/gpu.present": "true",
              },
            },
          },
        },
        {
          name: "node-taints",
          document: {
            machine: {
              kubelet: {
                extraConfig: {
                  registerWithTaints: [
                    { key: "example.com/dedicated", value: "ml", effect: "NoSchedule" },
                    { key: "nvidia.com/gpu", value: "present", effect: "NoSchedule" },
                  ],
                },
              },
            },
          },
        },
        DEFAULT_CLUSTER_NETWORK,
        {
          name: "gpu",
          document: {
            machine: {
              kernel: {
                modules: [
                  { name: "nvidia" },
                  { name: "nvidia_uvm" },
                  { name: "nvidia_drm" },
                  { name: "nvidia_modeset" },
                ],
              },
              sysctls: { "net.core.bpf_jit_harden": "1" },
            },
          },
        },
      ]);
    });

    it("writes a control plane's labels and taints to machine.nodeTaints as value:Effect", () => {
      const patches = build(haWithoutGpu(), "cp-1");
      assert.deepStrictEqual(names(patches), [
        "hostname",
        "link-alias",
        "link",
        "vip",
        "resolver",
        "kubelet",
        "node-labels",
        "node-taints",
        "cluster-network",
        "scheduling",
      ]);
      const byName = new Map(patches.map((p) => [p.name, p.document]));
      assert.deepStrictEqual(byName.get("node-labels"), {
        machine: { nodeLabels: { "example.com/role": "etcd" } },
      });
      // A taint without a value is written as the bare effect.
      assert.deepStrictEqual(byName.get("node-taints"), {
        machine: { nodeTaints: { "example.com/etcd-only": "NoExecute" } },
      });
      const tainted = inventory(cluster(), [
        node({
          name: "cp-x",
          role: "controlplane",
          vmId: 1,
          ip: "192.168.10.5",
          mac: "bc:24:11:00:00:05",
          taints: [{ key: "example.com/pool", value: "infra", effect: "NoSchedule" }],
        }),
      ]);
      assert.deepStrictEqual(
        build(tainted, "cp-x").find((p) => p.name === "node-taints")?.document,
        {
          machine: { nodeTaints: { "example.com/pool": "infra:NoSchedule" } },
        },
      );
    });

    it("lets the inventory win over the GPU label and taint on a shared key", () => {
      const inv = inventory(cluster(), [
        node({
          name: "cp-1",
          role: "controlplane",
          vmId: 1,
          ip: "192.168.10.11",
          mac: "bc:24:11:00:00:01",
        }),
        node({
          name: "gpu-1",
          role: "worker",
          vmId: 2,
          ip: "192.168.10.31",
          mac: "bc:24:11:00:00:31",
          labels: { "nvidia.com/gpu.present": "false" },
          taints: [{ key: "nvidia.com/gpu", effect: "NoExecute" }],
          gpu: { mapping: "a2000", pcie: true },
        }),
      ]);
      const byName = new Map(build(inv, "gpu-1").map((p) => [p.name, p.document]));
      assert.deepStrictEqual(byName.get("node-labels"), {
        machine: { nodeLabels: { "nvidia.com/gpu.present": "false" } },
      });
      assert.deepStrictEqual(byName.get("node-taints"), {
        machine: {
          kubelet: {
            extraConfig: { registerWithTaints: [{ key: "nvidia.com/gpu", effect: "NoExecute" }] },
          },
        },
      });
    });

    it("gives nodes without a GPU nothing NVIDIA, except the RuntimeClass and device plugin on control planes", () => {
      for (const inv of [haWithGpu(), haWithoutGpu(), singleNode()]) {
        for (const n of inv.nodes.filter((x) => x.gpu === undefined)) {
          const patches = buildNodePatches(inv, n);
          const nvidia = patches.filter((p) => /nvidia/i.test(renderPatch(p))).map((p) => p.name);
          const expected =
            n.role === "controlplane" && inv.nodes.some((x) => x.gpu)
              ? ["nvidia-runtime-class", "addons"]
              : [];
          assert.deepStrictEqual(nvidia, expected, `${inv.cluster.name}/${n.name}`);
        }
      }
    });

    it("puts the RuntimeClass on control planes only, and only when a GPU worker exists", () => {
      const carriers = (inv: Inventory) =>
        inv.nodes
          .filter((n) => names(buildNodePatches(inv, n)).includes("nvidia-runtime-class"))
          .map((n) => n.name);
      assert.deepStrictEqual(carriers(haWithGpu()), ["cp-1", "cp-2", "cp-3"]);
      assert.deepStrictEqual(carriers(haWithoutGpu()), []);
      assert.deepStrictEqual(carriers(singleNode()), []);
    });

    it("selects the NIC by its MAC only: no patch names a kernel interface", () => {
      const inv = haWithGpu();
      for (const n of inv.nodes) {
        const yaml = renderAll(buildNodePatches(inv, n));
        assert.doesNotMatch(yaml, /\b(eth\d|ens\d|enp\d|eno\d)/, n.name);
        assert.strictEqual(yaml.split(`name: ${NODE_LINK}`).length - 1, 2, n.name);
      }
    });

    it("lower-cases the MAC in the CEL selector and rejects what is not a MAC", () => {
      assert.strictEqual(
        macSelector("BC:24:11:AB:CD:EF"),
        'mac(link.permanent_addr) == "bc:24:11:ab:cd:ef"',
      );
      assert.throws(() => macSelector('bc:24:11:00:00:01" || true || "'), {
        message:
          'MAC address "bc:24:11:00:00:01\\" || true || \\"" is not six colon-separated hex octets',
      });
      assert.throws(() => macSelector("bc-24-11-00-00-01"), {
        message: 'MAC address "bc-24-11-00-00-01" is not six colon-separated hex octets',
      });
    });

    it("rejects a control plane with two taints on one key", () => {
      const inv = inventory(cluster(), [
        node({
          name: "cp-1",
          role: "controlplane",
          vmId: 1,
          ip: "192.168.10.11",
          mac: "bc:24:11:00:00:01",
          taints: [
            { key: "example.com/x", effect: "NoSchedule" },
            { key: "example.com/x", effect: "NoExecute" },
          ],
        }),
      ]);
      assert.throws(() => build(inv, "cp-1"), {
        message:
          "node cp-1: taints[key=example.com/x] appears twice; a control plane's " +
          "machine.nodeTaints holds one taint per key",
      });
    });

    it("returns frozen documents", () => {
      const [install] = build(haWithGpu(), "cp-1");
      assert.ok(Object.isFrozen(install.document));
      assert.throws(() => {
        (install.document.machine as Record<string, unknown>).install = {};
      }, TypeError);
    });
  });

  describe("renderPatch", () => {
    it("renders YAML that parses back to the same document, read as YAML 1.2 or 1.1", () => {
      for (const inv of [haWithGpu(), haWithoutGpu(), singleNode()]) {
        for (const n of inv.nodes) {
          for (const p of buildNodePatches(inv, n)) {
            const text = renderPatch(p);
            assert.deepStrictEqual(parse(text), p.document, `${n.name}/${p.name}`);
            assert.deepStrictEqual(
              parse(text, { version: "1.1" }),
              p.document,
              `${n.name}/${p.name}`,
            );
          }
        }
      }
    });

    it("quotes what a YAML 1.1 reader would take for a boolean or number, and nothing else", () => {
      const byName = new Map(build(haWithGpu(), "gpu-1").map((p) => [p.name, renderPatch(p)]));
      assert.strictEqual(
        byName.get("hostname"),
        'apiVersion: v1alpha1\nkind: HostnameConfig\nhostname: gpu-1\nauto: "off"\n',
      );
      assert.strictEqual(
        byName.get("link-alias"),
        "apiVersion: v1alpha1\nkind: LinkAliasConfig\nname: net0\nselector:\n" +
          '  match: mac(link.permanent_addr) == "bc:24:11:00:00:31"\n',
      );
      assert.strictEqual(
        byName.get("gpu"),
        "machine:\n  kernel:\n    modules:\n      - name: nvidia\n      - name: nvidia_uvm\n" +
          "      - name: nvidia_drm\n      - name: nvidia_modeset\n" +
          '  sysctls:\n    net.core.bpf_jit_harden: "1"\n',
      );
    });

    it("keeps a rendering by the document's JSON only where that JSON names the YAML exactly", () => {
      const render = (document: Record<string, unknown>) =>
        renderPatch({ name: "operator-1", document });
      // Same JSON, different YAML: each is rendered, not taken from the other.
      assert.strictEqual(render({ v: null }), "v: null\n");
      assert.strictEqual(render({ v: NaN }), "v: .nan\n");
      assert.strictEqual(render({ v: Infinity }), "v: .inf\n");
      assert.strictEqual(render({ v: null }), "v: null\n");
      assert.strictEqual(render({ v: 0 }), "v: 0\n");
      assert.strictEqual(render({ v: -0 }), "v: -0\n");
      const when = new Date("2026-01-02T03:04:05.000Z");
      assert.notStrictEqual(render({ v: when }), render({ v: when.toISOString() }));
      assert.strictEqual(render({ v: when.toISOString() }), 'v: "2026-01-02T03:04:05.000Z"\n');
      // Another object with the same content renders the same text.
      assert.strictEqual(render({ a: [1, "off"] }), render(JSON.parse('{"a":[1,"off"]}')));
    });

    it("is deterministic: two builds render byte for byte the same", () => {
      const everything = () =>
        [haWithGpu(), haWithoutGpu(), singleNode()]
          .flatMap((inv) => inv.nodes.map((n) => renderAll(buildNodePatches(inv, n))))
          .join("===\n");
      assert.strictEqual(everything(), everything());
    });

    it("does not depend on the order the inventory lists a node's labels in", () => {
      const labels: [string, string][] = [
        ["example.com/b", "2"],
        ["example.com/a", "1"],
        ["example.com/c", "3"],
      ];
      const render = (entries: [string, string][]) => {
        const n: NodeSpec = node({
          name: "w",
          role: "worker",
          vmId: 1,
          ip: "192.168.10.40",
          mac: "bc:24:11:00:00:40",
          labels: Object.fromEntries(entries),
        });
        return renderAll(buildNodePatches(inventory(cluster(), [n]), n));
      };
      assert.strictEqual(render(labels), render([...labels].reverse()));
    });
  });

  describe("against the Talos v1.13 config schema", () => {
    let schema: TalosSchemaValidator;

    before(function () {
      schema = talosSchema();
    });

    it("accepts every patch of every node of the representative inventories", () => {
      for (const inv of [haWithGpu(), haWithoutGpu(), singleNode()]) {
        for (const n of inv.nodes) {
          for (const p of buildNodePatches(inv, n)) {
            const where = `${n.name}/${p.name}`;
            assert.deepStrictEqual(schema.validateDocument(p.document), [], where);
            assert.deepStrictEqual(schema.validateYaml(renderPatch(p)), [], where);
          }
        }
      }
    });

    it("rejects a LinkConfig with a field the schema does not know", () => {
      const link = build(haWithGpu(), "cp-1").find((p) => p.name === "link")!.document;
      assert.deepStrictEqual(schema.validateDocument({ ...link, dhcp: true }), [
        "network.LinkConfigV1Alpha1 /: must NOT have additional properties (dhcp)",
      ]);
    });

    it("rejects machine.network, which Talos v1.13 no longer has", () => {
      assert.deepStrictEqual(
        schema.validateDocument({ machine: { network: { hostname: "cp-1" } } }),
        ["v1alpha1.Config /machine: must NOT have additional properties (network)"],
      );
    });

    it("rejects a bad value, an unknown kind and a document that is not a mapping", () => {
      assert.deepStrictEqual(
        schema.validateDocument({ ...header("HostnameConfig"), hostname: "x", auto: "false" }),
        [
          'network.HostnameConfigV1Alpha1 /auto: must be equal to one of the allowed values (["stable","off"])',
        ],
      );
      assert.deepStrictEqual(schema.validateDocument({ ...header("NetworkConfig") }), [
        'unknown document kind "NetworkConfig"',
      ]);
      assert.deepStrictEqual(schema.validateDocument(["machine"]), [
        "a config document must be a mapping",
      ]);
    });

    it("names the failing document of a multi-document YAML string", () => {
      const text =
        "apiVersion: v1alpha1\nkind: ResolverConfig\nnameservers:\n  - address: 1.1.1.1\n" +
        "---\nmachine:\n  sysctls:\n    net.core.bpf_jit_harden: 1\n";
      assert.deepStrictEqual(schema.validateYaml(text), [
        "document 2: v1alpha1.Config /machine/sysctls/net.core.bpf_jit_harden: must be string",
      ]);
    });
  });
});
