/**
 * Facts from the proxmoxve provider schema: the structure of the resources the program
 * registers (input and output names, types, nested types, required inputs, secret and
 * replace-on-change flags), and one documented behaviour the change-safety tests rely on.
 */
import { readJson } from "./json";
import { prunePulumiSchema, type PulumiSchemaFacts } from "./pulumiSchema";
import type { FactsSource } from "./types";

const FILE = "proxmoxve-schema.json";

/**
 * The proxmoxve resources the program registers. A test fails when the program
 * registers one that is not listed here.
 */
export const PROXMOXVE_RESOURCES = [
  "proxmoxve:download/file:File",
  "proxmoxve:index/vmLegacy:VmLegacy",
] as const;

/** The facts in test/facts/proxmoxve.json. */
export interface ProxmoxveFacts extends PulumiSchemaFacts {
  /** What the provider documents about a VM whose `nodeName` changes. */
  readonly vmNodeChange: {
    /**
     * The `migrate` input is documented as migrating the VM on a node change instead
     * of re-creating it, that is: without it, the VM is re-created.
     */
    readonly recreatedUnlessMigrate: boolean;
  };
}

export const proxmoxveFacts: FactsSource = {
  name: "proxmoxve",
  origin:
    "github.com/muhlba91/pulumi-proxmoxve provider/cmd/pulumi-resource-proxmoxve/schema.json " +
    "at tag v8.3.0, commit fb7a0201b341a6ddc5a10bb65a4b85472de00440",
  files: [FILE],
  extract(upstreamDir: string): ProxmoxveFacts {
    const schema = readJson<Record<string, unknown>>(upstreamDir, FILE);
    const resources = schema.resources as Record<
      string,
      { inputProperties?: Record<string, { description?: string }> }
    >;
    const migrate = resources["proxmoxve:index/vmLegacy:VmLegacy"]?.inputProperties?.migrate;
    return {
      ...prunePulumiSchema(schema, { resources: PROXMOXVE_RESOURCES, functions: [] }),
      vmNodeChange: {
        recreatedUnlessMigrate: /Migrate the VM on node change instead of re-creating/.test(
          migrate?.description ?? "",
        ),
      },
    };
  },
};
