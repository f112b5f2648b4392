/**
 * The Talos v1.13 config validator, which lives with the inventory (lib/inventory/talosSchema.ts)
 * since it checks the operator's patches too; the tests check our own patches with it.
 */
export { talosSchema, type TalosSchemaValidator } from "../../lib/inventory/talosSchema";
