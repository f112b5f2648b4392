import * as pulumi from "@pulumi/pulumi";
import * as talos from "@pulumiverse/talos";
import type {
  BootstrapCheckPlainInputs,
  NodeModel,
  RolloutPlainInputs,
  TalosModel,
} from "../lib/model";
import type { SchematicKey } from "../lib/proxmox/images";
import type { ProxmoxApiSettings } from "../lib/settings";
import { TALOS_CLUSTER } from "../lib/tokens";
import { Day2Resource } from "./rollout";

/** Arguments of {@link TalosCluster}. */
export interface TalosClusterArgs {
  /** The Talos side of the cluster model. */
  readonly model: TalosModel;
  /** Every node's VM, by node name; a node's apply waits for its VM. */
  readonly vms: Readonly<Record<string, pulumi.CustomResource>>;
  /** The day-two resources' plain inputs (lib/model/day2.ts). */
  readonly day2: {
    readonly rollout: RolloutPlainInputs;
    readonly bootstrapCheck: BootstrapCheckPlainInputs;
    /**
     * The provider's Proxmox API endpoint and credentials: the rollout restarts VMs
     * through them. Secret end to end; never in the rollout's outputs.
     */
    readonly proxmox: pulumi.Input<ProxmoxApiSettings>;
  };
  /** The installer image and schematic id of each schematic, for upgrades. */
  readonly installers: Readonly<Partial<Record<SchematicKey, pulumi.Input<string>>>>;
  readonly schematicIds: Readonly<Partial<Record<SchematicKey, pulumi.Input<string>>>>;
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
  /** Checks once, right after the bootstrap, that etcd really came up. */
  public readonly bootstrapCheck: Day2Resource;
  /** Brings the running nodes to the inventory after an edit, node by node. */
  public readonly rollout: Day2Resource;

  constructor(name: string, args: TalosClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super(TALOS_CLUSTER, name, {}, opts);
    const { model, vms, day2, healthGate = true } = args;

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
    const configs: Record<string, pulumi.Output<string>> = {};
    let bootstrap: talos.machine.Bootstrap | undefined;
    // The model lists the bootstrap node first: its apply, then the bootstrap, then
    // every other node's apply, which waits for the bootstrap.
    for (const node of model.nodes) {
      const after: pulumi.Resource[] = [
        ...(node.apply.afterBootstrap && bootstrap ? [bootstrap] : []),
        ...(node.apply.afterControlPlaneVms ? controlPlaneVms : []),
      ];
      const { apply, config } = this.applyNode(name, model, node, vms[node.name], after);
      applies[node.name] = apply;
      configs[node.name] = config;
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

    // The provider reports a bootstrap that never happened as a success
    // (terraform-provider-talos #248), and no later run would bootstrap again: check
    // etcd once, right after it, and only then. A replaced bootstrap is checked anew.
    this.bootstrapCheck = new Day2Resource(
      "bootstrapCheck",
      `${name}-bootstrap-check`,
      {
        ...day2.bootstrapCheck,
        credentials: clientConfiguration,
        bootstrapUrn: this.bootstrap.urn,
      },
      { parent: this, dependsOn: [this.bootstrap], replaceWith: [this.bootstrap] },
    );

    // After creation, each apply keeps the configuration it first applied
    // (ignoreChanges), and every later change reaches the nodes through the rollout,
    // one control plane at a time and workers in batches. It waits for every apply, so
    // on a new cluster it only records what was applied; it dials no node then.
    this.rollout = new Day2Resource(
      "rollout",
      `${name}-rollout`,
      {
        ...day2.rollout,
        // One output for every node's entry, not one per node: each Output costs the
        // runtime a promise and a captured stack trace, and the installers and schematic
        // ids are one per schematic, not per node.
        nodes: pulumi
          .all([pulumi.all(args.installers), pulumi.all(args.schematicIds)])
          .apply(([installers, schematicIds]) =>
            Object.fromEntries(
              model.nodes.map((n) => [
                n.name,
                {
                  ...day2.rollout.nodes[n.name],
                  installer: installers[n.schematic],
                  schematic: schematicIds[n.schematic],
                },
              ]),
            ),
          ),
        configs: pulumi.secret(pulumi.all(configs)),
        credentials: clientConfiguration,
        proxmox: pulumi.secret(day2.proxmox),
      },
      { parent: this, dependsOn: [...Object.values(applies), this.bootstrapCheck] },
    );

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
            {
              parent: this,
              // The gate judges the cluster the inventory now describes: after the
              // rollout has brought every node to it and removed the nodes it lost.
              dependsOn: [this.bootstrap, kubeconfig, ...Object.values(applies), this.rollout],
            },
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
  ): { apply: talos.machine.ConfigurationApply; config: pulumi.Output<string> } {
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
    const apply = new talos.machine.ConfigurationApply(
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
        // The first apply configures the node; every later change is the rollout's,
        // in turn, so a changed configuration never reaches every node at once.
        ignoreChanges: ["machineConfigurationInput"],
      },
    );
    return { apply, config: config.machineConfiguration };
  }
}
