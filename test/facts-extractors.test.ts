/**
 * The facts extractors (tools/facts/) over small hand-written upstream files in a
 * temporary folder: what they keep, what they drop, and what makes them stop. These
 * run everywhere; the committed facts against the real upstream data are checked by
 * facts.test.ts where ../shared/upstream is present.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { buildFacts, factsText } from "../tools/facts";
import { sortKeys } from "../tools/facts/json";
import { proxmoxveFacts } from "../tools/facts/proxmoxve";
import { prunePulumiSchema } from "../tools/facts/pulumiSchema";
import { talosConfigFacts, type TalosConfigFacts } from "../tools/facts/talosConfig";
import { talosProviderFacts } from "../tools/facts/talosProvider";
import { tempDir } from "./support/tmp";

const made: string[] = [];

/** A temporary upstream folder holding the given JSON files; removed after the tests. */
function upstream(files: Record<string, unknown>): string {
  const dir = tempDir("facts");
  made.push(dir);
  for (const [name, content] of Object.entries(files)) {
    fs.writeFileSync(path.join(dir, name), JSON.stringify(content));
  }
  return dir;
}

const TALOS_PROVIDER = {
  name: "talos",
  description: "prose that must not be copied",
  pluginDownloadURL: "github://api.github.com/pulumiverse",
  resources: {
    "talos:machine/bootstrap:Bootstrap": {
      description: "prose",
      properties: { node: { type: "string", description: "prose" } },
      required: ["node"],
      inputProperties: {
        node: { type: "string", willReplaceOnChanges: true },
        clientConfiguration: { $ref: "#/types/talos:machine/generated:ClientConfiguration" },
        timeouts: { $ref: "#/types/talos:machine/Timeouts:Timeouts" },
      },
      requiredInputs: ["node"],
      stateInputs: { description: "prose", properties: { node: { type: "string" } } },
    },
  },
  functions: {
    "talos:cluster/getHealth:getHealth": {
      description: "prose",
      inputs: {
        properties: { nodes: { type: "array", items: { $ref: "#types/talos:x/Node:Node" } } },
        required: ["nodes"],
      },
      outputs: { properties: { id: { type: "string" } }, required: ["id"] },
    },
  },
  types: {
    "talos:machine/generated:ClientConfiguration": {
      type: "object",
      properties: {
        caCertificate: { type: "string" },
        clientKey: { type: "string", secret: true, deprecationMessage: "use the other one" },
        description: { type: "string", description: "a property named description" },
      },
      required: ["caCertificate"],
      language: { nodejs: { requiredInputs: ["caCertificate"] }, csharp: { name: "X" } },
    },
    "talos:machine/Timeouts:Timeouts": {
      type: "object",
      properties: { create: { type: "string" } },
    },
    "talos:x/Node:Node": {
      type: "object",
      properties: { labels: { type: "object", additionalProperties: { $ref: "#/types/t:x/L:L" } } },
    },
    "t:x/L:L": { type: "string", enum: [{ value: "a", description: "prose" }, { value: "b" }] },
    "talos:unused/Unused:Unused": { type: "object", properties: { x: { type: "string" } } },
  },
};

