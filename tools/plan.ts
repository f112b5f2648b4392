/**
 * The offline plan: what `pulumi up` would build, read from what the real program
 * registered under the offline engine. Pure: it turns a run record and the
 * inventory into a plan, text, JSON and a Mermaid flowchart.
 */
import { parse, parseAllDocuments, stringify } from "yaml";
import type { Inventory } from "../lib/inventory/types";
import { buildAddons } from "../lib/addons/objects";
import { hasGpuNodes, operatorPatchesOf } from "../lib/talos/patches";
import type { RecordedInvoke, RecordedResource, RunRecord } from "./offline/engine";
import { isSecretWrapper, unwrapSecrets } from "./offline/secretSig";
import { buildClusterModel } from "../lib/model";
import type { SchematicKey } from "../lib/proxmox/images";
import { TERMINAL_WIDTH, fit, table } from "./cli";
import type { Removal } from "./stateFile";
import * as tokens from "../lib/tokens";

/** One step of the deploy, in the order the engine can run them. */
export type Stage =
  "image" | "vm" | "secrets" | "apply" | "bootstrap" | "day2" | "kubeconfig" | "health";

/** Each provider type token's stage, and its short label in the flowchart. */
const TYPES: Readonly<Record<string, { readonly stage: Stage; readonly label: string }>> = {
  [tokens.SCHEMATIC]: { stage: "image", label: "Schematic" },
  [tokens.FILE]: { stage: "image", label: "download.File" },
  [tokens.VM]: { stage: "vm", label: "VmLegacy" },
  [tokens.SECRETS]: { stage: "secrets", label: "machine.Secrets" },
  [tokens.APPLY]: { stage: "apply", label: "ConfigurationApply" },
  [tokens.BOOTSTRAP]: { stage: "bootstrap", label: "Bootstrap" },
  [tokens.KUBECONFIG]: { stage: "kubeconfig", label: "Kubeconfig" },
  [tokens.HEALTH]: { stage: "health", label: "getHealth" },
  [tokens.DYNAMIC]: { stage: "day2", label: "dynamic" },
};

/** The stage of a type token, if the plan knows it. */
const stageOf = (token: string): Stage | undefined => TYPES[token]?.stage;

/** What a stage does, for the printed plan. */
const STAGE_TEXT: Readonly<Record<Stage, string>> = {
  image: "Image Factory schematics, and Talos disk images downloaded to each host",
  vm: "one VM per node, booted from its image",
  secrets: "the cluster's machine secrets (PKI and tokens), protected",
  apply: "each node's machine configuration, applied at its own address",
  bootstrap: "etcd bootstrapped once, on the first control plane",
  day2: "the bootstrap check (etcd came up), and the rollout, which on a new cluster only records",
  kubeconfig: "the admin kubeconfig",
  health: "the health gate: the kubeconfig output resolves only once the cluster is healthy",
};

/** A node as the plan shows it. */
export interface PlanNode {
  readonly name: string;
  readonly role: string;
  readonly host: string;
  readonly vmId: number;
  readonly ip: string;
  readonly cores: number;
  readonly memoryMiB: number;
  readonly diskGiB: number;
  readonly gpu: string | null;
  readonly protect: boolean;
  /** Schematic key (`base`, `gpu`) and the id the offline engine computed for it. */
  readonly schematic: string;
  readonly schematicId: string | null;
  /**
   * The installer image a Talos upgrade of the node pulls: its schematic's, at the
   * inventory's Talos version (as the offline run resolved it; null when unknown).
   */
  readonly installer: string | null;
  /**
   * The Talos patch documents applied to the node, as YAML. em-infra's hold no secrets;
   * the operator's own (the last `operatorPatches.length`) show their values only for
   * the fields of {@link SHOWN_PATCH_FIELDS}, every other value {@link HIDDEN}.
   */
  readonly patches: readonly string[];
  /**
   * Each of the operator's own patches (the last of `patches`): the inventory list entry
   * that applies it (`talos.patches[0]`, `talos.workerPatches[1]`, `nodes[2] "w-1".patches[0]`)
   * and where its document is written (`file:line:col`).
   */
  readonly operatorPatches: readonly { readonly from: string; readonly origin: string }[];
}

