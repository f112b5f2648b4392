/**
 * `npm run figures [-- --skip-bench] [-- --only validation|performance] [-- --runs N]`
 *
 * Regenerates the measured figures in the docs, so that no one edits them by hand:
 * - the evidence table in docs/validation.md (npm ci, lint, test and its counts,
 *   validate, plan, docs --check, bench);
 * - the bench table in docs/performance.md, with the compile times beside it.
 *
 * It measures what a new user gets: a fresh `git clone` of HEAD in a temporary folder,
 * with no `../shared` beside it (uncommitted changes are not measured). Each command
 * runs `--runs` times (default 3; `npm run bench` once, as it times its own runs) and
 * the median wall time is written. Each block states the date (UTC), the commit, the
 * machine and the command that regenerates it. If any command fails, nothing is
 * written and the exit code is 1.
 *
 * The parsers and renderers are pure and exported for the tests.
 */
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as prettier from "prettier";
import { PROJECT_ROOT } from "../lib/projectRoot";
import { runCommand, printHelp, usageError, wantsHelp, type Writer } from "../tools/cli";
import { replaceGenerated } from "./docs";
import type { BenchReport, Result as BenchResult } from "./bench";

/** The doc holding the evidence table, relative to the project root. */
export const VALIDATION_DOC = path.join("docs", "validation.md");
/** The doc holding the bench table, relative to the project root. */
export const PERFORMANCE_DOC = path.join("docs", "performance.md");
/** The command named in every block. */
export const FIGURES_COMMAND = "npm run figures";

/** The markers of each generated block. */
export const VALIDATION_MARKERS = {
  begin: "<!-- BEGIN GENERATED: measured figures (npm run figures) -->",
  end: "<!-- END GENERATED: measured figures -->",
} as const;
export const PERFORMANCE_MARKERS = {
  begin: "<!-- BEGIN GENERATED: bench figures (npm run figures) -->",
  end: "<!-- END GENERATED: bench figures -->",
} as const;

/** The evaluation target docs/performance.md holds the program to, in seconds. */
export const TARGET_200_NODES_S = 3;

/** What the block says about the machine and the run. */
export interface Provenance {
  /** `date -u`, e.g. `2026-11-30 09:12 UTC`. */
  readonly date: string;
  /** The commit measured, abbreviated. */
  readonly commit: string;
  /** `nproc`. */
  readonly cpus: number;
  /** Total memory in GiB. */
  readonly memoryGiB: number;
  readonly node: string;
  readonly npm: string;
  /** How many times each command ran (bench aside). */
  readonly runs: number;
  /** The 1-minute load average when the measuring began: how busy the shared machine was. */
  readonly loadAverage: number;
  /**
   * How fast the host ran: {@link PROBE_SCRIPT}'s wall time, in milliseconds, just before
   * the first measured command and just after the last. The same loop takes longer when
   * the host gives this machine less of its processors, which the load average, counting
   * only this machine's own work, does not show.
   */
  readonly probeMs: { readonly before: number; readonly after: number };
}

/** A fixed amount of work for one core, for {@link Provenance.probeMs}. */
export const PROBE_SCRIPT = "let s = 0; for (let i = 0; i < 3e8; i++) s += i;";

/** One command's measurement. */
export interface Measured {
  /** The command as the table shows it, e.g. `npm run lint`. */
  readonly command: string;
  /** What it showed, in a few words. */
  readonly result: string;
  /** Wall time of each run, in milliseconds. */
  readonly runsMs: readonly number[];
}

/** Mocha's closing counts. */
export interface MochaCounts {
  readonly passing: number;
  readonly pending: number;
  readonly failing: number;
}

