/**
 * `npm run bench`: how long the program takes to evaluate, under the offline
 * engine, for generated inventories of 3, 50 and 200 nodes.
 *
 * It measures the program the way `pulumi up` runs it: compiled JavaScript from
 * .build/ (what bin/pulumi-main.js runs), in a fresh Node process per size with
 * no ts-node loaded. For comparison it also runs index.ts under ts-node, the way
 * the tests do. Each size runs several times after one warm-up; it reports the
 * median wall time, the resources and invokes registered, and the longest chain
 * of steps before the kubeconfig output resolves.
 *
 *   npm run bench                     # 3, 50 and 200 nodes, 5 runs each
 *   npm run bench -- --sizes 200 --runs 9
 *   npm run bench -- --json results.json # also write the results as JSON (npm run figures)
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_ROOT } from "../lib/projectRoot";
import { runProgram } from "../tools/offline/engine";
import { longestChain } from "../tools/plan";
import { DYNAMIC } from "../lib/tokens";

/** One size's measurements. */
export interface Result {
  readonly mode: "compiled" | "ts-node";
  readonly nodes: number;
  readonly runsMs: number[];
  readonly medianMs: number;
  readonly resources: number;
  readonly invokes: number;
  readonly chain: string[];
}

/** What `--json <file>` writes: the machine as bench saw it, and every row. */
export interface BenchReport {
  readonly cpus: number;
  readonly node: string;
  readonly runs: number;
  readonly results: readonly Result[];
}

/** The project root, from source (scripts/) or compiled (.build/scripts/). */
const ROOT = PROJECT_ROOT;

/** Writes an inventory of `count` nodes: 3 control planes (1 when count ≤ 3), 1 GPU worker. */
export function writeInventory(dir: string, count: number): void {
  const cps = count <= 3 ? 1 : 3;
  const cluster = [
    "name: bench",
    "vip: 10.50.0.10",
    "talos: { version: v1.13.0 }",
    "kubernetes: { version: 1.36.0 }",
    "proxmox: { node: pve1, vmDatastore: local-lvm, imageDatastore: local }",
    "network: { cidr: 10.50.0.0/16, gateway: 10.50.0.1, nameservers: [10.50.0.1] }",
  ];
  const nodes = ["nodes:"];
  for (let i = 0; i < count; i++) {
    const role = i < cps ? "controlplane" : "worker";
    const ip = `10.50.${1 + Math.floor(i / 200)}.${10 + (i % 200)}`;
    nodes.push(`  - { name: node-${i}, role: ${role}, vmId: ${5000 + i}, ip: ${ip} }`);
  }
  // The last node is a GPU worker, so both schematics and both downloads are in play.
  nodes[nodes.length - 1] = nodes[nodes.length - 1].replace(" }", ", gpu: { mapping: gpu0 } }");
  fs.writeFileSync(path.join(dir, "cluster.yaml"), cluster.join("\n") + "\n");
  fs.writeFileSync(path.join(dir, "nodes.yaml"), nodes.join("\n") + "\n");
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Runs inside a worker process: one size, one mode. */
async function measure(mode: Result["mode"], count: number, runs: number): Promise<Result> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `em-infra-bench-${count}-`));
  writeInventory(dir, count);
  const entry =
    mode === "compiled" ? path.join(ROOT, ".build", "index.js") : path.join(ROOT, "index.ts");
  const options = {
    entry,
    config: { "em-infra:inventory": dir, "proxmoxve:endpoint": "https://pve.bench.invalid:8006/" },
  };
  const warm = await runProgram(options);
  const runsMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    (global as { gc?: () => void }).gc?.();
    const start = process.hrtime.bigint();
    await runProgram(options);
    runsMs.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  fs.rmSync(dir, { recursive: true, force: true });
  return {
    mode,
    nodes: count,
    runsMs,
    medianMs: median(runsMs),
    resources: warm.resources.length,
    invokes: warm.invokes.length,
    chain: longestChain(warm),
  };
}

function arg(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
}