/** A step of the deploy order. */
export interface PlanStage {
  readonly stage: Stage;
  readonly description: string;
  /** `type::name` of each resource (or function) in the stage. */
  readonly items: readonly string[];
}

/** A node of the dependency graph: a resource or the health gate. */
export interface GraphNode {
  readonly id: string;
  readonly type: string;
  readonly name: string;
  readonly stage?: Stage;
}

/** The plan. */
export interface Plan {
  readonly cluster: string;
  readonly endpoint: string;
  readonly talosVersion: string;
  readonly kubernetesVersion: string;
  /** The SCSI controller of every VM. */
  readonly scsiController: string;
  readonly nodes: readonly PlanNode[];
  /** Resource counts by type token, components included. */
  readonly resources: Readonly<Record<string, number>>;
  readonly order: readonly PlanStage[];
  readonly graph: {
    readonly nodes: readonly GraphNode[];
    readonly edges: readonly [string, string][];
  };
  readonly warnings: readonly string[];
  /** The add-ons the inventory turns on (lib/addons), each an inline manifest. */
  readonly addons: readonly { readonly name: string; readonly release: string }[];
  /** How a rolling change after an edit visits the nodes. */
  readonly rollout: {
    readonly maxUnavailableWorkers: number;
    readonly batches: readonly (readonly string[])[];
    /** Set when a single control plane means the API is down while it restarts. */
    readonly apiDowntime: boolean;
  };
  /**
   * The nodes the edit removes, from the stack's local state; null when there is no
   * state to compare with (a new stack, or state kept elsewhere).
   */
  readonly removals: { readonly state: string; readonly nodes: readonly Removal[] } | null;
  /**
   * The edit judged against the deployed stack by the rollout's own refusal rules (the
   * words `pulumi preview` fails with), or why it could not be compared.
   */
  readonly compared: Comparison;
}

/** The plan's comparison with the deployed stack. */
export type Comparison =
  | {
      readonly state: string;
      readonly refusals: readonly string[];
      /**
       * The VMs a hardware edit restarts through Proxmox, in the rollout's order, each
       * as `<node> (<place>): <what changed>`.
       */
      readonly hardware: readonly string[];
    }
  | { readonly state: null; readonly why: string };

/**
 * The rollout's inputs as the run registered them, as the dynamic-provider host would
 * hand them to its `diff` (secrets unwrapped, `__provider` left out).
 */
export function rolloutInputsOf(record: RunRecord): Record<string, unknown> | undefined {
  const r = record.resources.find((x) => x.type === tokens.DYNAMIC && x.name.endsWith("-rollout"));
  if (r === undefined) return undefined;
  const { __provider: _p, ...rest } = unwrapSecrets(r.inputs) as Record<string, unknown>;
  return rest;
}

/** What replaces a secret in anything the plan prints. */
export const REDACTED = "[secret]";

/** Replaces every secret in a wire-form value with {@link REDACTED}. */
export function redact(v: unknown): unknown {
  if (isSecretWrapper(v)) return REDACTED;
  if (Array.isArray(v)) return v.map(redact);
  if (typeof v === "object" && v !== null) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, redact(x)]));
  }
  return v;
}

const key = (r: { type: string; name: string }) => `${r.type}::${r.name}`;

/**
 * The installer image of each schematic key, as the run resolved it: the schematic
 * ids are the `schematics` stack output, and each id's installer is what the Image
 * Factory URLs function returned for it.
 */
export function installersOf(record: RunRecord): Partial<Record<SchematicKey, string>> {
  const ids = (unwrapSecrets(record.stackOutputs.schematics) ?? {}) as Record<string, string>;
  const installers: Partial<Record<SchematicKey, string>> = {};
  for (const [schematic, id] of Object.entries(ids)) {
    const call = record.invokes.find(
      (i) => i.token === tokens.GET_URLS && unwrapSecrets(i.args.schematicId) === id,
    );
    const urls = unwrapSecrets(call?.result.urls) as { installer?: string } | undefined;
    if (urls?.installer) installers[schematic as SchematicKey] = urls.installer;
  }
  return installers;
}

/**
 * Builds the plan from one run of the program over `inventory`: the graph and the
 * resources from the run, each node's patches from the model with the installer
 * the run resolved for its schematic.
 */
