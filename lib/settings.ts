/**
 * The program's own settings, read from stack configuration. Pure: the caller
 * passes in how to read config, so the rules are tested without a stack.
 */
import * as path from "path";
import {
  checkKubernetesEndpoint,
  checkTalosEndpoints,
  formatHostPort,
} from "../packages/day2/lib/endpoints";
import { stackNameProblem } from "../packages/day2/lib/stackName";

/** Reads one config value (`namespace:key`), undefined when unset. */
export type ConfigReader = (key: string) => string | undefined;

/** What the program needs before it reads the inventory. */
export interface ProgramSettings {
  /** Absolute path of the inventory folder. */
  readonly inventoryDir: string;
  /**
   * Whether `pulumi up` waits for the cluster to be healthy before it exports the
   * kubeconfig (`em-infra:healthGate`). Off only for an operation the gate would
   * block, such as repairing a broken cluster; a removal does not need it, since the
   * gate waits for the rollout, which has taken the node out. @default true
   */
  readonly healthGate: boolean;
  /**
   * `em-infra:talosEndpoints` as written: node name to `host:port`, where the day-two
   * resources dial a node's Talos API instead of `<ip>:50000`. Checked against the
   * inventory's nodes by {@link resolveEndpoints}. @default none
   */
  readonly talosEndpoints: unknown;
  /**
   * `em-infra:kubernetesEndpoint` as written: `host:port` the day-two resources dial for
   * the Kubernetes API instead of the kubeconfig's server. @default none
   */
  readonly kubernetesEndpoint: unknown;
}

/** Where the day-two resources dial, checked against the inventory. */
export interface DialSettings {
  /** Node name to `host:port`, only for the nodes that have an override. */
  readonly talosEndpoints: Readonly<Record<string, string>>;
  readonly kubernetesEndpoint: string | null;
}

/**
 * The Proxmox API endpoint, credentials and TLS settings, as the provider reads them:
 * the stack's `proxmoxve:*` configuration, else its `PROXMOX_VE_*` environment
 * variables. The rollout restarts VMs through the same API with them.
 */
export interface ProxmoxApiSettings {
  readonly endpoint: string;
  /** `<user>@<realm>!<tokenid>=<secret>`. */
  readonly apiToken?: string;
  readonly username?: string;
  readonly password?: string;
  readonly insecure?: boolean;
  /** `1.0` to `1.3`; the provider's default is 1.3. */
  readonly minTls?: string;
}

/** Each setting: its stack configuration key and the provider's environment variable. */
const PROXMOX_API_KEYS = [
  ["endpoint", "proxmoxve:endpoint", "PROXMOX_VE_ENDPOINT"],
  ["apiToken", "proxmoxve:apiToken", "PROXMOX_VE_API_TOKEN"],
  ["username", "proxmoxve:username", "PROXMOX_VE_USERNAME"],
  ["password", "proxmoxve:password", "PROXMOX_VE_PASSWORD"],
  ["insecure", "proxmoxve:insecure", "PROXMOX_VE_INSECURE"],
  ["minTls", "proxmoxve:minTls", "PROXMOX_VE_MIN_TLS"],
] as const;

/**
 * The Proxmox API settings the provider uses, however the operator gave them: each
 * from the stack configuration, else from the environment. Pure.
 */
export function proxmoxApiSettings(
  read: ConfigReader,
  env: Readonly<Record<string, string | undefined>>,
): ProxmoxApiSettings {
  const out: Record<string, string | boolean> = {};
  for (const [field, key, variable] of PROXMOX_API_KEYS) {
    const v = read(key) ?? env[variable];
    if (v === undefined || v === "") continue;
    out[field] = field === "insecure" ? v === "true" || v === "1" : v;
  }
  return { endpoint: "", ...out } as ProxmoxApiSettings;
}

/** The config key that turns the health gate off for one operation. */
export const HEALTH_GATE_KEY = "em-infra:healthGate";

/** The config keys that reach the Talos and Kubernetes APIs some other way. */
export const TALOS_ENDPOINTS_KEY = "em-infra:talosEndpoints";
export const KUBERNETES_ENDPOINT_KEY = "em-infra:kubernetesEndpoint";

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
  // The stack names the default inventory folder, the state file and the backups folder.
  const stackProblem = stackNameProblem(stack);
  if (stackProblem !== undefined) throw new SettingsError(`stack: ${stackProblem}`);
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
  const talosEndpoints = parseJsonConfig(read, TALOS_ENDPOINTS_KEY, problems);
  const kubernetesEndpoint = read(KUBERNETES_ENDPOINT_KEY);
  if (problems.length > 0) throw new SettingsError(problems.join("\n"));
  return { inventoryDir, healthGate: gate !== "false", talosEndpoints, kubernetesEndpoint };
}

/**
 * An object-valued config key: Pulumi hands it over as JSON text (set with
 * `npx pulumi config set --path 'em-infra:talosEndpoints.<node>' <host:port>`).
 */
function parseJsonConfig(read: ConfigReader, key: string, problems: string[]): unknown {
  const text = read(key);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    problems.push(`${key}: ${JSON.stringify(text)} is not an object of node name to "host:port"`);
    return undefined;
  }
}

/**
 * Checks the dial overrides against the inventory's node names, every problem at once.
 *
 * @throws SettingsError naming each bad entry: an unknown node, or not `host:port`.
 */
export function resolveEndpoints(
  settings: Pick<ProgramSettings, "talosEndpoints" | "kubernetesEndpoint">,
  nodeNames: readonly string[],
): DialSettings {
  const talos = checkTalosEndpoints(settings.talosEndpoints, nodeNames, TALOS_ENDPOINTS_KEY);
  const kube = checkKubernetesEndpoint(settings.kubernetesEndpoint, KUBERNETES_ENDPOINT_KEY);
  const problems = [...talos.problems, ...kube.problems];
  if (problems.length > 0) throw new SettingsError(problems.join("\n"));
  return {
    talosEndpoints: Object.fromEntries(
      Object.entries(talos.endpoints).map(([name, hp]) => [name, formatHostPort(hp)]),
    ),
    kubernetesEndpoint: kube.endpoint ? formatHostPort(kube.endpoint) : null,
  };
}