/** The median of a non-empty list. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** A wall time as the tables show it: `9.8 s` below two minutes, `2.5 min` above. */
export function formatWall(ms: number): string {
  return ms < 120000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 60000).toFixed(1)} min`;
}

/** The passing, pending and failing counts in mocha's spec-reporter output. */
export function parseMochaCounts(text: string): MochaCounts {
  const count = (word: string): number | undefined => {
    const m = new RegExp(`^\\s*(\\d+) ${word}\\b`, "m").exec(text);
    return m ? Number(m[1]) : undefined;
  };
  const passing = count("passing");
  if (passing === undefined) throw new Error("no `N passing` line in mocha's output");
  return { passing, pending: count("pending") ?? 0, failing: count("failing") ?? 0 };
}

/** How many packages `npm ci` added (`added 388 packages in 9s`). */
export function parseNpmCiAdded(text: string): number {
  const m = /^added (\d+) packages?\b/m.exec(text);
  if (!m) throw new Error("no `added N packages` line in npm ci's output");
  return Number(m[1]);
}

/** The resource count and deploy steps `npm run plan` printed. */
export function parsePlan(text: string): { resources: number; steps: number } {
  const section = (title: string): string[] => {
    const lines = text.split("\n");
    const start = lines.findIndex((l) => l.startsWith(title));
    if (start < 0) throw new Error(`no "${title}" section in the plan`);
    const body: string[] = [];
    for (const l of lines.slice(start + 1)) {
      if (l.trim() === "" || !l.startsWith(" ")) break;
      body.push(l);
    }
    return body;
  };
  const resources = section("Resources")
    .map((l) => /^\s+(\d+)\s+\S/.exec(l))
    .reduce((sum, m) => sum + (m ? Number(m[1]) : 0), 0);
  const steps = section("Deploy order").filter((l) => /^\s+\d+\.\s/.test(l)).length;
  return { resources, steps };
}

/** The first line a script printed after npm's `> name@version script` banner. */
export function firstLine(text: string): string {
  const lines = text.split("\n").map((l) => l.trimEnd());
  let i = 0;
  while (i < lines.length && (lines[i] === "" || lines[i].startsWith("> "))) i++;
  return lines[i] ?? "";
}

/** A bench report written by `npm run bench -- --json <file>`, checked. */
export function parseBenchReport(text: string): BenchReport {
  const r = JSON.parse(text) as BenchReport;
  if (!Array.isArray(r.results) || r.results.length === 0)
    throw new Error("the bench report has no results");
  for (const x of r.results) {
    if (!Array.isArray(x.runsMs) || x.runsMs.length === 0 || typeof x.medianMs !== "number")
      throw new Error(`the bench report's ${x.mode} ${x.nodes} row has no runs`);
  }
  return r;
}

const secs = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

/** A Markdown table, columns padded as Prettier pads them; `right` columns right-aligned. */
export function markdownTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  right: readonly number[] = [],
): string[] {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(3, ...all.map((r) => r[c].length)));
  const line = (r: readonly string[]) =>
    `| ${r.map((cell, c) => (right.includes(c) ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join(" | ")} |`;
  const rule = `| ${widths.map((w, c) => (right.includes(c) ? `${"-".repeat(w - 1)}:` : "-".repeat(w))).join(" | ")} |`;
  return [line(header), rule, ...rows.map(line)];
}

/** The machine line every block carries. */
function machine(p: Provenance): string {
  return [
    `${p.cpus} CPUs (\`nproc\`), ${p.memoryGiB.toFixed(1)} GiB memory, Node.js ${p.node}, npm ${p.npm};`,
    `load average ${p.loadAverage.toFixed(2)} when the run began. The machine is shared, and its speed`,
    `moves with the host's other work: a fixed loop (\`node -e "${PROBE_SCRIPT}"\`) took`,
    `${formatWall(p.probeMs.before)} before the first command and ${formatWall(p.probeMs.after)} after the last.`,
  ].join("\n");
}

/** The bench summary one line of the evidence table gives. */
export function benchSummary(report: BenchReport): string {
  const largest = Math.max(...report.results.map((r) => r.nodes));
  const at = (mode: BenchResult["mode"]) =>
    report.results.find((r) => r.mode === mode && r.nodes === largest);
  const c = at("compiled");
  const t = at("ts-node");
  const f = at("floor");
  const chains = [...new Set(report.results.map((r) => r.chain.length))];
  const times = [
    c ? `${secs(c.medianMs)} compiled` : "",
    t ? `${secs(t.medianMs)} ts-node` : "",
    c && f ? `${(c.medianMs / f.medianMs).toFixed(2)} times the floor` : "",
  ]
    .filter((x) => x !== "")
    .join(", ");
  const chain =
    chains.length === 1 ? `chain ${chains[0]} at every size` : `chain ${chains.join(", ")}`;
  return `${largest} nodes: ${times} (medians); ${chain}.`;
}

