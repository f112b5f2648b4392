import * as pulumi from "@pulumi/pulumi";
import * as talos from "@pulumiverse/talos";
import type { NodeModel, TalosModel } from "../lib/model";
import { TALOS_CLUSTER } from "../lib/tokens";

/** Arguments of {@link TalosCluster}. */
export interface TalosClusterArgs {
  /** The Talos side of the cluster model. */
  readonly model: TalosModel;
  /** Every node's VM, by node name; a node's apply waits for its VM. */
  readonly vms: Readonly<Record<string, pulumi.CustomResource>>;
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
 * kubeconfig output waits for. Every decision comes from the model.
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
    const { model, vms, healthGate = true } = args;

    this.secrets = new talos.machine.Secrets(
      `${name}-secrets`,
      { talosVersion: model.secretsContract },
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
    const first = model.bootstrapNode;
    const controlPlaneVms = model.nodes
      .filter((n) => n.role === "controlplane")
      .map((n) => vms[n.name]);

    const applies: Record<string, talos.machine.ConfigurationApply> = {};
    let bootstrap: talos.machine.Bootstrap | undefined;
    // The model lists the bootstrap node first: its apply, then the bootstrap, then
    // every other node's apply, which waits for the bootstrap.
    for (const node of model.nodes) {
      const after: pulumi.Resource[] = [
        ...(node.apply.afterBootstrap && bootstrap ? [bootstrap] : []),
        ...(node.apply.afterControlPlaneVms ? controlPlaneVms : []),
      ];
      applies[node.name] = this.applyNode(name, model, node, vms[node.name], after);
      if (node === first) {
        bootstrap = new talos.machine.Bootstrap(
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
      }
    }
    this.applies = applies;
    this.bootstrap = bootstrap!;

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
              controlPlaneNodes: [...model.health.controlPlaneNodes],
              workerNodes: [...model.health.workerNodes],
              endpoints: [...model.health.endpoints],
              // Without a CNI no node becomes Ready until the operator installs one:
              // the gate then checks Talos, etcd and the kubelets only.
              skipKubernetesChecks: model.health.skipKubernetesChecks,
              timeouts: { ...HEALTH_TIMEOUTS },
            },
            { parent: this, dependsOn: [this.bootstrap, kubeconfig, ...Object.values(applies)] },
          );
    this.healthy = health ? health.id : pulumi.output("not checked");

    this.talosconfig = pulumi.secret(
      talos.client.getConfigurationOutput(
        {
          clusterName: model.clusterName,
          clientConfiguration,
          endpoints: [...model.talosconfig.endpoints],
          nodes: [...model.talosconfig.nodes],
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

  /** One node's machine configuration and its apply. */
  private applyNode(
    name: string,
    model: TalosModel,
    node: NodeModel,
    vm: pulumi.CustomResource,
    after: pulumi.Resource[],
  ): talos.machine.ConfigurationApply {
    const config = talos.machine.getConfigurationOutput(
      {
        clusterName: model.clusterName,
        clusterEndpoint: model.endpoint,
        machineType: node.role,
        machineSecrets: this.secrets.machineSecrets,
        // The configuration contract stays the one the cluster was created with (kept
        // by the Secrets resource's ignoreChanges): a Talos bump must not re-render
        // configs under a newer contract for nodes that still run the old Talos
        // (terraform-provider-talos #401, siderolabs/talos#13885).
        talosVersion: this.secrets.talosVersion,
        kubernetesVersion: model.kubernetesVersion,
        configPatches: [...node.renderedPatches],
        docs: false,
        examples: false,
      },
      { parent: this },
    );
    return new talos.machine.ConfigurationApply(
      `${name}-apply-${node.name}`,
      {
        clientConfiguration: this.secrets.clientConfiguration,
        machineConfigurationInput: config.machineConfiguration,
        // The node's own address: the VIP is not up until etcd is.
        node: node.ip,
        endpoint: node.ip,
        applyMode: "auto",
        onDestroy: { ...node.onDestroy },
        timeouts: { ...APPLY_TIMEOUTS },
      },
      {
        parent: this,
        dependsOn: [vm, ...after],
        // A new VM boots a blank Talos in maintenance mode: whenever the VM is
        // replaced, its configuration must be applied again. Delete-first, so the
        // old apply's reset reaches the old VM, never the new one at the same IP.
        replaceWith: [vm],
        deleteBeforeReplace: true,
      },
    );
  }
}
