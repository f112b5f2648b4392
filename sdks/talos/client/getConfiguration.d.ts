import * as pulumi from "@pulumi/pulumi";
import * as inputs from "../types/input";
import * as outputs from "../types/output";
import { SdkMetadata } from "../utilities";

/**
 * Builds a talosconfig (the `talosctl` client file) from the admin credentials,
 * inside the provider. Promise form: `talosConfig` comes back plain and is NOT
 * tracked as secret; prefer {@link getConfigurationOutput}.
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
 * Builds a talosconfig. Output form: the credentials are sent as a secret and
 * the whole result is secret.
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
  /** Admin credentials for the Talos API (from `machine.Secrets.clientConfiguration`). */
  clientConfiguration: inputs.client.GetConfigurationClientConfiguration;
  /** Context name in the talosconfig; use the cluster name. */
  clusterName: string;
  /** Talos API endpoints `talosctl` connects through (usually the control-plane nodes). */
  endpoints?: string[];
  /** Default target nodes for `talosctl` commands. */
  nodes?: string[];
}

/** Arguments of {@link getConfigurationOutput}; any field may be an Output. */
export interface GetConfigurationOutputArgs {
  /** Admin credentials for the Talos API. Sent as a secret. */
  clientConfiguration: pulumi.Input<inputs.client.GetConfigurationClientConfigurationArgs>;
  /** Context name in the talosconfig; use the cluster name. */
  clusterName: pulumi.Input<string>;
  /** Talos API endpoints `talosctl` connects through. */
  endpoints?: pulumi.Input<pulumi.Input<string>[]>;
  /** Default target nodes for `talosctl` commands. */
  nodes?: pulumi.Input<pulumi.Input<string>[]>;
}

/** Result of {@link getConfiguration} / {@link getConfigurationOutput}. */
export interface GetConfigurationResult {
  /** Echo of the argument. Secret in the Output form. */
  readonly clientConfiguration: outputs.client.GetConfigurationClientConfiguration;
  /** Echo of the argument. */
  readonly clusterName: string;
  /** Echo of the argument. */
  readonly endpoints?: string[];
  /** Provider-assigned ID of this lookup. */
  readonly id: string;
  /** Echo of the argument. */
  readonly nodes?: string[];
  /** The talosconfig file contents (YAML). Secret in the Output form. */
  readonly talosConfig: string;
}
