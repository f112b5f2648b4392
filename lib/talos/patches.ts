/**
 * Talos machine-config patches for one node, as plain data. Pure: no Pulumi imports.
 *
 * The Talos provider embeds Talos v1.13 machinery, whose config has no `machine.network`:
 * hostname, links, VIPs and resolvers are separate typed documents (`apiVersion` +
 * `kind`). Each {@link TalosPatch} is one YAML document that the provider
 * strategic-merges onto the config it generated, in the order given. A document without
 * `kind` is a fragment of the v1alpha1 document and merges field by field (lists append,
 * except `cluster.network.podSubnets`/`serviceSubnets`, which replace); a typed document
 * merges into the generated document of the same kind and name, or is added beside it.
 * See https://docs.siderolabs.com/talos/v1.13/configure-your-talos-cluster/system-configuration/patching
 *
 * Patches carry no secrets: the provider adds the cluster's secrets from its own state.
 */
import { stringify } from "yaml";
import { deepFreeze } from "../freeze";
import { LastUsed } from "../lastUsed";
import type { ClusterSpec, NodeSpec, OperatorPatch, Taint } from "../inventory/types";
import { GPU_LABELS, GPU_TAINT, NVIDIA_RUNTIME_CLASS } from "./gpu";
import { buildAddons, inlineManifests, LOCAL_PATH_VOLUME } from "../addons/objects";

export { GPU_LABELS, GPU_TAINT, NVIDIA_RUNTIME_CLASS } from "./gpu";

/** The stable id of a patch; a node's patches never share one. */
export type PatchName =
  | "hostname"
  | "link-alias"
  | "link"
  | "vip"
  | "resolver"
  | "kubelet"
  | "node-labels"
  | "node-taints"
  | "cluster-network"
  | "scheduling"
  | "nvidia-runtime-class"
  | "addons"
  | "local-path-volume"
  | "gpu"
  /**
   * The operator's own, numbered in order: talos.patches, the patches of the node's role,
   * then the node's patches ({@link operatorPatchesOf}).
   */
  | `operator-${number}`;

/** One config patch: a single YAML document, passed as one `configPatches` entry. */
export interface TalosPatch {
  /** What the patch configures; stable, so it can key a recorded patch or a test. */
  readonly name: PatchName;
  /** The document, deeply frozen; {@link renderPatch} turns it into YAML. */
  readonly document: Readonly<Record<string, unknown>>;
}

/**
 * The alias every node gives its NIC. Talos asks for an alias that cannot collide with
 * a kernel or predictable name (`eth0`, `ens18`, `enp0s18`); `net0` is none of those, and
 * it is what Proxmox calls a VM's first (here, only) NIC, so both sides use one name.
 */
export const NODE_LINK = "net0";

/** Kernel modules the Sidero "NVIDIA GPU (OSS drivers)" guide loads on GPU nodes. */
export const NVIDIA_KERNEL_MODULES: readonly string[] = Object.freeze([
  "nvidia",
  "nvidia_uvm",
  "nvidia_drm",
  "nvidia_modeset",
]);

/**
 * Sysctls the same guide sets on GPU nodes. Talos's schema types sysctl values as
 * strings, so `1` is written `"1"`.
 */
export const NVIDIA_SYSCTLS: Readonly<Record<string, string>> = Object.freeze({
  "net.core.bpf_jit_harden": "1",
});

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

/**
 * The CEL expression a `LinkAliasConfig` uses to pick the NIC with this MAC.
 *
 * It matches `link.permanent_addr`, the address the NIC was created with, not
 * `link.hardware_addr`, which can be rewritten later (a bond, for one, sets its own
 * address on its members). For virtio-net, Proxmox hands the VM's MAC to the guest as
 * the device's address, so both fields hold it. `mac()` prints the bytes lower-case and
 * colon-separated, hence the lower-casing here.
 *
 * @throws Error when `mac` is not six colon-separated hex octets; checking it also keeps
 *   the value from escaping its CEL string literal.
 */
export function macSelector(mac: string): string {
  const lower = mac.toLowerCase();
  if (!MAC.test(lower)) {
    throw new Error(`MAC address ${JSON.stringify(mac)} is not six colon-separated hex octets`);
  }
  return `mac(link.permanent_addr) == "${lower}"`;
}

