/**
 * The deprecated v1alpha1 fields Talos v1.13 still accepts. Upstream marks them
 * `Deprecated` and `docgen:nodoc`, so the published config schema (test/facts/
 * talos-config.json) leaves them out and would call them unknown; Talos itself still
 * decodes and honours them. This table holds, per field, what a patch may write there
 * (the field's Go type, transcribed by hand as a JSON Schema fragment), the document that
 * replaces it, and when em-infra refuses it anyway.
 *
 * Every entry cites pkg/machinery/config/types/v1alpha1/v1alpha1_types.go at v1.13.9
 * (siderolabs/talos) by struct and Go field; conflict rules cite the file that enforces
 * them. Fields under `machine.network` and `machine.install` are also deprecated there,
 * but em-infra writes those sections, so the owned-field check refuses them first
 * (lib/inventory/patches.ts OWNED_FIELDS).
 */

import type { ValidateFunction } from "ajv";
import { compiledValidators } from "./compiledSchemas";
import { error } from "./problems";
import { suggestion } from "./schema";
import { formatPath } from "./source";
import type { OperatorPatch, Problem } from "./types";

/** A JSON Schema fragment (draft 2020-12), as Ajv takes it. */
type Shape = Record<string, unknown>;

const str: Shape = { type: "string" };
const bool: Shape = { type: "boolean" };
const strings: Shape = { type: "array", items: str };
const mapOf = (value: Shape): Shape => ({ type: "object", additionalProperties: value });
const struct = (properties: Record<string, Shape>): Shape => ({
  type: "object",
  additionalProperties: false,
  properties,
});

/** EncryptionConfig (v1alpha1_types.go, `type EncryptionConfig struct`). */
const encryption: Shape = struct({
  provider: str,
  keys: {
    type: "array",
    // EncryptionKey: static (EncryptionKeyStatic), nodeID (empty struct), kms
    // (EncryptionKeyKMS), slot (int), tpm (EncryptionKeyTPM).
    items: struct({
      static: struct({ passphrase: str }),
      nodeID: struct({}),
      kms: struct({ endpoint: str }),
      slot: { type: "integer" },
      tpm: struct({ checkSecurebootStatusOnEnroll: bool }),
    }),
  },
  cipher: str,
  keySize: { type: "integer", minimum: 0 },
  blockSize: { type: "integer", minimum: 0 },
  options: strings,
});

/** One deprecated field a patch may still set. */
export interface DeprecatedField {
  /** Where it sits in the v1alpha1 document. */
  readonly path: readonly string[];
  /** The Go struct field and type at v1.13.9, for the record. */
  readonly go: string;
  /** What the field accepts. */
  readonly shape: Shape;
  /** What to write instead (the document that replaces it), for the warning. */
  readonly advice: string;
  /** Why em-infra refuses it outright, when it conflicts with what em-infra writes. */
  readonly refused?: string;
  /**
   * Documents it conflicts with when the same node's patches hold one too, and why
   * (upstream's own refusal).
   */
  readonly conflicts?: {
    /** The document kind it conflicts with; or else */
    readonly kind?: string;
    /** the v1alpha1 field it conflicts with. */
    readonly field?: readonly string[];
    /** Only documents of this name conflict; all of the kind when absent. */
    readonly names?: readonly string[];
    /** Whether this field's value and that document conflict; always when absent. */
    readonly when?: (value: unknown, doc: Readonly<Record<string, unknown>>) => boolean;
    readonly why: string;
  };
}

