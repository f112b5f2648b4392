/**
 * `npm run bench`'s floor (scripts/benchFloorProgram.ts): from a record of the project's
 * run it registers the same resources and function calls, with the same inputs, secrets
 * and dependencies, so that the ratio of the two measures the project's own code.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { runProgram, type RunRecord } from "../tools/offline/engine";
import { isSecretWrapper, unwrapSecrets } from "../tools/offline/secretSig";
import { longestChain } from "../tools/plan";
import { turns } from "../scripts/bench";
import { DEV, runFor } from "./support/program";
import { tempDir } from "./support/tmp";

/** What a run registered, as the floor must repeat it. */
/**
 * Inputs by value, and which of them are secret. The project's secret values can reach
 * the wire as a secret inside a secret, which a program can only write as one.
 */
const byValue = (inputs: Readonly<Record<string, unknown>>) => [
  unwrapSecrets(inputs),
  Object.keys(inputs).filter((k) => isSecretWrapper(inputs[k])),
];

const shape = (r: RunRecord) => ({
  resources: r.resources.map((x) => [
    x.type,
    x.name,
    x.parent,
    x.custom,
    x.protect,
    ...byValue(x.inputs),
  ]),
  // Calls are recorded as they are made, which follows what they waited for.
  invokes: r.invokes
    .map((i) => JSON.stringify([i.token, ...byValue(i.args), i.dependencies.length]))
    .sort(),
  secretOutputs: r.resources.map((x) => x.additionalSecretOutputs),
});

describe("npm run bench: the floor program", function () {
  it("registers what the project registered, secrets and chain included, with no logic of its own", async function () {
    const project = await runFor(DEV);
    const file = path.join(tempDir("floor"), "record.json");
    fs.writeFileSync(
      file,
      JSON.stringify({ resources: project.resources, invokes: project.invokes }),
    );
    const before = process.env.EM_INFRA_BENCH_FLOOR;
    process.env.EM_INFRA_BENCH_FLOOR = file;
    let floor: RunRecord;
    try {
      floor = await runProgram({
        entry: path.join(__dirname, "..", "scripts", "benchFloorProgram.ts"),
      });
    } finally {
      if (before === undefined) delete process.env.EM_INFRA_BENCH_FLOOR;
      else process.env.EM_INFRA_BENCH_FLOOR = before;
    }
    assert.ok(project.resources.length > 10);
    assert.deepEqual(shape(floor), shape(project));
    assert.deepEqual(longestChain(floor), longestChain(project));
  });
});

describe("npm run bench: the modes of a size take turns", function () {
  it("runs every mode once a round, each first and last as often as the others", function () {
    const rounds = turns(["compiled", "ts-node", "floor"], 6);
    assert.equal(rounds.length, 6);
    for (const r of rounds) assert.deepEqual([...r].sort(), ["compiled", "floor", "ts-node"]);
    const count = (at: (r: string[]) => string) =>
      rounds.reduce<Record<string, number>>((n, r) => ({ ...n, [at(r)]: (n[at(r)] ?? 0) + 1 }), {});
    assert.deepEqual(
      count((r) => r[0]),
      { compiled: 2, "ts-node": 2, floor: 2 },
    );
    assert.deepEqual(
      count((r) => r[r.length - 1]),
      { compiled: 2, "ts-node": 2, floor: 2 },
    );
    // Two modes alternate which goes first.
    assert.deepEqual(turns(["a", "b"], 2), [
      ["a", "b"],
      ["b", "a"],
    ]);
  });
});
