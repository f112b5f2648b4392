/**
 * The operator's own Talos config patches: `talos.patches` (every node),
 * `talos.controlPlanePatches` and `talos.workerPatches` (one role), and `nodes[].patches`
 * (one node). Each entry is a file, relative to the inventory folder
 * (one or more YAML documents), or a document written inline. A document is a fragment
 * of the v1alpha1 machine configuration (no `kind`), merged onto what em-infra renders,
 * or a whole typed v1.13 document (`apiVersion` and `kind`), added beside em-infra's.
 *
 * Every document is checked before anything is created, each problem at the line and
 * column of the field it is about, in the patch file or in the inventory:
 * - against the Talos v1.13 config schema (./talosSchema). The v1alpha1 definitions
 *   declare no required fields, and forbid unknown ones, so a fragment is checked as it
 *   is merged: every field it sets must exist and have the right type where it lands;
 *   the deprecated fields Talos v1.13 still accepts, which that schema leaves out, are
 *   checked against their own table (./deprecatedTalos) and warned about;
 * - for what em-infra owns (addresses, the install image, the endpoint, secrets, the
 *   CNI, the Kubernetes images, the add-ons...): refused, naming the inventory field
 *   that sets it instead;
 * - for forms a strategic merge cannot express faithfully here: `$patch` directives and
 *   JSON 6902 operations are refused.
 *
 * A patch file must lie inside the inventory folder (its real path, symlinks resolved),
 * and no message quotes a patch's values or a file's text, only field paths: a patch may
 * carry a registry password, and a path like `../../.ssh/id_ed25519` must not turn a
 * validation run (a CI log) into a way to read, or print, any file on the machine.
 */
import * as fs from "fs";
import * as path from "path";
import { LineCounter, parseAllDocuments } from "yaml";
import { displayPath, error, warning } from "./problems";
import { shapeErrors, splitDeprecated, type DeprecatedField } from "./deprecatedTalos";
import { formatPath, positionOf, type FieldPath, type SourceFile } from "./source";
import { talosSchema } from "./talosSchema";
import type { OperatorPatch, Problem, SourcePosition } from "./types";

/** What the fields em-infra sets are set by, for the messages. */
const SECRETS =
  "nothing: the cluster's secrets and certificates are the Talos provider's machine secrets";
const IMAGES = "kubernetes.version (the rollout upgrades these images)";
const ADDON = {
  gpu: "a GPU worker in nodes.yaml (it brings the RuntimeClass and the device plugin)",
  storage: "storage.localPath",
  metrics: "addons.metricsServer",
};

/** v1alpha1 fields em-infra sets, and the inventory field to use instead. */
const OWNED_FIELDS: readonly { readonly path: readonly string[]; readonly use: string }[] = [
  { path: ["machine", "type"], use: "nodes[].role" },
  { path: ["machine", "token"], use: SECRETS },
  { path: ["machine", "ca"], use: SECRETS },
  { path: ["machine", "acceptedCAs"], use: SECRETS },
  {
    path: ["machine", "install"],
    use: "talos.version and talos.extensions (every node boots an Image Factory image, already installed)",
  },
  {
    path: ["machine", "network"],
    use: "nodes[].name, nodes[].ip, network and vip (em-infra writes each node's network documents)",
  },
  { path: ["machine", "nodeLabels"], use: "nodes[].labels" },
  { path: ["machine", "nodeTaints"], use: "nodes[].taints" },
  { path: ["machine", "kubelet", "nodeIP"], use: "network.cidr" },
  { path: ["machine", "kubelet", "image"], use: IMAGES },
  { path: ["machine", "kubelet", "extraConfig", "registerWithTaints"], use: "nodes[].taints" },
  {
    path: ["machine", "kubelet", "extraArgs", "rotate-server-certificates"],
    use: ADDON.metrics,
  },
  { path: ["cluster", "id"], use: SECRETS },
  { path: ["cluster", "secret"], use: SECRETS },
  { path: ["cluster", "token"], use: SECRETS },
  { path: ["cluster", "ca"], use: SECRETS },
  { path: ["cluster", "aggregatorCA"], use: SECRETS },
  { path: ["cluster", "serviceAccount"], use: SECRETS },
  { path: ["cluster", "secretboxEncryptionSecret"], use: SECRETS },
  { path: ["cluster", "aescbcEncryptionSecret"], use: SECRETS },
  { path: ["cluster", "acceptedCAs"], use: SECRETS },
  { path: ["cluster", "etcd", "ca"], use: SECRETS },
  { path: ["cluster", "clusterName"], use: "name" },
  {
    path: ["cluster", "controlPlane", "endpoint"],
    use: "vip (the endpoint is the vip, or the first control plane's address)",
  },
  { path: ["cluster", "network", "cni"], use: "kubernetes.cni" },
  { path: ["cluster", "network", "podSubnets"], use: "kubernetes.podSubnets" },
  { path: ["cluster", "network", "serviceSubnets"], use: "kubernetes.serviceSubnets" },
  {
    path: ["cluster", "allowSchedulingOnControlPlanes"],
    use: "kubernetes.allowSchedulingOnControlPlanes",
  },
  { path: ["cluster", "apiServer", "image"], use: IMAGES },
  { path: ["cluster", "controllerManager", "image"], use: IMAGES },
  { path: ["cluster", "scheduler", "image"], use: IMAGES },
  { path: ["cluster", "proxy", "image"], use: IMAGES },
];