/** The table. Order is the order of the Go structs. */
export const DEPRECATED_FIELDS: readonly DeprecatedField[] = [
  {
    // Config.ConfigPersist *bool; v1alpha1_validation.go refuses false (".persist should be
    // enabled"), so only true is accepted.
    path: ["persist"],
    go: "Config.ConfigPersist *bool (Deprecated: Not supported anymore)",
    shape: { const: true },
    advice: "delete it: Talos always keeps its configuration",
  },
  {
    path: ["machine", "disks"],
    go: "MachineConfig.MachineDisks []*MachineDisk (Deprecated: Use 'UserVolumeConfig' instead)",
    // MachineDisk: device string, partitions []*DiskPartition; DiskPartition: size
    // DiskSize (read as a string through humanize.ParseBytes, so `100 GB` or a number),
    // mountpoint string.
    shape: {
      type: "array",
      items: struct({
        device: str,
        partitions: {
          type: "array",
          items: struct({ size: { type: ["string", "integer"] }, mountpoint: str }),
        },
      }),
    },
    advice: "write a UserVolumeConfig document instead",
  },
  {
    path: ["machine", "env"],
    go: "MachineConfig.MachineEnv Env = map[string]string (Deprecated: Use 'EnvironmentConfig' instead)",
    shape: mapOf(str),
    advice: "write an EnvironmentConfig document instead",
  },
  {
    path: ["machine", "time"],
    go: "MachineConfig.MachineTime *TimeConfig (Deprecated: Use 'TimeSyncConfig' instead)",
    // TimeConfig: disabled *bool, servers []string, bootTimeout time.Duration (a string
    // such as `2m`, or nanoseconds).
    shape: struct({
      disabled: bool,
      servers: strings,
      bootTimeout: { type: ["string", "integer"] },
    }),
    advice: "write a TimeSyncConfig document instead",
    conflicts: {
      kind: "TimeSyncConfig",
      // pkg/machinery/config/types/network/time_sync.go, V1Alpha1ConflictValidate.
      why: "Talos v1.13 refuses time settings in both machine.time and a TimeSyncConfig",
    },
  },
  {
    path: ["machine", "registries"],
    go: "MachineConfig.MachineRegistries RegistriesConfig (Deprecated: Use `Registry*Config` instead)",
    // RegistriesConfig: mirrors map[string]*RegistryMirrorConfig (endpoints []string,
    // overridePath *bool, skipFallback *bool), config map[string]*RegistryConfig (tls
    // *RegistryTLSConfig: clientIdentity {crt, key}, ca, insecureSkipVerify; auth
    // *RegistryAuthConfig: username, password, auth, identityToken).
    shape: struct({
      mirrors: mapOf(struct({ endpoints: strings, overridePath: bool, skipFallback: bool })),
      config: mapOf(
        struct({
          tls: struct({
            clientIdentity: struct({ crt: str, key: str }),
            ca: str,
            insecureSkipVerify: bool,
          }),
          auth: struct({ username: str, password: str, auth: str, identityToken: str }),
        }),
      ),
    }),
    advice:
      "write RegistryMirrorConfig, RegistryAuthConfig and RegistryTLSConfig documents instead (a document wins over this field for its registry)",
  },
  {
    path: ["machine", "systemDiskEncryption"],
    go: "MachineConfig.MachineSystemDiskEncryption *SystemDiskEncryptionConfig (Deprecated: Use `VolumeConfig` instead)",
    shape: struct({ state: encryption, ephemeral: encryption }),
    advice: "write VolumeConfig documents for STATE and EPHEMERAL instead",
    conflicts: {
      kind: "VolumeConfig",
      names: ["STATE", "EPHEMERAL"],
      // Only when both encrypt the same volume: the VolumeConfig sets `encryption` and
      // the legacy field has an entry for that volume (`state`, `ephemeral`).
      when: (value, doc) =>
        doc.encryption !== undefined &&
        (value as Record<string, unknown> | null)?.[String(doc.name).toLowerCase()] !== undefined,
      // pkg/machinery/config/types/block/volume_config.go, V1Alpha1ConflictValidate.
      why: "Talos v1.13 refuses encryption set in both machine.systemDiskEncryption and a VolumeConfig for the same volume",
    },
  },
  {
    path: ["machine", "features", "stableHostname"],
    go: "FeaturesConfig.StableHostname *bool (Deprecated: use HostConfig instead)",
    shape: bool,
    advice: "em-infra writes a HostnameConfig document instead",
    // pkg/machinery/config/types/network/hostname.go, V1Alpha1ConflictValidate: a
    // HostnameConfig beside a stable hostname in v1alpha1 is an error.
    refused:
      "em-infra writes each node's HostnameConfig (from nodes[].name), and Talos v1.13 refuses a HostnameConfig beside it",
  },
  {
    path: ["cluster", "allowSchedulingOnMasters"],
    go: "ClusterConfig.AllowSchedulingOnMasters *bool (Deprecated: Use `AllowSchedulingOnControlPlanes` instead)",
    shape: bool,
    advice: "use cluster.allowSchedulingOnControlPlanes instead",
    refused:
      "em-infra writes cluster.allowSchedulingOnControlPlanes; use kubernetes.allowSchedulingOnControlPlanes instead",
  },
  {
    path: ["cluster", "etcd", "subnet"],
    go: "EtcdConfig.EtcdSubnet string (Deprecated: use EtcdAdvertistedSubnets)",
    shape: str,
    advice: "write cluster.etcd.advertisedSubnets instead",
    conflicts: {
      field: ["cluster", "etcd", "advertisedSubnets"],
      // v1alpha1_validation.go, EtcdConfig.Validate: "etcd subnet can't be set when
      // advertised subnets are set".
      why: "Talos v1.13 refuses cluster.etcd.subnet beside cluster.etcd.advertisedSubnets",
    },
  },
];

/** A deprecated field a document sets, with its rule and value. */
export interface FoundDeprecated {
  readonly field: DeprecatedField;
  readonly value: unknown;
}

/**
 * Splits a v1alpha1 fragment (no `kind`) into the deprecated fields it sets and the rest,
 * which is what the published schema checks. The document itself is not changed.
 */
