/**
 * em-infra: the inventory in, a Talos Kubernetes cluster on Proxmox VE out.
 *
 * Everything is validated before the first resource is declared, so an invalid
 * inventory or configuration creates nothing.
 */
import * as pulumi from "@pulumi/pulumi";
import { NodeVm } from "./components/nodeVm";
import { TalosCluster } from "./components/talosCluster";
import { TalosImages } from "./components/talosImages";
import { InventoryError, formatProblem, loadInventory } from "./lib/inventory";
import { PROJECT_ROOT } from "./lib/projectRoot";
import { SettingsError, resolveSettings } from "./lib/settings";
import { nodesOutput } from "./lib/outputs";

function load() {
  try {
    const settings = resolveSettings(
      (key) => pulumi.runtime.allConfig()[key],
      isConfigSecret,
      process.env,
      pulumi.getStack(),
      PROJECT_ROOT,
    );
    return { settings, inventory: loadInventory(settings.inventoryDir) };
  } catch (err) {
    // A RunError is printed without a stack trace: the message says it all.
    if (err instanceof InventoryError || err instanceof SettingsError) {
      throw new pulumi.RunError(err.message);
    }
    throw err;
  }
}

/**
 * Whether a config value is stored as a secret. The runtime knows (the engine
 * passes the secret keys), but marks the function internal: if a later SDK drops
 * it, the plaintext-token check is skipped rather than failing every run.
 */
function isConfigSecret(key: string): boolean {
  const probe = (pulumi.runtime as unknown as { isConfigSecret?: (k: string) => boolean })
    .isConfigSecret;
  return probe ? probe(key) : true;
}

const { settings, inventory } = load();
for (const warning of inventory.warnings) {
  void pulumi.log.warn(formatProblem(warning));
}

const images = new TalosImages("talos-images", { inventory });
const vms = Object.fromEntries(
  inventory.nodes.map((node) => [
    node.name,
    new NodeVm(node.name, { inventory, node, image: images.fileFor(node) }),
  ]),
);
const cluster = new TalosCluster(inventory.cluster.name, {
  inventory,
  images,
  vms,
  healthGate: settings.healthGate,
});

/** Admin kubeconfig. `npx pulumi stack output kubeconfig --show-secrets > kubeconfig` */
export const kubeconfig = cluster.kubeconfig;
/** talosctl configuration. `npx pulumi stack output talosconfig --show-secrets > talosconfig` */
export const talosconfig = cluster.talosconfig;
/** The Kubernetes API endpoint. */
export const endpoint = inventory.endpoint.url;
/** Every node: role, Proxmox host, VM id, address, GPU mapping. */
export const nodes = nodesOutput(inventory);
/** Image Factory schematic id per extension set (`base`, `gpu`). */
export const schematics = images.schematicIds;
export const talosVersion = inventory.cluster.talos.version;
export const kubernetesVersion = inventory.cluster.kubernetes.version;
