/**
 * em-infra: the inventory in, a Talos Kubernetes cluster on Proxmox VE out.
 *
 * Wiring only: validate the settings and the inventory, build the cluster model
 * (every decision, and everything that can throw), then declare the components
 * from slices of it. An invalid inventory or configuration creates nothing.
 */
import * as pulumi from "@pulumi/pulumi";
import { NodeVm } from "./components/nodeVm";
import { TalosCluster } from "./components/talosCluster";
import { TalosImages } from "./components/talosImages";
import { InventoryError, formatProblemUnlabelled, loadInventory } from "./lib/inventory";
import { bootstrapCheckInputs, buildClusterModel, rolloutInputs } from "./lib/model";
import { PROJECT_ROOT } from "./lib/projectRoot";
import {
  SettingsError,
  proxmoxApiSettings,
  resolveEndpoints,
  resolveSettings,
} from "./lib/settings";

function load() {
  try {
    const settings = resolveSettings(
      (key) => pulumi.runtime.allConfig()[key],
      isConfigSecret,
      process.env,
      pulumi.getStack(),
      PROJECT_ROOT,
    );
    const inventory = loadInventory(settings.inventoryDir);
    const dial = resolveEndpoints(
      settings,
      inventory.nodes.map((n) => n.name),
    );
    return { settings, inventory, dial, model: buildClusterModel(inventory) };
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

const { settings, inventory, dial, model } = load();
for (const warning of inventory.warnings) {
  void pulumi.log.warn(formatProblemUnlabelled(warning));
}

const images = new TalosImages("talos-images", { images: model.images });
const vms = Object.fromEntries(
  model.nodes.map((node) => [
    node.name,
    new NodeVm(node.name, { node, imageFileId: images.files[node.download].id }).vm,
  ]),
);
const cluster = new TalosCluster(model.name, {
  model: model.talos,
  vms,
  day2: {
    rollout: rolloutInputs(model, pulumi.getStack(), dial),
    bootstrapCheck: bootstrapCheckInputs(model, dial),
    proxmox: proxmoxApiSettings((key) => pulumi.runtime.allConfig()[key], process.env),
  },
  installers: images.installers,
  schematicIds: images.schematicIds,
  healthGate: settings.healthGate,
});

/** Admin kubeconfig. `npx pulumi stack output kubeconfig --show-secrets > kubeconfig` */
export const kubeconfig = cluster.kubeconfig;
/** talosctl configuration. `npx pulumi stack output talosconfig --show-secrets > talosconfig` */
export const talosconfig = cluster.talosconfig;
/** The Kubernetes API endpoint. */
export const endpoint = model.endpoint;
/** Every node: role, Proxmox host, VM id, address, GPU mapping. */
export const nodes = model.nodesOutput;
/** Image Factory schematic id per extension set (`base`, `gpu`). */
export const schematics = images.schematicIds;
export const talosVersion = model.talosVersion;
export const kubernetesVersion = model.kubernetesVersion;