/** The evidence block of docs/validation.md. */
export function renderValidationBlock(p: Provenance, measured: readonly Measured[]): string {
  const rows = measured.map((m) => [
    `\`${m.command}\``,
    m.result,
    formatWall(median(m.runsMs)),
    String(m.runsMs.length),
  ]);
  rows.push([
    "`npx pulumi preview`",
    "Not run by `npm run figures`: it needs a Proxmox host.",
    "–",
    "–",
  ]);
  return [
    VALIDATION_MARKERS.begin,
    "",
    `### ${p.date}: a fresh \`git clone\` of ${p.commit}, without \`../shared\` beside it`,
    "",
    `Measured by \`${FIGURES_COMMAND}\`, which regenerates this block (do not edit it by hand).`,
    `Machine: ${machine(p)}`,
    "Wall times vary from run to run with it: each is the median of the runs shown",
    "(`npm run bench` runs once and reports medians of its own runs).",
    "",
    ...markdownTable(["Command", "Result", "Wall time (median)", "Runs"], rows, [2, 3]),
    "",
    VALIDATION_MARKERS.end,
  ].join("\n");
}

/** Compile times measured beside the bench, in milliseconds per run. */
export interface CompileTimes {
  readonly cleanMs: readonly number[];
  readonly unchangedMs: readonly number[];
}

/** The bench block of docs/performance.md: the table, and what follows from it. */
export function renderPerformanceBlock(
  p: Provenance,
  report: BenchReport,
  compile: CompileTimes,
): string {
  const rows = report.results.map((r) => [
    r.mode,
    String(r.nodes),
    secs(r.medianMs),
    secs(Math.min(...r.runsMs)),
    secs(Math.max(...r.runsMs)),
    String(r.resources),
    String(r.invokes),
    String(r.chain.length),
  ]);
  const find = (mode: BenchResult["mode"], n: number) =>
    report.results.find((r) => r.mode === mode && r.nodes === n);
  const sizes = [...new Set(report.results.map((r) => r.nodes))].sort((a, b) => a - b);
  const largest = sizes[sizes.length - 1];
  const bullets: string[] = [];
  const c = find("compiled", largest);
  if (c) {
    const target =
      c.medianMs / 1000 < TARGET_200_NODES_S
        ? `under the ${TARGET_200_NODES_S} s target`
        : `**over** the ${TARGET_200_NODES_S} s target`;
    const ratios = sizes
      .map((n) => {
        const cc = find("compiled", n);
        const t = find("ts-node", n);
        return cc && t ? t.medianMs / cc.medianMs : undefined;
      })
      .filter((x): x is number => x !== undefined);
    const ratio =
      ratios.length === 0
        ? ""
        : ` ts-node takes ${Math.min(...ratios).toFixed(1)} to ${Math.max(...ratios).toFixed(1)} times as long.`;
    bullets.push(
      `- **${largest} nodes evaluate in ${secs(c.medianMs)}** (median) as \`pulumi up\` runs them, ${target}.${ratio}`,
    );
  }
  const f = find("floor", largest);
  if (c && f) {
    const byNode = (c.medianMs - f.medianMs) / largest;
    bullets.push(
      `- **${largest} nodes take ${(c.medianMs / f.medianMs).toFixed(2)} times the floor**: a program with no logic that registers the same ${f.resources} resources and ${f.invokes} function calls, with the same inputs and dependencies (\`scripts/benchFloorProgram.ts\`), took ${secs(f.medianMs)}. The ratio moves less with the host's speed than the times do, the modes taking turns run by run, but it still moves (read it over several runs); the difference, ${byNode.toFixed(1)} ms per node, is the project's own code (the inventory, the model, the configurations).`,
    );
  }
  const chains = [...new Set(report.results.map((r) => r.chain.length))];
  bullets.push(
    chains.length === 1
      ? `- **The chain to the kubeconfig is ${chains[0]} steps at every size.**`
      : `- **The chain to the kubeconfig changes with the size** (${chains.join(", ")} steps).`,
  );
  if (sizes.length >= 2) {
    const [a, b] = sizes.slice(-2);
    const ca = find("compiled", a);
    const cb = find("compiled", b);
    if (ca && cb)
      bullets.push(
        `- ${(b / a).toFixed(0)} times the nodes (${a} → ${b}) took ${(cb.medianMs / ca.medianMs).toFixed(1)} times as long (compiled).`,
      );
  }
  if (report.dynamic) {
    bullets.push(
      `- **A day-two dynamic resource costs ${report.dynamic.perRegistrationMs.toFixed(2)} ms to register** (compiled), and stores a ${report.dynamic.providerBytes}-byte serialized provider in its state. The program registers two, whatever the size.`,
    );
  }
  if (report.rollout) {
    const r = report.rollout;
    const batches = Math.round(r.idealMs / r.nodeTimeMs);
    bullets.push(
      `- **A Talos upgrade of 3 control planes and ${r.workers} workers** (\`maxUnavailableWorkers: ${r.width}\`, ${r.nodeTimeMs} ms per node on the fake cluster) took ${secs(r.medianMs)}: ${(r.medianMs / r.idealMs).toFixed(2)} times the ideal schedule of ${batches} node-times (limit 1.10). A rerun with nothing to do took ${r.rerunMs.toFixed(1)} ms.`,
    );
  }
  if (report.kubernetes) {
    const k = report.kubernetes;
    bullets.push(
      `- **A Kubernetes upgrade of 3 control planes and ${k.workers} workers** (1.35.2 → 1.36.0 on the fake cluster, in upgrade-k8s's order) took ${secs(k.medianMs)}: ${(k.medianMs / k.idealMs).toFixed(2)} times the ideal of ${secs(k.idealMs)} (each component on each control plane, then the kubelets by batch, then the manifest rollout; limit 1.10).`,
    );
  }
  const unchanged = median(compile.unchangedMs);
  const clean = median(compile.cleanMs);
  const t = find("ts-node", largest);
  const together =
    c && t
      ? ` Together, ${largest} nodes cost about ${((unchanged + c.medianMs) / 1000).toFixed(1)} s compiled against ${(t.medianMs / 1000).toFixed(1)} s under ts-node (which, unlike this measurement, would also type-check unless told not to).`
      : "";
  return [
    PERFORMANCE_MARKERS.begin,
    "",
    `Measured ${p.date} on commit ${p.commit}, a fresh \`git clone\`, by \`${FIGURES_COMMAND}\``,
    `(which regenerates this block; do not edit it by hand): \`npm run bench\`, ${report.runs} runs`,
    "per row after a warm-up, the modes of a size taking turns run by run.",
    `Machine: ${machine(p)}`,
    "Read medians and ratios, not single runs.",
    "",
    ...markdownTable(
      ["mode", "nodes", "median", "min", "max", "resources", "invokes", "chain"],
      rows,
      [1, 2, 3, 4, 5, 6, 7],
    ),
    "",
    ...bullets,
    "",
    "Compiling adds to each real run: `bin/pulumi-main.js` compiles with `bin/build.js`",
    "(`tsc` incrementally; not started when no byte it read has changed), measured here",
    `at ${secs(unchanged)} when nothing changed and ${secs(clean)} from a clean checkout`,
    `(\`node bin/build.js\`, medians of ${compile.cleanMs.length} runs each).${together}`,
    "",
    PERFORMANCE_MARKERS.end,
  ].join("\n");
}