/**
 * The operator's patches that apply to one node, in the order they merge: talos.patches
 * (every node), then talos.controlPlanePatches or talos.workerPatches (its role; a GPU
 * worker is a worker), then the node's own. This is the order of `talosctl gen config`'s
 * `--config-patch`, `--config-patch-control-plane` and `--config-patch-worker`
 * (pkg/machinery/config/bundle/bundle.go at v1.13.9 applies the common patches, then the
 * control-plane ones, then the worker ones), with em-infra's per-node patches last.
 */
export function operatorPatchesOf(cluster: ClusterSpec, node: NodeSpec): OperatorPatch[] {
  const byRole = ((): readonly OperatorPatch[] | undefined => {
    switch (node.role) {
      case "controlplane":
        return cluster.talos.controlPlanePatches;
      case "worker":
        return cluster.talos.workerPatches;
      default: {
        const never: never = node.role;
        return never;
      }
    }
  })();
  return [...(cluster.talos.patches ?? []), ...(byRole ?? []), ...(node.patches ?? [])];
}

/** Whether any of the nodes has a GPU (the inventory allows one on workers only). */
export function hasGpuNodes(nodes: readonly NodeSpec[]): boolean {
  return nodes.some((n) => n.gpu !== undefined);
}

/**
 * Every patch of one node, in a fixed order: hostname, the NIC (alias, link, VIP),
 * resolver, kubelet, labels, taints, cluster network, control-plane settings (add-ons
 * among them), the local-path volume, GPU, and last the operator's own
 * ({@link operatorPatchesOf}).
 * Patches with nothing to say (no labels, no VIP) are left out rather than emitted empty.
 *
 * There is no `machine.install` patch. Every node boots an Image Factory disk image,
 * which Talos counts as installed from its first boot (its META partition exists), so
 * the install section is never read on these nodes; upgrades take the installer image
 * from the request and find the system disk by its partitions (Talos v1.13
 * `LifecycleService.Upgrade`, and the legacy upgrade alike). The provider's generated
 * default (`/dev/sda`, the stock installer) stays, unused. Leaving the installer out of
 * the configuration also keeps a Talos version bump from changing every node's config.
 *
 * @param gpuInCluster whether any node of the cluster has a GPU: the control planes then
 *   carry the GPU RuntimeClass.
 * @throws Error when the node's MAC is malformed, or a control plane has two taints with
 *   one key (`machine.nodeTaints` is a map keyed by taint key).
 */
