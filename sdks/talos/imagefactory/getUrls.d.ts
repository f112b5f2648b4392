import * as pulumi from "@pulumi/pulumi";
import * as outputs from "../types/output";
import { SdkMetadata } from "../utilities";

/**
 * Computes the Image Factory download URLs (ISO, disk image, PXE, installer
 * image, ...) for a schematic and Talos version. Promise form.
 */
export declare function getUrls(
  args: GetUrlsArgs,
  opts?: pulumi.InvokeOptions,
): Promise<GetUrlsResult>;
export declare namespace getUrls {
  /** Shared with {@link getUrlsOutput}; read by the runtime and the conformance test. */
  const metadata: SdkMetadata;
}

/** Computes the Image Factory download URLs. Output form. */
export declare function getUrlsOutput(
  args: GetUrlsOutputArgs,
  opts?: pulumi.InvokeOutputOptions,
): pulumi.Output<GetUrlsResult>;
export declare namespace getUrlsOutput {
  /** Shared with {@link getUrls}; read by the runtime and the conformance test. */
  const metadata: SdkMetadata;
}

/** Arguments of {@link getUrls} (plain values). */
export interface GetUrlsArgs {
  /**
   * CPU architecture, `amd64` or `arm64`.
   * @default "amd64"
   */
  architecture?: string;
  /** Platform the image is for (`metal`, `nocloud`, `aws`, ...). Set this or `sbc`. */
  platform?: string;
  /** Single-board computer the image is for (`rpi_generic`, ...). Set this or `platform`. */
  sbc?: string;
  /** Schematic ID, e.g. the `id` of an `imagefactory.Schematic`. */
  schematicId: string;
  /** Talos release to build from, e.g. `v1.13.0`. */
  talosVersion: string;
}

/** Arguments of {@link getUrlsOutput}; any field may be an Output. */
export interface GetUrlsOutputArgs {
  /**
   * CPU architecture, `amd64` or `arm64`.
   * @default "amd64"
   */
  architecture?: pulumi.Input<string>;
  /** Platform the image is for (`metal`, `nocloud`, `aws`, ...). Set this or `sbc`. */
  platform?: pulumi.Input<string>;
  /** Single-board computer the image is for. Set this or `platform`. */
  sbc?: pulumi.Input<string>;
  /** Schematic ID, e.g. the `id` of an `imagefactory.Schematic`. */
  schematicId: pulumi.Input<string>;
  /** Talos release to build from, e.g. `v1.13.0`. */
  talosVersion: pulumi.Input<string>;
}

/** Result of {@link getUrls} / {@link getUrlsOutput}. */
export interface GetUrlsResult {
  /** Architecture the URLs are for. */
  readonly architecture: string;
  /** Provider-assigned ID of this lookup. */
  readonly id: string;
  /** Echo of the argument. */
  readonly platform?: string;
  /** Echo of the argument. */
  readonly sbc?: string;
  /** Echo of the argument. */
  readonly schematicId: string;
  /** Echo of the argument. */
  readonly talosVersion: string;
  /** The download URLs. */
  readonly urls: outputs.imagefactory.GetUrlsUrls;
}
