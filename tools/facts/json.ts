/**
 * Small helpers the extractors share: reading an upstream JSON file, keeping only
 * known keys of an object, and sorting keys so that a facts file is deterministic.
 */
import * as fs from "fs";
import * as path from "path";

/** Reads and parses an upstream JSON file. */
export function readJson<T>(upstreamDir: string, file: string): T {
  return JSON.parse(fs.readFileSync(path.join(upstreamDir, file), "utf8")) as T;
}

/**
 * The value with the keys of every object sorted, at any depth. Array order is kept:
 * in the upstream data it carries meaning (`oneOf` branches, `enum` values).
 */
export function sortKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v: unknown) => sortKeys(v)) as T;
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    out[key] = sortKeys((value as Record<string, unknown>)[key]);
  }
  return out as T;
}

/**
 * Throws for a key that is neither kept nor known to be safe to drop. Upstream may
 * add a keyword that changes what validates; an extractor that dropped it silently
 * would make the committed facts weaker than the data they stand for.
 */
export function checkKeys(
  where: string,
  value: object,
  kept: ReadonlySet<string>,
  dropped: ReadonlySet<string>,
  extractor: string,
): void {
  for (const key of Object.keys(value)) {
    if (!kept.has(key) && !dropped.has(key)) {
      throw new Error(
        `${where}: unknown key "${key}"; decide in ${extractor} whether it is kept or dropped`,
      );
    }
  }
}
