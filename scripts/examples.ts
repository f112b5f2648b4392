/**
 * `npm run examples [-- --check]`: the example outputs shown in the docs, produced by
 * the commands themselves, so that no one writes them by hand and none can drift.
 *
 * Each example sits in a doc between `<!-- BEGIN GENERATED: example <id> (npm run
 * examples) -->` and `<!-- END GENERATED: example <id> -->`, as a ```text block. Its
 * generator runs the real command in-process against the fake cluster (127.0.0.1 only)
 * or calls the code that writes the message. `npm run examples` rewrites the blocks;
 * `--check` (and test/doc-examples.test.ts) compares them with a fresh run, ignoring only
 * what changes from run to run: loopback ports and measured times (`17 ms`, `3.7 s`),
 * and where a line folds because of them.
 *
 * A ```text block outside these markers in README.md or docs/ is refused by the test, so
 * a new example output is generated too.
 */
import * as fs from "fs";
import * as path from "path";
import { PROJECT_ROOT } from "../lib/projectRoot";
import { runCommand, type Writer } from "../tools/cli";
import { loadInventory } from "../lib/inventory";
import { buildClusterModel } from "../lib/model";
import { bootstrapCheckInputs } from "../lib/model/day2";
import { bootstrapCheckFailureMessage } from "../packages/day2/lib/bootstrapCheck";
import { startFakeFor } from "../tools/day2/fakeFor";
import * as os from "os";
import { runDay2 } from "./day2";

const USAGE =
  "usage: npm run examples -- [--check]\n" +
  "  rewrites the example outputs in the docs from the commands that print them;\n" +
  "  --check only compares them (ports and times aside); exit 1 when one is stale\n";

/** The markers of one example. */
export function exampleMarkers(id: string): { begin: string; end: string } {
  return {
    begin: `<!-- BEGIN GENERATED: example ${id} (npm run examples) -->`,
    end: `<!-- END GENERATED: example ${id} -->`,
  };
}

/** How fast the fake cluster runs: the docs show the demo's own pace, the tests a fast one. */
export interface ExampleOptions {
  readonly fast?: boolean;
}

/** One example: the doc it is in and what prints it. */
export interface Example {
  readonly id: string;
  /** Relative to the project root. */
  readonly doc: string;
  /** Which command or code produces it, for a reader of this file. */
  readonly from: string;
}

const OPERATIONS = path.join("docs", "operations.md");

/** Every example in the docs. */
export const EXAMPLES: readonly Example[] = [
  {
    id: "bootstrap-check-failure",
    doc: OPERATIONS,
    from: "the bootstrap check's failure (packages/day2 bootstrapCheckFailureMessage) for inventory/dev",
  },
  {
    id: "demo-rollout-batch",
    doc: OPERATIONS,
    from: "npm run day2 -- demo: the lines of the Talos rollout's second control-plane batch",
  },
  {
    id: "demo-rollout-summary",
    doc: OPERATIONS,
    from: "npm run day2 -- demo: the Talos rollout's summary",
  },
  {
    id: "status-matches",
    doc: OPERATIONS,
    from: "npm run day2 -- status inventory/dev against the fake cluster",
  },
  {
    id: "status-differs",
    doc: OPERATIONS,
    from: "npm run day2 -- status inventory/dev against the fake cluster, dev-worker-1 at Talos v1.12.9 and dev-gpu-1 down",
  },
];

/** The examples cut from `npm run day2 -- demo`'s transcript, by id. */
export function demoExamples(transcript: string): Map<string, string> {
  return new Map([
    ["demo-rollout-batch", demoBatch(transcript)],
    ["demo-rollout-summary", demoSummary(transcript)],
  ]);
}

/**
 * The examples that need no demo run: the bootstrap check's failure and `status`; and
 * the document `status --json` prints for the matching cluster, whose fields the docs
 * list.
 */
export async function otherExamples(): Promise<{
  examples: Map<string, string>;
  statusJson: Record<string, unknown>;
}> {
  const [matches, differs] = await statusExamples();
  return {
    examples: new Map([
      ["bootstrap-check-failure", bootstrapCheckFailure()],
      ["status-matches", matches.text],
      ["status-differs", differs.text],
    ]),
    statusJson: matches.json,
  };
}

/** Produces every example's text (without the fence), by id. */
export async function generateExamples(opts: ExampleOptions = {}): Promise<Map<string, string>> {
  return new Map([
    ...demoExamples(await demoTranscript(opts)),
    ...(await otherExamples()).examples,
  ]);
}

