/**
 * Every `timeouts` block the program passes to the Talos provider sets every key its
 * type declares in the provider schema. pulumi-talos v0.8.1 bridges with a
 * pulumi-terraform-bridge older than the fix of its raw-state check (#3486, in
 * v3.135.0): an unset key is stored as null and the check then fails the operation
 * ("recovered raw state does not byte-for-byte match", pulumi-talos #208 and #252).
 */
import { strict as assert } from "assert";
import { readFacts } from "../tools/facts";
import type { PulumiSchemaFacts } from "../tools/facts/pulumiSchema";
import { typeTokenOf } from "../tools/facts/pulumiSchema";
import { unwrapSecrets } from "../tools/offline/secretSig";
import type { RunRecord } from "../tools/offline/engine";
import { DEV, LARGE, SINGLE, runFor } from "./support/program";

const schema = readFacts<PulumiSchemaFacts>("talos-provider").facts;

/** The keys the schema declares for the `timeouts` of a resource or function token. */
function declaredKeys(token: string): string[] | undefined {
  const inputs =
    schema.resources[token]?.inputProperties ?? schema.functions[token]?.inputs?.properties;
  const ref = inputs?.timeouts?.$ref;
  if (!ref) return undefined;
  return Object.keys(schema.types[typeTokenOf(ref)!]?.properties ?? {}).sort();
}

/** Every timeouts block in a run: token, name and the keys it sets. */
function timeoutsIn(record: RunRecord): { token: string; name: string; keys: string[] }[] {
  const blocks = [
    ...record.resources.map((r) => ({ token: r.type, name: r.name, args: r.inputs })),
    ...record.invokes.map((i) => ({ token: i.token, name: "(call)", args: i.args })),
  ];
  return blocks
    .map((b) => ({ ...b, timeouts: (unwrapSecrets(b.args) as { timeouts?: object }).timeouts }))
    .filter((b) => b.timeouts !== undefined)
    .map((b) => ({ token: b.token, name: b.name, keys: Object.keys(b.timeouts!).sort() }));
}

describe("provider timeouts", function () {
  it("finds the declared keys in the schema (the check can fail)", function () {
    assert.deepEqual(declaredKeys("talos:machine/configurationApply:ConfigurationApply"), [
      "create",
      "delete",
      "update",
    ]);
    assert.deepEqual(declaredKeys("talos:machine/bootstrap:Bootstrap"), ["create"]);
    assert.deepEqual(declaredKeys("talos:cluster/getHealth:getHealth"), ["read"]);
    assert.deepEqual(declaredKeys("talos:cluster/kubeconfig:Kubeconfig"), ["create", "update"]);
  });

  for (const [label, dir] of [
    ["dev", DEV],
    ["single", SINGLE],
    ["large", LARGE],
  ] as const) {
    it(`${label}: every timeouts block sets every key its type declares`, async function () {
      const found = timeoutsIn(await runFor(dir));
      assert.ok(found.length > 0, "the program passes timeouts somewhere");
      for (const t of found) {
        const declared = declaredKeys(t.token);
        assert.ok(declared, `${t.token} takes no timeouts in the schema`);
        assert.deepEqual(t.keys, declared, `${t.token} ${t.name}`);
      }
    });
  }
});