export function buildNodePatches(
  cluster: ClusterSpec,
  node: NodeSpec,
  gpuInCluster: boolean,
): TalosPatch[] {
  const patches: TalosPatch[] = [
    // The generated config already holds a HostnameConfig with `auto: stable`; this
    // merges into it, and Talos rejects `hostname` beside any `auto` other than `off`.
    patch("hostname", {
      ...typed("HostnameConfig"),
      hostname: node.name,
      auto: "off",
    }),
    patch("link-alias", {
      ...typed("LinkAliasConfig"),
      name: NODE_LINK,
      selector: { match: macSelector(node.mac) },
    }),
    patch("link", {
      ...typed("LinkConfig"),
      name: NODE_LINK,
      addresses: [{ address: `${node.ip}/${cluster.network.prefixLength}` }],
      // No destination: Talos makes it the default route for the gateway's family.
      routes: [{ gateway: cluster.network.gateway }],
    }),
  ];
  if (node.role === "controlplane" && cluster.vip !== undefined) {
    patches.push(patch("vip", { ...typed("Layer2VIPConfig"), name: cluster.vip, link: NODE_LINK }));
  }
  if (cluster.network.nameservers.length > 0) {
    patches.push(
      patch("resolver", {
        ...typed("ResolverConfig"),
        nameservers: cluster.network.nameservers.map((address) => ({ address })),
      }),
    );
  }
  // Talos's default is any address of the pod network's family; a control plane holding
  // the VIP, or a CNI interface, has more than one, and the Node must carry the static one.
  // With metrics-server, the kubelet asks the cluster CA for its serving certificate
  // (approved by kubelet-serving-cert-approver), so metrics-server can verify it.
  patches.push(
    patch("kubelet", {
      machine: {
        kubelet: {
          nodeIP: { validSubnets: [cluster.network.cidr] },
          ...(cluster.addons.metricsServer
            ? { extraArgs: { "rotate-server-certificates": "true" } }
            : {}),
        },
      },
    }),
  );

  const labels = nodeLabels(node);
  if (Object.keys(labels).length > 0) {
    patches.push(patch("node-labels", { machine: { nodeLabels: labels } }));
  }
  const taints = nodeTaints(node);
  if (taints.length > 0) patches.push(taintsPatch(node, taints));

  // On every node, not only control planes: each kubelet derives its cluster DNS address
  // from serviceSubnets, so a worker left on the default would point pods at the wrong IP.
  patches.push(
    patch("cluster-network", {
      cluster: {
        network: {
          cni: { name: cluster.kubernetes.cni },
          podSubnets: [...cluster.kubernetes.podSubnets],
          serviceSubnets: [...cluster.kubernetes.serviceSubnets],
        },
      },
    }),
  );

  if (node.role === "controlplane") {
    // Written even when false: the inventory owns this decision, and the recorded patch
    // then states it instead of leaving it to the generated config.
    patches.push(
      patch("scheduling", {
        cluster: {
          allowSchedulingOnControlPlanes: cluster.kubernetes.allowSchedulingOnControlPlanes,
        },
      }),
    );
    if (gpuInCluster) {
      patches.push(
        patch("nvidia-runtime-class", {
          cluster: {
            inlineManifests: [{ name: "nvidia-runtime-class", contents: runtimeClassManifest() }],
          },
        }),
      );
    }
    // Talos applies inline manifests from the control planes once the API answers; the
    // rollout's manifest sync carries later changes and prunes what is turned off.
    const addons = buildAddons(cluster, gpuInCluster);
    if (addons.length > 0) {
      patches.push(
        patch("addons", {
          cluster: {
            inlineManifests: inlineManifests(addons),
          },
        }),
      );
    }
  }

  // local-path-provisioner's volumes live where pods run: a directory volume on the
  // EPHEMERAL partition (no partition of its own: the VM's one disk has no room left).
  if (
    cluster.storage.localPath &&
    (node.role === "worker" || cluster.kubernetes.allowSchedulingOnControlPlanes)
  ) {
    patches.push(
      patch("local-path-volume", {
        ...typed("UserVolumeConfig"),
        name: LOCAL_PATH_VOLUME,
        volumeType: "directory",
      }),
    );
  }

  if (node.gpu !== undefined) {
    patches.push(
      patch("gpu", {
        machine: {
          kernel: { modules: NVIDIA_KERNEL_MODULES.map((name) => ({ name })) },
          sysctls: { ...NVIDIA_SYSCTLS },
        },
      }),
    );
  }

  // The operator's own, last, so that they merge onto everything above; the loader
  // checked each against the Talos schema and refused any that touches what em-infra sets.
  const own = operatorPatchesOf(cluster, node);
  own.forEach((p, i) =>
    patches.push(patch(`operator-${i + 1}`, JSON.parse(JSON.stringify(p.document)))),
  );
  return patches;
}

/**
 * A patch as one YAML document: keys in the order the builder wrote them, no anchors,
 * no `---`, no line folding. Scalars are quoted by YAML 1.1 rules, so `off` or `yes`
 * come out as `"off"` and `"yes"`: still the same strings to a YAML 1.2 reader such as
 * Talos's, but never a boolean to an older reader in between.
 */
export function renderPatch(p: TalosPatch): string {
  const render = () =>
    stringify(p.document, { version: "1.1", aliasDuplicateObjects: false, lineWidth: 0 });
  const key = jsonKey(p.document);
  return key === undefined ? render() : rendered.get(key, render);
}

/**
 * Rendered patches by their document's JSON, for the last 1,024 documents. Many are the
 * same on every control plane (the add-ons' inline manifests, scheduling) and in every
 * run of a process (the plan, the tests), and YAML's stringify takes about 25 times as
 * long as JSON's.
 */
const rendered = new LastUsed<string>(1024);

/**
 * The document's JSON when that names its YAML exactly: strings, booleans, null, finite
 * numbers but -0, arrays and plain objects only. Anything else (NaN, which JSON writes as
 * null and YAML as `.nan`; -0; a Date; undefined) has no key, and is rendered every time.
 */
function jsonKey(document: unknown): string | undefined {
  let exact = true;
  const key = JSON.stringify(document, function (this: Record<string, unknown>, k, value) {
    const raw = this[k];
    if (!plainJson(raw)) exact = false;
    return value;
  });
  return exact ? key : undefined;
}

