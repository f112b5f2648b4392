/**
 * The Talos configuration contract stays the one the cluster was created with. The
 * program runs over a cluster created at Talos v1.12, then again with the prior state
 * after a patch bump and after a minor bump, the way `pulumi up` would find the stack:
 * the Secrets resource keeps its `talosVersion` (ignoreChanges), and every node's
 * configuration is rendered under it.
 */
import { strict as assert } from "assert";
import { runProgram, type RunOptions, type RunRecord } from "../tools/offline/engine";
import { unwrapSecrets } from "../tools/offline/secretSig";
import { GET_CONFIG, SECRETS } from "../lib/tokens";
import { DEV, editedInventory, invokesOf, ofType, stackConfig } from "./support/program";

/** inventory/dev at another Talos version (Kubernetes 1.35 runs on both v1.12 and v1.13). */
function devAt(talosVersion: string): string {
  return editedInventory(DEV, ({ cluster }) => {
    cluster.setIn(["talos", "version"], talosVersion);
    cluster.setIn(["kubernetes", "version"], "1.35.0");
  });
}

function run(dir: string, extra: Partial<RunOptions> = {}): Promise<RunRecord> {
  return runProgram({ ...stackConfig(dir), ...extra });
}

/** The contract each getConfiguration call rendered a node's configuration under. */
function contracts(record: RunRecord): string[] {
  return invokesOf(record, GET_CONFIG).map(
    (i) => (unwrapSecrets(i.args) as { talosVersion: string }).talosVersion,
  );
}

describe("Talos configuration contract", function () {
  let created: RunRecord;
  before(async function () {
    created = await run(devAt("v1.12.3"));
  });

  it("renders a new cluster's configs under its Talos minor", function () {
    assert.deepEqual(contracts(created), ["v1.12", "v1.12", "v1.12"]);
  });

  for (const bump of ["v1.12.5", "v1.13.0"]) {
    it(`keeps every node's contract at v1.12 after a bump to ${bump}`, async function () {
      const after = await run(devAt(bump), { prior: created });
      assert.deepEqual(contracts(after), ["v1.12", "v1.12", "v1.12"]);
      const [secrets] = ofType(after, SECRETS);
      assert.equal(secrets.op, "same", "the machine secrets are left alone");
      assert.equal(
        (unwrapSecrets(secrets.inputs) as { talosVersion: string }).talosVersion,
        bump.slice(0, 5),
      );
      assert.equal(
        (unwrapSecrets(secrets.outputs) as { talosVersion: string }).talosVersion,
        "v1.12",
      );
    });
  }

  it("would have rendered v1.13 configs for a new stack at v1.13.0 (the check can fail)", async function () {
    assert.deepEqual(contracts(await run(devAt("v1.13.0"))), ["v1.13", "v1.13", "v1.13"]);
  });

  it("keeps the contract through a preview of the bumped stack as well", async function () {
    const preview = await run(devAt("v1.13.0"), { prior: created, dryRun: true });
    assert.deepEqual(contracts(preview), ["v1.12", "v1.12", "v1.12"]);
  });
});