export function buildPlan(
  inventory: Inventory,
  record: RunRecord,
  removals: Plan["removals"] = null,
  compared: Comparison = { state: null, why: "no state was given" },
): Plan {
  const model = buildClusterModel(inventory);
  const installers = installersOf(record);
  const custom = record.resources.filter((r) => r.custom);
  const schematicIds = (unwrapSecrets(record.stackOutputs.schematics) ?? {}) as Record<
    string,
    string
  >;

  const resources: Record<string, number> = {};
  for (const r of record.resources) {
    if (r.type === "pulumi:pulumi:Stack") continue;
    resources[r.type] = (resources[r.type] ?? 0) + 1;
  }

  const health = record.invokes.filter((i) => stageOf(i.token) === "health");
  const order = stagesOf(custom, health);
  const byUrn = new Map(record.resources.map((r) => [r.urn, r]));
  const graphNodes: GraphNode[] = [
    ...custom.map((r) => ({ id: key(r), type: r.type, name: r.name, stage: stageOf(r.type) })),
    ...health.map((h, i) => ({
      id: `${h.token}::${i}`,
      type: h.token,
      name: "health",
      stage: "health" as const,
    })),
  ];
  const edges: [string, string][] = [];
  for (const r of custom) {
    for (const dep of [...new Set(r.dependencies)].sort()) {
      const d = byUrn.get(dep);
      if (d?.custom) edges.push([key(d), key(r)]);
    }
  }
  health.forEach((h, i) => {
    for (const dep of [...new Set(h.dependencies)].sort()) {
      const d = byUrn.get(dep);
      if (d?.custom) edges.push([key(d), `${h.token}::${i}`]);
    }
  });

  return {
    cluster: inventory.cluster.name,
    endpoint: inventory.endpoint.url,
    talosVersion: inventory.cluster.talos.version,
    kubernetesVersion: inventory.cluster.kubernetes.version,
    scsiController: inventory.cluster.proxmox.scsiController,
    nodes: inventory.nodes.map((n, i) => {
      const node = model.nodes[i];
      const schematic = node.schematic;
      // The operator's own patches come last: every node's, the role's, then the node's.
      const own = operatorPatchesOf(inventory.cluster, n);
      const firstOwn = node.renderedPatches.length - own.length;
      return {
        name: n.name,
        role: n.role,
        host: n.host,
        vmId: n.vmId,
        ip: n.ip,
        cores: n.sizing.cores,
        memoryMiB: n.sizing.memoryMiB,
        diskGiB: n.sizing.diskGiB,
        gpu: n.gpu?.mapping ?? null,
        protect: n.protect,
        schematic,
        schematicId: schematicIds[schematic] ?? null,
        installer: installers[schematic] ?? null,
        // The operator's values are shown only for fields known to be harmless.
        patches: node.renderedPatches.map((p, j) => (j >= firstOwn ? redactSecrets(p) : p)),
        operatorPatches: own.map((p) => ({ from: p.from ?? "", origin: p.origin })),
      };
    }),
    resources,
    order,
    graph: { nodes: graphNodes, edges },
    removals,
    compared,
    addons: buildAddons(inventory.cluster, hasGpuNodes(inventory.nodes)).map((a) => ({
      name: a.name,
      release: a.release,
    })),
    rollout: {
      maxUnavailableWorkers: model.rollout.maxUnavailableWorkers,
      batches: model.rollout.batches,
      apiDowntime: model.nodes.filter((n) => n.role === "controlplane").length === 1,
    },
    warnings: record.logs.filter((l) => l.severity !== "info").map((l) => l.message),
  };
}

/**
 * Orders the stages by how deep their resources sit in the dependency graph, so
 * the printed order is read from the graph, not assumed.
 */
