/**
 * How secrets and unknowns look on the wire between a Pulumi program and its engine.
 * The constants are Pulumi's own serialization markers (facts of the RPC format).
 */

/** The key that marks a special value in a serialized property. */
export const SIG_KEY = "4dabf18193072939515e22adb298388d";
/** The value of {@link SIG_KEY} for a secret: `{ [SIG_KEY]: SECRET_SIG, value }`. */
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
/** The string that stands for an unknown value during a preview. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Whether a serialized value is a secret wrapper. */
export function isSecretWrapper(v: unknown): v is { value: unknown } {
  return (
    typeof v === "object" &&
    v !== null &&
    (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG &&
    "value" in (v as object)
  );
}

/** Wraps a plain value as a serialized secret. */
export function wrapSecret(value: unknown): Record<string, unknown> {
  return { [SIG_KEY]: SECRET_SIG, value };
}

/** Removes every secret wrapper, for comparing values regardless of secretness. */
export function unwrapSecrets(v: unknown): unknown {
  if (isSecretWrapper(v)) return unwrapSecrets(v.value);
  if (Array.isArray(v)) return v.map(unwrapSecrets);
  if (typeof v === "object" && v !== null) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrapSecrets(x)]));
  }
  return v;
}

/**
 * Every string found in `v` that is NOT inside a secret wrapper, with its path.
 * The secrets audit searches these for key material.
 */
export function plaintextStrings(v: unknown, path = "$"): { path: string; value: string }[] {
  if (isSecretWrapper(v)) return [];
  if (typeof v === "string") return [{ path, value: v }];
  if (Array.isArray(v)) return v.flatMap((x, i) => plaintextStrings(x, `${path}[${i}]`));
  if (typeof v === "object" && v !== null) {
    return Object.entries(v).flatMap(([k, x]) => plaintextStrings(x, `${path}.${k}`));
  }
  return [];
}
