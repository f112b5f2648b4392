import * as pulumi from "@pulumi/pulumi";
import * as inputs from "../types/input";
import * as outputs from "../types/output";
import { SdkMetadata } from "../utilities";

/**
 * Applies a machine configuration (plus optional patches) to one Talos node
 * through the Talos API. Works against a node in maintenance mode (first apply)
 * and against a configured node (re-apply with the admin credentials).
 */
export declare class ConfigurationApply extends pulumi.CustomResource {
  /**
   * Looks up an existing ConfigurationApply resource.
   * @param name - Name of the resulting resource in this program.
   * @param id - Provider ID of the resource to look up.
   * @param state - Known property values to seed the lookup with.
   * @param opts - Options for the lookup.
   */
  static get(
    name: string,
    id: pulumi.Input<pulumi.ID>,
    state?: ConfigurationApplyState,
    opts?: pulumi.CustomResourceOptions,
  ): ConfigurationApply;
  /** True if `obj` is a ConfigurationApply resource, even one created by another copy of this package. */
  static isInstance(obj: any): obj is ConfigurationApply;
  /** The provider type token. */
  static readonly __pulumiType: string;
  /** What this class sends and marks secret; the runtime and the conformance test both read it. */
  static readonly metadata: SdkMetadata;

  /** Apply mode that was requested. */
  readonly applyMode: pulumi.Output<string>;
  /** Talos API credentials used for the apply. Secret. */
  readonly clientConfiguration: pulumi.Output<outputs.machine.ClientConfiguration | undefined>;
  /** Write-only credentials; not read back from the provider. Secret. */
  readonly clientConfigurationWo: pulumi.Output<
    outputs.machine.ConfigurationApplyClientConfigurationWo | undefined
  >;
  /** Patches applied on top of the input configuration. */
  readonly configPatches: pulumi.Output<string[] | undefined>;
  /** Address the Talos API was reached at. */
  readonly endpoint: pulumi.Output<string>;
  /** The configuration as applied (input plus patches). Secret. */
  readonly machineConfiguration: pulumi.Output<string>;
  /**
   * SHA-256 (hex) of the rendered configuration. Kept in state so that a change
   * to the write-only input still shows up as a diff.
   */
  readonly machineConfigurationHash: pulumi.Output<string>;
  /** The configuration that was given as input. Secret. */
  readonly machineConfigurationInput: pulumi.Output<string | undefined>;
  /** Write-only configuration input; not read back from the provider. Secret. */
  readonly machineConfigurationInputWo: pulumi.Output<string | undefined>;
  /** The node the configuration was applied to. */
  readonly node: pulumi.Output<string>;
  /** Destroy-time behaviour. */
  readonly onDestroy: pulumi.Output<outputs.machine.ConfigurationApplyOnDestroy | undefined>;
  /**
   * Mode actually used: equals `applyMode`, except for `staged_if_needing_reboot`,
   * which resolves to `auto` or `staged` after a dry run.
   */
  readonly resolvedApplyMode: pulumi.Output<string>;
  /** Operation timeouts. */
  readonly timeouts: pulumi.Output<outputs.machine.Timeout | undefined>;

  /**
   * Creates a ConfigurationApply resource.
   * @param name - Unique name of the resource.
   * @param args - What to apply and where.
   * @param opts - Resource options; `version` and `pluginDownloadURL` default to this package's release.
   */
  constructor(name: string, args: ConfigurationApplyArgs, opts?: pulumi.CustomResourceOptions);
}

/** Input properties of {@link ConfigurationApply}. */
export interface ConfigurationApplyArgs {
  /**
   * How the node takes the new configuration: `auto`, `reboot`, `no_reboot`,
   * `staged`, or `staged_if_needing_reboot` (dry run first; stage instead of
   * rebooting when the change needs a reboot).
   * @default "auto"
   */
  applyMode?: pulumi.Input<string>;
  /**
   * Talos API credentials (from `machine.Secrets.clientConfiguration`). Needed for
   * any apply after the first. Wrapped as secret by this package.
   */
  clientConfiguration?: pulumi.Input<inputs.machine.ClientConfigurationArgs>;
  /** Write-only alternative to `clientConfiguration`; never read back into state. Secret. */
  clientConfigurationWo?: pulumi.Input<inputs.machine.ConfigurationApplyClientConfigurationWo>;
  /** YAML or JSON patches merged into the configuration before it is applied. */
  configPatches?: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * Address to reach the Talos API at.
   * @default the value of `node`
   */
  endpoint?: pulumi.Input<string>;
  /** Machine configuration to apply, usually from `machine.getConfiguration`. Secret. */
  machineConfigurationInput?: pulumi.Input<string>;
  /** Write-only alternative to `machineConfigurationInput`; never read back into state. Secret. */
  machineConfigurationInputWo?: pulumi.Input<string>;
  /** The node to configure (address or name as seen by the Talos API). */
  node: pulumi.Input<string>;
  /** What to do to the node when this resource is destroyed. */
  onDestroy?: pulumi.Input<inputs.machine.ConfigurationApplyOnDestroy>;
  /** Operation timeouts. */
  timeouts?: pulumi.Input<inputs.machine.Timeout>;
}

/** Properties used to look up an existing {@link ConfigurationApply}. */
export interface ConfigurationApplyState {
  /** Apply mode that was requested. */
  applyMode?: pulumi.Input<string>;
  /** Talos API credentials. */
  clientConfiguration?: pulumi.Input<inputs.machine.ClientConfigurationArgs>;
  /** Write-only credentials. */
  clientConfigurationWo?: pulumi.Input<inputs.machine.ConfigurationApplyClientConfigurationWo>;
  /** Patches applied on top of the input configuration. */
  configPatches?: pulumi.Input<pulumi.Input<string>[]>;
  /** Address the Talos API was reached at. */
  endpoint?: pulumi.Input<string>;
  /** The configuration as applied. */
  machineConfiguration?: pulumi.Input<string>;
  /** SHA-256 (hex) of the rendered configuration. */
  machineConfigurationHash?: pulumi.Input<string>;
  /** The configuration that was given as input. */
  machineConfigurationInput?: pulumi.Input<string>;
  /** Write-only configuration input. */
  machineConfigurationInputWo?: pulumi.Input<string>;
  /** The node the configuration was applied to. */
  node?: pulumi.Input<string>;
  /** Destroy-time behaviour. */
  onDestroy?: pulumi.Input<inputs.machine.ConfigurationApplyOnDestroy>;
  /** Mode actually used. */
  resolvedApplyMode?: pulumi.Input<string>;
  /** Operation timeouts. */
  timeouts?: pulumi.Input<inputs.machine.Timeout>;
}
