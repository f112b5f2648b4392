/**
 * Facts from the add-ons' release manifests (../shared/upstream/addons/<name>-<tag>/):
 * every object each release ships, as its leaf fields (JSON-pointer path -> value), so
 * that test/addons.test.ts compares the objects lib/addons builds with upstream's, field
 * by field, with no YAML of upstream's kept in the project.
 *
 * - metrics-server's release is its kustomization: the base files with the label every
 *   object gets (`commonLabels`, also on selectors and pod templates) and the release
 *   image (`images`), applied here as kustomize applies them.
 * - A ConfigMap's data: JSON and YAML values are parsed into fields of their own; any
 *   other text (a shell script) is recorded only as present.
 * - NVIDIA's chart values give the node-affinity label keys it schedules on.
 */
import * as fs from "fs";
import * as path from "path";
import { parse, parseAllDocuments } from "yaml";
import type { FactsSource } from "./types";

/** Each release's folder, relative to ../shared/upstream. */
export const ADDON_RELEASES = {
  "nvidia-device-plugin": "addons/nvidia-device-plugin-v0.20.0",
  "local-path-provisioner": "addons/local-path-provisioner-v0.0.37",
  "metrics-server": "addons/metrics-server-v0.9.0",
  "kubelet-serving-cert-approver": "addons/kubelet-serving-cert-approver-v0.11.0",
} as const;

const DEVICE_PLUGIN_STATIC = `${ADDON_RELEASES["nvidia-device-plugin"]}/deployments/static/nvidia-device-plugin.yml`;
const DEVICE_PLUGIN_VALUES = `${ADDON_RELEASES["nvidia-device-plugin"]}/deployments/helm/nvidia-device-plugin/values.yaml`;
const LOCAL_PATH = `${ADDON_RELEASES["local-path-provisioner"]}/deploy/local-path-storage.yaml`;
const METRICS = `${ADDON_RELEASES["metrics-server"]}/manifests`;
const METRICS_BASE = ["apiservice", "deployment", "rbac", "service"].map(
  (f) => `${METRICS}/base/${f}.yaml`,
);
const CERT_APPROVER = `${ADDON_RELEASES["kubelet-serving-cert-approver"]}/deploy/standalone-install.yaml`;

/** An object's leaf fields: JSON-pointer path -> scalar, `[]` or `{}`. */
export type Fields = Record<string, unknown>;

/** One add-on's facts: its objects by `Kind/namespace/name` (namespace empty when cluster-wide). */
export interface AddonFacts {
  readonly objects: Record<string, Fields>;
}

export interface AddonsFacts {
  readonly addons: Record<keyof typeof ADDON_RELEASES, AddonFacts>;
  /** The label keys NVIDIA's chart lets a node match (its required node-affinity terms). */
  readonly devicePluginAffinityKeys: readonly string[];
}

/** `Kind/namespace/name`. */
export function refOf(o: { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } }) {
  return `${String(o.kind)}/${String(o.metadata?.namespace ?? "")}/${String(o.metadata?.name)}`;
}