/* ---------------------------------------------------------------- the command */

const USAGE = `usage: npm run figures -- [--skip-bench] [--only validation|performance]
                              [--runs N]
`;

interface Options {
  readonly bench: boolean;
  readonly validation: boolean;
  readonly performance: boolean;
  readonly runs: number;
}

/** The options, or a usage error. */
export function parseFiguresArgs(args: readonly string[]): Options | string {
  let only: string | undefined;
  let skipBench = false;
  let runs = 3;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--skip-bench") skipBench = true;
    else if (a === "--only") {
      only = args[++i];
      if (only !== "validation" && only !== "performance")
        return `--only takes validation or performance, not ${only ?? "nothing"}`;
    } else if (a === "--runs") {
      runs = Number(args[++i]);
      if (!Number.isInteger(runs) || runs < 1 || runs > 9) return "--runs takes 1 to 9";
    } else return `unexpected argument ${a}`;
  }
  if (only === "performance" && skipBench)
    return "--only performance measures the bench: drop --skip-bench";
  return {
    bench: !skipBench,
    validation: only !== "performance",
    performance: only !== "validation" && !skipBench,
    runs,
  };
}

/** The environment for commands in the clone: this npm run's own variables left out. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!/^npm_/i.test(k) && k !== "INIT_CWD") env[k] = v;
  return env;
}

/** Runs a command in `cwd`, output captured; resolves with its code, output and time. */
function timed(
  cmd: string,
  args: readonly string[],
  cwd: string,
): Promise<{ code: number; output: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(cmd, args, { cwd, env: cleanEnv(), stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.on("error", reject);
    child.on("close", (code) =>
      resolve({ code: code ?? 1, output, ms: Number(process.hrtime.bigint() - started) / 1e6 }),
    );
  });
}

