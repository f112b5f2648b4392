/**
 * Machine-readable description of one resource or invoke, as implemented by this
 * package. The runtime builds its requests from it and the conformance test
 * compares it with the upstream provider schema.
 */
export interface SdkMetadata {
  /** `"resource"` for a CustomResource class, `"invoke"` for a data-source function pair. */
  readonly kind: "resource" | "invoke";
  /** The provider type token, e.g. `talos:machine/secrets:Secrets`. */
  readonly token: string;
  /** Every input property name the package sends to the provider. */
  readonly inputs: readonly string[];
  /** Inputs that must be present; missing ones throw before anything is registered. */
  readonly requiredInputs: readonly string[];
  /**
   * Inputs wrapped with `pulumi.secret()`: those the schema flags secret plus
   * those whose type contains a secret field at any depth.
   */
  readonly secretInputs: readonly string[];
  /** Every output (resource state or invoke result) property name. */
  readonly outputs: readonly string[];
  /**
   * Outputs kept secret: listed in `additionalSecretOutputs` for resources, or
   * making the whole result secret for the Output form of an invoke. Same rule
   * as {@link SdkMetadata.secretInputs}.
   */
  readonly secretOutputs: readonly string[];
}

/** The provider release this package targets (`0.8.1`). */
export declare const PACKAGE_VERSION: string;
/** Plugin download location passed with every request (`github://api.github.com/pulumiverse`). */
export declare const PLUGIN_DOWNLOAD_URL: string;
