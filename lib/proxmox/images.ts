/**
 * Which Talos images the cluster needs: one Image Factory schematic per distinct
 * set of system extensions, and one download per (Proxmox host, schematic). Pure.
 */
import type { NodeSpec, TalosSpec } from "../inventory/types";

/** The extension sets a node can have. GPU workers add the GPU extensions. */
export type SchematicKey = "base" | "gpu";

/** One Image Factory schematic. */
export interface SchematicPlan {
  /** Stable key; part of every Pulumi name derived from it. */
  readonly key: SchematicKey;
  /** System extensions, sorted, so the schematic id does not depend on list order. */
  readonly extensions: readonly string[];
  /** The schematic document sent to the Image Factory. */
  readonly schematic: string;
  /** The nodes that boot this image, in inventory order. */
  readonly nodes: readonly string[];
}

/** One image download onto one Proxmox host. */
export interface DownloadPlan {
  /** Stable key `<host>-<schematic key>`. */
  readonly key: string;
  readonly host: string;
  readonly schematic: SchematicKey;
}

/** The Image Factory platform and architecture of every image. */
export const IMAGE_PLATFORM = "nocloud";
export const IMAGE_ARCHITECTURE = "amd64";

/** The schematic key of a node's image. */
export function schematicKeyOf(talos: TalosSpec, node: NodeSpec): SchematicKey {
  // When the GPU set adds nothing, GPU workers boot the base image: a distinct
  // schematic only exists for a distinct extension set.
  return node.gpu && extensionsOf(talos, "gpu").length > extensionsOf(talos, "base").length
    ? "gpu"
    : "base";
}

function extensionsOf(talos: TalosSpec, key: SchematicKey): string[] {
  const { extensions, gpuExtensions } = talos;
  const set = new Set(key === "gpu" ? [...extensions, ...gpuExtensions] : extensions);
  return [...set].sort();
}

/** Renders a schematic as the Image Factory expects it. */
export function renderSchematic(extensions: readonly string[]): string {
  const lines = ["customization:", "  systemExtensions:", "    officialExtensions:"];
  if (extensions.length === 0) return "customization: {}\n";
  return [...lines, ...extensions.map((e) => `      - ${e}`)].join("\n") + "\n";
}

/** The schematics in use, base first. */
export function planSchematics(talos: TalosSpec, nodes: readonly NodeSpec[]): SchematicPlan[] {
  const keys: SchematicKey[] = ["base", "gpu"];
  return keys
    .map((key) => {
      const users = nodes.filter((n) => schematicKeyOf(talos, n) === key);
      const extensions = extensionsOf(talos, key);
      return {
        key,
        extensions,
        schematic: renderSchematic(extensions),
        nodes: users.map((n) => n.name),
      };
    })
    .filter((s) => s.nodes.length > 0);
}

/** The downloads needed: each host gets each schematic its nodes boot, once. */
export function planDownloads(talos: TalosSpec, nodes: readonly NodeSpec[]): DownloadPlan[] {
  const seen = new Map<string, DownloadPlan>();
  for (const node of nodes) {
    const schematic = schematicKeyOf(talos, node);
    const key = `${node.host}-${schematic}`;
    if (!seen.has(key)) seen.set(key, { key, host: node.host, schematic });
  }
  return [...seen.values()];
}

/** The download key of a node's image. */
export function downloadKeyOf(talos: TalosSpec, node: NodeSpec): string {
  return `${node.host}-${schematicKeyOf(talos, node)}`;
}

/**
 * The image's file name on the datastore: unique per cluster, schematic and Talos
 * version, so two stacks sharing a datastore never share (or delete) a file. The
 * `.qcow2` suffix is what Proxmox's `import` content type accepts.
 */
export function imageFileName(
  clusterName: string,
  schematicId: string,
  talosVersion: string,
): string {
  const id = schematicId.slice(0, 16);
  return `talos-${clusterName}-${talosVersion}-${id}-${IMAGE_PLATFORM}-${IMAGE_ARCHITECTURE}.qcow2`;
}

/**
 * The disk image to download: the Image Factory's uncompressed QCOW2 of the same
 * image. Proxmox imports a disk through its API only from `import` content, which
 * must be uncompressed; the factory's default link (`….raw.xz`) is compressed, and
 * importing a compressed image would need SSH to the host (`qm disk import`).
 * The factory serves any disk format at the same path by suffix.
 */
export function diskImageUrl(factoryDiskImageUrl: string): string {
  return factoryDiskImageUrl.replace(/\.(raw|qcow2)(\.(tar\.gz|gz|xz|zst))?$/, "") + ".qcow2";
}
