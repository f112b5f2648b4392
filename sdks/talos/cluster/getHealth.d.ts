import * as pulumi from "@pulumi/pulumi";
import * as inputs from "../types/input";
import * as outputs from "../types/output";
import { SdkMetadata } from "../utilities";

/**
 * Blocks until the Talos cluster passes its health checks (etcd, nodes, and
 * unless skipped, the Kubernetes components), or fails after the read timeout.
 * Useful as a gate before anything that needs a working cluster.
 *
 * Promise form: the echoed credentials come back plain; prefer
 * {@link getHealthOutput}.
 */
export declare function getHealth(
  args: GetHealthArgs,
  opts?: pulumi.InvokeOptions,
): Promise<GetHealthResult>;
export declare namespace getHealth {
  /** Shared with {@link getHealthOutput}; read by the runtime and the conformance test. */
  const metadata: SdkMetadata;
}

/**
 * Blocks until the cluster is healthy. Output form: the credentials are sent as
 * a secret and the whole result is secret (it echoes them).
 */
export declare function getHealthOutput(
  args: GetHealthOutputArgs,
  opts?: pulumi.InvokeOutputOptions,
): pulumi.Output<GetHealthResult>;
export declare namespace getHealthOutput {
  /** Shared with {@link getHealth}; read by the runtime and the conformance test. */
  const metadata: SdkMetadata;
}

/** Arguments of {@link getHealth} (plain values). */
export interface GetHealthArgs {
  /** Admin credentials for the Talos API. */
  clientConfiguration: inputs.cluster.GetHealthClientConfiguration;
  /** Addresses of every control-plane node. */
  controlPlaneNodes: string[];
  /** Talos API endpoints for the check; include at least one control-plane node. */
  endpoints: string[];
  /**
   * Check only Talos and etcd, not the Kubernetes components (e.g. before a CNI exists).
   * @default false
   */
  skipKubernetesChecks?: boolean;
  /** How long to wait. */
  timeouts?: inputs.cluster.GetHealthTimeouts;
  /** Addresses of every worker node. */
  workerNodes?: string[];
}

/** Arguments of {@link getHealthOutput}; any field may be an Output. */
export interface GetHealthOutputArgs {
  /** Admin credentials for the Talos API. Sent as a secret. */
  clientConfiguration: pulumi.Input<inputs.cluster.GetHealthClientConfigurationArgs>;
  /** Addresses of every control-plane node. */
  controlPlaneNodes: pulumi.Input<pulumi.Input<string>[]>;
  /** Talos API endpoints for the check; include at least one control-plane node. */
  endpoints: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * Check only Talos and etcd, not the Kubernetes components.
   * @default false
   */
  skipKubernetesChecks?: pulumi.Input<boolean>;
  /** How long to wait. */
  timeouts?: pulumi.Input<inputs.cluster.GetHealthTimeoutsArgs>;
  /** Addresses of every worker node. */
  workerNodes?: pulumi.Input<pulumi.Input<string>[]>;
}

/** Result of {@link getHealth} / {@link getHealthOutput}; a successful return means healthy. */
export interface GetHealthResult {
  /** Echo of the argument. Secret in the Output form. */
  readonly clientConfiguration: outputs.cluster.GetHealthClientConfiguration;
  /** Echo of the argument. */
  readonly controlPlaneNodes: string[];
  /** Echo of the argument. */
  readonly endpoints: string[];
  /** Provider-assigned ID of this check. */
  readonly id: string;
  /** Echo of the argument. */
  readonly skipKubernetesChecks?: boolean;
  /** Echo of the argument. */
  readonly timeouts?: outputs.cluster.GetHealthTimeouts;
  /** Echo of the argument. */
  readonly workerNodes?: string[];
}
