/**
 * The program's own settings, read from stack configuration. Pure: the caller
 * passes in how to read config, so the rules are tested without a stack.
 */
import * as path from "path";

/** Reads one config value (`namespace:key`), undefined when unset. */
export type ConfigReader = (key: string) => string | undefined;

/** What the program needs before it reads the inventory. */
export interface ProgramSettings {
  /** Absolute path of the inventory folder. */
  readonly inventoryDir: string;
  /**
   * Whether `pulumi up` waits for the cluster to be healthy before it exports the
   * kubeconfig (`em-infra:healthGate`). Off only for an operation the gate would
   * block, such as removing a node (Talos's check fails while the removed node is
   * still a Kubernetes Node). @default true
   */
  readonly healthGate: boolean;
}

/** The config key that turns the health gate off for one operation. */
export const HEALTH_GATE_KEY = "em-infra:healthGate";

/** The config key naming the inventory folder. */
export const INVENTORY_KEY = "em-infra:inventory";

/** A configuration problem; its message says how to fix it. */
export class SettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SettingsError";
  }
}

/**
 * Resolves the program settings.
 * - `em-infra:inventory` names the inventory folder, relative to the project root
 *   unless absolute; without it, `inventory/<stack>`.
 * - The Proxmox endpoint must be set (`proxmoxve:endpoint`, or the provider's
 *   `PROXMOX_VE_ENDPOINT` environment variable).
 * - An API token in config must be stored as a secret.
 */
export function resolveSettings(
  read: ConfigReader,
  isSecret: (key: string) => boolean,
  env: Readonly<Record<string, string | undefined>>,
  stack: string,
  projectRoot: string,
): ProgramSettings {
  const problems: string[] = [];
  const configured = read(INVENTORY_KEY);
  const inventoryDir = path.resolve(projectRoot, configured ?? path.join("inventory", stack));

  if (!read("proxmoxve:endpoint") && !env.PROXMOX_VE_ENDPOINT) {
    problems.push(
      "proxmoxve:endpoint is not set: run `npx pulumi config set proxmoxve:endpoint https://<host>:8006/`",
    );
  }
  if (read("proxmoxve:apiToken") !== undefined && !isSecret("proxmoxve:apiToken")) {
    problems.push(
      "proxmoxve:apiToken is stored in plaintext: run `npx pulumi config set --secret proxmoxve:apiToken <token>`",
    );
  }
  const gate = read(HEALTH_GATE_KEY);
  if (gate !== undefined && gate !== "true" && gate !== "false") {
    problems.push(`${HEALTH_GATE_KEY}: "${gate}" is not true or false`);
  }
  if (problems.length > 0) throw new SettingsError(problems.join("\n"));
  return { inventoryDir, healthGate: gate !== "false" };
}
