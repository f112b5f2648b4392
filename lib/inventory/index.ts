/**
 * The inventory: cluster.yaml and nodes.yaml in, a validated and frozen {@link Inventory}
 * out. Pure code with no Pulumi imports, so it is tested and run (`npm run validate`)
 * without a Pulumi engine.
 */
export * from "./types";
export { checkInventory, loadInventory } from "./load";
export type { InventoryCheck } from "./load";
export { formatProblem, formatProblemUnlabelled, InventoryError } from "./problems";
export { deriveMac, isUnicastMac } from "./mac";
export { checkVersions, OLDEST_TALOS_MINOR, TALOS_SUPPORT } from "./versions";
export type { TalosSupport, VersionCheck } from "./versions";
export { findProjectRoot, schemaFile } from "./schema";
export * as ipv4 from "./ipv4";
export * as defaults from "./defaults";
export { NUMBER_LIMITS } from "./limits";
export type { NumberLimit } from "./limits";
