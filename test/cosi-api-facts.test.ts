/**
 * packages/day2/proto/cosi against the COSI resource API facts (test/facts/cosi-api.json,
 * from cosi-project/specification at a25fac0): the State calls and every message, field
 * and enum value declared by hand must match upstream, so the client reads Talos's
 * resources in their real wire format. Reads only the committed facts.
 */
import { strict as assert } from "assert";
import * as path from "path";
import { readFacts } from "../tools/facts";
import { COSI_API_PACKAGES } from "../tools/facts/cosiApi";
import { loadProtoRoot, protoFacts, type TalosApiFacts } from "../tools/facts/talosApi";

const PROTO_DIR = path.resolve(__dirname, "..", "packages", "day2", "proto");

const upstream = readFacts<TalosApiFacts>("cosi-api").facts;
const ours = protoFacts(
  loadProtoRoot(["cosi/v1alpha1/state.proto"], (p) => path.join(PROTO_DIR, p)),
  COSI_API_PACKAGES,
);

/** Each field declared by hand that differs from upstream, as `Message.field: ours vs theirs`. */
function mismatches(mine: TalosApiFacts, theirs: TalosApiFacts): string[] {
  const wrong: string[] = [];
  for (const [message, fields] of Object.entries(mine.messages)) {
    const up = theirs.messages[message];
    if (up === undefined) {
      wrong.push(`${message}: no such upstream message`);
      continue;
    }
    for (const [field, fact] of Object.entries(fields))
      if (up[field] !== fact)
        wrong.push(`${message}.${field}: ours "${fact}", upstream "${up[field] ?? "absent"}"`);
  }
  return wrong;
}

describe("packages/day2/proto/cosi against the COSI API facts", () => {
  it("declares two reads of cosi.resource.State, each as upstream signs it", () => {
    assert.deepStrictEqual(Object.keys(ours.services), ["cosi.resource.State"]);
    const mine = ours.services["cosi.resource.State"];
    assert.deepStrictEqual(Object.keys(mine).sort(), ["Get", "List"]);
    for (const [method, signature] of Object.entries(mine))
      assert.strictEqual(signature, upstream.services["cosi.resource.State"][method], method);
  });

  it("every message declared matches upstream field by field", () => {
    assert.deepStrictEqual(mismatches(ours, upstream), []);
    for (const m of ["cosi.resource.Metadata", "cosi.resource.Spec", "cosi.resource.Resource"])
      assert.ok(ours.messages[m] !== undefined, `declares ${m}`);
  });

  it("would catch a swapped field number (the check is not vacuous)", () => {
    const tampered: TalosApiFacts = {
      ...ours,
      messages: {
        ...ours.messages,
        "cosi.resource.Spec": { proto_spec: "2 bytes", yaml_spec: "1 string" },
      },
    };
    assert.deepStrictEqual(mismatches(tampered, upstream).sort(), [
      'cosi.resource.Spec.proto_spec: ours "2 bytes", upstream "1 bytes"',
      'cosi.resource.Spec.yaml_spec: ours "1 string", upstream "2 string"',
    ]);
  });
});