describe("facts extractors", function () {
  after(function () {
    for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });

  describe("a Pulumi package schema", function () {
    it("keeps the structure of the chosen tokens and every type they reach, no prose", function () {
      const facts = talosProviderFacts.extract(upstream({ "talos-schema.json": TALOS_PROVIDER }));
      assert.deepStrictEqual(facts, {
        functions: {
          "talos:cluster/getHealth:getHealth": {
            inputs: {
              properties: { nodes: { items: { $ref: "#types/talos:x/Node:Node" }, type: "array" } },
              required: ["nodes"],
            },
            outputs: { properties: { id: { type: "string" } }, required: ["id"] },
          },
        },
        name: "talos",
        pluginDownloadURL: "github://api.github.com/pulumiverse",
        resources: {
          "talos:machine/bootstrap:Bootstrap": {
            inputProperties: {
              clientConfiguration: { $ref: "#/types/talos:machine/generated:ClientConfiguration" },
              node: { type: "string", willReplaceOnChanges: true },
              timeouts: { $ref: "#/types/talos:machine/Timeouts:Timeouts" },
            },
            properties: { node: { type: "string" } },
            required: ["node"],
            requiredInputs: ["node"],
            stateInputs: { properties: { node: { type: "string" } } },
          },
        },
        types: {
          "t:x/L:L": { enum: [{ value: "a" }, { value: "b" }], type: "string" },
          "talos:machine/Timeouts:Timeouts": {
            properties: { create: { type: "string" } },
            type: "object",
          },
          "talos:machine/generated:ClientConfiguration": {
            language: { nodejs: { requiredInputs: ["caCertificate"] } },
            properties: {
              caCertificate: { type: "string" },
              clientKey: { deprecated: true, secret: true, type: "string" },
              description: { type: "string" },
            },
            required: ["caCertificate"],
            type: "object",
          },
          "talos:x/Node:Node": {
            properties: {
              labels: { additionalProperties: { $ref: "#/types/t:x/L:L" }, type: "object" },
            },
            type: "object",
          },
        },
      });
    });

    it("keeps only the listed resources and functions, and refuses one upstream lacks", function () {
      const facts = prunePulumiSchema(TALOS_PROVIDER, { resources: [], functions: [] });
      assert.deepStrictEqual(facts, {
        functions: {},
        name: "talos",
        pluginDownloadURL: "github://api.github.com/pulumiverse",
        resources: {},
        types: {},
      });
      assert.throws(
        () => prunePulumiSchema(TALOS_PROVIDER, { resources: ["talos:x/y:Z"], functions: [] }),
        { message: "talos:x/y:Z is not a resource of the upstream schema" },
      );
    });

    it("stops at a property key it neither keeps nor knows to drop", function () {
      const schema = structuredClone(TALOS_PROVIDER) as typeof TALOS_PROVIDER;
      (schema.types["talos:machine/Timeouts:Timeouts"].properties.create as object) = {
        type: "string",
        minLength: 1,
      };
      assert.throws(() => prunePulumiSchema(schema, { resources: "all", functions: "all" }), {
        message:
          'types.talos:machine/Timeouts:Timeouts.properties.create: unknown key "minLength"; ' +
          "decide in tools/facts/pulumiSchema.ts whether it is kept or dropped",
      });
    });

    it("records whether the provider documents re-creating a VM on a node change", function () {
      const schema = (migrate: string) => ({
        name: "proxmoxve",
        resources: {
          "proxmoxve:download/file:File": { inputProperties: { url: { type: "string" } } },
          "proxmoxve:index/vmLegacy:VmLegacy": {
            inputProperties: { migrate: { type: "boolean", description: migrate } },
          },
        },
        types: {},
      });
      const recreated = (description: string) =>
        (
          proxmoxveFacts.extract(upstream({ "proxmoxve-schema.json": schema(description) })) as {
            vmNodeChange: { recreatedUnlessMigrate: boolean };
          }
        ).vmNodeChange.recreatedUnlessMigrate;
      assert.strictEqual(
        recreated("Migrate the VM on node change instead of re-creating it (defaults to false)."),
        true,
      );
      assert.strictEqual(recreated("Whether to migrate the VM."), false);
    });
  });

  describe("the Talos config schema", function () {
    const CONFIG = {
      $schema: "https://json-schema.org/draft/2020-12/schema",
      $id: "https://talos.dev/v1.13/schemas/config.schema.json",
      $defs: {
        "v1alpha1.Config": {
          title: "Config",
          description: "prose",
          properties: {
            version: { enum: ["v1alpha1"], markdownDescription: "prose" },
            machine: { $ref: "#/$defs/v1alpha1.MachineConfig" },
          },
          additionalProperties: false,
          type: "object",
        },
        "v1alpha1.MachineConfig": {
          properties: {
            description: { type: "string", "x-intellij-html-description": "<p>prose</p>" },
            sysctls: { patternProperties: { ".*": { type: "string" } }, type: "object" },
          },
          additionalProperties: false,
          type: "object",
        },
        "network.LinkConfigV1Alpha1": {
          properties: {
            apiVersion: { enum: ["v1alpha1"] },
            kind: { enum: ["LinkConfig"], examples: ["LinkConfig"] },
            mtu: { type: "integer", minimum: 0, maximum: 65535, default: 1500 },
          },
          additionalProperties: false,
          type: "object",
          required: ["apiVersion", "kind"],
        },
      },
      oneOf: [{ $ref: "#/$defs/network.LinkConfigV1Alpha1" }, { $ref: "#/$defs/v1alpha1.Config" }],
    };
    const extract = (schema: unknown) =>
      talosConfigFacts.extract(
        upstream({ "talos-config.schema.json": schema }),
      ) as TalosConfigFacts;

    it("keeps every validation keyword and every definition, drops every annotation", function () {
      assert.deepStrictEqual(extract(CONFIG), {
        documents: {
          LinkConfig: { apiVersion: ["v1alpha1"], definition: "network.LinkConfigV1Alpha1" },
        },
        schema: {
          $defs: {
            "network.LinkConfigV1Alpha1": {
              additionalProperties: false,
              properties: {
                apiVersion: { enum: ["v1alpha1"] },
                kind: { enum: ["LinkConfig"] },
                mtu: { maximum: 65535, minimum: 0, type: "integer" },
              },
              required: ["apiVersion", "kind"],
              type: "object",
            },
            "v1alpha1.Config": {
              additionalProperties: false,
              properties: {
                machine: { $ref: "#/$defs/v1alpha1.MachineConfig" },
                version: { enum: ["v1alpha1"] },
              },
              type: "object",
            },
            "v1alpha1.MachineConfig": {
              additionalProperties: false,
              properties: {
                description: { type: "string" },
                sysctls: { patternProperties: { ".*": { type: "string" } }, type: "object" },
              },
              type: "object",
            },
          },
          $id: "https://talos.dev/v1.13/schemas/config.schema.json",
          $schema: "https://json-schema.org/draft/2020-12/schema",
          oneOf: [
            { $ref: "#/$defs/network.LinkConfigV1Alpha1" },
            { $ref: "#/$defs/v1alpha1.Config" },
          ],
        },
        untypedDocument: "v1alpha1.Config",
      });
    });

    it("stops at an unknown keyword, a kind declared twice, or no v1alpha1.Config", function () {
      const withKeyword = structuredClone(CONFIG);
      (withKeyword.$defs["v1alpha1.MachineConfig"] as Record<string, unknown>).unevaluated = false;
      assert.throws(() => extract(withKeyword), {
        message:
          '#/$defs/v1alpha1.MachineConfig: unknown key "unevaluated"; ' +
          "decide in tools/facts/talosConfig.ts whether it is kept or dropped",
      });
      const twice = structuredClone(CONFIG);
      (twice.$defs as Record<string, unknown>)["network.LinkConfigV1Alpha2"] =
        twice.$defs["network.LinkConfigV1Alpha1"];
      assert.throws(() => extract(twice), {
        message: '#/$defs/network.LinkConfigV1Alpha2: kind "LinkConfig" is not unique',
      });
      const untyped = structuredClone(CONFIG);
      delete (untyped.$defs as Partial<typeof untyped.$defs>)["v1alpha1.Config"];
      assert.throws(() => extract(untyped), { message: "#/$defs has no v1alpha1.Config" });
    });
  });

  describe("a facts file", function () {
    it("is the same text for the same upstream bytes, whatever their key order", function () {
      const reversed = (v: unknown): unknown =>
        Array.isArray(v)
          ? v.map(reversed)
          : v !== null && typeof v === "object"
            ? Object.fromEntries(
                Object.entries(v)
                  .reverse()
                  .map(([k, x]) => [k, reversed(x)]),
              )
            : v;
      const a = talosProviderFacts.extract(upstream({ "talos-schema.json": TALOS_PROVIDER }));
      const b = talosProviderFacts.extract(
        upstream({ "talos-schema.json": reversed(TALOS_PROVIDER) }),
      );
      assert.strictEqual(JSON.stringify(a), JSON.stringify(b));
      assert.deepStrictEqual(Object.keys(sortKeys({ b: 1, a: { d: 1, c: 2 } }) as object), [
        "a",
        "b",
      ]);
    });

    it("names each file it read with the sha256 of its bytes", function () {
      const file = buildFacts(talosProviderFacts, upstream({ "talos-schema.json": {} }));
      // sha256 of the two bytes `{}`.
      const sha256 = "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
      assert.deepStrictEqual(file.files, [{ path: "talos-schema.json", sha256 }]);
      assert.match(factsText(file), /^\{\n "name": "talos-provider",\n "origin": "github\.com\//);
    });
  });
});
