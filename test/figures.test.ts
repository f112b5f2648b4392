/**
 * `npm run figures`: its pure parts. The parsers read what mocha, npm ci, the plan and
 * the bench print; the renderers write the generated blocks with their date, commit,
 * machine and the command that regenerates them; the blocks replace exactly what sits
 * between their markers. The command itself (a clone and minutes of measuring) is not
 * run here.
 */
import { strict as assert } from "assert";
import * as prettier from "prettier";
import {
  FIGURES_COMMAND,
  PERFORMANCE_MARKERS,
  VALIDATION_MARKERS,
  benchSummary,
  firstLine,
  formatWall,
  median,
  parseBenchReport,
  parseFiguresArgs,
  parseMochaCounts,
  parseNpmCiAdded,
  parsePlan,
  renderPerformanceBlock,
  renderValidationBlock,
  type Provenance,
} from "../scripts/figures";
import { replaceGenerated } from "../scripts/docs";
import type { BenchReport } from "../scripts/bench";

const PROVENANCE: Provenance = {
  date: "2026-11-30 09:30 UTC",
  commit: "abc1234",
  cpus: 2,
  memoryGiB: 23.4,
  node: "v20.20.2",
  npm: "11.19.1",
  runs: 3,
  loadAverage: 4.31,
  probeMs: { before: 2080, after: 2710 },
};

/** A report shaped as `npm run bench -- --json` writes it. */
function report(): BenchReport {
  const row = (mode: "compiled" | "ts-node" | "floor", nodes: number, runsMs: number[]) => ({
    mode,
    nodes,
    runsMs,
    medianMs: median(runsMs),
    resources: nodes * 3 + 10,
    invokes: nodes + 4,
    chain: ["a", "b", "c", "d", "e", "f", "g"],
  });
  return {
    cpus: 2,
    node: "v20.20.2",
    runs: 3,
    results: [
      row("compiled", 3, [70, 50, 60]),
      row("compiled", 50, [600, 620, 670]),
      row("compiled", 200, [2380, 2340, 2480]),
      row("ts-node", 3, [170, 190, 170]),
      row("ts-node", 50, [1590, 1570, 1630]),
      row("ts-node", 200, [6320, 6270, 6520]),
      row("floor", 3, [40, 50, 45]),
      row("floor", 200, [1700, 1750, 1690]),
    ],
  };
}

describe("npm run figures: parsing", () => {
  it("reads mocha's counts, with pending and failing when present", () => {
    const ok = "  ✔ something\n\n\n  697 passing (39s)\n\n";
    assert.deepStrictEqual(parseMochaCounts(ok), { passing: 697, pending: 0, failing: 0 });
    const mixed = "  340 passing (20s)\n  54 pending\n  2 failing\n\n  1) suite\n";
    assert.deepStrictEqual(parseMochaCounts(mixed), { passing: 340, pending: 54, failing: 2 });
    assert.throws(() => parseMochaCounts("error TS2304: Cannot find name"), /no `N passing`/);
  });

  it("reads npm ci's package count, the plan's resources and steps, and a script's first line", () => {
    assert.strictEqual(parseNpmCiAdded("\nadded 388 packages in 9s\n"), 388);
    assert.throws(() => parseNpmCiAdded("up to date"), /added N packages/);
    const plan = [
      "> em-infra@0.1.0 plan",
      "",
      "Resources",
      "  3  em-infra:proxmox:NodeVm",
      "  1  talos:machine/bootstrap:Bootstrap",
      "  2  proxmoxve:download/file:File",
      "",
      "Deploy order",
      "  1. image: schematics (4)",
      "  2. secrets: (1)",
      "  3. vm: (3)",
      "",
      "other",
    ].join("\n");
    assert.deepStrictEqual(parsePlan(plan), { resources: 6, steps: 3 });
    assert.strictEqual(
      firstLine(
        "\n> em-infra@0.1.0 validate\n> ts-node x\n\ninventory/dev: valid\n\ncluster dev\n",
      ),
      "inventory/dev: valid",
    );
  });

  it("checks a bench report, and sums it up in one line", () => {
    const r = report();
    assert.deepStrictEqual(parseBenchReport(JSON.stringify(r)), r);
    assert.throws(() => parseBenchReport('{"results": []}'), /no results/);
    assert.strictEqual(
      benchSummary(r),
      "200 nodes: 2.38 s compiled, 6.32 s ts-node, 1.40 times the floor (medians); chain 7 at every size.",
    );
  });

  it("takes medians and formats wall times", () => {
    assert.strictEqual(median([3, 1, 2]), 2);
    assert.strictEqual(median([4, 1, 2, 3]), 2.5);
    assert.strictEqual(formatWall(9840), "9.8 s");
    assert.strictEqual(formatWall(150000), "2.5 min");
  });

  it("parses its options, refusing contradictions", () => {
    assert.deepStrictEqual(parseFiguresArgs([]), {
      bench: true,
      validation: true,
      performance: true,
      runs: 3,
    });
    assert.deepStrictEqual(parseFiguresArgs(["--skip-bench", "--runs", "1"]), {
      bench: false,
      validation: true,
      performance: false,
      runs: 1,
    });
    assert.deepStrictEqual(parseFiguresArgs(["--only", "performance"]), {
      bench: true,
      validation: false,
      performance: true,
      runs: 3,
    });
    assert.match(String(parseFiguresArgs(["--only", "bench"])), /validation or performance/);
    assert.match(String(parseFiguresArgs(["--only", "performance", "--skip-bench"])), /drop/);
    assert.match(String(parseFiguresArgs(["--fast"])), /unexpected argument --fast/);
  });
});