/**
 * The ids of the examples in the docs that differ from `generated` (times and ports
 * aside), or whose markers are missing.
 */
export function staleExamples(
  generated: ReadonlyMap<string, string>,
  root = PROJECT_ROOT,
): string[] {
  const stale: string[] = [];
  for (const [id, text] of generated) {
    const example = EXAMPLES.find((e) => e.id === id);
    if (example === undefined) throw new Error(`no example ${id}`);
    const have = exampleInDoc(fs.readFileSync(path.join(root, example.doc), "utf8"), id);
    if (have === undefined || normalizeExample(have) !== normalizeExample(text)) stale.push(id);
  }
  return stale;
}

/**
 * The bootstrap check's failure for inventory/dev's first control plane, as `pulumi up`
 * prints it, with the last answer a node whose etcd never left `Preparing` gives.
 */
function bootstrapCheckFailure(): string {
  const inventory = loadInventory(path.join(PROJECT_ROOT, "inventory", "dev"));
  // The inputs the program gives the check (lib/model), for the stack dev.
  const inputs = bootstrapCheckInputs(buildClusterModel(inventory), {
    talosEndpoints: {},
    kubernetesEndpoint: null,
  });
  const stack = "dev";
  return bootstrapCheckFailureMessage(
    {
      ...inputs,
      // The message reads none of the credentials.
      credentials: { caCertificate: "", clientCertificate: "", clientKey: "" },
      bootstrapUrn: `urn:pulumi:${stack}::em-infra::em-infra:talos:TalosCluster$talos:machine/bootstrap:Bootstrap::${inventory.cluster.name}-bootstrap`,
    },
    `etcd service on ${inputs.node}: Preparing, health unknown`,
  );
}

/** `npm run day2 -- demo`, as printed (80 columns). */
async function demoTranscript(opts: ExampleOptions): Promise<string> {
  let out = "";
  let err = "";
  const code = await runDay2(
    ["demo"],
    { write: (s: string) => (out += s) },
    { write: (s: string) => (err += s) },
    opts.fast === true ? { demo: { rebootMs: 20, upgradeMs: 10 } } : {},
  );
  if (code !== 0) throw new Error(`npm run day2 -- demo exited ${code}: ${err}${out}`);
  return out;
}

/** The lines of one Talos batch, and the first line of the next. */
function demoBatch(transcript: string): string {
  const lines = transcript.split("\n");
  const mark = "[Talos v1.13.3, control plane 2/3]";
  const start = lines.findIndex((l) => l.includes(mark));
  const next = lines.findIndex(
    (l, i) => i > start && l.includes("[Talos v1.13.3, control plane 3/3]"),
  );
  if (start < 0 || next < 0) throw new Error(`the demo printed no "${mark}" batch`);
  return lines.slice(start, next + 1).join("\n");
}

/** The first rollout summary, through the line that says how long the update took. */
function demoSummary(transcript: string): string {
  const lines = transcript.split("\n");
  const start = lines.findIndex((l) => l === "em-infra rollout: summary:");
  const end = lines.findIndex((l, i) => i > start && / update finished in /.test(l));
  if (start < 0 || end < 0) throw new Error("the demo printed no rollout summary");
  return lines.slice(start, end + 1).join("\n");
}

/** `status` of inventory/dev against the fake: a matching cluster, then one that differs. */
async function statusExamples(): Promise<
  [{ text: string; json: Record<string, unknown> }, { text: string; json: Record<string, unknown> }]
