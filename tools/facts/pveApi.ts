/**
 * Facts from the Proxmox VE API schema (pve-docs' apidata.js, PVE 9.1.3): for each
 * endpoint the rollout's Proxmox client calls, its path, method, parameters, return
 * shape, permission check and whether an API token may call it. The fake Proxmox API
 * (packages/day2/fake/pve.js) serves exactly these, and tests check the client against
 * them.
 */
import * as fs from "fs";
import * as path from "path";
import { sortKeys } from "./json";
import type { FactsSource } from "./types";

const FILE = "pve-api-9.1.3/apidata.js";

/** The endpoints recorded: what packages/day2/lib/pve.js calls. */
export const PVE_API_ENDPOINTS = [
  ["POST", "/access/ticket"],
  ["GET", "/access/permissions"],
  ["GET", "/nodes/{node}/qemu/{vmid}/pending"],
  ["GET", "/nodes/{node}/qemu/{vmid}/status/current"],
  ["POST", "/nodes/{node}/qemu/{vmid}/status/reboot"],
  ["GET", "/nodes/{node}/tasks/{upid}/status"],
] as const;

/** One parameter or returned property, without its prose. */
export interface PveField {
  readonly type?: string;
  readonly optional?: number;
  readonly format?: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly enum?: readonly string[];
  readonly pattern?: string;
}

/** A return shape, reduced to types and property names. */
export interface PveReturns {
  readonly type?: string;
  readonly properties?: Readonly<Record<string, PveField>>;
  readonly items?: PveReturns;
  /** Upstream's own words, kept when the shape says nothing more (e.g. a map). */
  readonly description?: string;
}

/** One endpoint's facts. */
export interface PveEndpoint {
  readonly method: string;
  readonly path: string;
  /** The API method's name (`vm_reboot`), as `pvesh` shows it. */
  readonly name: string;
  readonly description: string;
  /** Whether an API token may call it (`allowtoken`). */
  readonly allowtoken: boolean;
  readonly parameters: Readonly<Record<string, PveField>>;
  /**
   * `check: ["perm", path, [privileges]]` when a privilege on a path is required, or
   * `user: "all" | "world"` when anyone (authenticated) may call it.
   */
  readonly permissions: {
    readonly check?: readonly [string, string, readonly string[]];
    readonly user?: string;
    readonly description?: string;
  };
  readonly returns: PveReturns;
}

/** The facts in test/facts/pve-api.json. */
export interface PveApiFacts {
  readonly endpoints: readonly PveEndpoint[];
}

interface RawNode {
  path: string;
  info?: Record<string, RawMethod>;
  children?: RawNode[];
}
interface RawMethod {
  name: string;
  description: string;
  allowtoken?: number;
  parameters?: { properties?: Record<string, Record<string, unknown>> };
  permissions?: { check?: unknown[]; user?: string; description?: string };
  returns?: Record<string, unknown>;
}

const FIELD_KEYS = ["type", "optional", "format", "minimum", "maximum", "enum", "pattern"];

function field(raw: Record<string, unknown>): PveField {
  const out: Record<string, unknown> = {};
  for (const k of FIELD_KEYS) if (raw[k] !== undefined) out[k] = raw[k];
  return out as PveField;
}

function returns(raw: Record<string, unknown> | undefined): PveReturns {
  if (raw === undefined) return {};
  const out: Record<string, unknown> = {};
  if (raw.type !== undefined) out.type = raw.type;
  const props = raw.properties as Record<string, Record<string, unknown>> | undefined;
  if (props !== undefined)
    out.properties = Object.fromEntries(Object.entries(props).map(([k, v]) => [k, field(v)]));
  if (raw.items !== undefined) out.items = returns(raw.items as Record<string, unknown>);
  if (props === undefined && raw.items === undefined && typeof raw.description === "string")
    out.description = raw.description;
  return out as PveReturns;
}

/** Parses apidata.js: `const apiSchema = [ ... ];` around JSON. */
export function parseApiData(text: string): RawNode[] {
  const start = text.indexOf("[");
  const end = text.lastIndexOf("]");
  if (start < 0 || end < start) throw new Error(`${FILE}: no apiSchema array found`);
  return JSON.parse(text.slice(start, end + 1)) as RawNode[];
}

export const pveApiFacts: FactsSource = {
  name: "pve-api",
  origin:
    "Proxmox VE API schema (pve-docs api-viewer/apidata.js) of pve-manager 9.1.3, as served by pve.proxmox.com/pve-docs/api-viewer",
  files: [FILE],
  extract(upstreamDir: string): PveApiFacts {
    const tree = parseApiData(fs.readFileSync(path.join(upstreamDir, FILE), "utf8"));
    const byPath = new Map<string, RawNode>();
    const walk = (nodes: RawNode[]) => {
      for (const n of nodes) {
        byPath.set(n.path, n);
        if (n.children) walk(n.children);
      }
    };
    walk(tree);
    const endpoints = PVE_API_ENDPOINTS.map(([method, p]): PveEndpoint => {
      const m = byPath.get(p)?.info?.[method];
      if (m === undefined) throw new Error(`${FILE}: no ${method} ${p}`);
      const check = m.permissions?.check;
      return sortKeys({
        method,
        path: p,
        name: m.name,
        description: m.description,
        allowtoken: m.allowtoken === 1,
        parameters: Object.fromEntries(
          Object.entries(m.parameters?.properties ?? {}).map(([k, v]) => [k, field(v)]),
        ),
        permissions: {
          ...(Array.isArray(check)
            ? { check: check as unknown as [string, string, string[]] }
            : {}),
          ...(m.permissions?.user === undefined ? {} : { user: m.permissions.user }),
          ...(m.permissions?.description === undefined
            ? {}
            : { description: m.permissions.description }),
        },
        returns: returns(m.returns),
      });
    });
    return { endpoints };
  },
};
