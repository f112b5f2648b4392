import * as proxmoxve from "@muhlba91/pulumi-proxmoxve";
import * as pulumi from "@pulumi/pulumi";
import * as talos from "@pulumiverse/talos";
import { downloadFileName, type ImagesModel } from "../lib/model";
import { diskImageUrl, type SchematicKey } from "../lib/proxmox/images";
import { IMAGES } from "../lib/tokens";

/** Arguments of {@link TalosImages}. */
export interface TalosImagesArgs {
  /** The schematics to build and the downloads to make. */
  readonly images: ImagesModel;
}

/**
 * The Talos images of a cluster: one Image Factory schematic per distinct extension
 * set, and one disk-image download per (Proxmox host, schematic) into the image
 * datastore. Three plain workers on one host share one download.
 */
export class TalosImages extends pulumi.ComponentResource {
  /** Schematic id per schematic key (`base`, `gpu`). */
  public readonly schematicIds: Readonly<Partial<Record<SchematicKey, pulumi.Output<string>>>>;
  /** Installer image per schematic key, for the Talos machine config. */
  public readonly installers: Readonly<Partial<Record<SchematicKey, pulumi.Output<string>>>>;
  /** The downloaded image files, by download key `<host>-<schematic key>`. */
  public readonly files: Readonly<Record<string, proxmoxve.download.File>>;

  constructor(name: string, args: TalosImagesArgs, opts?: pulumi.ComponentResourceOptions) {
    super(IMAGES, name, {}, opts);
    const { images } = args;

    const schematicIds: Partial<Record<SchematicKey, pulumi.Output<string>>> = {};
    const installers: Partial<Record<SchematicKey, pulumi.Output<string>>> = {};
    const diskImages: Partial<Record<SchematicKey, pulumi.Output<string>>> = {};
    for (const plan of images.schematics) {
      const schematic = new talos.imagefactory.Schematic(
        `${name}-${plan.key}`,
        { schematic: plan.schematic },
        { parent: this },
      );
      const urls = talos.imagefactory.getUrlsOutput(
        {
          schematicId: schematic.id,
          talosVersion: images.talosVersion,
          platform: images.platform,
          architecture: images.architecture,
        },
        { parent: this },
      ).urls;
      schematicIds[plan.key] = schematic.id;
      installers[plan.key] = urls.installer;
      diskImages[plan.key] = urls.diskImage;
    }

    const files: Record<string, proxmoxve.download.File> = {};
    for (const download of images.downloads) {
      // The model plans a download only for a schematic it also plans.
      const schematicId = schematicIds[download.schematic]!;
      files[download.key] = new proxmoxve.download.File(
        `${name}-${download.key}`,
        {
          nodeName: download.host,
          datastoreId: images.datastore,
          // `import` content is what a VM disk imports from through the API
          // (`importFrom`), with no SSH to the host.
          contentType: "import",
          url: diskImages[download.schematic]!.apply(diskImageUrl),
          fileName: schematicId.apply((id) => downloadFileName(images, id)),
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
}
