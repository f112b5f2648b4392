import * as pulumi from "@pulumi/pulumi";
import { SdkMetadata } from "../utilities";

/**
 * Registers a schematic (system extensions, extra kernel arguments, overlay) with
 * the Talos Image Factory. The resource `id` is the schematic ID that image URLs
 * and installer references are built from (see `imagefactory.getUrls`).
 */
export declare class Schematic extends pulumi.CustomResource {
  /**
   * Looks up an existing Schematic resource.
   * @param name - Name of the resulting resource in this program.
   * @param id - The schematic ID.
   * @param state - Known property values to seed the lookup with.
   * @param opts - Options for the lookup.
   */
  static get(
    name: string,
    id: pulumi.Input<pulumi.ID>,
    state?: SchematicState,
    opts?: pulumi.CustomResourceOptions,
  ): Schematic;
  /** True if `obj` is a Schematic resource, even one created by another copy of this package. */
  static isInstance(obj: any): obj is Schematic;
  /** The provider type token. */
  static readonly __pulumiType: string;
  /** What this class sends and marks secret; the runtime and the conformance test both read it. */
  static readonly metadata: SdkMetadata;

  /** The schematic document (YAML) that was registered. */
  readonly schematic: pulumi.Output<string | undefined>;

  /**
   * Creates a Schematic resource.
   * @param name - Unique name of the resource.
   * @param args - The schematic to register.
   * @param opts - Resource options; `version` and `pluginDownloadURL` default to this package's release.
   */
  constructor(name: string, args?: SchematicArgs, opts?: pulumi.CustomResourceOptions);
}

/** Input properties of {@link Schematic}. */
export interface SchematicArgs {
  /**
   * Schematic document as YAML (`customization:` with `systemExtensions`,
   * `extraKernelArgs`, ...).
   * @default an empty schematic (vanilla Talos)
   */
  schematic?: pulumi.Input<string>;
}

/** Properties used to look up an existing {@link Schematic}. */
export interface SchematicState {
  /** The schematic document (YAML). */
  schematic?: pulumi.Input<string>;
}
