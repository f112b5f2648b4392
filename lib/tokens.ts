/**
 * Every type token the program registers or calls, named once. The components use
 * their own; the offline engine, the plan, the docs generator and the tests use them
 * all from here.
 */

/** The program's own components. */
export const NODE_VM = "em-infra:proxmox:NodeVm";
export const IMAGES = "em-infra:proxmox:TalosImages";
export const TALOS_CLUSTER = "em-infra:talos:TalosCluster";

/** Provider resources. */
export const VM = "proxmoxve:index/vmLegacy:VmLegacy";
export const FILE = "proxmoxve:download/file:File";
export const SCHEMATIC = "talos:imageFactory/schematic:Schematic";
export const SECRETS = "talos:machine/secrets:Secrets";
export const APPLY = "talos:machine/configurationApply:ConfigurationApply";
export const BOOTSTRAP = "talos:machine/bootstrap:Bootstrap";
export const KUBECONFIG = "talos:cluster/kubeconfig:Kubeconfig";

/** Provider functions. */
export const GET_CONFIG = "talos:machine/getConfiguration:getConfiguration";
export const CLIENT_CONFIG = "talos:client/getConfiguration:getConfiguration";
export const HEALTH = "talos:cluster/getHealth:getHealth";
export const GET_URLS = "talos:imageFactory/getUrls:getUrls";

/** Pulumi's own type for every dynamic resource (the day-two resources). */
export const DYNAMIC = "pulumi-nodejs:dynamic:Resource";
