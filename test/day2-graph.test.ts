/**
 * The day-two resources in the program's graph, under the offline engine: the
 * bootstrap check and the rollout, their secrets, their serialized providers, and the
 * guarantee that a changed configuration reaches no node except through the rollout.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { APPLY, BOOTSTRAP, DYNAMIC, HEALTH } from "../lib/tokens";
import { ProgramError, runProgram, type RunOptions, type RunRecord } from "../tools/offline/engine";
import { isSecretWrapper, unwrapSecrets } from "../tools/offline/secretSig";
import {
  DEV,
  LARGE,
  editedInventory,
  invokesOf,
  ofType,
  resource,
  stackConfig,
} from "./support/program";

const run = (dir: string, extra: Partial<RunOptions> = {}) =>
  runProgram({ ...stackConfig(dir), ...extra });

const rolloutOf = (r: RunRecord) => resource(r, DYNAMIC, "dev-rollout");
const checkOf = (r: RunRecord) => resource(r, DYNAMIC, "dev-bootstrap-check");

describe("day-two resources in the graph", function () {
  let created: RunRecord;
  before(async function () {
    created = await run(DEV);
  });

  it("checks the bootstrap once, right after it, and is replaced with it", function () {
    const check = checkOf(created);
    const bootstrap = resource(created, BOOTSTRAP, "dev-bootstrap");
    assert.ok(check.dependencies.includes(bootstrap.urn));
    assert.deepEqual(check.replaceWith, [bootstrap.urn]);
    const inputs = unwrapSecrets(check.inputs) as Record<string, unknown>;
    assert.equal(inputs.kind, "bootstrapCheck");
    assert.equal(inputs.node, "dev-cp-1");
    assert.equal(inputs.bootstrapUrn, bootstrap.urn);
  });

  it("runs the rollout after every apply and the check, and the health gate after the rollout", function () {
    const rollout = rolloutOf(created);
    for (const apply of ofType(created, APPLY)) {
      assert.ok(rollout.dependencies.includes(apply.urn), apply.name);
    }
    assert.ok(rollout.dependencies.includes(checkOf(created).urn));
    const [gate] = invokesOf(created, HEALTH);
    assert.ok(gate.dependencies.includes(rollout.urn));
  });

  it("keeps each apply's first configuration: later ones are the rollout's", function () {
    for (const apply of ofType(created, APPLY)) {
      assert.ok(apply.ignoreChanges.includes("machineConfigurationInput"), apply.name);
    }
  });

  it("passes credentials and configurations as secrets, and keeps neither in the outputs", function () {
    const rollout = rolloutOf(created);
    assert.ok(isSecretWrapper(rollout.inputs.configs));
    assert.ok(isSecretWrapper(rollout.inputs.credentials));
    assert.ok(isSecretWrapper(checkOf(created).inputs.credentials));
    assert.equal("credentials" in rollout.outputs, false, "credentials are not kept in state");
    assert.equal("credentials" in checkOf(created).outputs, false);
    assert.equal("configs" in rollout.outputs, false, "configurations are not kept in state");
  });

  it("gives the rollout the model's batches, each node's installer and the dial settings", function () {
    const inputs = unwrapSecrets(rolloutOf(created).inputs) as {
      batches: string[][];
      nodes: Record<string, { installer: string; schematic: string; endpoint: string | null }>;
      kubernetesEndpoint: string | null;
    };
    assert.deepEqual(inputs.batches, [["dev-cp-1"], ["dev-worker-1"], ["dev-gpu-1"]]);
    const cp = inputs.nodes["dev-cp-1"];
    assert.match(
      cp.installer,
      new RegExp(`^factory\\.talos\\.dev/nocloud-installer/${cp.schematic}:v1\\.13\\.0$`),
    );
    assert.notEqual(inputs.nodes["dev-gpu-1"].schematic, cp.schematic);
    assert.equal(cp.endpoint, null);
    assert.equal(inputs.kubernetesEndpoint, null);
  });

  it("stores a small provider that requires the day-two package by name", function () {
    for (const r of ofType(created, DYNAMIC)) {
      const text = String(r.inputs.__provider);
      assert.ok(text.length < 16 * 1024, `${r.name}: ${text.length} bytes`);
      assert.match(text, /require\("@em-infra\/day2"\)/);
      assert.doesNotMatch(text, /createTalosClient|grpc/, "the package is not copied in");
    }
  });

  it("honours em-infra:talosEndpoints and em-infra:kubernetesEndpoint", async function () {
    const dialed = await run(DEV, {
      config: {
        ...stackConfig(DEV).config,
        "em-infra:talosEndpoints": JSON.stringify({ "dev-cp-1": "127.0.0.1:50001" }),
        "em-infra:kubernetesEndpoint": "127.0.0.1:6443",
      },
    });
    const inputs = unwrapSecrets(rolloutOf(dialed).inputs) as {
      nodes: Record<string, { endpoint: string | null }>;
      kubernetesEndpoint: string;
    };
    assert.equal(inputs.nodes["dev-cp-1"].endpoint, "127.0.0.1:50001");
    assert.equal(inputs.nodes["dev-worker-1"].endpoint, null);
    assert.equal(inputs.kubernetesEndpoint, "127.0.0.1:6443");
    assert.equal(
      (unwrapSecrets(checkOf(dialed).inputs) as { endpoint: string }).endpoint,
      "127.0.0.1:50001",
    );
  });

  it("refuses a dial override for a node the inventory does not have, before any resource", async function () {
    const err = await run(DEV, {
      config: {
        ...stackConfig(DEV).config,
        "em-infra:talosEndpoints": JSON.stringify({
          "dev-cp-9": "127.0.0.1:1",
          "dev-cp-1": "x:99999",
        }),
      },
    }).then(
      () => assert.fail("the run should fail"),
      (e: ProgramError) => e,
    );
    assert.match(
      err.message,
      /em-infra:talosEndpoints\.dev-cp-9: "dev-cp-9" is not a node in the inventory/,
    );
    assert.match(
      err.message,
      /em-infra:talosEndpoints\.dev-cp-1: "x:99999": port 99999 is not between 1 and 65535/,
    );
    assert.deepEqual(
      err.record.resources.map((r) => r.type),
      ["pulumi:pulumi:Stack"],
    );
  });

  describe("after a Kubernetes bump", function () {
    let bumped: RunRecord;
    before(async function () {
      const at135 = editedInventory(DEV, ({ cluster }) =>
        cluster.setIn(["kubernetes", "version"], "1.35.0"),
      );
      const at136 = editedInventory(DEV, ({ cluster }) =>
        cluster.setIn(["kubernetes", "version"], "1.36.0"),
      );
      const first = await run(at135);
      bumped = await run(at136, { prior: first });
    });

    it("changes no apply: no new configuration reaches a node outside the rollout", function () {
      for (const apply of ofType(bumped, APPLY)) assert.equal(apply.op, "same", apply.name);
    });

    it("updates the rollout, whose provider sees the change", function () {
      assert.equal(rolloutOf(bumped).op, "update");
      assert.equal(checkOf(bumped).op, "same");
    });
  });

  describe("refusals at preview", function () {
    it("refuses a node's new address while it exists, naming how to do it", async function () {
      const moved = editedInventory(DEV, ({ nodes }) =>
        nodes.setIn(["nodes", 1, "ip"], "10.20.0.22"),
      );
      const err = await run(moved, { prior: created, dryRun: true }).then(
        () => assert.fail("the preview should fail"),
        (e: ProgramError) => e,
      );
      assert.match(err.message, /dev-worker-1/);
      assert.match(err.message, /remove the node and add it back/i);
    });
  });

  describe("removing a node", function () {
    it("deletes only that node's resources and updates the rollout in the same run", async function () {
      const smaller = editedInventory(DEV, ({ nodes }) => nodes.deleteIn(["nodes", 1]));
      const after = await run(smaller, { prior: created });
      assert.deepEqual(after.deleted.map((u) => u.split("::").pop()).sort(), [
        "dev-apply-dev-worker-1",
        "dev-worker-1",
        "dev-worker-1-vm",
      ]);
      // Pulumi deletes a resource the program no longer declares only after every
      // update of the run: the rollout's update, which decommissions the node, comes first.
      assert.equal(rolloutOf(after).op, "update");
    });

    it("keeps workers' teardown before any control plane's VM on destroy", function () {
      const record = created;
      const cpVms = ofType(record, "proxmoxve:index/vmLegacy:VmLegacy").filter(
        (r) => r.name === "dev-cp-1-vm",
      );
      for (const apply of ofType(record, APPLY).filter((a) => !a.name.includes("cp-1"))) {
        // A resource is deleted before everything it depends on.
        assert.ok(apply.dependencies.includes(cpVms[0].urn), apply.name);
      }
    });
  });

  it("docs/operations.md's recovery unprotects the control plane's VM by the URN the program registers, protected", function () {
    const vm = resource(created, "proxmoxve:index/vmLegacy:VmLegacy", "dev-cp-1-vm");
    assert.equal(vm.protect, true);
    const ops = fs.readFileSync(path.join(__dirname, "..", "docs", "operations.md"), "utf8");
    const recovery = ops.slice(ops.indexOf("### Disaster recovery"));
    assert.ok(recovery.includes(`npx pulumi state unprotect '${vm.urn}'`), vm.urn);
    assert.ok(recovery.includes(`npx pulumi up --replace '${vm.urn}'`), vm.urn);
  });

  it("keeps the chain to the kubeconfig as long at 3 nodes as at 200 (large)", async function () {
    const { longestChain } = await import("../tools/plan");
    assert.equal(longestChain(created).length, longestChain(await run(LARGE)).length);
  });
});
