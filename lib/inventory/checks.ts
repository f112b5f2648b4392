/**
 * The rules a JSON schema cannot state: uniqueness across nodes, addresses inside the
 * node network, networks that must not overlap, version support, role rules. Each check
 * reads the raw data defensively (a field the schema already rejected is skipped, not
 * reported twice) and reports at the line of the value that breaks the rule.
 */
import {
  canonicalCidr,
  cidrContains,
  cidrsOverlap,
  formatIpv4,
  hasHostBits,
  Ipv4Cidr,
  parseCidr,
  parseIpv4,
  prefixMask,
} from "./ipv4";
import { DEFAULT_POD_SUBNETS, DEFAULT_SERVICE_SUBNETS, MINIMUM_SIZING } from "./defaults";
import { deriveMac, isUnicastMac } from "./mac";
import { error, warning } from "./problems";
import { quote } from "./schema";
import { FieldPath, formatPath, positionOf, SourceFile } from "./source";
import type { Problem } from "./types";
import { checkVersions } from "./versions";

type Fields = Readonly<Record<string, unknown>>;

function fields(value: unknown): Fields | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Fields)
    : undefined;
}

function list(value: unknown): readonly unknown[] | undefined {
  return Array.isArray(value) ? value : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function whole(value: unknown): number | undefined {
  return typeof value === "number" && Number.isInteger(value) ? value : undefined;
}

const TALOS_VERSION = /^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;
const KUBERNETES_VERSION = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;
const MAC = /^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$/;
const BROADCAST_MAC = "ff:ff:ff:ff:ff:ff";
/** schema.json's `labelKey`: a key it rejects is not judged again here. */
const LABEL_KEY =
  /^((?=[-a-z0-9.]{1,253}\/)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

/**
 * The pod network share of each node: kube-controller-manager's default node CIDR mask
 * size for IPv4 (`--node-cidr-mask-size-ipv4`, 24). Talos does not change it, so every
 * node takes a /24 out of the pod network and a node without one never gets pod IPs.
 */
const NODE_POD_PREFIX = 24;

/**
 * The largest service network kube-apiserver accepts: it refuses an IPv4
 * `--service-cluster-ip-range` with more than 20 host bits, i.e. a prefix below /12.
 */
const LARGEST_SERVICE_PREFIX = 12;

/**
 * The smallest service network that holds the addresses derived from it: kube-apiserver
 * gives the `kubernetes` Service the first address, and Talos makes the tenth the
 * cluster DNS address (its kubelet `clusterDNS`), so a /28 (16 addresses) is the least.
 */
const SMALLEST_SERVICE_PREFIX = 28;

/** How many nodes a pod network of this prefix holds, a /24 each (0 below a /24). */
function nodesThatFit(prefix: number): number {
  return prefix > NODE_POD_PREFIX ? 0 : 2 ** (NODE_POD_PREFIX - prefix);
}

/** `1 node`, `2 nodes`. */
function nodeCount(count: number): string {
  return `${count} node${count === 1 ? "" : "s"}`;
}

/** A pod or service network in effect: written in cluster.yaml, or Talos's default. */
interface SubnetInEffect {
  /** Where to report it: the list entry, or the `kubernetes` key for a default. */
  readonly fieldPath: FieldPath;
  readonly part: "value" | "key";
  /** The network as a message shows it: `"10.244.0.0/23"` or `the default kubernetes.podSubnets "10.244.0.0/16"`. */
  readonly shown: string;
  /** How a message says to change it: `use` for a written one, `set kubernetes.<key> to` for a default. */
  readonly fix: string;
  readonly cidr: Ipv4Cidr;
}

/** The parseable entries of `kubernetes.<key>`, or its defaults when the field is left out. */
function subnetsInEffect(
  kubernetes: Fields | undefined,
  key: "podSubnets" | "serviceSubnets",
  fallback: readonly string[],
): SubnetInEffect[] {
  const written = kubernetes?.[key];
  const entries: (Omit<SubnetInEffect, "cidr"> & { value: unknown })[] =
    written === undefined
      ? fallback.map((value) => ({
          fieldPath: ["kubernetes"],
          part: "key",
          shown: `the default kubernetes.${key} ${quote(value)}`,
          fix: `set kubernetes.${key} to`,
          value,
        }))
      : (list(written) ?? []).map((value, i) => ({
          fieldPath: ["kubernetes", key, i],
          part: "value",
          shown: quote(value),
          fix: "use",
          value,
        }));
  return entries.flatMap(({ value, ...entry }) => {
    const cidr = typeof value === "string" ? parseCidr(value) : undefined;
    return cidr === undefined ? [] : [{ ...entry, cidr }];
  });
}

/** The node network as cluster.yaml states it, for the checks on node addresses. */
export interface NetworkFacts {
  /** network.cidr parsed, when it parses. */
  readonly cidr?: Ipv4Cidr;
  /** network.cidr as written, for messages. */
  readonly cidrText?: string;
  /** network.gateway as an unsigned 32-bit integer, when it parses. */
  readonly gateway?: number;
  /** The cluster vip as an unsigned 32-bit integer, when it is set and parses. */
  readonly vip?: number;
}

/** What cluster.yaml (as parsed data) says about the node network; unusable parts left out. */
export function networkFacts(data: unknown): NetworkFacts {
  const cluster = fields(data);
  const network = fields(cluster?.network);
  const cidrText = text(network?.cidr);
  const gatewayText = text(network?.gateway);
  const vipText = text(cluster?.vip);
  return {
    cidr: cidrText === undefined ? undefined : parseCidr(cidrText),
    cidrText,
    gateway: gatewayText === undefined ? undefined : parseIpv4(gatewayText),
    vip: vipText === undefined ? undefined : parseIpv4(vipText),
  };
}

/**
 * Why `address` (written as `written`) cannot be a host in the node network: outside
 * network.cidr, or its network or broadcast address. `undefined` when it can, or when
 * network.cidr is not usable. One wording for the gateway, the VIP and every node IP.
 */
export function placeInNetwork(
  facts: NetworkFacts,
  address: number,
  written: string,
): string | undefined {
  const { cidr, cidrText } = facts;
  if (cidr === undefined) return undefined;
  const network = `network.cidr ${quote(cidrText)}`;
  if (!cidrContains(cidr, address)) return `${quote(written)} is outside ${network}`;
  if (address === cidr.network) return `${quote(written)} is the network address of ${network}`;
  if (address === cidr.broadcast) {
    return `${quote(written)} is the broadcast address of ${network}`;
  }
  return undefined;
}

/** Rules within cluster.yaml. */
export function checkCluster(source: SourceFile): Problem[] {
  const problems: Problem[] = [];
  const cluster = fields(source.data);
  if (cluster === undefined) return problems;
  const report = (fieldPath: FieldPath, message: string, part: "value" | "key" = "value") => {
    problems.push(
      error(positionOf(source, fieldPath, part), `${formatPath(fieldPath)}: ${message}`),
    );
  };

  const installDisk = fields(cluster.talos)?.installDisk;
  if (installDisk !== undefined) {
    report(
      ["talos", "installDisk"],
      `${quote(installDisk)} is no longer accepted, and had no effect: every node boots an Image Factory disk image that Talos counts as installed from its first boot, so nothing is installed to this disk, and upgrades find the system disk by its partitions; delete this line`,
      "key",
    );
  }

  const facts = networkFacts(cluster);
  const inNetwork = (fieldPath: FieldPath, address: number, written: string): boolean => {
    const problem = placeInNetwork(facts, address, written);
    if (problem !== undefined) report(fieldPath, problem);
    return problem === undefined;
  };

  const network = fields(cluster.network);
  if (facts.gateway !== undefined) {
    inNetwork(["network", "gateway"], facts.gateway, String(network?.gateway));
  }
  if (facts.vip !== undefined) {
    const written = String(cluster.vip);
    if (inNetwork(["vip"], facts.vip, written) && facts.vip === facts.gateway) {
      report(
        ["vip"],
        `${quote(written)} is also network.gateway; the VIP needs an address of its own`,
      );
    }
  }

  // Node, pod and service networks: written canonically, and no two of them overlapping.
  // Talos's default pod and service networks count when the file leaves them out; a clash
  // with a default is reported on the written network, the only line there is to change.
  const blocks: { fieldPath?: FieldPath; label: string; written: string; cidr: Ipv4Cidr }[] = [];
  const addBlock = (fieldPath: FieldPath, value: unknown): void => {
    const written = text(value);
    const parsed = written === undefined ? undefined : parseCidr(written);
    if (written === undefined || parsed === undefined) return;
    if (hasHostBits(parsed)) {
      report(
        fieldPath,
        `${quote(written)} has host bits set (did you mean ${quote(canonicalCidr(parsed))}?)`,
      );
    }
    const earlier = blocks.find((b) => b.written !== written && cidrsOverlap(b.cidr, parsed));
    if (earlier !== undefined) {
      report(fieldPath, `${quote(written)} overlaps ${earlier.label} ${quote(earlier.written)}`);
    }
    blocks.push({ fieldPath, label: formatPath(fieldPath), written, cidr: parsed });
  };
  const addDefault = (key: string, entry: string): void => {
    const parsed = parseCidr(entry)!;
    for (const earlier of blocks) {
      if (earlier.fieldPath !== undefined && cidrsOverlap(earlier.cidr, parsed)) {
        report(
          earlier.fieldPath,
          `${quote(earlier.written)} overlaps the default kubernetes.${key} ${quote(entry)}; set kubernetes.${key} to a range that does not`,
        );
      }
    }
    blocks.push({ label: `the default kubernetes.${key}`, written: entry, cidr: parsed });
  };
  addBlock(["network", "cidr"], network?.cidr);
  const kubernetes = fields(cluster.kubernetes);
  const subnetDefaults: readonly [string, readonly string[]][] = [
    ["podSubnets", DEFAULT_POD_SUBNETS],
    ["serviceSubnets", DEFAULT_SERVICE_SUBNETS],
  ];
  for (const [key, fallback] of subnetDefaults) {
    const written = kubernetes?.[key];
    if (written === undefined) fallback.forEach((entry) => addDefault(key, entry));
    else list(written)?.forEach((entry, i) => addBlock(["kubernetes", key, i], entry));
  }

  // Sizes Kubernetes itself insists on, for the written networks and for Talos's defaults
  // alike (the defaults, a /16 and a /12, pass).
  for (const pods of subnetsInEffect(kubernetes, "podSubnets", DEFAULT_POD_SUBNETS)) {
    if (pods.cidr.prefix > NODE_POD_PREFIX) {
      report(
        pods.fieldPath,
        `${pods.shown} is smaller than a /${NODE_POD_PREFIX}; kube-controller-manager gives every node a /${NODE_POD_PREFIX} of the pod network (its default node CIDR mask size), so ${pods.fix} a /${NODE_POD_PREFIX} or larger`,
        pods.part,
      );
    }
  }
  for (const services of subnetsInEffect(kubernetes, "serviceSubnets", DEFAULT_SERVICE_SUBNETS)) {
    if (services.cidr.prefix < LARGEST_SERVICE_PREFIX) {
      const mask = prefixMask(LARGEST_SERVICE_PREFIX);
      const smaller = `${formatIpv4((services.cidr.network & mask) >>> 0)}/${LARGEST_SERVICE_PREFIX}`;
      report(
        services.fieldPath,
        `${services.shown} is larger than a /${LARGEST_SERVICE_PREFIX}, the largest service network kube-apiserver accepts; ${services.fix} a /${LARGEST_SERVICE_PREFIX} or smaller (such as ${quote(smaller)})`,
        services.part,
      );
    }
    if (services.cidr.prefix > SMALLEST_SERVICE_PREFIX) {
      const base = services.cidr.network;
      report(
        services.fieldPath,
        `${services.shown} is too small for the addresses derived from it: the kubernetes API Service takes its first (${formatIpv4((base + 1) >>> 0)}) and Talos gives cluster DNS its tenth (${formatIpv4((base + 10) >>> 0)}); ${services.fix} a /${SMALLEST_SERVICE_PREFIX} or larger, the smallest that holds both`,
        services.part,
      );
    }
  }

  // Talos and Kubernetes releases that work together.
  const talosVersion = text(fields(cluster.talos)?.version);
  const allowUnsupported = fields(cluster.talos)?.allowUnsupportedVersion === true;
  const kubernetesVersion = text(kubernetes?.version);
  if (
    talosVersion !== undefined &&
    kubernetesVersion !== undefined &&
    TALOS_VERSION.test(talosVersion) &&
    KUBERNETES_VERSION.test(kubernetesVersion)
  ) {
    const verdict = checkVersions(talosVersion, kubernetesVersion);
    if (allowUnsupported && verdict.status !== "talos-unknown") {
      // Left in place, the flag would also wave through a later bump past the table.
      problems.push(
        warning(
          positionOf(source, ["talos", "allowUnsupportedVersion"]),
          `talos.allowUnsupportedVersion: true has no effect, since Talos ${talosVersion} is not newer than em-infra's support table; remove it, so that a later version outside the table is refused`,
        ),
      );
    }
    switch (verdict.status) {
      case "supported":
        break;
      case "unsupported":
        report(
          ["kubernetes", "version"],
          `${quote(kubernetesVersion)} is not supported by Talos ${verdict.talos}, which runs Kubernetes ${verdict.supported}`,
        );
        break;
      case "talos-too-old":
        report(
          ["talos", "version"],
          `${quote(talosVersion)} is too old: em-infra's node configuration needs Talos >= ${verdict.oldest} (it uses the multi-document network configuration, HostnameConfig, LinkAliasConfig, LinkConfig, Layer2VIPConfig and ResolverConfig, which Talos ${verdict.oldest} introduced); use a ${verdict.oldest} or newer release`,
        );
        break;
      case "talos-unknown":
        // An installer image for a release the table does not know fails only at
        // `pulumi up`; deploying one anyway is the operator's call, said in the file.
        if (allowUnsupported) {
          problems.push(
            warning(
              positionOf(source, ["talos", "version"]),
              `talos.version: Talos ${verdict.talos} is newer than em-infra's support table (up to ${verdict.newest}), deployed anyway because talos.allowUnsupportedVersion is true; cannot confirm it runs Kubernetes ${kubernetesVersion}`,
            ),
          );
        } else {
          report(
            ["talos", "version"],
            `Talos ${verdict.talos} is newer than em-infra's support table (up to ${verdict.newest}), so neither its installer image nor Kubernetes ${kubernetesVersion} on it is known to work; use a release the table lists, or set talos.allowUnsupportedVersion: true to deploy it anyway`,
          );
        }
        break;
      default: {
        const unhandled: never = verdict;
        throw new Error(`unhandled version check ${JSON.stringify(unhandled)}`);
      }
    }
  }
  return problems;
}

/** One node as the checks see it: its index, its fields, and a label for messages. */
interface NodeEntry {
  readonly index: number;
  readonly node: Fields;
  readonly name?: string;
}

function nodeEntries(data: unknown): NodeEntry[] {
  const entries: NodeEntry[] = [];
  list(fields(data)?.nodes)?.forEach((value, index) => {
    const node = fields(value);
    if (node !== undefined) entries.push({ index, node, name: text(node.name) });
  });
  return entries;
}

/** `nodes[1] "worker-1"`, or `nodes[1]` for a node without a usable name. */
function nodeLabel(entry: NodeEntry): string {
  return entry.name === undefined
    ? `nodes[${entry.index}]`
    : `nodes[${entry.index}] ${quote(entry.name)}`;
}

/** Labels a kubelet may set on its own Node although they are in kubernetes.io or k8s.io. */
const KUBELET_LABELS: ReadonlySet<string> = new Set([
  "kubernetes.io/hostname",
  "kubernetes.io/os",
  "kubernetes.io/arch",
  "beta.kubernetes.io/os",
  "beta.kubernetes.io/arch",
  "beta.kubernetes.io/instance-type",
  "node.kubernetes.io/instance-type",
  "topology.kubernetes.io/zone",
  "topology.kubernetes.io/region",
  "failure-domain.beta.kubernetes.io/zone",
  "failure-domain.beta.kubernetes.io/region",
]);

/** Whether a label prefix is `domain` or one of its subdomains. */
function inDomain(prefix: string, domain: string): boolean {
  return prefix === domain || prefix.endsWith(`.${domain}`);
}

/**
 * Why the NodeRestriction admission plugin refuses a label a kubelet sets on its own
 * Node, or undefined when it allows it. Kubernetes' own rule (`IsKubeletLabel` in
 * k8s.io/kubelet/pkg/apis): nothing under node-restriction.kubernetes.io, and under
 * kubernetes.io or k8s.io only the well-known labels and the kubelet.kubernetes.io and
 * node.kubernetes.io prefixes.
 */
function kubeletForbiddenLabel(key: string): string | undefined {
  const slash = key.indexOf("/");
  if (slash < 0 || !LABEL_KEY.test(key)) return undefined;
  const prefix = key.slice(0, slash);
  if (inDomain(prefix, "node-restriction.kubernetes.io")) {
    return "labels under node-restriction.kubernetes.io/";
  }
  const kubernetes = inDomain(prefix, "kubernetes.io") || inDomain(prefix, "k8s.io");
  const allowed =
    KUBELET_LABELS.has(key) ||
    inDomain(prefix, "kubelet.kubernetes.io") ||
    inDomain(prefix, "node.kubernetes.io");
  return kubernetes && !allowed
    ? "kubernetes.io and k8s.io labels other than a few well-known ones (such as topology.kubernetes.io/zone)"
    : undefined;
}

/** Rules within nodes.yaml: they hold whatever cluster.yaml says. */
export function checkNodes(source: SourceFile): Problem[] {
  const problems: Problem[] = [];
  const report = (fieldPath: FieldPath, message: string): void => {
    problems.push(
      error(positionOf(source, fieldPath), `${formatPath(fieldPath, source.data)}: ${message}`),
    );
  };
  const entries = nodeEntries(source.data);

  /** Reports every value seen before under the same key, naming the first holder. */
  const unique = <K>(
    field: string,
    keyOf: (value: unknown) => K | undefined,
    withName: boolean,
  ): void => {
    const first = new Map<K, NodeEntry>();
    for (const entry of entries) {
      const value = entry.node[field];
      const key = keyOf(value);
      if (key === undefined) continue;
      const holder = first.get(key);
      if (holder === undefined) {
        first.set(key, entry);
        continue;
      }
      const line = positionOf(source, ["nodes", holder.index, field]).line;
      const who = withName ? nodeLabel(holder) : `nodes[${holder.index}]`;
      report(
        ["nodes", entry.index, field],
        `${quote(value)} is already used by ${who} on line ${line}`,
      );
    }
  };
  unique("name", text, false);
  unique("vmId", whole, true);
  unique("ip", (v) => (typeof v === "string" ? parseIpv4(v) : undefined), true);
  unique("mac", (v) => (typeof v === "string" && MAC.test(v) ? v.toLowerCase() : undefined), true);

  const controlPlanes: NodeEntry[] = [];
  let everyRoleKnown = true;
  for (const entry of entries) {
    const { node, index } = entry;
    const role = node.role;
    if (role === "controlplane") controlPlanes.push(entry);
    else if (role !== "worker") everyRoleKnown = false;

    const mac = text(node.mac);
    if (mac !== undefined && MAC.test(mac) && !isUnicastMac(mac)) {
      const kind =
        mac.toLowerCase() === BROADCAST_MAC
          ? "the broadcast address"
          : "a multicast address (the first octet is odd)";
      report(
        ["nodes", index, "mac"],
        `${quote(mac)} is ${kind}; a network card needs a unicast one`,
      );
    }

    if (role === "controlplane") {
      if (node.gpu !== undefined) {
        problems.push(
          error(
            positionOf(source, ["nodes", index, "gpu"], "key"),
            `nodes[${index}].gpu: only workers take a GPU, and ${nodeLabel(entry)} is a control plane`,
          ),
        );
      }
      const minimum = MINIMUM_SIZING.controlplane;
      const cores = whole(node.cores);
      if (cores !== undefined && cores >= MINIMUM_SIZING.worker.cores && cores < minimum.cores) {
        report(
          ["nodes", index, "cores"],
          `${cores} is below the ${minimum.cores} cores a control plane needs`,
        );
      }
      const memory = whole(node.memoryMiB);
      if (
        memory !== undefined &&
        memory >= MINIMUM_SIZING.worker.memoryMiB &&
        memory < minimum.memoryMiB
      ) {
        report(
          ["nodes", index, "memoryMiB"],
          `${memory} is below the ${minimum.memoryMiB} MiB a control plane needs`,
        );
      }
    }

    const seenTaints = new Map<string, number>();
    const seenTaintKeys = new Map<string, number>();
    list(node.taints)?.forEach((value, t) => {
      const taint = fields(value);
      const key = text(taint?.key);
      const effect = text(taint?.effect);
      if (key === undefined || effect === undefined) return;
      const id = `${key}\u0000${effect}`;
      const earlier = seenTaints.get(id);
      const earlierKey = seenTaintKeys.get(key);
      if (earlier !== undefined) {
        report(
          ["nodes", index, "taints", t],
          `taint ${quote(key)} with effect ${quote(effect)} is already at taints[${earlier}]`,
        );
      } else if (role === "controlplane" && earlierKey !== undefined) {
        // Talos takes a control plane's taints as machine.nodeTaints, a map from key to
        // `value:Effect`: it holds one effect per key, where Kubernetes allows several.
        report(
          ["nodes", index, "taints", t],
          `taint ${quote(key)} is already at taints[${earlierKey}]; a control plane's taints (Talos machine.nodeTaints) hold one effect per key`,
        );
      }
      seenTaints.set(id, earlier ?? t);
      seenTaintKeys.set(key, earlierKey ?? t);
    });

    if (role === "worker") {
      for (const key of Object.keys(fields(node.labels) ?? {})) {
        const forbidden = kubeletForbiddenLabel(key);
        if (forbidden === undefined) continue;
        problems.push(
          error(
            positionOf(source, ["nodes", index, "labels", key], "key"),
            `${formatPath(["nodes", index, "labels", key], source.data)}: the NodeRestriction admission plugin forbids a kubelet to set ${forbidden}; Talos sets a worker's labels with its kubelet's credentials, so none of this node's labels would be applied. Set this one with \`kubectl label node\` instead`,
          ),
        );
      }
    }
  }

  if (entries.length > 0 && everyRoleKnown) {
    if (controlPlanes.length === 0) {
      problems.push(
        error(
          positionOf(source, ["nodes"], "key"),
          'nodes: no node has role "controlplane"; a cluster needs at least one control plane',
        ),
      );
    } else if (controlPlanes.length % 2 === 0) {
      const last = controlPlanes[controlPlanes.length - 1];
      const count = controlPlanes.length;
      problems.push(
        warning(
          positionOf(source, ["nodes", last.index, "role"]),
          `nodes: ${count} control planes; etcd needs a majority, so ${count} tolerate no more failures than ${count - 1} would; use an odd number (1, 3 or 5)`,
        ),
      );
    }
  }
  return problems;
}

/**
 * Rules that need both files: node addresses inside the node network, and MACs that stay
 * unique once the derived ones are filled in. Only run when cluster.yaml has no errors.
 */
export function checkNodesAgainstCluster(cluster: SourceFile, nodes: SourceFile): Problem[] {
  const problems: Problem[] = [];
  const report = (fieldPath: FieldPath, message: string): void => {
    problems.push(
      error(positionOf(nodes, fieldPath), `${formatPath(fieldPath, nodes.data)}: ${message}`),
    );
  };
  const facts = networkFacts(cluster.data);
  const clusterFields = fields(cluster.data);
  const entries = nodeEntries(nodes.data);
  const cidr = facts.cidr;

  for (const { node, index } of entries) {
    const written = text(node.ip);
    const ip = written === undefined ? undefined : parseIpv4(written);
    if (ip === undefined || written === undefined || cidr === undefined) continue;
    const fieldPath = ["nodes", index, "ip"];
    const outside = placeInNetwork(facts, ip, written);
    if (outside !== undefined) {
      report(fieldPath, outside);
    } else if (ip === facts.gateway) {
      report(fieldPath, `${quote(written)} is network.gateway`);
    } else if (ip === facts.vip) {
      report(
        fieldPath,
        `${quote(written)} is the cluster vip; the VIP must not be a node's own address`,
      );
    }
  }

  // One Proxmox resource mapping passes its devices to running VMs one at a time: two
  // GPU workers on one host naming the same mapping need a device each in it.
  const defaultHost = text(fields(clusterFields?.proxmox)?.node);
  const byMapping = new Map<string, NodeEntry[]>();
  for (const entry of entries) {
    const mapping = text(fields(entry.node.gpu)?.mapping);
    const host = text(entry.node.host) ?? defaultHost;
    if (mapping === undefined || host === undefined) continue;
    const key = `${host}\u0000${mapping}`;
    byMapping.set(key, [...(byMapping.get(key) ?? []), entry]);
  }
  for (const [key, sharing] of byMapping) {
    if (sharing.length < 2) continue;
    const [host, mapping] = key.split("\u0000");
    for (const entry of sharing.slice(1)) {
      problems.push(
        warning(
          positionOf(nodes, ["nodes", entry.index, "gpu", "mapping"]),
          `${nodeLabel(entry)}.gpu.mapping: ${quote(mapping)} is also the mapping of ${sharing
            .filter((e) => e !== entry)
            .map(nodeLabel)
            .join(
              ", ",
            )} on host ${host}: the mapping must hold a device for each GPU worker that uses it, or only one of them can start`,
        ),
      );
    }
  }

  // Without a vip the endpoint is the first control plane's address, in every node's
  // configuration and every kubeconfig: removing or reordering that node would move it.
  // validate has no state to compare with, so it warns; plan and preview refuse the move.
  const firstCp = entries.find((e) => text(e.node.role) === "controlplane");
  const firstIp = firstCp === undefined ? undefined : text(firstCp.node.ip);
  if (text(clusterFields?.vip) === undefined && firstCp !== undefined && firstIp !== undefined) {
    problems.push(
      warning(
        positionOf(nodes, ["nodes", firstCp.index, "name"]),
        `${nodeLabel(firstCp)}: the cluster endpoint is the first control plane, ${firstIp}; removing or reordering it moves the endpoint, which every node's configuration and kubeconfig name, so pulumi up refuses that. To make it removable later, set vip in cluster.yaml first, in a pulumi up of its own`,
      ),
    );
  }

  // A written MAC that happens to equal another node's derived one.
  const clusterName = text(clusterFields?.name);
  if (clusterName !== undefined) {
    const derived = new Map<string, NodeEntry>();
    for (const entry of entries) {
      if (entry.node.mac === undefined && entry.name !== undefined) {
        derived.set(deriveMac(clusterName, entry.name), entry);
      }
    }
    for (const entry of entries) {
      const mac = text(entry.node.mac);
      const owner = mac === undefined ? undefined : derived.get(mac.toLowerCase());
      if (owner !== undefined) {
        report(
          ["nodes", entry.index, "mac"],
          `${quote(mac)} is the MAC derived for ${nodeLabel(owner)}; pick another`,
        );
      }
    }
  }

  // Every node takes a /24 of the pod network; one the network cannot hold gets no pod IPs.
  const kubernetes = fields(clusterFields?.kubernetes);
  if (entries.length > 0) {
    for (const pods of subnetsInEffect(kubernetes, "podSubnets", DEFAULT_POD_SUBNETS)) {
      const fit = nodesThatFit(pods.cidr.prefix);
      // Below a /24 checkCluster has already said so.
      if (fit === 0 || fit >= entries.length) continue;
      const needed = NODE_POD_PREFIX - Math.ceil(Math.log2(entries.length));
      problems.push(
        error(
          positionOf(cluster, pods.fieldPath, pods.part),
          `${formatPath(pods.fieldPath)}: ${pods.shown} has room for ${nodeCount(fit)} and nodes.yaml lists ${entries.length}; kube-controller-manager gives every node a /${NODE_POD_PREFIX} of the pod network, so ${pods.fix} a /${needed} or larger`,
        ),
      );
    }
  }

  // A GPU worker's image gets talos.gpuExtensions on top of talos.extensions; with none,
  // Talos is asked to load NVIDIA kernel modules that nothing on the image provides.
  const talos = fields(clusterFields?.talos);
  const gpuExtensions = list(talos?.gpuExtensions);
  if (gpuExtensions !== undefined && gpuExtensions.length === 0) {
    for (const { node, index } of entries) {
      if (node.role !== "worker" || node.gpu === undefined) continue;
      problems.push(
        error(
          positionOf(nodes, ["nodes", index, "gpu"], "key"),
          `nodes[${index}].gpu: talos.gpuExtensions is empty, so this GPU worker's image would carry no NVIDIA driver: Talos could not load the nvidia kernel modules it is given, and GPU pods would find no nvidia container runtime. Leave talos.gpuExtensions out for the default NVIDIA extensions, list them there, or remove this node's gpu`,
        ),
      );
    }
  }

  const workers = entries.filter((e) => e.node.role === "worker").length;
  const maxUnavailable = whole(fields(clusterFields?.rollout)?.maxUnavailableWorkers);
  // Equal counts too, once there is more than one worker: a single worker can only go alone.
  const everyWorker =
    maxUnavailable !== undefined &&
    (maxUnavailable > workers || (maxUnavailable === workers && workers > 1));
  if (everyWorker && entries.length > 0) {
    // Not an error: the cluster may be about to grow. But as written, a rolling change
    // takes every worker down together.
    problems.push(
      warning(
        positionOf(cluster, ["rollout", "maxUnavailableWorkers"]),
        workers === 0
          ? `rollout.maxUnavailableWorkers: ${maxUnavailable} has nothing to limit: nodes.yaml lists no workers`
          : `rollout.maxUnavailableWorkers: ${maxUnavailable} is ${maxUnavailable === workers ? "as many as" : "more than"} the ${workers} worker${workers === 1 ? "" : "s"} nodes.yaml lists: a rolling change would take every worker down at once`,
      ),
    );
  }
  const allow = kubernetes?.allowSchedulingOnControlPlanes;
  if (allow === false && workers === 0 && entries.length > 0) {
    problems.push(
      warning(
        positionOf(cluster, ["kubernetes", "allowSchedulingOnControlPlanes"]),
        "kubernetes.allowSchedulingOnControlPlanes: false with no workers in nodes.yaml leaves ordinary pods nowhere to run",
      ),
    );
  }
  return problems;
}
