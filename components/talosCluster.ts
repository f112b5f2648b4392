import * as pulumi from "@pulumi/pulumi";
import * as talos from "@pulumiverse/talos";
import type { Inventory, NodeSpec, Role } from "../lib/inventory/types";
import {
  bootstrapNode,
  controlPlaneIps,
  onDestroyFor,
  skipKubernetesChecks,
  talosContract,
} from "../lib/talos/cluster";
import { buildNodePatches, renderPatch } from "../lib/talos/patches";
import type { NodeVm } from "./nodeVm";
import type { TalosImages } from "./talosImages";
import { TALOS_CLUSTER } from "../lib/tokens";

/** Arguments of {@link TalosCluster}. */
export interface TalosClusterArgs {
  /** The validated inventory. */
  readonly inventory: Inventory;
  /** The Talos images; each node's config installs its schematic's installer. */
  readonly images: TalosImages;
  /** Every node's VM, by node name; a node's apply waits for its VM. */
  readonly vms: Readonly<Record<string, NodeVm>>;
  /**
   * Whether `pulumi up` waits for the cluster to be healthy before the kubeconfig
   * output resolves. @default true
   */
  readonly healthGate?: boolean;
}

/**
 * Timeouts for talking to a node. Creating a VM returns once Proxmox has started
 * it; the Talos API comes up a minute or two later, and the provider retries until
 * the timeout. No sleeps anywhere: every wait is the provider's own retry loop.
 */
export const APPLY_TIMEOUTS = { create: "15m", update: "15m", delete: "10m" } as const;
/** Bootstrap waits for the first control plane's etcd to be ready for it. */
export const BOOTSTRAP_TIMEOUTS = { create: "15m" } as const;
/** The health gate: etcd, the API server, every node Ready, CoreDNS and kube-proxy. */
export const HEALTH_TIMEOUTS = { read: "20m" } as const;

/**
 * Talos on the VMs: machine secrets, one machine configuration and apply per node,
 * one bootstrap, the kubeconfig and talosconfig, and a health gate that the
 * kubeconfig output waits for.
 */
export class TalosCluster extends pulumi.ComponentResource {
  /** The cluster's PKI and tokens. Protected: losing it loses the cluster. */
  public readonly secrets: talos.machine.Secrets;
  /** One apply per node, by node name. */
  public readonly applies: Readonly<Record<string, talos.machine.ConfigurationApply>>;
  public readonly bootstrap: talos.machine.Bootstrap;
  /** Admin kubeconfig; resolves only once the health gate has passed. Secret. */
  public readonly kubeconfig: pulumi.Output<string>;
  /** talosctl configuration for every node. Secret. */
  public readonly talosconfig: pulumi.Output<string>;
  /** The health gate's id; known once the cluster reports healthy. */
  public readonly healthy: pulumi.Output<string>;