function stagesOf(custom: RecordedResource[], health: RecordedInvoke[]): PlanStage[] {
  const byUrn = new Map(custom.map((r) => [r.urn, r]));
  const depth = new Map<string, number>();
  const depthOf = (r: RecordedResource): number => {
    const known = depth.get(r.urn);
    if (known !== undefined) return known;
    depth.set(r.urn, 0);
    const deps = r.dependencies.map((u) => byUrn.get(u)).filter((d) => d !== undefined);
    const d = deps.length === 0 ? 0 : 1 + Math.max(...deps.map(depthOf));
    depth.set(r.urn, d);
    return d;
  };
  const stages = new Map<Stage, { min: number; items: string[] }>();
  const add = (stage: Stage, d: number, item: string) => {
    const s = stages.get(stage) ?? { min: Infinity, items: [] };
    s.min = Math.min(s.min, d);
    s.items.push(item);
    stages.set(stage, s);
  };
  for (const r of custom) {
    const stage = stageOf(r.type);
    if (stage) add(stage, depthOf(r), key(r));
  }
  for (const h of health) {
    const deps = h.dependencies.map((u) => byUrn.get(u)).filter((d) => d !== undefined);
    add("health", 1 + Math.max(0, ...deps.map(depthOf)), `${h.token}`);
  }
  return [...stages.entries()]
    .sort(([, a], [, b]) => a.min - b.min)
    .map(([stage, s]) => ({ stage, description: STAGE_TEXT[stage], items: s.items }));
}

/**
 * The longest chain of steps that must run one after another before the
 * kubeconfig output resolves (it waits for the health gate), and the chain.
 */
export function longestChain(record: RunRecord): string[] {
  const custom = record.resources.filter((r) => r.custom);
  const byUrn = new Map(custom.map((r) => [r.urn, r]));
  const best = new Map<string, string[]>();
  const chainTo = (r: RecordedResource): string[] => {
    const known = best.get(r.urn);
    if (known) return known;
    best.set(r.urn, [key(r)]);
    let longest: string[] = [];
    for (const u of r.dependencies) {
      const d = byUrn.get(u);
      if (!d) continue;
      const c = chainTo(d);
      if (c.length > longest.length) longest = c;
    }
    const chain = [...longest, key(r)];
    best.set(r.urn, chain);
    return chain;
  };
  const gate = record.invokes.find((i) => stageOf(i.token) === "health");
  const starts = gate
    ? gate.dependencies.map((u) => byUrn.get(u)).filter((d) => d !== undefined)
    : custom;
  let longest: string[] = [];
  for (const r of starts) {
    const c = chainTo(r);
    if (c.length > longest.length) longest = c;
  }
  return gate ? [...longest, gate.token] : longest;
}

