/**
 * `npm run bench`: how long the program takes to evaluate, under the offline
 * engine, for generated inventories of 3, 50 and 200 nodes.
 *
 * It measures the program the way `pulumi up` runs it: compiled JavaScript from
 * .build/ (what bin/pulumi-main.js runs), in a fresh Node process per size with
 * no ts-node loaded. For comparison it also runs index.ts under ts-node, the way
 * the tests do, and the floor: a program with no logic that registers the same
 * resources. Each (mode, size) has its own process and one warm-up; then the modes of
 * a size take turns, one run each in every round, so that the host slowing down or
 * speeding up between runs weighs on every mode alike and the ratios between them
 * hold. It reports the median wall time, the resources and invokes registered, and
 * the longest chain of steps before the kubeconfig output resolves.
 *
 * Then the rollout engine (packages/day2) against the fake cluster: a Talos upgrade of
 * 3 control planes and 20 workers with maxUnavailableWorkers 5 and a fixed simulated
 * upgrade time per node, against the ideal schedule of 3 + 4 node-times, and a rerun
 * with nothing to do.
 *
 *   npm run bench                     # 3, 50 and 200 nodes, 5 runs each; the rollout
 *   npm run bench -- --sizes 200 --runs 9
 *   npm run bench -- --json results.json # also write the results as JSON (npm run figures)
 *   npm run bench -- --rollout-only   # just the rollout benchmark
 *   npm run bench -- --no-rollout
 */
import { spawn, spawnSync, type ChildProcessByStdio } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as readline from "readline";
import type { Readable, Writable } from "stream";
import { PROJECT_ROOT } from "../lib/projectRoot";
import { runProgram } from "../tools/offline/engine";
import { longestChain } from "../tools/plan";
import { DYNAMIC } from "../lib/tokens";
import { exitWhenFlushed } from "../tools/cli";
import { writeInventory } from "../tools/offline/generatedInventory";

/** One size's measurements. */
export interface Result {
  /**
   * `compiled` and `ts-node` run the project; `floor` runs a program with no logic that
   * registers what the project registered (scripts/benchFloorProgram.ts), compiled.
   */
  readonly mode: "compiled" | "ts-node" | "floor";
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
  /** One dynamic resource's registration, when measured. */
  readonly dynamic?: DynamicSummary;
  /** The rollout benchmark against the fake cluster, when run. */
  readonly rollout?: RolloutSummary;
  /** The Kubernetes upgrade benchmark against the fake cluster, when run. */
  readonly kubernetes?: KubernetesSummary;
}

/** What one dynamic resource costs the program. */
export interface DynamicSummary {
  readonly perRegistrationMs: number;
  readonly providerBytes: number;
}

/** The Kubernetes upgrade benchmark's median and ideal. */
export interface KubernetesSummary {
  readonly workers: number;
  readonly medianMs: number;
  readonly idealMs: number;
}

/** The rollout benchmark's medians. */
export interface RolloutSummary {
  readonly workers: number;
  readonly width: number;
  readonly nodeTimeMs: number;
  readonly medianMs: number;
  readonly idealMs: number;
  readonly rerunMs: number;
}

/** The project root, from source (scripts/) or compiled (.build/scripts/). */
const ROOT = PROJECT_ROOT;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * Runs inside a worker process: one size, one mode. After its warm-up it prints
 * `ready`, then times one run for each `run` line on stdin (printing `ran <ms>`), and
 * at `end` prints its result as JSON and returns.
 */
