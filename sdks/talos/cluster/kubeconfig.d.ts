import * as pulumi from "@pulumi/pulumi";
import * as inputs from "../types/input";
import * as outputs from "../types/output";
import { SdkMetadata } from "../utilities";

/**
 * Fetches an admin kubeconfig from a bootstrapped control-plane node through the
 * Talos API. The provider regenerates it when the client certificate gets close
 * to expiry (see `certificateRenewalDuration`).
 */
export declare class Kubeconfig extends pulumi.CustomResource {
  /**
   * Looks up an existing Kubeconfig resource.
   * @param name - Name of the resulting resource in this program.
   * @param id - Provider ID of the resource to look up.
   * @param state - Known property values to seed the lookup with.
   * @param opts - Options for the lookup.
   */
  static get(
    name: string,
    id: pulumi.Input<pulumi.ID>,
    state?: KubeconfigState,
    opts?: pulumi.CustomResourceOptions,
  ): Kubeconfig;
  /** True if `obj` is a Kubeconfig resource, even one created by another copy of this package. */
  static isInstance(obj: any): obj is Kubeconfig;
  /** The provider type token. */
  static readonly __pulumiType: string;
  /** What this class sends and marks secret; the runtime and the conformance test both read it. */
  static readonly metadata: SdkMetadata;

  /** How long before expiry the client certificate is renewed. */
  readonly certificateRenewalDuration: pulumi.Output<string>;
  /** Talos API credentials used to fetch the kubeconfig. Secret. */
  readonly clientConfiguration: pulumi.Output<outputs.cluster.KubeconfigClientConfiguration>;
  /** Address the Talos API was reached at. */
  readonly endpoint: pulumi.Output<string>;
  /** The kubeconfig file contents (YAML). Secret. */
  readonly kubeconfigRaw: pulumi.Output<string>;
  /** The kubeconfig split into host, CA, certificate and key. Secret. */
  readonly kubernetesClientConfiguration: pulumi.Output<outputs.cluster.KubeconfigKubernetesClientConfiguration>;
  /** The control-plane node the kubeconfig came from. */
  readonly node: pulumi.Output<string>;
  /** Operation timeouts. */
  readonly timeouts: pulumi.Output<outputs.cluster.KubeconfigTimeouts | undefined>;

  /**
   * Creates a Kubeconfig resource.
   * @param name - Unique name of the resource.
   * @param args - Which node to ask and with which credentials.
   * @param opts - Resource options; `version` and `pluginDownloadURL` default to this package's release.
   */
  constructor(name: string, args: KubeconfigArgs, opts?: pulumi.CustomResourceOptions);
}

/** Input properties of {@link Kubeconfig}. */
export interface KubeconfigArgs {
  /**
   * How long before expiry the client certificate is renewed, as a Go duration.
   * @default "720h"
   */
  certificateRenewalDuration?: pulumi.Input<string>;
  /** Talos API credentials (from `machine.Secrets.clientConfiguration`). Wrapped as secret by this package. */
  clientConfiguration: pulumi.Input<inputs.cluster.KubeconfigClientConfiguration>;
  /**
   * Address to reach the Talos API at.
   * @default the value of `node`
   */
  endpoint?: pulumi.Input<string>;
  /** The control-plane node to fetch the kubeconfig from. */
  node: pulumi.Input<string>;
  /** Operation timeouts. */
  timeouts?: pulumi.Input<inputs.cluster.KubeconfigTimeouts>;
}

/** Properties used to look up an existing {@link Kubeconfig}. */
export interface KubeconfigState {
  /** How long before expiry the client certificate is renewed. */
  certificateRenewalDuration?: pulumi.Input<string>;
  /** Talos API credentials. */
  clientConfiguration?: pulumi.Input<inputs.cluster.KubeconfigClientConfiguration>;
  /** Address the Talos API was reached at. */
  endpoint?: pulumi.Input<string>;
  /** The kubeconfig file contents. */
  kubeconfigRaw?: pulumi.Input<string>;
  /** The kubeconfig split into its parts. */
  kubernetesClientConfiguration?: pulumi.Input<inputs.cluster.KubeconfigKubernetesClientConfiguration>;
  /** The control-plane node the kubeconfig came from. */
  node?: pulumi.Input<string>;
  /** Operation timeouts. */
  timeouts?: pulumi.Input<inputs.cluster.KubeconfigTimeouts>;
}