const pointer = (key: string) => key.replace(/~/g, "~0").replace(/\//g, "~1");

/** The leaf fields of a value: each scalar, and each empty list or map, at its path. */
export function flatten(value: unknown, at = "", out: Fields = {}): Fields {
  if (Array.isArray(value)) {
    if (value.length === 0) out[at] = [];
    value.forEach((v, i) => flatten(v, `${at}/${i}`, out));
  } else if (value !== null && typeof value === "object") {
    const entries = Object.entries(value);
    if (entries.length === 0) out[at] = {};
    for (const [k, v] of entries) flatten(v, `${at}/${pointer(k)}`, out);
  } else out[at] = value;
  return out;
}

/**
 * An object's fields as compared: a ConfigMap's JSON or YAML data parsed into fields,
 * any other data text only as present.
 */
export function objectFields(o: Record<string, unknown>): Fields {
  if (o.kind !== "ConfigMap" || o.data === null || typeof o.data !== "object") return flatten(o);
  const { data, ...rest } = o as { data: Record<string, string> };
  const out = flatten(rest);
  for (const [key, text] of Object.entries(data)) {
    const at = `/data/${pointer(key)}`;
    if (key.endsWith(".json")) flatten(JSON.parse(text), at, out);
    else if (key.endsWith(".yaml") || key.endsWith(".yml")) flatten(parse(text), at, out);
    else out[at] = "(text)";
  }
  return out;
}

/** Every object of a multi-document YAML file. */
function objectsOf(file: string): Record<string, unknown>[] {
  return parseAllDocuments(fs.readFileSync(file, "utf8"))
    .map((d) => d.toJS() as unknown)
    .filter((o): o is Record<string, unknown> => o !== null && typeof o === "object");
}

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** kustomize's `commonLabels`: on every object, and on the selectors and pod templates. */
function withCommonLabels(o: Obj, labels: Record<string, string>): Obj {
  const copy: Obj = JSON.parse(JSON.stringify(o));
  copy.metadata = { ...copy.metadata, labels: { ...(copy.metadata?.labels ?? {}), ...labels } };
  if (["Deployment", "DaemonSet", "StatefulSet", "ReplicaSet"].includes(copy.kind)) {
    copy.spec.selector = {
      ...(copy.spec.selector ?? {}),
      matchLabels: { ...(copy.spec.selector?.matchLabels ?? {}), ...labels },
    };
    copy.spec.template.metadata = {
      ...(copy.spec.template.metadata ?? {}),
      labels: { ...(copy.spec.template.metadata?.labels ?? {}), ...labels },
    };
  }
  if (copy.kind === "Service") copy.spec.selector = { ...(copy.spec.selector ?? {}), ...labels };
  return copy;
}

/** kustomize's `images`: a container whose image is `name` (any tag) takes the new one. */
function withImages(o: Obj, images: { name: string; newName?: string; newTag?: string }[]): Obj {
  const copy: Obj = JSON.parse(JSON.stringify(o));
  for (const c of copy.spec?.template?.spec?.containers ?? []) {
    const name = String(c.image).replace(/:[^:/]+$/, "");
    const hit = images.find((i) => i.name === name);
    if (hit) c.image = `${hit.newName ?? name}:${hit.newTag ?? String(c.image).split(":").pop()}`;
  }
  return copy;
}

function byRef(objects: Obj[]): Record<string, Fields> {
  const out: Record<string, Fields> = {};
  for (const o of objects) out[refOf(o)] = objectFields(o);
  return out;
}

/** The metrics-server release as its overlay renders it. */
function metricsServerObjects(upstreamDir: string): Obj[] {
  const read = (f: string) => parse(fs.readFileSync(path.join(upstreamDir, f), "utf8")) as Obj;
  const base = read(`${METRICS}/base/kustomization.yaml`);
  const release = read(`${METRICS}/components/release/kustomization.yaml`);
  const overlay = read(`${METRICS}/overlays/release/kustomization.yaml`);
  if (!(overlay.components ?? []).some((c: string) => c.endsWith("components/release")))
    throw new Error(`${METRICS}/overlays/release no longer uses components/release`);
  const files = (base.resources as string[]).map((r) => `${METRICS}/base/${r}`);
  return files
    .flatMap((f) => objectsOf(path.join(upstreamDir, f)))
    .map((o) => withImages(withCommonLabels(o, base.commonLabels ?? {}), release.images ?? []));
}

/** The add-on facts source. */
export const addonsFacts: FactsSource = {
  name: "addons",
  origin:
    "the add-ons' release manifests in ../shared/upstream/addons (NVIDIA/k8s-device-plugin v0.20.0, rancher/local-path-provisioner v0.0.37, kubernetes-sigs/metrics-server v0.9.0, alex1989hu/kubelet-serving-cert-approver v0.11.0; tags and commits in that folder's README)",
  files: [
    DEVICE_PLUGIN_STATIC,
    DEVICE_PLUGIN_VALUES,
    LOCAL_PATH,
    `${METRICS}/base/kustomization.yaml`,
    ...METRICS_BASE,
    `${METRICS}/components/release/kustomization.yaml`,
    `${METRICS}/overlays/release/kustomization.yaml`,
    CERT_APPROVER,
  ],
  extract(upstreamDir: string): AddonsFacts {
    const at = (f: string) => path.join(upstreamDir, f);
    const values = parse(fs.readFileSync(at(DEVICE_PLUGIN_VALUES), "utf8")) as Obj;
    const terms =
      values.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution
        ?.nodeSelectorTerms ?? [];
    return {
      addons: {
        "nvidia-device-plugin": { objects: byRef(objectsOf(at(DEVICE_PLUGIN_STATIC))) },
        "local-path-provisioner": { objects: byRef(objectsOf(at(LOCAL_PATH))) },
        "metrics-server": { objects: byRef(metricsServerObjects(upstreamDir)) },
        "kubelet-serving-cert-approver": { objects: byRef(objectsOf(at(CERT_APPROVER))) },
      },
      devicePluginAffinityKeys: terms.flatMap((t: Obj) =>
        (t.matchExpressions ?? []).map((e: Obj) => String(e.key)),
      ),
    };
  },
};