async function serve(mode: Result["mode"], count: number): Promise<Result> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `em-infra-bench-${count}-`));
  try {
    writeInventory(dir, count);
    const config = {
      "em-infra:inventory": dir,
      "proxmoxve:endpoint": "https://pve.bench.invalid:8006/",
    };
    let entry =
      mode === "ts-node" ? path.join(ROOT, "index.ts") : path.join(ROOT, ".build", "index.js");
    if (mode === "floor") {
      // What the project registers at this size, for the floor program to register again.
      const project = await runProgram({ entry, config });
      const file = path.join(dir, "floor-record.json");
      const { resources, invokes } = project;
      fs.writeFileSync(file, JSON.stringify({ resources, invokes }));
      process.env.EM_INFRA_BENCH_FLOOR = file;
      entry = path.join(ROOT, ".build", "scripts", "benchFloorProgram.js");
    }
    const options = { entry, config };
    const warm = await runProgram(options);
    const runsMs: number[] = [];
    process.stdout.write("ready\n");
    for await (const line of readline.createInterface({ input: process.stdin })) {
      if (line === "end") break;
      if (line !== "run") throw new Error(`bench worker: unexpected request ${line}`);
      (global as { gc?: () => void }).gc?.();
      const start = process.hrtime.bigint();
      await runProgram(options);
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      runsMs.push(ms);
      process.stdout.write(`ran ${ms}\n`);
    }
    return {
      mode,
      nodes: count,
      runsMs,
      medianMs: median(runsMs),
      resources: warm.resources.length,
      invokes: warm.invokes.length,
      chain: longestChain(warm),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function arg(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
}

/** A worker process serving one (mode, size), asked for one run at a time. */
class Worker {
  private readonly child: ChildProcessByStdio<Writable, Readable, null>;
  private readonly lines: AsyncIterator<string>;

  constructor(
    readonly mode: Result["mode"],
    readonly nodes: number,
  ) {
    const worker =
      mode !== "ts-node"
        ? ["--expose-gc", path.join(ROOT, ".build", "scripts", "bench.js")]
        : [
            "--expose-gc",
            "-r",
            "ts-node/register/transpile-only",
            path.join(ROOT, "scripts", "bench.ts"),
          ];
    this.child = spawn(
      process.execPath,
      [...worker, "--worker", mode, "--nodes", String(nodes)],
      // Its errors reach the terminal as they come.
      { cwd: ROOT, stdio: ["pipe", "pipe", "inherit"] },
    );
    this.lines = readline.createInterface({ input: this.child.stdout })[Symbol.asyncIterator]();
  }

  /** The worker's next line; an error if it exited first. */
  private async next(): Promise<string> {
    const r = await this.lines.next();
    if (r.done) {
      const code = await new Promise((resolve) =>
        this.child.exitCode !== null
          ? resolve(this.child.exitCode)
          : this.child.on("exit", resolve),
      );
      throw new Error(`bench worker ${this.mode} ${this.nodes} exited (${code}); see above`);
    }
    return r.value;
  }

  /** Resolves once the worker has done its warm-up. */
  async ready(): Promise<void> {
    const line = await this.next();
    if (line !== "ready") throw new Error(`bench worker: expected ready, got ${line}`);
  }

  /** One timed run, in milliseconds. */
  async run(): Promise<number> {
    this.child.stdin.write("run\n");
    const line = await this.next();
    const m = /^ran (\d+(?:\.\d+)?)$/.exec(line);
    if (!m) throw new Error(`bench worker: expected a run's time, got ${line}`);
    return Number(m[1]);
  }

  /** Its result; the worker exits. */
  async end(): Promise<Result> {
    this.child.stdin.end("end\n");
    return JSON.parse(await this.next()) as Result;
  }
}

/**
 * The order of `rounds` rounds in which each of `items` runs once: each round starts one
 * further along, so that none always runs first (after the warm-ups, or right after
 * another's run) or always last.
 */
export function turns<T>(items: readonly T[], rounds: number): T[][] {
  return Array.from({ length: rounds }, (_, i) =>
    items.map((_, j) => items[(i + j) % items.length]),
  );
}

/**
 * Measures one size in every mode: a worker per mode does its warm-up, then the modes
 * take turns (see {@link turns}). One worker runs at a time.
 */
async function measureSize(
  modes: readonly Result["mode"][],
  count: number,
  runs: number,
): Promise<Result[]> {
  const workers = modes.map((mode) => new Worker(mode, count));
  for (const w of workers) await w.ready();
  for (const [i, round] of turns(workers, runs).entries()) {
    for (const w of round) {
      const ms = await w.run();
      // Progress on stderr: a line per run as it ends.
      process.stderr.write(
        `  ${w.mode} ${count} nodes: run ${i + 1}/${runs} ${(ms / 1000).toFixed(2)} s\n`,
      );
    }
  }
  const results: Result[] = [];
  for (const w of workers) results.push(await w.end());
  return results;
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
function reportDynamic(runs: number): DynamicSummary {
  const none = spawnDynamicWorker(0, runs);
  const many = spawnDynamicWorker(200, runs);
  const perRegistration = (many.medianMs - none.medianMs) / 200;
  process.stdout.write(
    `\ndynamic resources (compiled): 0 → ${none.medianMs.toFixed(0)} ms, ` +
      `200 → ${many.medianMs.toFixed(0)} ms; ${perRegistration.toFixed(2)} ms per registration; ` +
      `serialized provider ${many.providerBytes} bytes in each resource's state\n`,
  );
  return { perRegistrationMs: perRegistration, providerBytes: many.providerBytes };
}

/** The slice of packages/day2 the rollout benchmark uses. */
interface Day2ForBench {
  createRolloutProvider(opts: { log?: (line: string) => void; workDir?: string }): {
    create(inputs: unknown): Promise<{ outs: Record<string, unknown> }>;
    update(id: string, olds: unknown, news: unknown): Promise<{ outs: Record<string, unknown> }>;
  };
}
interface FakeForBench {
  nodes: {
    name: string;
    ip: string;
    role: "controlplane" | "worker";
    endpoint: string;
    version: string;
    kubeletVersion: string;
  }[];
  clientConfiguration: Record<string, string>;
  kubernetesEndpoint: string;
  log: { maxConcurrentDown(nodes: string[]): number };
  stop(): void;
}

/**
 * Simulated times of the rollout benchmark, per node. The engine and the fake share one
 * thread, so each batch also pays a roughly constant ~120 ms of TLS handshakes and API
 * calls: the longer the simulated node-time, the closer the ratio gets to 1.
 */
// Two seconds a node: long enough that the engine's own work per batch (TLS handshakes,
// API calls, the fake sharing its thread) is small beside a real node's restart.
const ROLL = { rebootMs: 1600, upgradeMs: 400, workers: 20, width: 5 };

/** Provider inputs for every node of a fake cluster at `talosVersion`. */
function rolloutInputs(c: FakeForBench, talosVersion: string, width: number): unknown {
  const cps = c.nodes.filter((n) => n.role === "controlplane").map((n) => n.name);
  const workers = c.nodes.filter((n) => n.role === "worker").map((n) => n.name);
  const batches = [...cps.slice(1).map((n) => [n]), [cps[0]]];
  for (let i = 0; i < workers.length; i += width) batches.push(workers.slice(i, i + width));
  const schematic = "b".repeat(64);
  return {
    schema: 1,
    cluster: "bench",
    talosVersion,
    kubernetesVersion: "1.36.0",
    bootstrapNode: cps[0],
    maxUnavailableWorkers: width,
    batches,
    nodes: Object.fromEntries(
      c.nodes.map((n) => [
        n.name,
        {
          role: n.role,
          ip: n.ip,
          endpoint: n.endpoint,
          installer: `factory.talos.dev/nocloud-installer/${schematic}:${talosVersion}`,
          schematic,
          protect: false,
          network: { cidr: "10.60.0.0/24", gateway: "10.60.0.1", prefixLength: 24 },
        },
      ]),
    ),
    configs: Object.fromEntries(c.nodes.map((n) => [n.name, `machine: { type: ${n.role} }\n`])),
    credentials: c.clientConfiguration,
    kubernetesEndpoint: c.kubernetesEndpoint,
    timing: { nodeTimeoutSeconds: 30, drainTimeoutSeconds: 10, pollMs: 5 },
  };
}

/** The day-two package, the fake, and the nodes of a bench cluster: 3 control planes, `workers` workers. */
async function benchCluster(workers: number) {
  // Loaded at run time by path, so that tsc neither follows nor copies the package.
  const day2 = (await import(path.join(ROOT, "packages", "day2"))) as Day2ForBench;
  const { startFakeCluster } = (await import(path.join(ROOT, "packages", "day2", "fake"))) as {
    startFakeCluster(o: unknown): Promise<FakeForBench>;
  };
  const nodes = [];
  for (let i = 1; i <= 3; i++)
    nodes.push({ name: `cp-${i}`, ip: `10.60.0.${10 + i}`, role: "controlplane" });
  for (let i = 1; i <= workers; i++)
    nodes.push({ name: `w-${i}`, ip: `10.60.0.${100 + i}`, role: "worker" });
  return { day2, startFakeCluster, nodes };
}

/** One Talos upgrade of a fresh fake cluster; wall times of the upgrade and of a rerun. */
async function rolloutOnce(workers: number, width: number) {
  const { day2, startFakeCluster, nodes } = await benchCluster(workers);
  const c = await startFakeCluster({ nodes, rebootMs: ROLL.rebootMs, upgradeMs: ROLL.upgradeMs });
  try {
    // Its etcd snapshots and stop markers go to a scratch folder, not the project's.
    const provider = day2.createRolloutProvider({ log: () => undefined, workDir: scratch });
    const olds = (await provider.create(rolloutInputs(c, "v1.13.0", width))).outs;
    const news = rolloutInputs(c, "v1.13.3", width);
    let start = process.hrtime.bigint();
    const { outs } = await provider.update("bench-rollout", olds, news);
    const upgradeMs = Number(process.hrtime.bigint() - start) / 1e6;
    if (c.nodes.some((n) => n.version !== "v1.13.3"))
      throw new Error("rollout bench: a node was not upgraded");
    const cpsDown = c.log.maxConcurrentDown(["cp-1", "cp-2", "cp-3"]);
    start = process.hrtime.bigint();
    await provider.update("bench-rollout", outs, news);
    const rerunMs = Number(process.hrtime.bigint() - start) / 1e6;
    return { upgradeMs, rerunMs, cpsDown };
  } finally {
    c.stop();
  }
}

/** Simulated times of the Kubernetes upgrade benchmark: a static pod's restart, a kubelet's, a workload's rollout. */
const K8S = { podMs: 800, kubeletMs: 800, rolloutMs: 800, workers: 20, width: 5 };

/** One Kubernetes 1.35 → 1.36 upgrade of a fresh fake cluster, as upgrade-k8s orders it; its wall time. */
async function kubernetesOnce(workers: number, width: number): Promise<number> {
  const { day2, startFakeCluster, nodes } = await benchCluster(workers);
  const c = await startFakeCluster({
    nodes,
    kubernetesVersion: "1.35.2",
    staticPodReadyMs: K8S.podMs,
    kubeletRestartMs: K8S.kubeletMs,
    rolloutMs: K8S.rolloutMs,
  });
  try {
    // Its etcd snapshots and stop markers go to a scratch folder, not the project's.
    const provider = day2.createRolloutProvider({ log: () => undefined, workDir: scratch });
    const at = (k: string) => {
      const inputs = rolloutInputs(c, "v1.13.0", width) as Record<string, unknown>;
      return { ...inputs, kubernetesVersion: k, configs: {} as Record<string, string> };
    };
    const olds = (await provider.create(at("1.35.2"))).outs;
    const start = process.hrtime.bigint();
    await provider.update("bench-rollout", olds, at("1.36.0"));
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (c.nodes.some((n) => n.kubeletVersion !== "v1.36.0"))
      throw new Error("kubernetes bench: a kubelet was not upgraded");
    return ms;
  } finally {
    c.stop();
  }
}

/** The Kubernetes upgrade benchmark: median against components x control planes + kubelet batches + one rollout. */
async function kubernetesBench(runs: number): Promise<KubernetesSummary> {
  const kubeletBatches = 3 + Math.ceil(K8S.workers / K8S.width);
  const idealMs = 3 * 3 * K8S.podMs + kubeletBatches * K8S.kubeletMs + K8S.rolloutMs;
  process.stdout.write(
    `\nkubernetes: 1.35.2 → 1.36.0 on 3 control planes + ${K8S.workers} workers, maxUnavailableWorkers ${K8S.width}, ` +
      `simulated ${K8S.podMs} ms per static pod, ${K8S.kubeletMs} ms per kubelet, ${K8S.rolloutMs} ms per manifest rollout, ${runs} runs\n`,
  );
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(await kubernetesOnce(K8S.workers, K8S.width));
  const med = median(times);
  process.stdout.write(
    `  upgrade: median ${(med / 1000).toFixed(2)} s (runs: ${times.map((t) => (t / 1000).toFixed(2)).join(", ")} s)\n` +
      `  ideal: 3 components x 3 control planes x ${K8S.podMs} ms + ${kubeletBatches} kubelet batches x ${K8S.kubeletMs} ms + ${K8S.rolloutMs} ms = ${(idealMs / 1000).toFixed(2)} s; ` +
      `ratio ${(med / idealMs).toFixed(2)} (limit 1.10: ${med / idealMs <= 1.1 ? "ok" : "OVER"})\n`,
  );
  return { workers: K8S.workers, medianMs: med, idealMs };
}

/** Where the benchmark's rollouts keep their files; removed when the process exits. */
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "em-infra-bench-"));
process.on("exit", () => fs.rmSync(scratch, { recursive: true, force: true }));

/** The rollout benchmark: runs, medians and the ratio to the ideal schedule. */
async function rolloutBench(runs: number): Promise<RolloutSummary> {
  const nodeTimeMs = ROLL.rebootMs + ROLL.upgradeMs;
  const batches = 3 + Math.ceil(ROLL.workers / ROLL.width);
  const idealMs = batches * nodeTimeMs;
  process.stdout.write(
    `\nrollout: Talos upgrade of 3 control planes + ${ROLL.workers} workers, maxUnavailableWorkers ${ROLL.width}, ` +
      `simulated ${ROLL.upgradeMs} ms staging + ${ROLL.rebootMs} ms reboot per node, ${runs} runs after a warm-up\n`,
  );
  await rolloutOnce(1, 1); // warm-up: certificates, protos, TLS
  const single: number[] = [];
  const full: { upgradeMs: number; rerunMs: number; cpsDown: number }[] = [];
  for (let i = 0; i < runs; i++) {
    // One node-time as the engine really spends it: a cluster whose only work is one worker.
    single.push((await rolloutOnce(1, 1)).upgradeMs / 4);
    full.push(await rolloutOnce(ROLL.workers, ROLL.width));
  }
  const up = median(full.map((r) => r.upgradeMs));
  const rerun = median(full.map((r) => r.rerunMs));
  const measuredNode = median(single);
  process.stdout.write(
    `  upgrade: median ${(up / 1000).toFixed(2)} s (runs: ${full.map((r) => (r.upgradeMs / 1000).toFixed(2)).join(", ")} s); ` +
      `control planes down at once: ${Math.max(...full.map((r) => r.cpsDown))}\n` +
      `  ideal: ${batches} batches x ${nodeTimeMs} ms = ${(idealMs / 1000).toFixed(2)} s; ratio ${(up / idealMs).toFixed(2)} (limit 1.10: ${up / idealMs <= 1.1 ? "ok" : "OVER"})\n` +
      `  per-node cost as the engine spends it (a 4-node cluster upgraded one node at a time, / 4): ${measuredNode.toFixed(0)} ms; ` +
      `ratio to ${batches} of those: ${(up / (batches * measuredNode)).toFixed(2)}\n` +
      `  rerun with nothing to do: median ${rerun.toFixed(1)} ms (${((100 * rerun) / nodeTimeMs).toFixed(1)}% of one node-time)\n`,
  );
  return {
    workers: ROLL.workers,
    width: ROLL.width,
    nodeTimeMs,
    medianMs: up,
    idealMs,
    rerunMs: rerun,
  };
}

async function main(args: string[]): Promise<void> {
  const runs = Number(arg(args, "--runs", "5"));
  if (args.includes("--dynamic-worker")) {
    const result = await measureDynamic(Number(arg(args, "--dynamic-worker", "0")), runs);
    process.stdout.write(JSON.stringify(result) + "\n");
    return;
  }
  if (args.includes("--rollout-only")) {
    await rolloutBench(Number(arg(args, "--runs", "3")));
    await kubernetesBench(Number(arg(args, "--runs", "3")));
    return;
  }
  if (args.includes("--worker")) {
    const mode = arg(args, "--worker", "compiled") as Result["mode"];
    const result = await serve(mode, Number(arg(args, "--nodes", "3")));
    process.stdout.write(JSON.stringify(result) + "\n");
    return;
  }
  const sizes = arg(args, "--sizes", "3,50,200").split(",").map(Number);
  const modes: Result["mode"][] = args.includes("--no-ts-node")
    ? ["compiled", "floor"]
    : ["compiled", "ts-node", "floor"];
  const results: Result[] = [];
  process.stdout.write(
    `em-infra bench: ${os.cpus().length} cpus, node ${process.version}, ${runs} runs per row after a warm-up, the modes of a size taking turns\n\n`,
  );
  const header = ["mode", "nodes", "median", "min", "max", "resources", "invokes", "chain"];
  const rows: string[][] = [header];
  const bySize: Result[] = [];
  for (const n of sizes) bySize.push(...(await measureSize(modes, n, runs)));
  // Reported by mode, then size.
  for (const mode of modes) results.push(...bySize.filter((x) => x.mode === mode));
  for (const r of results) {
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
  const widths = header.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows)
    process.stdout.write(r.map((c, i) => c.padStart(widths[i])).join("  ") + "\n");

  const compiled = results.filter((r) => r.mode === "compiled");
  const largest = compiled[compiled.length - 1];
  process.stdout.write(`\nlongest chain (${largest.nodes} nodes): ${largest.chain.join(" → ")}\n`);
  const chains = new Set(compiled.map((r) => r.chain.length));
  process.stdout.write(
    `chain length the same for every size: ${chains.size === 1 ? "yes" : "NO"} (${[...chains].join(", ")})\n`,
  );
  const dynamic = args.includes("--no-dynamic") ? undefined : reportDynamic(runs);
  for (const n of sizes) {
    const c = results.find((r) => r.mode === "compiled" && r.nodes === n);
    const t = results.find((r) => r.mode === "ts-node" && r.nodes === n);
    const f = results.find((r) => r.mode === "floor" && r.nodes === n);
    const ratios = [
      c && t ? `ts-node / compiled = ${(t.medianMs / c.medianMs).toFixed(2)}` : "",
      c && f ? `compiled / floor = ${(c.medianMs / f.medianMs).toFixed(2)}` : "",
    ].filter((x) => x !== "");
    if (ratios.length > 0) process.stdout.write(`${n} nodes: ${ratios.join(", ")}\n`);
  }
  const rollout = args.includes("--no-rollout") ? undefined : await rolloutBench(3);
  const kubernetes = args.includes("--no-rollout") ? undefined : await kubernetesBench(3);
  const jsonPath = arg(args, "--json", "");
  if (jsonPath !== "") {
    const report: BenchReport = {
      cpus: os.cpus().length,
      node: process.version,
      runs,
      results,
      ...(dynamic ? { dynamic } : {}),
      ...(rollout ? { rollout } : {}),
      ...(kubernetes ? { kubernetes } : {}),
    };
    fs.writeFileSync(jsonPath, JSON.stringify(report, null, 2) + "\n");
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((e) => {
    process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
    exitWhenFlushed(1);
  });
}