/** The inline manifests em-infra writes (lib/addons and the GPU RuntimeClass), by name. */
export const OWNED_INLINE_MANIFESTS: Readonly<Record<string, string>> = {
  "nvidia-runtime-class": ADDON.gpu,
  "nvidia-device-plugin": ADDON.gpu,
  "local-path-provisioner": ADDON.storage,
  "metrics-server": ADDON.metrics,
  "kubelet-serving-cert-approver": ADDON.metrics,
};

/**
 * The link em-infra configures on every node: lib/talos/patches.ts NODE_LINK, which this
 * folder cannot import (a test holds the two equal).
 */
export const OWNED_LINK = "net0";

/** Typed documents em-infra writes: the kind, and which names of it (all when absent). */
const OWNED_KINDS: readonly { kind: string; name?: string; use: string }[] = [
  { kind: "HostnameConfig", use: "nodes[].name" },
  { kind: "LinkConfig", name: OWNED_LINK, use: "nodes[].ip and network" },
  { kind: "LinkAliasConfig", name: OWNED_LINK, use: "nodes[].mac" },
  { kind: "Layer2VIPConfig", use: "vip" },
  { kind: "ResolverConfig", use: "network.nameservers" },
  { kind: "UserVolumeConfig", name: "local-path-provisioner", use: ADDON.storage },
];

/** One document to check, and how to find a field of it in its file. */
interface Located {
  readonly data: unknown;
  /** `talos.patches[0]` or `nodes[1] "w-1".patches[0]`, with the document number of a file. */
  readonly label: string;
  /** Where a field of the document is written. */
  readonly at: (field: FieldPath) => SourcePosition;
}

/**
 * Reads the patches listed at `listPath` in an inventory file and checks each document.
 * @param inventoryDir the folder the file paths are relative to.
 */
export function readPatches(
  source: SourceFile,
  listPath: FieldPath,
  inventoryDir: string,
): { patches: OperatorPatch[]; problems: Problem[] } {
  const list = listPath.reduce<unknown>(
    (v, k) => (v as Record<string | number, unknown> | undefined)?.[k],
    source.data,
  );
  if (!Array.isArray(list)) return { patches: [], problems: [] };
  const patches: OperatorPatch[] = [];
  const problems: Problem[] = [];
  list.forEach((entry, i) => {
    const entryPath = [...listPath, i];
    const label = formatPath(entryPath, source.data);
    let documents: Located[];
    if (typeof entry === "string") {
      const read = readPatchFile(inventoryDir, entry, label);
      if ("problem" in read) {
        problems.push(error(positionOf(source, entryPath), read.problem));
        return;
      }
      problems.push(...read.problems);
      documents = read.documents;
    } else if (entry !== null && typeof entry === "object") {
      documents = [
        {
          data: entry,
          label,
          at: (field) => positionOf(source, [...entryPath, ...field], "key"),
        },
      ];
    } else return; // the schema reports it
    for (const d of documents) {
      const found = checkDocument(d);
      problems.push(...found);
      // Warnings (a deprecated field Talos still accepts) do not stop the patch.
      if (!found.some((p) => p.severity === "error")) {
        const where = d.at([]);
        patches.push({
          origin: `${where.file}:${where.line}:${where.col}`,
          from: label,
          document: d.data as Record<string, unknown>,
        });
      }
    }
  });
  return { patches, problems };
}

/**
 * Where a patch entry points, when that is a regular file inside the inventory folder,
 * or why it is refused. The message names the entry as written and nothing of the file
 * (not even where a symlink leads).
 */
