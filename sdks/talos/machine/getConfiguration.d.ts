import * as pulumi from "@pulumi/pulumi";
import * as inputs from "../types/input";
import * as outputs from "../types/output";
import { SdkMetadata } from "../utilities";

/**
 * Renders the machine configuration for a control-plane or worker node from the
 * cluster secrets, entirely inside the provider (no node is contacted).
 *
 * Promise form: values come back plain, so `machineConfiguration` is NOT tracked
 * as secret. Prefer {@link getConfigurationOutput} in programs.
 */
export declare function getConfiguration(
  args: GetConfigurationArgs,
  opts?: pulumi.InvokeOptions,
): Promise<GetConfigurationResult>;
export declare namespace getConfiguration {
  /** Shared with {@link getConfigurationOutput}; read by the runtime and the conformance test. */
  const metadata: SdkMetadata;
}

/**
 * Renders the machine configuration for a control-plane or worker node. Output
 * form: `machineSecrets` is sent as a secret and the whole result is secret.
 */
export declare function getConfigurationOutput(
  args: GetConfigurationOutputArgs,
  opts?: pulumi.InvokeOutputOptions,
): pulumi.Output<GetConfigurationResult>;
export declare namespace getConfigurationOutput {
  /** Shared with {@link getConfiguration}; read by the runtime and the conformance test. */
  const metadata: SdkMetadata;
}

/** Arguments of {@link getConfiguration} (plain values). */
export interface GetConfigurationArgs {
  /** Kubernetes API endpoint written into the configuration, e.g. `https://10.0.0.10:6443`. */
  clusterEndpoint: string;
  /** Cluster name written into the configuration. */
  clusterName: string;
  /** YAML or JSON patches merged into the generated configuration. */
  configPatches?: string[];
  /**
   * Include documentation comments in the YAML.
   * @default false
   */
  docs?: boolean;
  /**
   * Include commented-out examples in the YAML.
   * @default false
   */
  examples?: boolean;
  /**
   * Kubernetes version to configure.
   * @default the provider's default for its Talos machinery
   */
  kubernetesVersion?: string;
  /** The cluster secrets bundle (from `machine.Secrets.machineSecrets`). */
  machineSecrets: inputs.machine.MachineSecrets;
  /** `controlplane` or `worker`. */
  machineType: string;
  /**
   * Talos version contract for the generated configuration (`v1.13`, ...). It
   * selects config features, not the installed Talos; set the installer image
   * with a patch. Pin it, or a provider upgrade may switch on new defaults.
   */
  talosVersion?: string;
}

/** Arguments of {@link getConfigurationOutput}; any field may be an Output. */
export interface GetConfigurationOutputArgs {
  /** Kubernetes API endpoint written into the configuration, e.g. `https://10.0.0.10:6443`. */
  clusterEndpoint: pulumi.Input<string>;
  /** Cluster name written into the configuration. */
  clusterName: pulumi.Input<string>;
  /** YAML or JSON patches merged into the generated configuration. */
  configPatches?: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * Include documentation comments in the YAML.
   * @default false
   */
  docs?: pulumi.Input<boolean>;
  /**
   * Include commented-out examples in the YAML.
   * @default false
   */
  examples?: pulumi.Input<boolean>;
  /**
   * Kubernetes version to configure.
   * @default the provider's default for its Talos machinery
   */
  kubernetesVersion?: pulumi.Input<string>;
  /** The cluster secrets bundle (from `machine.Secrets.machineSecrets`). Sent as a secret. */
  machineSecrets: pulumi.Input<inputs.machine.MachineSecretsArgs>;
  /** `controlplane` or `worker`. */
  machineType: pulumi.Input<string>;
  /** Talos version contract for the generated configuration; see {@link GetConfigurationArgs.talosVersion}. */
  talosVersion?: pulumi.Input<string>;
}

/** Result of {@link getConfiguration} / {@link getConfigurationOutput}. */
export interface GetConfigurationResult {
  /** Echo of the argument. */
  readonly clusterEndpoint: string;
  /** Echo of the argument. */
  readonly clusterName: string;
  /** Echo of the argument. */
  readonly configPatches?: string[];
  /** Echo of the argument. */
  readonly docs?: boolean;
  /** Echo of the argument. */
  readonly examples?: boolean;
  /** Provider-assigned ID of this lookup. */
  readonly id: string;
  /** Echo of the argument. */
  readonly kubernetesVersion?: string;
  /** The rendered machine configuration (YAML), patches included. Secret in the Output form. */
  readonly machineConfiguration: string;
  /** Echo of the argument. Secret in the Output form. */
  readonly machineSecrets: outputs.machine.MachineSecrets;
  /** Echo of the argument. */
  readonly machineType: string;
  /** Echo of the argument. */
  readonly talosVersion?: string;
}