describe("npm run figures: the generated blocks", () => {
  const measured = [
    { command: "npm ci", result: "Passed: 388 packages added.", runsMs: [9800, 9000, 12000] },
    { command: "npm test", result: "Passed: 697 passing.", runsMs: [52000, 50000, 61000] },
  ];

  it("the evidence block names its date, commit, machine, command, and holds medians", () => {
    const block = renderValidationBlock(PROVENANCE, measured);
    assert.ok(block.startsWith(VALIDATION_MARKERS.begin + "\n"));
    assert.ok(block.endsWith("\n" + VALIDATION_MARKERS.end));
    assert.match(block, /### 2026-11-30 09:30 UTC: a fresh `git clone` of abc1234/);
    assert.match(block, new RegExp(`\`${FIGURES_COMMAND}\``));
    assert.match(
      block,
      /2 CPUs \(`nproc`\), 23\.4 GiB memory, Node\.js v20\.20\.2, npm 11\.19\.1;/,
    );
    assert.match(block, /load average 4\.31 when the run began/);
    assert.match(block, /took\s+2\.1 s before the first command and 2\.7 s after the last/);
    assert.match(block, /The machine is shared/);
    assert.match(block, /\| `npm ci` +\| Passed: 388 packages added\. +\| +9\.8 s \| +3 \|/);
    assert.match(block, /\| `npm test` +\| Passed: 697 passing\. +\| +52\.0 s \| +3 \|/);
    assert.match(block, /\| `npx pulumi preview` +\| Not run/);
  });

  it("the bench block holds the table, what follows from it, and the compile times", () => {
    const block = renderPerformanceBlock(PROVENANCE, report(), {
      cleanMs: [2000, 2100, 1900],
      unchangedMs: [1200, 1300, 1100],
    });
    assert.ok(block.startsWith(PERFORMANCE_MARKERS.begin + "\n"));
    assert.match(block, /Measured 2026-11-30 09:30 UTC on commit abc1234/);
    assert.match(block, /`npm run figures`/);
    assert.match(block, /load average 4\.31/);
    assert.match(block, /The machine is shared, and its speed\s+moves with the host's other work/);
    assert.match(block, /Read medians and ratios, not single runs\./);
    assert.match(
      block,
      /\| compiled \| +200 \| 2\.38 s \| 2\.34 s \| 2\.48 s \| +610 \| +204 \| +7 \|/,
    );
    assert.match(block, /\*\*200 nodes evaluate in 2\.38 s\*\* \(median\).*under the 3 s target/);
    assert.match(block, /ts-node takes 2\.6 to 2\.8 times as long/);
    assert.match(
      block,
      /\*\*200 nodes take 1\.40 times the floor\*\*: a program with no logic that registers the same 610 resources and 204 function calls.* took 1\.70 s\..* 3\.4 ms per node/s,
    );
    assert.match(block, /The ratio moves less with the host's speed than the times do/);
    assert.match(block, /\| floor +\| +200 \| 1\.70 s \|/);
    assert.match(block, /chain to the kubeconfig is 7 steps at every size/);
    assert.match(block, /4 times the nodes \(50 → 200\) took 3\.8 times as long/);
    assert.match(block, /1\.20 s when nothing changed and 2\.00 s from a clean checkout/);
    assert.match(block, /`node bin\/build\.js`, medians of 3 runs each/);
    assert.match(block, /about 3\.6 s compiled against 6\.3 s under ts-node/);
  });

  it("the bench block states the Kubernetes upgrade row against its ideal, when measured", () => {
    const timing = { cleanMs: [1], unchangedMs: [1] };
    assert.doesNotMatch(renderPerformanceBlock(PROVENANCE, report(), timing), /Kubernetes upgrade/);
    const block = renderPerformanceBlock(
      PROVENANCE,
      { ...report(), kubernetes: { workers: 20, medianMs: 14050, idealMs: 13600 } },
      timing,
    );
    assert.match(
      block,
      /\*\*A Kubernetes upgrade of 3 control planes and 20 workers\*\*.* took 14\.05 s: 1\.03 times the ideal of 13\.60 s/s,
    );
  });

  it("both blocks are already as Prettier formats them, and replace only their markers", async () => {
    const blocks: [string, { begin: string; end: string }][] = [
      [renderValidationBlock(PROVENANCE, measured), VALIDATION_MARKERS],
      [
        renderPerformanceBlock(PROVENANCE, report(), { cleanMs: [1], unchangedMs: [1] }),
        PERFORMANCE_MARKERS,
      ],
    ];
    for (const [block, markers] of blocks) {
      const doc = `# T\n\nbefore\n\n${markers.begin}\nold figures\n${markers.end}\n\nafter\n`;
      const next = replaceGenerated(doc, block, markers);
      assert.strictEqual(next, `# T\n\nbefore\n\n${block}\n\nafter\n`);
      assert.strictEqual(
        await prettier.format(next, { parser: "markdown", printWidth: 100 }),
        next,
      );
      assert.throws(() => replaceGenerated("# no markers\n", block, markers), /missing/);
    }
  });
});