/** A command's first line of output, trimmed, from a synchronous run. */
function sh(cmd: string, args: readonly string[], cwd = PROJECT_ROOT): string {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${r.stderr}`);
  return r.stdout.trim();
}

/** A failed command: its name, code and the end of what it printed. */
class CommandFailed extends Error {}

/**
 * The command. Returns 0 when the docs were written, 1 when a measured command failed
 * (nothing written), 2 on bad usage.
 */
export async function runFigures(
  args: readonly string[],
  out: Writer,
  err: Writer,
  root = PROJECT_ROOT,
): Promise<number> {
  if (wantsHelp(args)) return printHelp(out, USAGE);
  const opts = parseFiguresArgs(args);
  if (typeof opts === "string") {
    return usageError(err, opts, "npm run figures --");
  }
  const sha = sh("git", ["rev-parse", "HEAD"], root);
  const commit = sh("git", ["rev-parse", "--short", "HEAD"], root);
  if (sh("git", ["status", "--porcelain", "--untracked-files=no"], root) !== "")
    out.write("note: uncommitted changes are not measured; the clone is of HEAD\n");
  const loadAverage = os.loadavg()[0];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "em-infra-figures-"));
  const clone = path.join(tmp, "em-infra");
  try {
    out.write(`cloning ${commit} into ${clone}\n`);
    sh("git", ["clone", "--quiet", "--no-hardlinks", root, clone], tmp);
    sh("git", ["checkout", "--quiet", "--detach", sha], clone);

    const run = async (label: string, cmd: string, cmdArgs: string[], runs: number) => {
      const results: { output: string; ms: number }[] = [];
      for (let i = 0; i < runs; i++) {
        const r = await timed(cmd, cmdArgs, clone);
        out.write(
          `${label}${runs > 1 ? ` (${i + 1}/${runs})` : ""}: ${r.code === 0 ? "ok" : `exit ${r.code}`}, ${formatWall(r.ms)}\n`,
        );
        if (r.code !== 0) {
          const tail = r.output.trimEnd().split("\n").slice(-30).join("\n");
          throw new CommandFailed(`${label} failed with exit code ${r.code}:\n${tail}`);
        }
        results.push(r);
      }
      return { output: results[results.length - 1].output, runsMs: results.map((r) => r.ms) };
    };

    const probe = async () => {
      const r = await timed(process.execPath, ["-e", PROBE_SCRIPT], clone);
      if (r.code !== 0) throw new CommandFailed(`the speed probe failed:\n${r.output}`);
      return r.ms;
    };
    const probeBefore = await probe();
    const measured: Measured[] = [];
    const ci = await run("npm ci", "npm", ["ci", "--no-audit", "--no-fund"], opts.runs);
    measured.push({
      command: "npm ci",
      result: `Passed: ${parseNpmCiAdded(ci.output)} packages added.`,
      runsMs: ci.runsMs,
    });
    if (opts.validation) {
      const lint = await run("npm run lint", "npm", ["run", "lint"], opts.runs);
      measured.push({
        command: "npm run lint",
        result: "Passed: ESLint and Prettier found nothing.",
        runsMs: lint.runsMs,
      });
      const test = await run("npm test", "npm", ["test"], opts.runs);
      const counts = parseMochaCounts(test.output);
      const pending = counts.pending === 0 ? "none pending" : `${counts.pending} pending`;
      measured.push({
        command: "npm test",
        result: `Passed: type-check clean; ${counts.passing} passing, ${pending}, ${counts.failing === 0 ? "none" : counts.failing} failing.`,
        runsMs: test.runsMs,
      });
      const validate = await run(
        "npm run validate",
        "npm",
        ["run", "validate", "--", "inventory/dev"],
        opts.runs,
      );
      measured.push({
        command: "npm run validate -- inventory/dev",
        result: `Passed: \`${firstLine(validate.output)}\`.`,
        runsMs: validate.runsMs,
      });
      const plan = await run("npm run plan", "npm", ["run", "plan"], opts.runs);
      const p = parsePlan(plan.output);
      measured.push({
        command: "npm run plan",
        result: `Passed: inventory/dev plans ${p.resources} resources in ${p.steps} deploy steps.`,
        runsMs: plan.runsMs,
      });
      const docs = await run("npm run docs", "npm", ["run", "docs", "--", "--check"], opts.runs);
      measured.push({
        command: "npm run docs -- --check",
        result: `Passed: \`${firstLine(docs.output)}\`.`,
        runsMs: docs.runsMs,
      });
      // The demo must leave nothing: its folders are em-infra-demo-* in the temp folder.
      const demoDirs = () =>
        fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith("em-infra-demo-"));
      const before = demoDirs();
      const demo = await run(
        "npm run day2 -- demo",
        "npm",
        ["run", "day2", "--", "demo"],
        opts.runs,
      );
      const ended = /The cluster matches the inventory\.\s*\n\s*The demo took/.test(demo.output);
      const left = demoDirs().filter((d) => !before.includes(d));
      measured.push({
        command: "npm run day2 -- demo",
        result:
          (ended
            ? "Passed: status, dry run, a Talos and a Kubernetes rollout, status matching"
            : "Ran, but did not end with the cluster matching its inventory") +
          (left.length === 0 ? "; no folder left in /tmp." : `; left ${left.join(", ")}.`),
        runsMs: demo.runsMs,
      });
    }
    let report: BenchReport | undefined;
    let compile: CompileTimes | undefined;
    if (opts.bench) {
      if (opts.performance) {
        const tsc = ["bin/build.js"];
        const cleanMs: number[] = [];
        const unchangedMs: number[] = [];
        for (let i = 0; i < opts.runs; i++) {
          fs.rmSync(path.join(clone, ".build"), { recursive: true, force: true });
          cleanMs.push((await run("build from a clean checkout", "node", tsc, 1)).runsMs[0]);
          unchangedMs.push((await run("build with nothing changed", "node", tsc, 1)).runsMs[0]);
        }
        compile = { cleanMs, unchangedMs };
      }
      const json = path.join(tmp, "bench.json");
      const bench = await run("npm run bench", "npm", ["run", "bench", "--", "--json", json], 1);
      report = parseBenchReport(fs.readFileSync(json, "utf8"));
      measured.push({
        command: "npm run bench",
        result: benchSummary(report),
        runsMs: bench.runsMs,
      });
    }

    const probeAfter = await probe();
    const provenance: Provenance = {
      date: sh("date", ["-u", "+%Y-%m-%d %H:%M UTC"]),
      commit,
      cpus: Number(sh("nproc", [])),
      memoryGiB: os.totalmem() / 1024 ** 3,
      node: sh("node", ["--version"], clone),
      npm: sh("npm", ["--version"], clone),
      runs: opts.runs,
      loadAverage,
      probeMs: { before: probeBefore, after: probeAfter },
    };
    const writes: { file: string; text: string }[] = [];
    if (opts.validation) {
      const file = path.join(root, VALIDATION_DOC);
      writes.push({
        file,
        text: replaceGenerated(
          fs.readFileSync(file, "utf8"),
          renderValidationBlock(provenance, measured),
          VALIDATION_MARKERS,
        ),
      });
    }
    if (opts.performance && report !== undefined && compile !== undefined) {
      const file = path.join(root, PERFORMANCE_DOC);
      writes.push({
        file,
        text: replaceGenerated(
          fs.readFileSync(file, "utf8"),
          renderPerformanceBlock(provenance, report, compile),
          PERFORMANCE_MARKERS,
        ),
      });
    }
    for (const w of writes) {
      // Formatted as `npm run lint` expects, so a regenerated doc passes it as is.
      const config = (await prettier.resolveConfig(w.file)) ?? {};
      fs.writeFileSync(w.file, await prettier.format(w.text, { ...config, filepath: w.file }));
      out.write(`wrote ${path.relative(root, w.file)}\n`);
    }
    return 0;
  } catch (e) {
    if (!(e instanceof CommandFailed)) throw e;
    err.write(`${e.message}\nnothing written\n`);
    return 1;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

if (require.main === module) runCommand(runFigures);
