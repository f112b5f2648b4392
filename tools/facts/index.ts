/**
 * Every facts source, and reading and writing the committed facts files.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { PROJECT_ROOT } from "../../lib/projectRoot";
import { proxmoxveFacts } from "./proxmoxve";
import { talosConfigFacts, talosConfigFieldFacts } from "./talosConfig";
import { talosProviderFacts } from "./talosProvider";
import { talosApiFacts } from "./talosApi";
import { cosiApiFacts } from "./cosiApi";
import { addonsFacts } from "./addons";
import { k8sUpgradeFacts } from "./k8sUpgrade";
import { talosManifestsFacts } from "./talosManifests";
import { pveApiFacts } from "./pveApi";
import type { FactsFile, FactsSource } from "./types";

export type { FactsFile, FactsSource } from "./types";

/** Every facts source the tests use. */
export const FACT_SOURCES: readonly FactsSource[] = [
  proxmoxveFacts,
  talosProviderFacts,
  talosConfigFacts,
  talosConfigFieldFacts,
  talosApiFacts,
  cosiApiFacts,
  addonsFacts,
  k8sUpgradeFacts,
  talosManifestsFacts,
  pveApiFacts,
];

/** Where the committed facts files live. */
export const FACTS_DIR = path.join(PROJECT_ROOT, "test", "facts");

/** Where the upstream data is looked for: ../shared/upstream beside the project. */
export const UPSTREAM_DIR = path.resolve(PROJECT_ROOT, "..", "shared", "upstream");

/** Builds a facts file from the upstream folder. */
export function buildFacts(source: FactsSource, upstreamDir: string = UPSTREAM_DIR): FactsFile {
  return {
    name: source.name,
    origin: source.origin,
    files: source.files.map((file) => ({
      path: file,
      sha256: crypto
        .createHash("sha256")
        .update(fs.readFileSync(path.join(upstreamDir, file)))
        .digest("hex"),
    })),
    generatedBy: "npm run facts",
    facts: source.extract(upstreamDir),
  };
}

/** The JSON text a facts file is written as. */
export function factsText(file: FactsFile): string {
  return JSON.stringify(file, null, 1) + "\n";
}

/** Reads a committed facts file by name; throws naming the file when it is missing. */
export function readFacts<T>(name: string): FactsFile<T> {
  const file = path.join(FACTS_DIR, `${name}.json`);
  if (!fs.existsSync(file)) {
    throw new Error(`${file} is missing: run \`npm run facts\` beside ../shared/upstream`);
  }
  return JSON.parse(fs.readFileSync(file, "utf8")) as FactsFile<T>;
}

/** Whether every upstream file a source reads is present. */
export function upstreamPresent(source: FactsSource, upstreamDir: string = UPSTREAM_DIR): boolean {
  return source.files.every((f) => fs.existsSync(path.join(upstreamDir, f)));
}
