/**
 * packages/day2/proto against the Talos API facts (test/facts/talos-api.json, from the
 * v1.13.3 protos): every service, method, message, field and enum value declared by
 * hand must match upstream exactly, so the client's wire format is the real one. Reads
 * only the committed facts, so a clone without ../shared runs it.
 */
import { strict as assert } from "assert";
import * as path from "path";
import { readFacts } from "../tools/facts";
import { loadProtoRoot, protoFacts, type TalosApiFacts } from "../tools/facts/talosApi";

const PROTO_DIR = path.resolve(__dirname, "..", "packages", "day2", "proto");
const SERVICE_FILES = ["machine/machine.proto", "machine/lifecycle.proto", "machine/image.proto"];

const upstream = readFacts<TalosApiFacts>("talos-api").facts;
const ours = protoFacts(loadProtoRoot(SERVICE_FILES, (p) => path.join(PROTO_DIR, p)));

describe("packages/day2/proto against the Talos API facts", () => {
  it("declares exactly the calls the day-two work needs", () => {
    assert.deepStrictEqual(
      Object.fromEntries(Object.entries(ours.services).map(([s, m]) => [s, Object.keys(m).sort()])),
      {
        "machine.ImageService": ["Pull"],
        "machine.LifecycleService": ["Upgrade"],
        "machine.MachineService": [
          "ApplyConfiguration",
          "Bootstrap",
          "EtcdForfeitLeadership",
          "EtcdLeaveCluster",
          "EtcdMemberList",
          "EtcdRecover",
          "EtcdRemoveMemberByID",
          "EtcdSnapshot",
          "EtcdStatus",
          "ImagePull",
          "Kubeconfig",
          "Read",
          "Reboot",
          "Reset",
          "ServiceList",
          "SystemStat",
          "Upgrade",
          "Version",
        ],
      },
    );
  });

  for (const [service, methods] of Object.entries(ours.services)) {
    for (const [method, signature] of Object.entries(methods)) {
      it(`${service}.${method}: ${signature}`, () => {
        assert.ok(upstream.services[service] !== undefined, `upstream has no service ${service}`);
        assert.strictEqual(signature, upstream.services[service][method]);
      });
    }
  }

  it("every message declared matches upstream field by field (number, type, repeated, oneof)", () => {
    const wrong: string[] = [];
    for (const [message, fields] of Object.entries(ours.messages)) {
      const theirs = upstream.messages[message];
      if (theirs === undefined) {
        wrong.push(`${message}: no such upstream message`);
        continue;
      }
      for (const [field, fact] of Object.entries(fields)) {
        if (theirs[field] !== fact) {
          wrong.push(
            `${message}.${field}: ours "${fact}", upstream "${theirs[field] ?? "absent"}"`,
          );
        }
      }
    }
    assert.deepStrictEqual(wrong, []);
    assert.ok(Object.keys(ours.messages).length >= 50, "the protos declare the messages");
  });

  it("every enum declared matches upstream value by value", () => {
    for (const [name, values] of Object.entries(ours.enums)) {
      assert.deepStrictEqual(values, upstream.enums[name], name);
    }
    assert.ok(ours.enums["machine.ResetRequest.WipeMode"] !== undefined);
  });

  it("omits only fields, never renumbers: a field missing from ours is absent, not reused", () => {
    // SystemStat declares only metadata and boot_time; the CPU counters' numbers stay free.
    assert.deepStrictEqual(Object.keys(ours.messages["machine.SystemStat"]), [
      "metadata",
      "boot_time",
    ]);
    const used = new Set(
      Object.values(ours.messages["machine.SystemStat"]).map((f) => f.split(" ")[0]),
    );
    assert.deepStrictEqual([...used].sort(), ["1", "2"]);
  });

  it("would catch a wrong field number (the check is not vacuous)", () => {
    const tampered = { ...ours.messages["machine.EtcdMember"], id: "1 uint64" };
    assert.notStrictEqual(tampered.id, upstream.messages["machine.EtcdMember"].id);
  });
});