export function splitDeprecated(doc: Record<string, unknown>): {
  rest: Record<string, unknown>;
  found: FoundDeprecated[];
} {
  if (doc.kind !== undefined) return { rest: doc, found: [] };
  const found: FoundDeprecated[] = [];
  let rest: Record<string, unknown> = doc;
  for (const field of DEPRECATED_FIELDS) {
    const value = valueAt(doc, field.path);
    if (value === undefined) continue;
    found.push({ field, value });
    rest = without(rest, field.path);
  }
  return { rest, found };
}

/** A deprecated field beside the document that replaces it, in one node's patches. */
export interface DeprecatedConflict {
  /** The same for every node the two patches apply to. */
  readonly key: string;
  /** The problem, naming the nodes the two patches both apply to. */
  readonly problem: (nodes: readonly string[]) => Problem;
}

/**
 * Conflicts between the patches of one node, in the order they apply: a deprecated field
 * beside the document that replaces it, where Talos refuses the two together. Each is
 * reported at the document that sets the field (its `origin`), naming the other.
 */
export function deprecatedConflicts(patches: readonly OperatorPatch[]): DeprecatedConflict[] {
  const out: DeprecatedConflict[] = [];
  for (const p of patches) {
    for (const { field, value } of splitDeprecated(p.document as Record<string, unknown>).found) {
      const rule = field.conflicts;
      if (rule === undefined) continue;
      for (const q of patches) {
        const d = q.document;
        let other: string;
        if (rule.field !== undefined) {
          if (d.kind !== undefined || valueAt(d, rule.field) === undefined) continue;
          other = `the ${formatPath(rule.field)} field`;
        } else {
          if (d.kind !== rule.kind) continue;
          if (rule.names !== undefined && !rule.names.includes(String(d.name))) continue;
          if (rule.when !== undefined && !rule.when(value, d)) continue;
          other = `the ${d.name === undefined ? String(d.kind) : `${String(d.kind)} ${String(d.name)}`} document`;
        }
        const text = `${p.from ?? "a patch"}: ${formatPath(field.path)} is refused beside ${other} of ${q.from ?? "a patch"} (${q.origin})`;
        out.push({
          key: `${p.origin} ${text}`,
          problem: (nodes) =>
            error(
              positionOfOrigin(p.origin),
              `${text}, which both apply to ${nodes.join(", ")}: ${rule.why}; ${field.advice}`,
            ),
        });
      }
    }
  }
  return out;
}

/** `file:line:col` back into a position. */
function positionOfOrigin(origin: string): { file: string; line: number; col: number } {
  const m = /^(.*):(\d+):(\d+)$/.exec(origin);
  return m === null
    ? { file: origin, line: 1, col: 1 }
    : { file: m[1], line: Number(m[2]), col: Number(m[3]) };
}

let compiled: Map<DeprecatedField, ValidateFunction> | undefined;

/**
 * What is wrong with the value a patch gives a deprecated field, each with the JSON
 * pointer (relative to the field) of the value concerned; empty when it fits the Go type.
 * Messages name fields, never values.
 */
export function shapeErrors(
  field: DeprecatedField,
  value: unknown,
): { pointer: string; message: string }[] {
  if (compiled === undefined) {
    // Union types (`string` or `integer`) are how Go's YAML decoding of a duration or
    // a disk size reads; every other strict check stays on.
    const fns = compiledValidators({
      name: "deprecated-talos",
      options: { allErrors: true, strict: true, allowUnionTypes: true, verbose: true },
      schemas: DEPRECATED_FIELDS.map((f, i) => ({ key: `field${i}`, schema: f.shape })),
      refs: Object.fromEntries(DEPRECATED_FIELDS.map((_f, i) => [`field${i}`, `field${i}`])),
    });
    compiled = new Map(DEPRECATED_FIELDS.map((f, i) => [f, fns[`field${i}`]]));
  }
  const validate = compiled.get(field);
  if (validate === undefined || validate(value)) return [];
  return (validate.errors ?? []).map((e) => {
    if (e.keyword === "additionalProperties") {
      const extra = String((e.params as { additionalProperty: unknown }).additionalProperty);
      const known = Object.keys(
        (e.parentSchema as { properties?: Record<string, unknown> }).properties ?? {},
      );
      return {
        pointer: `${e.instancePath}/${extra.replace(/~/g, "~0").replace(/\//g, "~1")}`,
        message: `unknown field${suggestion(extra, known)}`,
      };
    }
    if (e.keyword === "const") return { pointer: e.instancePath, message: "must be true" };
    return { pointer: e.instancePath, message: e.message ?? e.keyword };
  });
}

function valueAt(value: unknown, path: readonly string[]): unknown {
  let v = value;
  for (const k of path) {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

/** A copy of `doc` without the field at `path`, and without mappings it leaves empty. */
function without(doc: Record<string, unknown>, path: readonly string[]): Record<string, unknown> {
  const [head, ...tail] = path;
  const copy = { ...doc };
  if (tail.length === 0) {
    delete copy[head];
    return copy;
  }
  const inner = without(copy[head] as Record<string, unknown>, tail);
  if (Object.keys(inner).length === 0) delete copy[head];
  else copy[head] = inner;
  return copy;
}