  constructor(name: string, args: TalosClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super(TALOS_CLUSTER, name, {}, opts);
    const { inventory, images, vms, healthGate = true } = args;
    const { cluster, endpoint } = inventory;

    this.secrets = new talos.machine.Secrets(
      `${name}-secrets`,
      { talosVersion: talosContract(cluster.talos.version) },
      {
        parent: this,
        protect: true,
        // The version contract the secrets were generated with stays theirs: a
        // later Talos minor must never regenerate the cluster's PKI.
        ignoreChanges: ["talosVersion"],
        // Secret by the program's own word, not only the SDK's: the provider schema
        // flags just the nested keys, and a published SDK would mark only those.
        additionalSecretOutputs: ["machineSecrets", "clientConfiguration"],
      },
    );
    const clientConfiguration = this.secrets.clientConfiguration;

    const first = bootstrapNode(inventory);
    const applies: Record<string, talos.machine.ConfigurationApply> = {};
    const applyNode = (node: NodeSpec, dependsOn: pulumi.Resource[]) => {
      const config = talos.machine.getConfigurationOutput(
        {
          clusterName: cluster.name,
          clusterEndpoint: endpoint.url,
          machineType: node.role,
          machineSecrets: this.secrets.machineSecrets,
          talosVersion: cluster.talos.version,
          kubernetesVersion: cluster.kubernetes.version,
          configPatches: images
            .installerFor(node)
            .apply((installer) => buildNodePatches(inventory, node, installer).map(renderPatch)),
          docs: false,
          examples: false,
        },
        { parent: this },
      );
      applies[node.name] = new talos.machine.ConfigurationApply(
        `${name}-apply-${node.name}`,
        {
          clientConfiguration,
          machineConfigurationInput: config.machineConfiguration,
          // The node's own address: the VIP is not up until etcd is.
          node: node.ip,
          endpoint: node.ip,
          applyMode: "auto",
          onDestroy: onDestroyFor(node.role),
          timeouts: { ...APPLY_TIMEOUTS },
        },
        {
          parent: this,
          dependsOn: [vms[node.name], ...dependsOn],
          // A new VM boots a blank Talos in maintenance mode: whenever the VM is
          // replaced, its configuration must be applied again. Delete-first, so the
          // old apply's reset reaches the old VM, never the new one at the same IP.
          replaceWith: [vms[node.name].vm],
          deleteBeforeReplace: true,
        },
      );
    };

    applyNode(first, []);
    this.bootstrap = new talos.machine.Bootstrap(
      `${name}-bootstrap`,
      {
        clientConfiguration,
        node: first.ip,
        endpoint: first.ip,
        timeouts: { ...BOOTSTRAP_TIMEOUTS },
      },
      {
        parent: this,
        dependsOn: [applies[first.name]],
        // Bootstrap happens once in a cluster's life. When the first control plane
        // changes later (removed, reordered, readdressed), running it again against
        // another member would be wrong, so nothing about it is ever updated.
        ignoreChanges: ["node", "endpoint", "clientConfiguration", "timeouts"],
      },
    );
    // Every other node is applied after the bootstrap, and every worker after every
    // control plane's VM exists. That costs no time (nodes join once etcd is up, and
    // the VMs come first anyway), and it orders `pulumi destroy`: the workers'
    // applies, with their drains and resets, finish before any control plane's VM is
    // deleted, so etcd keeps its quorum while they run.
    const controlPlaneVms = inventory.nodes
      .filter((n) => n.role === "controlplane")
      .map((n) => vms[n.name].vm);
    for (const node of inventory.nodes) {
      if (node.name === first.name) continue;
      applyNode(
        node,
        node.role === "worker" ? [this.bootstrap, ...controlPlaneVms] : [this.bootstrap],
      );
    }
    this.applies = applies;

    const kubeconfig = new talos.cluster.Kubeconfig(
      `${name}-kubeconfig`,
      // Read through the first control plane itself: the VIP answers only once etcd
      // runs. The kubeconfig's server is still the cluster endpoint.
      { clientConfiguration, node: first.ip, endpoint: first.ip },
      {
        parent: this,
        dependsOn: [this.bootstrap],
        additionalSecretOutputs: ["kubeconfigRaw", "kubernetesClientConfiguration"],
      },
    );

    const ipsOf = (role: Role) => inventory.nodes.filter((n) => n.role === role).map((n) => n.ip);
    // A preview only shows what would change: it does not wait on the live
    // cluster's health (up to the gate's timeout) or talk to its nodes. The
    // operator may also turn the gate off for one operation it would block.
    if (!healthGate && !pulumi.runtime.isDryRun()) {
      void pulumi.log.warn(
        "the health gate is off (em-infra:healthGate=false): the kubeconfig is exported without waiting for the cluster to be healthy",
        this,
      );
    }
    const health =
      pulumi.runtime.isDryRun() || !healthGate
        ? undefined
        : talos.cluster.getHealthOutput(
            {
              clientConfiguration,
              controlPlaneNodes: ipsOf("controlplane"),
              workerNodes: ipsOf("worker"),
              endpoints: controlPlaneIps(inventory),
              // Without a CNI no node becomes Ready until the operator installs one:
              // the gate then checks Talos, etcd and the kubelets only.
              skipKubernetesChecks: skipKubernetesChecks(inventory),
              timeouts: { ...HEALTH_TIMEOUTS },
            },
            { parent: this, dependsOn: [this.bootstrap, kubeconfig, ...Object.values(applies)] },
          );
    this.healthy = health ? health.id : pulumi.output("not checked");

    this.talosconfig = pulumi.secret(
      talos.client.getConfigurationOutput(
        {
          clusterName: cluster.name,
          clientConfiguration,
          endpoints: controlPlaneIps(inventory),
          nodes: inventory.nodes.map((n) => n.ip),
        },
        { parent: this },
      ).talosConfig,
    );
    // `pulumi up` ends with a kubeconfig only when the cluster is healthy.
    this.kubeconfig = pulumi.secret(
      pulumi.all([this.healthy, kubeconfig.kubeconfigRaw]).apply(([, raw]) => raw),
    );

    this.registerOutputs({
      kubeconfig: this.kubeconfig,
      talosconfig: this.talosconfig,
      healthy: this.healthy,
    });
  }
}
