/**
 * Bad input stops the real program before its first resource: every invalid inventory
 * fixture, and every configuration mistake the program checks, fails `pulumi up` with
 * the exact problem lines and leaves nothing registered but the root stack.
 */
import { strict as assert } from "assert";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { checkInventory, formatProblem } from "../lib/inventory";
import {
  PROJECT_ROOT,
  ProgramError,
  runProgram,
  type RunOptions,
  type RunRecord,
} from "../tools/offline/engine";
import { MOCK_SECRETS } from "../tools/offline/fakes";
import { expectedFor, fixtureNames, materialise } from "./support/invalidFixtures";
import { DEV, SINGLE, stackConfig } from "./support/program";

const STACK = "pulumi:pulumi:Stack";

/** Runs the program, which must fail, and returns the failure. */
async function failure(options: RunOptions): Promise<ProgramError> {
  let record: RunRecord | undefined;
  try {
    record = await runProgram(options);
  } catch (err) {
    assert.ok(err instanceof ProgramError, `not a ProgramError: ${String(err)}`);
    return err;
  }
  throw new assert.AssertionError({
    message: `the program ran, registering ${record.resources.length} resources`,
  });
}

/** Nothing registered but the root stack, no function called, nothing logged. */
function assertNothingCreated(err: ProgramError): void {
  const { resources, invokes, logs } = err.record;
  assert.deepEqual(
    resources.map((r) => `${r.type}::${r.name}`),
    [`${STACK}::em-infra-dev`],
    "resources registered before the error",
  );
  assert.deepEqual(
    invokes.map((i) => i.token),
    [],
    "functions invoked before the error",
  );
  assert.deepEqual(logs, [], "messages logged before the error");
}

/** Stack config with some keys replaced or (undefined) removed. */
function configWith(
  overrides: Readonly<Record<string, string | undefined>>,
  secretKeys?: readonly string[],
): Pick<RunOptions, "config" | "secretKeys"> {
  const base = stackConfig(DEV);
  const config: Record<string, string> = { ...base.config };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete config[key];
    else config[key] = value;
  }
  return { config, secretKeys: secretKeys ?? base.secretKeys };
}

describe("bad input", function () {
  describe("every invalid inventory fixture fails the program before its first resource", function () {
    const folders = fixtureNames();

    it("covers at least 55 fixtures", function () {
      assert.ok(folders.length >= 55, `only ${folders.length} invalid fixtures`);
    });

    for (const name of folders) {
      it(name, async function () {
        const dir = materialise(name);
        const { inventory, problems } = checkInventory(dir);
        assert.equal(inventory, undefined, "checkInventory accepts this fixture");
        const expected = problems.map(formatProblem);
        assert.deepEqual(expected, expectedFor(name, dir));
        assert.ok(
          problems.some((p) => p.severity === "error"),
          "the fixture has no error",
        );

        const err = await failure(stackConfig(dir));
        // index.ts rethrows the InventoryError as a pulumi.RunError (printed without a
        // stack trace) carrying the same message: every problem, one per line.
        assert.deepEqual(err.message.split("\n"), expected);
        assert.ok(pulumi.RunError.isInstance(err.cause), "not a pulumi.RunError");
        assertNothingCreated(err);
      });
    }
  });

  describe("configuration mistakes fail the program before its first resource", function () {
    // The provider reads the endpoint from the environment too, and so does the
    // program's check: keep the test process's own setting out of these runs.
    let savedEndpoint: string | undefined;
    before(function () {
      savedEndpoint = process.env.PROXMOX_VE_ENDPOINT;
      delete process.env.PROXMOX_VE_ENDPOINT;
    });
    after(function () {
      if (savedEndpoint === undefined) delete process.env.PROXMOX_VE_ENDPOINT;
      else process.env.PROXMOX_VE_ENDPOINT = savedEndpoint;
    });

    it("a missing proxmoxve:endpoint, with no PROXMOX_VE_ENDPOINT either", async function () {
      const err = await failure(configWith({ "proxmoxve:endpoint": undefined }));
      assert.equal(
        err.message,
        "proxmoxve:endpoint is not set: run `npx pulumi config set proxmoxve:endpoint https://<host>:8006/`",
      );
      assertNothingCreated(err);
    });

    it("PROXMOX_VE_ENDPOINT stands in for a missing proxmoxve:endpoint", async function () {
      process.env.PROXMOX_VE_ENDPOINT = "https://pve1.lab.internal:8006/";
      try {
        const record = await runProgram(
          configWith({ "proxmoxve:endpoint": undefined, "em-infra:inventory": SINGLE }),
        );
        assert.ok(record.resources.length > 1);
      } finally {
        delete process.env.PROXMOX_VE_ENDPOINT;
      }
    });

    it("an em-infra:inventory folder that does not exist, named in the message", async function () {
      const err = await failure(configWith({ "em-infra:inventory": "inventory/no-such-stack" }));
      const missing = path.relative(
        process.cwd(),
        path.join(PROJECT_ROOT, "inventory/no-such-stack"),
      );
      assert.equal(err.message, `${missing}:1:1: inventory folder not found`);
      assert.match(err.message, /inventory\/no-such-stack/);
      assertNothingCreated(err);
    });

    it("no em-infra:inventory and no inventory/<stack> folder", async function () {
      const err = await failure({
        ...configWith({ "em-infra:inventory": undefined }),
        stack: "staging",
      });
      const missing = path.relative(process.cwd(), path.join(PROJECT_ROOT, "inventory", "staging"));
      assert.equal(err.message, `${missing}:1:1: inventory folder not found`);
      assert.equal(err.record.resources.length, 1);
      assert.equal(err.record.resources[0].name, "em-infra-staging");
      assert.deepEqual(err.record.invokes, []);
    });

    it("a proxmoxve:apiToken stored in plaintext, without echoing the token", async function () {
      const err = await failure(configWith({}, []));
      assert.equal(
        err.message,
        "proxmoxve:apiToken is stored in plaintext: run `npx pulumi config set --secret proxmoxve:apiToken <token>`",
      );
      assert.ok(!err.message.includes(MOCK_SECRETS.proxmoxApiToken));
      assertNothingCreated(err);
    });

    it("reports every configuration mistake at once", async function () {
      const err = await failure(configWith({ "proxmoxve:endpoint": undefined }, []));
      assert.deepEqual(
        err.message.split("\n").map((l) => l.split(" ")[0]),
        ["proxmoxve:endpoint", "proxmoxve:apiToken"],
      );
      assertNothingCreated(err);
    });
  });
});