/** The plan as text for a terminal. */
export function renderPlanText(plan: Plan, width = TERMINAL_WIDTH): string {
  const out: string[] = [];
  out.push(`em-infra plan for cluster ${plan.cluster} (offline: no Proxmox, no credentials)`);
  out.push("");
  out.push(`endpoint    ${plan.endpoint}`);
  out.push(`talos       ${plan.talosVersion}`);
  out.push(`kubernetes  ${plan.kubernetesVersion}`);
  out.push(`scsi        ${plan.scsiController}`);
  out.push("schematics  ids are computed offline; the Image Factory assigns the real ones");
  for (const w of plan.warnings) out.push(`warning     ${w}`);
  out.push("");
  out.push("Nodes");
  out.push(
    ...table(
      [
        [
          "name",
          "role",
          "host",
          "vmId",
          "ip",
          "cpu",
          "memory",
          "disk",
          "gpu",
          "protect",
          "schematic",
        ],
        ...plan.nodes.map((n) => [
          n.name,
          n.role,
          n.host,
          String(n.vmId),
          n.ip,
          String(n.cores),
          `${n.memoryMiB} MiB`,
          `${n.diskGiB} GiB`,
          n.gpu ?? "-",
          n.protect ? "yes" : "no",
          `${n.schematic} ${n.schematicId ? n.schematicId.slice(0, 12) : "?"}`,
        ]),
      ],
      width - 2,
    ).map((l) => `  ${l}`),
  );
  out.push("");
  out.push("Resources");
  out.push(
    ...table(
      Object.entries(plan.resources)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([t, n]) => [String(n), t]),
    ).map((l) => `  ${l}`),
  );
  out.push("");
  out.push(
    `Rolling changes after an edit (control planes one at a time, the bootstrap node last; ` +
      `then at most ${plan.rollout.maxUnavailableWorkers} worker(s) at once)`,
  );
  plan.rollout.batches.forEach((batch, i) => out.push(`  ${i + 1}. ${batch.join(", ")}`));
  if (plan.rollout.apiDowntime) {
    out.push(
      "  warning: one control plane: the Kubernetes API is down while it restarts in a rollout",
    );
  }
  out.push("");
  out.push(...addonLines(plan), "");
  if (plan.removals && plan.removals.nodes.length > 0) {
    out.push(`Removed from the inventory (against ${plan.removals.state})`);
    for (const r of plan.removals.nodes) {
      out.push(
        r.protected
          ? `  ${r.name} (${r.role}): REFUSED: protected; set protect: false and run pulumi up first`
          : `  ${r.name} (${r.role}): decommissioned by the rollout (drain, reset, out of etcd, Node deleted), then its VM deleted`,
      );
    }
    out.push("");
  }
  if (plan.compared.state === null) {
    out.push(`Not compared with a deployed stack: ${plan.compared.why}`, "");
  } else if (plan.compared.refusals.length === 0) {
    out.push(
      `Against the deployed stack (${plan.compared.state}): nothing the rollout refuses`,
      "",
    );
  } else {
    out.push(
      `REFUSED against the deployed stack (${plan.compared.state}): pulumi preview fails with`,
      ...plan.compared.refusals.map((r) => `  ${r}`),
      "",
    );
  }
  if (plan.compared.state !== null && plan.compared.hardware.length > 0) {
    out.push(
      "VM hardware: the rollout restarts these VMs through the Proxmox API, in this order, each cordoned, drained, rebooted, Ready and uncordoned before the next batch",
      ...plan.compared.hardware.map((h, i) => `  ${i + 1}. ${h}`),
      "",
    );
  }
  out.push("Deploy order");
  plan.order.forEach((s, i) => {
    out.push(`  ${i + 1}. ${s.stage}: ${s.description} (${s.items.length})`);
  });
  out.push("");
  out.push(
    `Talos patches per node (your own patches show the fields they set; their values are ${HIDDEN} but for sysctls, sysfs, and kernel module and inline manifest names)`,
  );
  // Prose is folded to the width; the patches are YAML, printed as they are.
  const text = fit(out, width);
  // Every control plane carries the same add-on patches: each text is read once.
  const summaries = new Map<string, string[] | null>();
  for (const n of plan.nodes) {
    text.push(`  ${n.name}:`);
    const firstOwn = n.patches.length - n.operatorPatches.length;
    for (const [j, p] of n.patches.entries()) {
      const own = j >= firstOwn ? n.operatorPatches[j - firstOwn] : undefined;
      text.push(
        own === undefined ? "    ---" : `    --- # your patch ${own.from}, from ${own.origin}`,
      );
      if (!summaries.has(p)) summaries.set(p, inlineManifestSummary(p));
      const manifests = summaries.get(p) ?? null;
      if (manifests !== null) {
        text.push(...fit(manifests, width));
        continue;
      }
      text.push(
        ...p
          .trimEnd()
          .split("\n")
          .map((l) => `    ${l}`),
      );
    }
  }
  return text.join("\n") + "\n";
}

/** What the plan prints in place of a value of the operator's that it does not show. */
export const HIDDEN = "[redacted]";

/**
 * The fields of an operator's patch whose values the plan shows, as field paths (`*` any
 * key, `[]` any list item). Every other value prints as {@link HIDDEN}: a patch can carry
 * a registry password, a client key, an environment secret, a proxy URL with a password,
 * a header or a whole file, under names no pattern foresees, so the plan shows only
 * what is known to be harmless and gives the rest as field paths alone.
 */
export const SHOWN_PATCH_FIELDS: readonly string[] = [
  "apiVersion",
  "kind",
  "machine.sysctls.*",
  "machine.sysfs.*",
  "machine.kernel.modules[].name",
  "cluster.inlineManifests[].name",
];

const SHOWN = SHOWN_PATCH_FIELDS.map((f) => f.replace(/\[\]/g, ".[]").split("."));

/** Whether the value at `at` (keys, `[]` for a list item) is on the shown list. */
function shownField(at: readonly string[]): boolean {
  return SHOWN.some(
    (rule) =>
      rule.length === at.length && rule.every((k, i) => (k === "*" ? at[i] !== "[]" : k === at[i])),
  );
}

/**
 * An operator's patch (YAML, one or more documents) with every value outside
 * {@link SHOWN_PATCH_FIELDS} replaced by {@link HIDDEN}; the field names stay, so the
 * plan still says what the patch sets.
 */