> {
  const dir = path.join(PROJECT_ROOT, "inventory", "dev");
  const inventory = loadInventory(dir);
  const run = async (
    differs: boolean,
  ): Promise<{ text: string; json: Record<string, unknown> }> => {
    const cluster = await startFakeFor(
      inventory,
      differs ? { faults: { connectionRefused: ["dev-gpu-1"] } } : {},
    );
    // A project folder of its own, holding a copy of inventory/dev and run from, so the
    // output names inventory/dev and backups/dev as an operator's does, and no etcd
    // snapshot this checkout may hold shows.
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "em-infra-examples-"));
    fs.cpSync(dir, path.join(work, "inventory", "dev"), { recursive: true });
    const cwd = process.cwd();
    process.chdir(work);
    try {
      if (differs) cluster.node("dev-worker-1").version = "v1.12.9";
      const files = cluster.writeFiles(work);
      // Let the add-ons the fake's Talos creates roll out, as on a deployed cluster.
      await waitFor(async () => (await status()).code === 0 || differs, 5000);
      return {
        text: (await status()).out.trimEnd(),
        json: JSON.parse((await status("--json")).out) as Record<string, unknown>,
      };

      async function status(...extra: string[]): Promise<{ code: number; out: string }> {
        let out = "";
        const code = await runDay2(
          ["status", path.join("inventory", "dev"), ...files.flags, ...extra],
          { write: (s: string) => (out += s) },
          { write: (s: string) => (out += s) },
          {
            projectRoot: work,
            timeoutMs: 400,
            retry: { attempts: 2, baseMs: 5, maxMs: 5 },
          },
        );
        return { code, out };
      }
    } finally {
      process.chdir(cwd);
      cluster.stop();
      fs.rmSync(work, { recursive: true, force: true });
    }
  };
  return [await run(false), await run(true)];
}

/** Polls `ready` until it holds or `ms` pass. */
async function waitFor(ready: () => Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ready()) && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 50));
}

/**
 * An example as compared: continuation lines joined to the line they continue, runs of
 * blanks made one, and what changes from run to run replaced (loopback ports, times).
 */
export function normalizeExample(text: string): string {
  return (
    text
      .replace(/\r/g, "")
      // A folded line continues indented by 4 or more (a rollout line by 20); a list item
      // under a heading is indented by 2 and stays a line of its own.
      .replace(/\n {4,}(?=\S)/g, " ")
      .replace(/127\.0\.0\.1:\d+/g, "127.0.0.1:PORT")
      .replace(/\b\d+(?:\.\d+)? m?s\b/g, "TIME")
      .replace(/[ \t]+/g, " ")
      .trim()
  );
}

/** The fenced block for an example's text. */
export function exampleBlock(id: string, text: string): string {
  const { begin, end } = exampleMarkers(id);
  return `${begin}\n\n\`\`\`text\n${text}\n\`\`\`\n\n${end}`;
}

/** The text of an example in a doc, without the fence; undefined when the markers are missing. */
export function exampleInDoc(markdown: string, id: string): string | undefined {
  const { begin, end } = exampleMarkers(id);
  const a = markdown.indexOf(begin);
  const b = markdown.indexOf(end);
  if (a < 0 || b < a) return undefined;
  const m = /```text\n([\s\S]*?)\n```/.exec(markdown.slice(a, b));
  return m?.[1];
}

/** The doc with one example's block replaced. */
export function replaceExample(markdown: string, id: string, text: string): string {
  const { begin, end } = exampleMarkers(id);
  const a = markdown.indexOf(begin);
  const b = markdown.indexOf(end);
  if (a < 0 || b < a) throw new Error(`no markers for example ${id}`);
  return markdown.slice(0, a) + exampleBlock(id, text) + markdown.slice(b + end.length);
}

/** Runs the command; 0 when the docs were written or are current, 1 stale, 2 bad usage. */
export async function runExamples(
  args: readonly string[],
  out: Writer,
  err: Writer,
  root = PROJECT_ROOT,
): Promise<number> {
  if (args.includes("-h") || args.includes("--help")) {
    out.write(USAGE);
    return 0;
  }
  const unknown = args.find((a) => a !== "--check");
  if (unknown !== undefined) {
    err.write(`unexpected argument ${unknown}\n${USAGE}`);
    return 2;
  }
  const check = args.includes("--check");
  const generated = await generateExamples();
  let stale = 0;
  for (const doc of [...new Set(EXAMPLES.map((e) => e.doc))]) {
    const file = path.join(root, doc);
    let text = fs.readFileSync(file, "utf8");
    for (const e of EXAMPLES.filter((x) => x.doc === doc)) {
      const want = generated.get(e.id)!;
      const have = exampleInDoc(text, e.id);
      if (have !== undefined && normalizeExample(have) === normalizeExample(want)) continue;
      stale += 1;
      if (check) err.write(`${doc}: example ${e.id} is stale: run npm run examples\n`);
      else text = replaceExample(text, e.id, want);
    }
    if (!check) fs.writeFileSync(file, text);
  }
  if (check) {
    if (stale === 0) out.write("examples are up to date\n");
    return stale === 0 ? 0 : 1;
  }
  out.write(stale === 0 ? "examples are up to date\n" : `rewrote ${stale} example(s)\n`);
  return 0;
}

if (require.main === module) runCommand(runExamples);