function plainJson(v: unknown): boolean {
  switch (typeof v) {
    case "string":
    case "boolean":
      return true;
    case "number":
      // -0: JSON writes 0, YAML -0.
      return Number.isFinite(v) && !Object.is(v, -0);
    case "object": {
      if (v === null || Array.isArray(v)) return true;
      const proto = Object.getPrototypeOf(v);
      return proto === Object.prototype || proto === null;
    }
    case "bigint":
    case "function":
    case "symbol":
    case "undefined":
      return false;
  }
}

/** The node's labels, GPU label included; the inventory wins on a shared key. */
function nodeLabels(node: NodeSpec): Record<string, string> {
  const merged: Record<string, string> = { ...(node.gpu ? GPU_LABELS : {}), ...node.labels };
  return Object.fromEntries(Object.entries(merged).sort(([a], [b]) => compare(a, b)));
}

/** The node's taints, GPU taint included unless the inventory already taints its key. */
function nodeTaints(node: NodeSpec): Taint[] {
  const taints = [...node.taints];
  if (node.gpu && !taints.some((t) => t.key === GPU_TAINT.key)) taints.push(GPU_TAINT);
  // A stable sort: taints sharing a key keep their inventory order.
  return taints.sort((a, b) => compare(a.key, b.key));
}

/**
 * Taints go where Talos can apply them. On a control plane, Talos writes
 * `machine.nodeTaints` to the Node with control-plane credentials and keeps it in sync.
 * On a worker it would use the kubelet's credentials, and the NodeRestriction admission
 * plugin forbids a kubelet to change its Node's taints, so the controller fails in a loop
 * (siderolabs/talos#10935, #13443). A kubelet may set taints when it registers its Node,
 * so workers get them through the kubelet's `registerWithTaints`: applied on first
 * registration only; changing them later on a running worker takes `kubectl taint`.
 */
function taintsPatch(node: NodeSpec, taints: readonly Taint[]): TalosPatch {
  switch (node.role) {
    case "controlplane": {
      const byKey = new Map<string, string>();
      for (const t of taints) {
        if (byKey.has(t.key)) {
          throw new Error(
            `node ${node.name}: taints[key=${t.key}] appears twice; a control plane's ` +
              `machine.nodeTaints holds one taint per key`,
          );
        }
        // Talos reads `value:Effect`, or a bare `Effect` for a taint without a value.
        byKey.set(t.key, t.value ? `${t.value}:${t.effect}` : t.effect);
      }
      return patch("node-taints", { machine: { nodeTaints: Object.fromEntries(byKey) } });
    }
    case "worker": {
      const registerWithTaints = taints.map((t) =>
        t.value
          ? { key: t.key, value: t.value, effect: t.effect }
          : { key: t.key, effect: t.effect },
      );
      return patch("node-taints", {
        machine: { kubelet: { extraConfig: { registerWithTaints } } },
      });
    }
    default: {
      const unknownRole: never = node.role;
      throw new Error(`node ${node.name}: unknown role ${String(unknownRole)}`);
    }
  }
}

/**
 * The RuntimeClass that sends GPU pods to the `nvidia` containerd runtime, which the
 * nvidia-container-toolkit extension registers on GPU nodes only. Its
 * `scheduling.nodeSelector` (node.k8s.io/v1 Scheduling) is the label every GPU node
 * carries: the RuntimeClass admission controller adds it to every pod that asks for the
 * class, so such a pod is never placed on a node without the handler (where it would fail
 * to start), whether or not the pod says so itself.
 */
function runtimeClassManifest(): string {
  // The same text for every control plane of every run: written once per process.
  runtimeClassText ??= stringify(
    {
      apiVersion: "node.k8s.io/v1",
      kind: "RuntimeClass",
      metadata: { name: NVIDIA_RUNTIME_CLASS },
      handler: NVIDIA_RUNTIME_CLASS,
      scheduling: { nodeSelector: { ...GPU_LABELS } },
    },
    { version: "1.1", lineWidth: 0 },
  );
  return runtimeClassText;
}
let runtimeClassText: string | undefined;

/** The header of a typed (multi-document) config document. */
function typed(kind: string): { apiVersion: "v1alpha1"; kind: string } {
  return { apiVersion: "v1alpha1", kind };
}

function patch(name: PatchName, document: Record<string, unknown>): TalosPatch {
  return Object.freeze({ name, document: deepFreeze(document) });
}

/** Code-unit order, the same on every machine (unlike `localeCompare`). */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