export function redactSecrets(patch: string): string {
  const hide = (v: unknown, at: readonly string[]): unknown => {
    if (Array.isArray(v)) return v.map((x) => hide(x, [...at, "[]"]));
    if (v !== null && typeof v === "object")
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, hide(x, [...at, k])]));
    return shownField(at) ? v : HIDDEN;
  };
  return parseAllDocuments(patch)
    .map((d) => stringify(hide(d.toJS(), []), { lineWidth: 0 }))
    .join("---\n");
}

/** The add-ons section: what runs, and what turning them on means for a running stack. */
function addonLines(plan: Plan): string[] {
  if (plan.addons.length === 0)
    return ["Add-ons: none (storage.localPath and addons.metricsServer are off, no GPU worker)"];
  const names = plan.addons.map((a) => a.name);
  const out = [
    "Add-ons (inline manifests on the control planes; later changes reach a running cluster through the rollout's manifest sync)",
    ...plan.addons.map((a) => `  ${a.name} ${a.release}`),
  ];
  if (names.includes("metrics-server"))
    out.push(
      "  every kubelet gets rotate-server-certificates: on a stack deployed without it, the next pulumi up changes each node's configuration, applied without a reboot",
    );
  if (names.includes("local-path-provisioner"))
    out.push(
      "  local-path becomes the default StorageClass: if you run a default StorageClass of your own, set storage.localPath: false",
    );
  return out;
}

/**
 * A patch that only adds inline manifests, as one line a manifest naming its objects
 * (`Kind namespace/name`): their full text is the add-ons' (lib/addons) and would not
 * fit a terminal. Null for any other patch.
 */
export function inlineManifestSummary(patch: string): string[] | null {
  // Most patches are something else: their text cannot hold the key without naming it
  // (renderPatch writes keys plain), so they need no parse.
  if (!patch.includes("inlineManifests")) return null;
  const doc = parse(patch) as { cluster?: { inlineManifests?: unknown } } | null;
  const list = doc?.cluster?.inlineManifests;
  if (doc === null || Object.keys(doc).length !== 1 || Object.keys(doc.cluster ?? {}).length !== 1)
    return null;
  if (!Array.isArray(list)) return null;
  const lines = ["    cluster.inlineManifests (the objects each holds):"];
  for (const m of list as { name?: unknown; contents?: unknown }[]) {
    const objects = parseAllDocuments(String(m.contents ?? ""))
      .map((d) => d.toJS() as { kind?: string; metadata?: { name?: string; namespace?: string } })
      .filter((o) => o !== null && typeof o === "object" && !Array.isArray(o))
      .map(
        (o) =>
          `${o.kind} ${o.metadata?.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata?.name}`,
      );
    lines.push(`      - ${String(m.name)}: ${objects.join(", ")}`);
  }
  return lines;
}

/** The dependency graph as a Mermaid flowchart (left to right), for GitHub to render. */
export function renderMermaid(plan: Plan): string {
  const ids = new Map(plan.graph.nodes.map((n, i) => [n.id, `n${i}`]));
  const lines = ["flowchart LR"];
  for (const n of plan.graph.nodes) {
    const label = `${TYPES[n.type]?.label ?? n.type}<br/>${n.name}`;
    const shape = n.stage === "health" ? `{{"${label}"}}` : `["${label}"]`;
    lines.push(`  ${ids.get(n.id)}${shape}`);
  }
  // The kubeconfig stack output reads the Kubeconfig resource and waits for the gate.
  const gate = plan.graph.nodes.find((n) => n.stage === "health");
  const kubeconfig = plan.graph.nodes.find((n) => n.stage === "kubeconfig");
  if (gate && kubeconfig) {
    lines.push(`  kubeconfig_output(["stack output: kubeconfig"])`);
    lines.push(`  ${ids.get(gate.id)} --> kubeconfig_output`);
    lines.push(`  ${ids.get(kubeconfig.id)} --> kubeconfig_output`);
  }
  const seen = new Set<string>();
  for (const [from, to] of plan.graph.edges) {
    const edge = `  ${ids.get(from)} --> ${ids.get(to)}`;
    if (!seen.has(edge)) lines.push(edge);
    seen.add(edge);
  }
  return lines.join("\n") + "\n";
}

/** The plan as JSON: the same content, machine-readable. */
export function renderPlanJson(plan: Plan): string {
  return JSON.stringify(plan, null, 2) + "\n";
}
