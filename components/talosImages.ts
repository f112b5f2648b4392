import * as proxmoxve from "@muhlba91/pulumi-proxmoxve";
import * as pulumi from "@pulumi/pulumi";
import * as talos from "@pulumiverse/talos";
import type { Inventory, NodeSpec } from "../lib/inventory/types";
import {
  IMAGE_ARCHITECTURE,
  IMAGE_PLATFORM,
  diskImageUrl,
  downloadKeyOf,
  imageFileName,
  planDownloads,
  planSchematics,
  schematicKeyOf,
  type SchematicKey,
} from "../lib/proxmox/images";
import { IMAGES } from "../lib/tokens";

/** Arguments of {@link TalosImages}. */
export interface TalosImagesArgs {
  /** The validated inventory. */
  readonly inventory: Inventory;
}

/**
 * The Talos images of a cluster: one Image Factory schematic per distinct extension
 * set, and one disk-image download per (Proxmox host, schematic) into
 * `proxmox.imageDatastore`. Three plain workers on one host share one download.
 */
export class TalosImages extends pulumi.ComponentResource {
  /** Schematic id per schematic key (`base`, `gpu`). */
  public readonly schematicIds: Readonly<Partial<Record<SchematicKey, pulumi.Output<string>>>>;
  /** Installer image per schematic key, for the Talos machine config. */
  public readonly installers: Readonly<Partial<Record<SchematicKey, pulumi.Output<string>>>>;
  /** The downloaded image files, by download key `<host>-<schematic key>`. */
  public readonly files: Readonly<Record<string, proxmoxve.download.File>>;

  private readonly inventory: Inventory;

  constructor(name: string, args: TalosImagesArgs, opts?: pulumi.ComponentResourceOptions) {
    super(IMAGES, name, {}, opts);
    const { inventory } = args;
    const { talos: talosSpec, proxmox } = inventory.cluster;
    this.inventory = inventory;

    const schematicIds: Partial<Record<SchematicKey, pulumi.Output<string>>> = {};
    const installers: Partial<Record<SchematicKey, pulumi.Output<string>>> = {};
    const diskImages: Partial<Record<SchematicKey, pulumi.Output<string>>> = {};
    for (const plan of planSchematics(inventory)) {
      const schematic = new talos.imagefactory.Schematic(
        `${name}-${plan.key}`,
        { schematic: plan.schematic },
        { parent: this },
      );
      const urls = talos.imagefactory.getUrlsOutput(
        {
          schematicId: schematic.id,
          talosVersion: talosSpec.version,
          platform: IMAGE_PLATFORM,
          architecture: IMAGE_ARCHITECTURE,
        },
        { parent: this },
      ).urls;
      schematicIds[plan.key] = schematic.id;
      installers[plan.key] = urls.installer;
      diskImages[plan.key] = urls.diskImage;
    }

    const files: Record<string, proxmoxve.download.File> = {};
    for (const download of planDownloads(inventory)) {
      files[download.key] = new proxmoxve.download.File(
        `${name}-${download.key}`,
        {
          nodeName: download.host,
          datastoreId: proxmox.imageDatastore,
          // `import` content is what a VM disk imports from through the API
          // (`importFrom`), with no SSH to the host.
          contentType: "import",
          url: diskImages[download.schematic]!.apply(diskImageUrl),
          fileName: schematicIds[download.schematic]!.apply((id) =>
            imageFileName(inventory.cluster.name, id, talosSpec.version),
          ),
          // Never re-download on a size check: the name already pins the cluster,
          // schematic and version, so a file of that name is the right image.
          overwrite: false,
          // A file of that name left behind by lost state of this same cluster is
          // deleted and downloaded again rather than failing the run.
          overwriteUnmanaged: true,
          uploadTimeout: 1800,
        },
        { parent: this },
      );
    }

    this.schematicIds = schematicIds;
    this.installers = installers;
    this.files = files;
    this.registerOutputs({ schematicIds, installers });
  }

  /** The image file a node's boot disk is created from. */
  public fileFor(node: NodeSpec): proxmoxve.download.File {
    return this.files[downloadKeyOf(this.inventory, node)];
  }

  /** The installer image a node's Talos config installs. */
  public installerFor(node: NodeSpec): pulumi.Output<string> {
    return this.installers[schematicKeyOf(this.inventory, node)]!;
  }

  /** The schematic id of a node's image. */
  public schematicIdFor(node: NodeSpec): pulumi.Output<string> {
    return this.schematicIds[schematicKeyOf(this.inventory, node)]!;
  }
}
