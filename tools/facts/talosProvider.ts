/**
 * Facts from the Pulumi Talos provider schema: every resource and function it
 * declares, with the structure of their inputs and outputs and of every type they
 * reach, the secret flags and the plugin download URL. The local SDK in sdks/talos
 * is checked against them.
 */
import { readJson } from "./json";
import { prunePulumiSchema, type PulumiSchemaFacts } from "./pulumiSchema";
import type { FactsSource } from "./types";

const FILE = "talos-schema.json";

/** The facts in test/facts/talos-provider.json. */
export type TalosProviderFacts = PulumiSchemaFacts;

export const talosProviderFacts: FactsSource = {
  name: "talos-provider",
  origin:
    "github.com/pulumiverse/pulumi-talos provider/cmd/pulumi-resource-talos/schema.json " +
    "at tag v0.8.1, commit 1b5d2525bc890eb0eaf2cbf7e61fa7f9cbe2313f",
  files: [FILE],
  extract(upstreamDir: string): TalosProviderFacts {
    return prunePulumiSchema(readJson(upstreamDir, FILE), { resources: "all", functions: "all" });
  },
};
