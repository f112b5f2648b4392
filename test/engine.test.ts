/**
 * The offline engine itself: it must behave like the Pulumi engine wherever the
 * program can tell the difference, or the program tests prove nothing.
 */
import { strict as assert } from "assert";
import * as path from "path";
import { DYNAMIC } from "../lib/tokens";
import { ProgramError, runProgram, type RunRecord } from "../tools/offline/engine";
import { MOCK_SECRETS } from "../tools/offline/fakes";
import { isSecretWrapper, plaintextStrings, unwrapSecrets } from "../tools/offline/secretSig";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const v8Hooks = require("@pulumi/pulumi/runtime/closure/v8Hooks") as {
  getSessionAsync(): Promise<import("inspector").Session>;
};

const program = (name: string) => path.join(__dirname, "fixtures", "programs", `${name}.ts`);

describe("offline engine", function () {
  it("marks additionalSecretOutputs and outputs of secret inputs secret, as the engine does", async function () {
    const record = await runProgram({ entry: program("secretOutputs") });
    const secrets = record.resources.find((r) => r.name === "s")!;
    assert.ok(secrets.additionalSecretOutputs.includes("clientConfiguration"));
    assert.ok(isSecretWrapper(secrets.outputs.clientConfiguration));
    const schematic = record.resources.find((r) => r.name === "img")!;
    assert.ok(isSecretWrapper(schematic.inputs.schematic), "secret input sent in the clear");
    assert.ok(isSecretWrapper(schematic.outputs.schematic), "output of a secret input not secret");
    assert.ok(isSecretWrapper(record.stackOutputs.schematicText));
    assert.ok(isSecretWrapper(record.stackOutputs.clientConfiguration));
    const key = (unwrapSecrets(record.stackOutputs.clientConfiguration) as { clientKey: string })
      .clientKey;
    assert.equal(key, MOCK_SECRETS.clientKey);
  });

  it("records the root stack, parents and plugin requests", async function () {
    const record = await runProgram({ entry: program("secretOutputs") });
    const [stack, ...rest] = record.resources;
    assert.equal(stack.type, "pulumi:pulumi:Stack");
    assert.equal(stack.name, "em-infra-dev");
    for (const r of rest) {
      assert.equal(r.parent, stack.urn);
      assert.equal(r.version, "0.8.1");
      assert.equal(r.pluginDownloadURL, "github://api.github.com/pulumiverse");
    }
  });

  it("keeps computed outputs unknown in a preview", async function () {
    const record = await runProgram({ entry: program("secretOutputs"), dryRun: true });
    assert.equal(record.resources.find((r) => r.name === "img")!.id, undefined);
    assert.equal(record.stackOutputs.schematicId, "04da6b54-80e4-46f7-96ec-b56ff0331ba9");
  });

  it("fails a resource no provider answers for, as a missing plugin would", async function () {
    await assert.rejects(runProgram({ entry: program("unknownType") }), (err: ProgramError) => {
      assert.match(err.message, /no provider answers for resource type example:index:Unknown/);
      return true;
    });
  });

  it("reports a program error with what was registered before it", async function () {
    await assert.rejects(runProgram({ entry: program("throws") }), (err: ProgramError) => {
      assert.ok(err instanceof ProgramError);
      assert.equal(err.message, "the program gave up");
      assert.deepEqual(
        err.record.resources.map((r) => r.name),
        ["em-infra-dev", "first"],
      );
      return true;
    });
  });

  it("fails promptly, with the message, when an apply() throws", async function () {
    this.timeout(5000);
    await assert.rejects(runProgram({ entry: program("applyThrows") }), (err: ProgramError) => {
      assert.equal(err.message, 'error serializing property "schematic": failed inside an apply');
      assert.ok(err.record.resources.some((r) => r.name === "first"));
      return true;
    });
  });

  it("turns Pulumi's V8 Debugger off after a run that serialized a provider; the next run serializes the same text with it off", async function () {
    // Pulumi's own inspector session (runtime/closure/v8Hooks.js), as its serializer uses it.
    const session = await v8Hooks.getSessionAsync();
    const post = (method: string, params: object = {}) =>
      new Promise<string>((resolve) =>
        session.post(method, params, (err: Error | null) => resolve(err?.message ?? "ok")),
      );
    /** Whether the Debugger domain is on: reading a script's source needs it. */
    const debuggerOn = async () =>
      !/not enabled/.test(await post("Debugger.getScriptSource", { scriptId: "0" }));
    const providerText = (r: RunRecord) =>
      String(r.resources.find((x) => x.type === DYNAMIC && x.name === "d")?.inputs.__provider);

    // As on the first serialization in a process: on while the run serializes.
    assert.equal(await post("Debugger.enable"), "ok");
    assert.equal(await debuggerOn(), true);
    const first = await runProgram({ entry: program("dynamicResource") });
    assert.match(providerText(first), /greeting: "captured by the provider"/);
    assert.equal(await debuggerOn(), false, "the Debugger stayed on after the run");

    // The program module is evaluated afresh: a new provider object, serialized again.
    const second = await runProgram({ entry: program("dynamicResource") });
    assert.equal(await debuggerOn(), false);
    assert.equal(providerText(second), providerText(first));
  });

  it("finds plaintext strings outside secret wrappers only", function () {
    const value = {
      a: "visible",
      b: {
        "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
        value: "hidden",
      },
      c: ["x", { d: "y" }],
    };
    assert.deepEqual(
      plaintextStrings(value).map((s) => `${s.path}=${s.value}`),
      ["$.a=visible", "$.c[0]=x", "$.c[1].d=y"],
    );
  });
});