export function confinedPatchFile(
  inventoryDir: string,
  written: string,
  label: string,
): { absolute: string } | { problem: string } {
  const refused = (why: string) => ({
    problem: `${label}: patch file ${JSON.stringify(written)} is refused: ${why}; a patch file must lie in the inventory folder (${displayPath(inventoryDir)}) or below it`,
  });
  const absolute = path.resolve(inventoryDir, written);
  if (!isInside(path.resolve(inventoryDir), absolute))
    return refused(
      path.isAbsolute(written)
        ? "it is outside the inventory folder"
        : "it leads out of the inventory folder",
    );
  let real: string;
  let realDir: string;
  try {
    realDir = fs.realpathSync(inventoryDir);
    real = fs.realpathSync(absolute);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return {
      problem:
        code === "ENOENT"
          ? `${label}: patch file ${JSON.stringify(written)} not found (${displayPath(absolute)}; paths are relative to the inventory folder)`
          : `${label}: patch file ${JSON.stringify(written)} cannot be read (${code ?? "unknown error"})`,
    };
  }
  if (!isInside(realDir, real))
    return refused(
      "it is a symbolic link, or lies under one, that leads out of the inventory folder",
    );
  if (!fs.statSync(real).isFile()) return refused("it is not a regular file");
  return { absolute };
}

/** Whether `inner` is `outer` or lies below it (both absolute, normalized). */
function isInside(outer: string, inner: string): boolean {
  const rel = path.relative(outer, inner);
  return rel !== "" && !rel.startsWith(`..${path.sep}`) && rel !== ".." && !path.isAbsolute(rel);
}

/** A patch file's documents, or why it cannot be read. */
function readPatchFile(
  inventoryDir: string,
  written: string,
  label: string,
): { problem: string } | { documents: Located[]; problems: Problem[] } {
  const found = confinedPatchFile(inventoryDir, written, label);
  if ("problem" in found) return found;
  const { absolute } = found;
  let text: string;
  try {
    text = fs.readFileSync(absolute, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return {
      problem: `${label}: patch file ${JSON.stringify(written)} cannot be read (${code ?? "unknown error"})`,
    };
  }
  const file = displayPath(absolute);
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [];
  const problems: Problem[] = [];
  const documents: Located[] = [];
  list.forEach((doc, n) => {
    if (doc.errors.length > 0) {
      const e = doc.errors[0];
      // The parser's message can quote the text around the error; its code cannot.
      problems.push(
        error(
          { file, ...lineCounter.linePos(syntaxErrorAt(text, e.pos[0])) },
          // The parser's code, not its message: a message can carry a piece of the text.
          `${label}: not valid YAML (${e.code.toLowerCase().replace(/_/g, " ")})`,
        ),
      );
      return;
    }
    const data = doc.toJS();
    if (data === null || data === undefined) return;
    const source: SourceFile = { absolute, file, doc, lineCounter, data };
    documents.push({
      data,
      label: list.length > 1 ? `${label} (${written}, document ${n + 1})` : `${label} (${written})`,
      at: (field) => positionOf(source, field, field.length === 0 ? "value" : "key"),
    });
  });
  if (documents.length === 0 && problems.length === 0)
    return { problem: `${label}: patch file ${JSON.stringify(written)} holds no YAML document` };
  return { documents, problems };
}

/**
 * Where a YAML syntax error is, as an offset: the parser places some (a key indented
 * wrong, `BAD_INDENT`) at the start of the line's indentation, column 1, though what is
 * wrong is the key after it; so leading blanks are skipped to the first character written.
 */
export function syntaxErrorAt(text: string, offset: number): number {
  let at = offset;
  while (at < text.length && (text[at] === " " || text[at] === "\t")) at++;
  return at < text.length && text[at] !== "\n" && text[at] !== "\r" ? at : offset;
}

/**
 * The parser's message without its own `at line L, column C` (the problem carries the
 * position, corrected by {@link syntaxErrorAt}) and without the source excerpt it
 * appends, which would repeat the patch's values.
 */

/** Every problem with one document: its form, what em-infra owns, the Talos schema. */
function checkDocument(d: Located): Problem[] {
  const { data, label, at } = d;
  const isOp = (v: unknown) =>
    v !== null && typeof v === "object" && "op" in v && "path" in (v as object);
  if ((Array.isArray(data) && data.some(isOp)) || isOp(data)) {
    return [
      error(
        at([]),
        `${label}: JSON 6902 patches (op/path lists) are not supported; write the fields as a strategic merge patch (a v1alpha1 fragment or a whole typed document)`,
      ),
    ];
  }
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    return [
      error(
        at([]),
        `${label}: expected a YAML mapping (a config document), got ${kindOfValue(data)}`,
      ),
    ];
  }
  const directive = findKey(data, "$patch");
  if (directive !== undefined) {
    return [
      error(
        at(directive.path),
        `${label}: ${formatPath(directive.path)} is refused: em-infra applies patches as strategic merges that add and change fields; to drop a setting em-infra makes, change the inventory field that makes it`,
      ),
    ];
  }
  const owned = ownedFields(data as Record<string, unknown>);
  if (owned.length > 0) {
    return owned.map((o) =>
      error(at(o.path), `${label}: ${o.shown} is set by em-infra; use ${o.use} instead`),
    );
  }
  const { rest, found } = splitDeprecated(data as Record<string, unknown>);
  return [
    ...found.flatMap((f) => deprecatedProblems(f.field, f.value, label, at)),
    ...schemaErrors(rest, label, at),
  ];
}

