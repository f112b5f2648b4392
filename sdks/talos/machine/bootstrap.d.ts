import * as pulumi from "@pulumi/pulumi";
import * as inputs from "../types/input";
import * as outputs from "../types/output";
import { SdkMetadata } from "../utilities";

/**
 * Bootstraps etcd on one control-plane node, which turns a set of configured
 * Talos machines into a cluster. Run it once per cluster, against exactly one
 * control-plane node, after its configuration has been applied.
 */
export declare class Bootstrap extends pulumi.CustomResource {
  /**
   * Looks up an existing Bootstrap resource.
   * @param name - Name of the resulting resource in this program.
   * @param id - Provider ID of the resource to look up.
   * @param state - Known property values to seed the lookup with.
   * @param opts - Options for the lookup.
   */
  static get(
    name: string,
    id: pulumi.Input<pulumi.ID>,
    state?: BootstrapState,
    opts?: pulumi.CustomResourceOptions,
  ): Bootstrap;
  /** True if `obj` is a Bootstrap resource, even one created by another copy of this package. */
  static isInstance(obj: any): obj is Bootstrap;
  /** The provider type token. */
  static readonly __pulumiType: string;
  /** What this class sends and marks secret; the runtime and the conformance test both read it. */
  static readonly metadata: SdkMetadata;

  /** Talos API credentials used for the bootstrap call. Secret. */
  readonly clientConfiguration: pulumi.Output<outputs.machine.ClientConfiguration | undefined>;
  /** Write-only credentials; not read back from the provider. Secret. */
  readonly clientConfigurationWo: pulumi.Output<
    outputs.machine.BootstrapClientConfigurationWo | undefined
  >;
  /** Address the Talos API was reached at. */
  readonly endpoint: pulumi.Output<string>;
  /** The node that was bootstrapped. */
  readonly node: pulumi.Output<string>;
  /** Operation timeouts. */
  readonly timeouts: pulumi.Output<outputs.machine.BootstrapTimeouts | undefined>;

  /**
   * Creates a Bootstrap resource.
   * @param name - Unique name of the resource.
   * @param args - Which node to bootstrap and how to reach it.
   * @param opts - Resource options; `version` and `pluginDownloadURL` default to this package's release.
   */
  constructor(name: string, args: BootstrapArgs, opts?: pulumi.CustomResourceOptions);
}

/** Input properties of {@link Bootstrap}. */
export interface BootstrapArgs {
  /**
   * Talos API credentials (from `machine.Secrets.clientConfiguration`). Wrapped as
   * secret by this package. One of this or `clientConfigurationWo` is needed.
   */
  clientConfiguration?: pulumi.Input<inputs.machine.ClientConfigurationArgs>;
  /** Write-only alternative to `clientConfiguration`; never read back into state. Secret. */
  clientConfigurationWo?: pulumi.Input<inputs.machine.BootstrapClientConfigurationWo>;
  /**
   * Address to reach the Talos API at.
   * @default the value of `node`
   */
  endpoint?: pulumi.Input<string>;
  /** The control-plane node to bootstrap. */
  node: pulumi.Input<string>;
  /** Operation timeouts. */
  timeouts?: pulumi.Input<inputs.machine.BootstrapTimeouts>;
}

/** Properties used to look up an existing {@link Bootstrap}. */
export interface BootstrapState {
  /** Talos API credentials. */
  clientConfiguration?: pulumi.Input<inputs.machine.ClientConfigurationArgs>;
  /** Write-only credentials. */
  clientConfigurationWo?: pulumi.Input<inputs.machine.BootstrapClientConfigurationWo>;
  /** Address the Talos API was reached at. */
  endpoint?: pulumi.Input<string>;
  /** The node that was bootstrapped. */
  node?: pulumi.Input<string>;
  /** Operation timeouts. */
  timeouts?: pulumi.Input<inputs.machine.BootstrapTimeouts>;
}
