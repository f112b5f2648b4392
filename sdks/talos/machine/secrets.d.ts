import * as pulumi from "@pulumi/pulumi";
import * as inputs from "../types/input";
import * as outputs from "../types/output";
import { SdkMetadata } from "../utilities";

/**
 * Generates the secrets bundle of a Talos cluster: the CAs and keys, the cluster
 * identity, the Kubernetes bootstrap token and encryption keys, the trustd token,
 * and an admin client certificate for the Talos API. Both outputs are secret.
 */
export declare class Secrets extends pulumi.CustomResource {
  /**
   * Looks up an existing Secrets resource.
   * @param name - Name of the resulting resource in this program.
   * @param id - Provider ID of the resource to look up.
   * @param state - Known property values to seed the lookup with.
   * @param opts - Options for the lookup.
   */
  static get(
    name: string,
    id: pulumi.Input<pulumi.ID>,
    state?: SecretsState,
    opts?: pulumi.CustomResourceOptions,
  ): Secrets;
  /** True if `obj` is a Secrets resource, even one created by another copy of this package. */
  static isInstance(obj: any): obj is Secrets;
  /** The provider type token. */
  static readonly __pulumiType: string;
  /** What this class sends and marks secret; the runtime and the conformance test both read it. */
  static readonly metadata: SdkMetadata;

  /** Admin credentials for the Talos API (client certificate signed by the OS CA). Secret. */
  readonly clientConfiguration: pulumi.Output<outputs.machine.ClientConfiguration>;
  /** The secrets bundle, to feed `machine.getConfiguration`. Secret. */
  readonly machineSecrets: pulumi.Output<outputs.machine.MachineSecrets>;
  /** Talos version contract the bundle was generated for. */
  readonly talosVersion: pulumi.Output<string>;

  /**
   * Creates a Secrets resource.
   * @param name - Unique name of the resource.
   * @param args - Optional settings.
   * @param opts - Resource options; `version` and `pluginDownloadURL` default to this package's release.
   */
  constructor(name: string, args?: SecretsArgs, opts?: pulumi.CustomResourceOptions);
}

/** Input properties of {@link Secrets}. */
export interface SecretsArgs {
  /**
   * Talos version contract to generate the secrets for (`v1.13`, `1.13.0`, ...).
   * Pin it so that a provider upgrade does not silently change the contract.
   * @default the Talos machinery version built into the provider (v1.13)
   */
  talosVersion?: pulumi.Input<string>;
}

/** Properties used to look up an existing {@link Secrets}. */
export interface SecretsState {
  /** Admin credentials for the Talos API. */
  clientConfiguration?: pulumi.Input<inputs.machine.ClientConfigurationArgs>;
  /** The secrets bundle. */
  machineSecrets?: pulumi.Input<inputs.machine.MachineSecretsArgs>;
  /** Talos version contract the bundle was generated for. */
  talosVersion?: pulumi.Input<string>;
}