/**
 * A deprecated v1alpha1 field Talos v1.13 still accepts (./deprecatedTalos): a warning
 * saying what replaces it, or an error when its value does not fit or it conflicts with
 * what em-infra writes. Messages name the field, never its value.
 */
function deprecatedProblems(
  field: DeprecatedField,
  value: unknown,
  label: string,
  at: Located["at"],
): Problem[] {
  const name = formatPath(field.path);
  if (field.refused !== undefined)
    return [
      error(
        at(field.path),
        `${label}: ${name} is deprecated in Talos v1.13 and refused here: ${field.refused}`,
      ),
    ];
  const bad = shapeErrors(field, value);
  if (bad.length > 0)
    return bad.map((b) => {
      const sub = [...field.path, ...fromPointer(b.pointer)];
      return error(
        at(sub),
        `${label}: ${formatPath(sub)}: not valid Talos v1.13 configuration (${name}, deprecated): ${b.message}`,
      );
    });
  return [
    warning(
      at(field.path),
      `${label}: ${name} is deprecated in Talos v1.13, which still accepts it; ${field.advice}`,
    ),
  ];
}

/** The document's problems against the Talos v1.13 schema. */
function schemaErrors(data: object, label: string, at: Located["at"]): Problem[] {
  return talosSchema()
    .documentErrors(data)
    .map((e) => {
      const field = fromPointer(e.pointer);
      // The field and what kind of value it holds; never the value (it may be a secret).
      const shown =
        field.length === 0 ? "" : ` ${formatPath(field)} (${kindOfValue(valueAt(data, field))}):`;
      return error(
        at(field),
        `${label}:${shown} not valid Talos v1.13 configuration: ${e.message}`,
      );
    });
}

/**
 * What em-infra owns that the document sets, each with how a message shows it: the
 * field path, and only em-infra's own names beside it (an owned kind, link or manifest
 * name), never a value of the patch's.
 */
function ownedFields(
  doc: Record<string, unknown>,
): { path: FieldPath; shown: string; use: string }[] {
  const kind = doc.kind;
  if (kind !== undefined) {
    const rule = OWNED_KINDS.find(
      (r) => r.kind === kind && (r.name === undefined || r.name === doc.name),
    );
    return rule === undefined
      ? []
      : [
          {
            path: ["kind"],
            shown: `kind (${JSON.stringify(kindAndName(rule.kind, rule.name))})`,
            use: rule.use,
          },
        ];
  }
  const out: { path: FieldPath; shown: string; use: string }[] = [];
  for (const rule of OWNED_FIELDS) {
    const value = valueAt(doc, rule.path);
    if (value !== undefined)
      out.push({ path: rule.path, shown: formatPath(rule.path), use: rule.use });
  }
  const manifests = valueAt(doc, ["cluster", "inlineManifests"]);
  if (Array.isArray(manifests))
    manifests.forEach((m, i) => {
      const name = (m as { name?: unknown } | null)?.name;
      if (typeof name === "string" && Object.hasOwn(OWNED_INLINE_MANIFESTS, name))
        out.push({
          path: ["cluster", "inlineManifests", i, "name"],
          shown: `${formatPath(["cluster", "inlineManifests", i, "name"])} (${JSON.stringify(name)})`,
          use: OWNED_INLINE_MANIFESTS[name],
        });
    });
  return out;
}

/**
 * What kind of value a field holds (`a string`, `a number`, `a mapping`...), for a
 * message that must not repeat the value.
 */
function kindOfValue(value: unknown): string {
  if (value === null || value === undefined) return "an empty value";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return "a string";
  if (typeof value === "number") return "a number";
  if (typeof value === "boolean") return "a boolean";
  return typeof value;
}

/** `LinkConfig net0`, for a message about a typed document. */
function kindAndName(kind: unknown, name: unknown): string {
  return name === undefined ? String(kind) : `${String(kind)} ${String(name)}`;
}

/** The first key `key` anywhere in a value, with its path and value. */
function findKey(
  value: unknown,
  key: string,
  at: FieldPath = [],
): { path: FieldPath; value: unknown } | undefined {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const hit = findKey(value[i], key, [...at, i]);
      if (hit) return hit;
    }
  } else if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      if (k === key) return { path: [...at, k], value: v };
      const hit = findKey(v, key, [...at, k]);
      if (hit) return hit;
    }
  }
  return undefined;
}

function valueAt(value: unknown, field: FieldPath): unknown {
  let v = value;
  for (const k of field) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<string | number, unknown>)[k];
  }
  return v;
}

/** A JSON pointer as a field path (list indexes as numbers). */
function fromPointer(pointer: string): FieldPath {
  if (pointer === "" || pointer === "/") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}