/** Runs one (mode, size) in a fresh process and reads its JSON result. */
function spawnWorker(mode: Result["mode"], count: number, runs: number): Result {
  const worker =
    mode === "compiled"
      ? ["--expose-gc", path.join(ROOT, ".build", "scripts", "bench.js")]
      : [
          "--expose-gc",
          "-r",
          "ts-node/register/transpile-only",
          path.join(ROOT, "scripts", "bench.ts"),
        ];
  const child = spawnSync(
    process.execPath,
    [...worker, "--worker", mode, "--nodes", String(count), "--runs", String(runs)],
    { cwd: ROOT, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
  );
  if (child.status !== 0) throw new Error(`bench worker failed:\n${child.stderr}`);
  return JSON.parse(child.stdout.trim().split("\n").pop()!) as Result;
}

/**
 * Runs inside a worker process: the median time to run the dynamic-resource program
 * with `count` resources, and the serialized provider's size.
 */
async function measureDynamic(count: number, runs: number): Promise<DynamicResult> {
  process.env.EM_INFRA_BENCH_DYNAMIC = String(count);
  const entry = path.join(ROOT, ".build", "scripts", "benchDynamicProgram.js");
  const warm = await runProgram({ entry });
  const runsMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    (global as { gc?: () => void }).gc?.();
    const start = process.hrtime.bigint();
    await runProgram({ entry });
    runsMs.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  const first = warm.resources.find((r) => r.type === DYNAMIC);
  return {
    count,
    medianMs: median(runsMs),
    providerBytes: first ? String(first.inputs.__provider).length : 0,
  };
}

/** One size of the dynamic-resource measurement. */
interface DynamicResult {
  readonly count: number;
  readonly medianMs: number;
  readonly providerBytes: number;
}

/** Runs the dynamic-resource measurement for one count in a fresh process. */
function spawnDynamicWorker(count: number, runs: number): DynamicResult {
  const child = spawnSync(
    process.execPath,
    [
      "--expose-gc",
      path.join(ROOT, ".build", "scripts", "bench.js"),
      "--dynamic-worker",
      String(count),
      "--runs",
      String(runs),
    ],
    { cwd: ROOT, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
  );
  if (child.status !== 0) throw new Error(`bench worker failed:\n${child.stderr}`);
  return JSON.parse(child.stdout.trim().split("\n").pop()!) as DynamicResult;
}

/** The cost of one dynamic resource's registration, compiled, and its stored provider. */
function reportDynamic(runs: number): void {
  const none = spawnDynamicWorker(0, runs);
  const many = spawnDynamicWorker(200, runs);
  const perRegistration = (many.medianMs - none.medianMs) / 200;
  process.stdout.write(
    `\ndynamic resources (compiled): 0 → ${none.medianMs.toFixed(0)} ms, ` +
      `200 → ${many.medianMs.toFixed(0)} ms; ${perRegistration.toFixed(2)} ms per registration; ` +
      `serialized provider ${many.providerBytes} bytes in each resource's state\n`,
  );
}

async function main(args: string[]): Promise<void> {
  const runs = Number(arg(args, "--runs", "5"));
  if (args.includes("--dynamic-worker")) {
    const result = await measureDynamic(Number(arg(args, "--dynamic-worker", "0")), runs);
    process.stdout.write(JSON.stringify(result) + "\n");
    return;
  }
  if (args.includes("--worker")) {
    const mode = arg(args, "--worker", "compiled") as Result["mode"];
    const result = await measure(mode, Number(arg(args, "--nodes", "3")), runs);
    process.stdout.write(JSON.stringify(result) + "\n");
    return;
  }
  const sizes = arg(args, "--sizes", "3,50,200").split(",").map(Number);
  const modes: Result["mode"][] = args.includes("--no-ts-node")
    ? ["compiled"]
    : ["compiled", "ts-node"];
  const results: Result[] = [];
  process.stdout.write(
    `em-infra bench: ${os.cpus().length} cpus, node ${process.version}, ${runs} runs per row after a warm-up\n\n`,
  );
  const header = ["mode", "nodes", "median", "min", "max", "resources", "invokes", "chain"];
  const rows: string[][] = [header];
  for (const mode of modes) {
    for (const n of sizes) {
      const r = spawnWorker(mode, n, runs);
      results.push(r);
      rows.push([
        r.mode,
        String(r.nodes),
        `${(r.medianMs / 1000).toFixed(2)} s`,
        `${(Math.min(...r.runsMs) / 1000).toFixed(2)} s`,
        `${(Math.max(...r.runsMs) / 1000).toFixed(2)} s`,
        String(r.resources),
        String(r.invokes),
        String(r.chain.length),
      ]);
    }
  }
  const widths = header.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows)
    process.stdout.write(r.map((c, i) => c.padStart(widths[i])).join("  ") + "\n");

  const jsonPath = arg(args, "--json", "");
  if (jsonPath !== "") {
    const report: BenchReport = { cpus: os.cpus().length, node: process.version, runs, results };
    fs.writeFileSync(jsonPath, JSON.stringify(report, null, 2) + "\n");
  }

  const compiled = results.filter((r) => r.mode === "compiled");
  const largest = compiled[compiled.length - 1];
  process.stdout.write(`\nlongest chain (${largest.nodes} nodes): ${largest.chain.join(" → ")}\n`);
  const chains = new Set(compiled.map((r) => r.chain.length));
  process.stdout.write(
    `chain length the same for every size: ${chains.size === 1 ? "yes" : "NO"} (${[...chains].join(", ")})\n`,
  );
  if (!args.includes("--no-dynamic")) reportDynamic(runs);
  for (const n of sizes) {
    const c = results.find((r) => r.mode === "compiled" && r.nodes === n);
    const t = results.find((r) => r.mode === "ts-node" && r.nodes === n);
    if (c && t) {
      process.stdout.write(
        `${n} nodes: ts-node / compiled = ${(t.medianMs / c.medianMs).toFixed(2)}\n`,
      );
    }
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((e) => {
    process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  });
}
