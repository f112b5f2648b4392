/**
 * `npm run day2 -- <command>`: day-two operations against the running cluster:
 * `status` and `rollout --dry-run` (read-only; exit 0 the cluster matches the
 * inventory, 1 it does not, 2 bad usage or input), and `stop`, which asks a running
 * rollout to stop at its next node or batch boundary.
 */
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import {
  findProjectRoot,
  formatProblem,
  InventoryError,
  loadInventory,
  type Inventory,
} from "../lib/inventory";
import * as day2 from "../packages/day2";
import { formatStatus, observeCluster, statusJson, statusReport } from "../tools/day2/status";
import { formatDryRun, rolloutDryRun } from "../tools/day2/rolloutPlan";
import { buildClusterModel, etcdBackupDir } from "../lib/model";
import { defaultStateFile, readStateRollout } from "../tools/stateFile";
import { runDemo, type DemoOptions, type KeepHooks } from "../tools/day2/demo";
import { proxmoxApiSettings } from "../lib/settings";

import { TERMINAL_WIDTH, fitting, usageError, type Writer } from "../tools/cli";

export type { Writer };

/** Knobs for tests: where the project is, and the clients' deadlines. */
export interface Day2Options {
  /** Where Pulumi.<stack>.yaml is looked for. Default: the project root. */
  readonly projectRoot?: string;
  /** Deadline of each Talos and Kubernetes call. Default: 5000 ms. */
  readonly timeoutMs?: number;
  /** Retries of each call. Default: 2 attempts, 200 ms apart. */
  readonly retry?: { readonly attempts: number; readonly baseMs: number; readonly maxMs: number };
  /** The demo's simulated reboot and upgrade times. */
  readonly demo?: DemoOptions;
  /** How long recover waits for etcd after the bootstrap, and how often it looks. */
  readonly recoverWait?: { readonly waitMs: number; readonly pollMs: number };
  /** Where the `PROXMOX_VE_*` variables are read. Default: process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** A CA the Proxmox API's certificate is checked against too (a test's fake). */
  readonly pveCa?: string;
}

/** The day-two commands. */
const COMMANDS = ["status", "rollout", "snapshot", "recover", "demo", "stop"] as const;
type Command = (typeof COMMANDS)[number];

/** Each command: how it is called and what it does (lines of at most 80 columns). */
const COMMAND_TEXT: Readonly<Record<Command, { readonly call: string; readonly text: string }>> = {
  status: {
    call: "status [inventory-folder] --talosconfig FILE [flags]",
    text: `Read-only. Each node's address, Talos version, etcd membership and
health, and (with --kubeconfig) Node readiness, cordon and kubelet
version, against the inventory; the newest etcd snapshot's age.
Exit 0 when the cluster matches, 1 when not, 2 on bad input.`,
  },
  rollout: {
    call: "rollout --dry-run [inventory-folder] --talosconfig FILE [flags]",
    text: `Read-only. The steps the next pulumi up would take, node by node
in rollout order, and why each node is in or out. Exit 0 when
nothing would be rolled, 1 otherwise.`,
  },
  snapshot: {
    call: "snapshot [inventory-folder] --talosconfig FILE [flags]",
    text: `An etcd snapshot now, from a healthy control plane (else from any
that still gives one), into the stack's backups folder
(backups.etcd.dir, default backups/<stack>); checks etcd's sha256
trailer; prints where it went and its sha256. Exit 1 when no
control plane could give one.`,
  },
  recover: {
    call: "recover (--from FILE | --from-data-dir FILE) --node NAME [flags]",
    text: `Disaster recovery (docs/operations.md, Disaster recovery): checks
the snapshot (etcd's sha256 trailer, its record's sha256, cluster
name and CA fingerprint), that every control plane's etcd waits
for a bootstrap (Preparing) or is named with --missing (gone, will
join when recreated), uploads it to NAME, bootstraps etcd there
from it, and waits until etcd runs healthy with the others joined.
Never run by pulumi up.`,
  },
  demo: {
    call: "demo [--keep]",
    text: `Day two in a minute without a cluster: a fake one on 127.0.0.1,
status, a rollout dry run, a Talos and a Kubernetes bump rolled,
status again. Leaves nothing behind.`,
  },
  stop: {
    call: "stop [--stack NAME]",
    text: `Asks the rollout that a pulumi up of the stack is running to stop:
it finishes the node or batch in progress, records it, starts
nothing new. Exit 0 when one was asked, 1 when none runs.`,
  },
};

/** The flags, and which commands take each. */
const FLAG_TEXT: readonly {
  readonly flag: string;
  readonly text: string;
  readonly for: readonly Command[];
}[] = [
  {
    flag: "--talosconfig FILE",
    text: `talosctl client configuration: its current context's
ca, crt and key. Required. To get one:
npx pulumi stack output talosconfig --show-secrets`,
    for: ["status", "rollout", "snapshot", "recover"],
  },
  {
    flag: "--kubeconfig FILE",
    text: "admin kubeconfig; without it Kubernetes is not checked",
    for: ["status", "rollout"],
  },
  { flag: "--json", text: "one JSON document on stdout", for: ["status", "rollout"] },
  {
    flag: "--endpoints FILE",
    text: `JSON object: node name -> "host:port" to dial instead of
<ip>:50000 (default: em-infra:talosEndpoints)`,
    for: ["status", "rollout", "snapshot", "recover"],
  },
  {
    flag: "--kubernetes-endpoint HOST:PORT",
    text: `dial the API server here (default:
em-infra:kubernetesEndpoint, else the kubeconfig's
server); TLS still checks the kubeconfig's server`,
    for: ["status", "rollout"],
  },
  {
    flag: "--stack NAME",
    text: "whose Pulumi.<stack>.yaml is read (default: dev)",
    for: ["status", "rollout", "snapshot", "recover", "stop"],
  },
  {
    flag: "--wide",
    text: "long lines and tables whole, not fitted to 80 columns",
    for: ["status", "rollout", "snapshot", "recover", "demo"],
  },
  {
    flag: "--from FILE",
    text: "the snapshot to restore (its .json record beside it)",
    for: ["recover"],
  },
  {
    flag: "--from-data-dir FILE",
    text: `a copy of /var/lib/etcd/member/snap/db instead, restored
without the hash check (it has no trailer and no record)`,
    for: ["recover"],
  },
  { flag: "--node NAME", text: "the control plane to restore on", for: ["recover"] },
  {
    flag: "--missing NODE",
    text: `a control plane that does not answer and will join when
recreated (repeat, or separate with commas)`,
    for: ["recover"],
  },
  {
    flag: "--sha256 HEX",
    text: "the snapshot's sha256, when it has no record beside it",
    for: ["recover"],
  },
  {
    flag: "--force-other-cluster",
    text: `restore a snapshot whose record names another cluster or
CA, or that has none; its Secrets are unreadable unless
it really is this cluster's`,
    for: ["recover"],
  },
  {
    flag: "--keep",
    text: `after the demo, keep its fake cluster up and print how to
try every command against it; Ctrl-C removes it`,
    for: ["demo"],
  },
  {
    flag: "inventory-folder",
    text: `default: em-infra:inventory from Pulumi.<stack>.yaml,
else inventory/<stack>`,
    for: ["status", "rollout", "snapshot", "recover"],
  },
];

const indent = (text: string, by: number) =>
  text
    .split("\n")
    .map((l) => " ".repeat(by) + l)
    .join("\n");

/** A flag's lines: the name, then its text at column 23 (on the next line when long). */
function flagLines(f: (typeof FLAG_TEXT)[number]): string {
  const body = indent(f.text, 23);
  return f.flag.length <= 19 ? `  ${f.flag.padEnd(21)}${body.slice(23)}` : `  ${f.flag}\n${body}`;
}

/** Commands listed with the flags they need. */
const LISTED_AS: Partial<Record<Command, string>> = {
  rollout: "rollout --dry-run",
  recover: "recover --from FILE --node NAME",
};

/** `npm run day2 -- --help`: every command, then every flag. */
const USAGE = [
  "usage: npm run day2 -- <command> [inventory-folder] [flags]",
  "",
  ...COMMANDS.map((c) => {
    const name = LISTED_AS[c] ?? c;
    const body = indent(COMMAND_TEXT[c].text, 13);
    return name.length <= 10 ? `  ${name.padEnd(11)}${body.slice(13)}` : `  ${name}\n${body}`;
  }),
  "",
  "Flags (npm run day2 -- <command> --help lists the ones it takes):",
  ...FLAG_TEXT.map(flagLines),
  "",
].join("\n");

/** `npm run day2 -- <command> --help`: that command's call, text and flags. */
export function commandHelp(command: Command): string {
  const flags = FLAG_TEXT.filter((f) => f.for.includes(command));
  return [
    `usage: npm run day2 -- ${COMMAND_TEXT[command].call}`,
    "",
    indent(COMMAND_TEXT[command].text, 2),
    ...(flags.length > 0 ? ["", "Flags:", ...flags.map(flagLines)] : []),
    "",
  ].join("\n");
}

const isCommand = (c: string): c is Command => (COMMANDS as readonly string[]).includes(c);

/** A usage or input problem: exit 2 with the message. */
class InputError extends Error {}

/** A usage problem (a flag missing, unknown or without its value): also where the help is. */
class UsageError extends InputError {}

/** How the command is called, for the line after a usage error. */
const DAY2 = "npm run day2 --";

interface StatusArgs {
  readonly dir?: string;
  readonly talosconfig: string;
  readonly kubeconfig?: string;
  readonly json: boolean;
  readonly endpoints?: string;
  readonly kubernetesEndpoint?: string;
  readonly stack: string;
  readonly stackGiven: boolean;
  /** recover's flags. */
  readonly from?: string;
  readonly fromDataDir?: string;
  readonly node?: string;
  readonly sha256?: string;
  readonly missing: readonly string[];
  readonly forceOtherCluster: boolean;
}

const VALUE_FLAGS = [
  "--from",
  "--from-data-dir",
  "--missing",
  "--node",
  "--sha256",
  "--talosconfig",
  "--kubeconfig",
  "--endpoints",
  "--kubernetes-endpoint",
  "--stack",
];

/** Parses the arguments after `status`. Pure. */
export function parseStatusArgs(args: readonly string[]): StatusArgs {
  const values: Record<string, string> = {};
  const positional: string[] = [];
  let json = false;
  let forceOtherCluster = false;
  const missing: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--json") json = true;
    else if (a === "--force-other-cluster") forceOtherCluster = true;
    else if (a === "--wide") continue;
    else if (VALUE_FLAGS.includes(a)) {
      const v = args[i + 1];
      if (v === undefined || v.startsWith("--")) throw new UsageError(`${a} needs a value`);
      if (a === "--missing") missing.push(...v.split(",").filter((x) => x !== ""));
      else values[a] = v;
      i++;
    } else if (a.startsWith("-")) throw new UsageError(`unknown option ${a}`);
    else positional.push(a);
  }
  if (positional.length > 1)
    throw new UsageError(`one inventory folder at most, got ${positional.join(" ")}`);
  const stackProblem =
    values["--stack"] === undefined ? undefined : day2.stackNameProblem(values["--stack"]);
  if (stackProblem !== undefined) throw new InputError(`--stack: ${stackProblem}`);
  if (values["--talosconfig"] === undefined)
    throw new UsageError(`--talosconfig FILE is required; ${EXPORT_HINT["--talosconfig"]}`);
  return {
    ...(positional[0] === undefined ? {} : { dir: positional[0] }),
    talosconfig: values["--talosconfig"],
    ...(values["--kubeconfig"] === undefined ? {} : { kubeconfig: values["--kubeconfig"] }),
    json,
    ...(values["--endpoints"] === undefined ? {} : { endpoints: values["--endpoints"] }),
    ...(values["--kubernetes-endpoint"] === undefined
      ? {}
      : { kubernetesEndpoint: values["--kubernetes-endpoint"] }),
    stack: values["--stack"] ?? "dev",
    stackGiven: values["--stack"] !== undefined,
    ...(values["--from"] === undefined ? {} : { from: values["--from"] }),
    ...(values["--from-data-dir"] === undefined ? {} : { fromDataDir: values["--from-data-dir"] }),
    missing,
    forceOtherCluster,
    ...(values["--node"] === undefined ? {} : { node: values["--node"] }),
    ...(values["--sha256"] === undefined ? {} : { sha256: values["--sha256"] }),
  };
}

/** How to get each credential file from the stack, for a message that says what to do. */
const EXPORT_HINT: Readonly<Record<string, string>> = {
  "--talosconfig":
    "export it from the stack: (umask 077 && npx pulumi stack output talosconfig --show-secrets > talosconfig)",
  "--kubeconfig":
    "export it from the stack: (umask 077 && npx pulumi stack output kubeconfig --show-secrets > kubeconfig)",
};

function readText(file: string, what: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EACCES" ? "not readable" : code;
    const hint = code === "ENOENT" && EXPORT_HINT[what] ? `; ${EXPORT_HINT[what]}` : "";
    throw new InputError(`${what} ${file}: ${why ?? "unreadable"}${hint}`);
  }
}

/** The `config:` map of Pulumi.<stack>.yaml; empty when the default stack has no file. */
function stackConfig(root: string, a: StatusArgs): Record<string, unknown> {
  const file = path.join(root, `Pulumi.${a.stack}.yaml`);
  if (!fs.existsSync(file)) {
    if (a.stackGiven) throw new InputError(`stack config ${file} not found`);
    return {};
  }
  let doc: unknown;
  try {
    doc = parseYaml(fs.readFileSync(file, "utf8"));
  } catch (e) {
    throw new InputError(`${file}: not YAML (${(e as Error).message.split("\n")[0]})`);
  }
  const config = (doc as { config?: unknown } | null)?.config;
  return config !== null && typeof config === "object" ? (config as Record<string, unknown>) : {};
}

/** What both commands set up: the inventory, the clients, and a label for the output. */
async function connect(a: StatusArgs, opts: Day2Options) {
  const root = opts.projectRoot ?? findProjectRoot(__dirname);
  const config = stackConfig(root, a);
  const configured = config["em-infra:inventory"];
  const dir =
    a.dir ??
    path.resolve(
      root,
      typeof configured === "string" ? configured : path.join("inventory", a.stack),
    );
  let inventory: Inventory;
  try {
    inventory = loadInventory(dir);
  } catch (e) {
    if (e instanceof InventoryError) {
      throw new InputError(e.problems.map((p) => formatProblem(p)).join("\n"));
    }
    throw e;
  }
  const names = inventory.nodes.map((n) => n.name);

  let endpointsValue: unknown;
  let endpointsSource: string;
  if (a.endpoints !== undefined) {
    endpointsSource = a.endpoints;
    try {
      endpointsValue = JSON.parse(readText(a.endpoints, "--endpoints"));
    } catch (e) {
      if (e instanceof InputError) throw e;
      throw new InputError(`--endpoints ${a.endpoints}: not JSON (${(e as Error).message})`);
    }
  } else {
    endpointsSource = "em-infra:talosEndpoints";
    endpointsValue = config["em-infra:talosEndpoints"];
  }
  const checked = day2.checkTalosEndpoints(endpointsValue, names, endpointsSource);
  const kubeEp = day2.checkKubernetesEndpoint(
    a.kubernetesEndpoint ?? config["em-infra:kubernetesEndpoint"],
    a.kubernetesEndpoint !== undefined ? "--kubernetes-endpoint" : "em-infra:kubernetesEndpoint",
  );
  const problems = [...checked.problems, ...kubeEp.problems];
  if (problems.length > 0) throw new InputError(problems.join("\n"));

  const retry = opts.retry ?? { attempts: 2, baseMs: 200, maxMs: 200 };
  const timeoutMs = opts.timeoutMs ?? 5000;
  const credentials = day2.talosconfigCredentials(readText(a.talosconfig, "--talosconfig"), {
    file: a.talosconfig,
  }).credentials;
  const talos = day2.createTalosClient({
    credentials,
    nodes: inventory.nodes.map((n) => ({ name: n.name, ip: n.ip })),
    endpoints: checked.endpoints,
    timeoutMs,
    retry,
  });
  const kube =
    a.kubeconfig === undefined
      ? undefined
      : day2.createKubeClient({
          kubeconfig: day2.readKubeconfig(readText(a.kubeconfig, "--kubeconfig"), a.kubeconfig),
          ...(kubeEp.endpoint === undefined ? {} : { endpoint: kubeEp.endpoint }),
          timeoutMs,
          retry,
        });
  // The Proxmox API, as the provider reaches it: the stack's proxmoxve:* values (a
  // secret one is encrypted in Pulumi.<stack>.yaml, so give it as PROXMOX_VE_*), else
  // the environment. Without credentials, pending VM hardware is not read.
  const proxmox = proxmoxApiSettings(
    (k) => (typeof config[k] === "string" ? (config[k] as string) : undefined),
    opts.env ?? process.env,
  );
  const pve =
    proxmox.endpoint !== "" &&
    (proxmox.apiToken !== undefined ||
      (proxmox.username !== undefined && proxmox.password !== undefined))
      ? day2.createPveClient({
          settings: proxmox,
          timeoutMs,
          retry,
          ...(opts.pveCa === undefined ? {} : { ca: opts.pveCa }),
        })
      : undefined;
  const label = a.dir ?? (path.relative(process.cwd(), dir) || dir);
  const model = buildClusterModel(inventory);
  /** The stack's etcd snapshot folder, resolved against the project root. */
  const backupsDir = path.resolve(root, etcdBackupDir(model, a.stack));
  /** The cluster's Talos CA (PEM), which the snapshot records identify the cluster by. */
  const ca = credentials.ca;
  return { inventory, model, talos, kube, pve, label, root, backupsDir, ca };
}

/** A path as the operator would type it from here. */
function shown(file: string): string {
  return path.relative(process.cwd(), file) || file;
}

/**
 * `snapshot`: an etcd snapshot now into the stack's backups folder
 * (`snapshotFromCluster`: a healthy member first, else any that still streams one).
 */
async function snapshot(args: readonly string[], out: Writer, opts: Day2Options): Promise<number> {
  const a = parseStatusArgs(args);
  const { inventory, model, talos, backupsDir, ca } = await connect(a, opts);
  try {
    let got;
    try {
      got = await day2.snapshotFromCluster(talos, {
        controlPlanes: inventory.nodes.filter((n) => n.role === "controlplane").map((n) => n.name),
        dir: backupsDir,
        cluster: inventory.cluster.name,
        caFingerprint: day2.caFingerprint(ca),
        keep: model.backups.etcd.keep,
        why: "on demand",
      });
    } catch (e) {
      if (e instanceof day2.Day2InputError) throw e;
      out.write(`No snapshot: ${(e as Error).message}\n`);
      return 1;
    }
    const { taken, removed, unhealthy } = got;
    out.write(
      [
        `etcd snapshot of cluster ${inventory.cluster.name}, from ${taken.node}${unhealthy === undefined ? "" : ` (no member was healthy; this one reports: ${unhealthy})`}:`,
        `  ${shown(taken.file)}`,
        `  ${taken.size} bytes, sha256 ${taken.sha256}; etcd's sha256 trailer checked`,
        `  recorded in ${shown(`${taken.file}.json`)}; it holds every Kubernetes Secret: keep it as safe as the state's passphrase`,
        ...removed.map(
          (f) => `  removed the oldest, ${shown(f)} (keeping ${model.backups.etcd.keep})`,
        ),
        "",
      ].join("\n"),
    );
    return 0;
  } finally {
    talos.close();
  }
}

/**
 * `recover`: parses the flags and runs `recoverEtcd` (packages/day2/lib/recover.js).
 * Exit 0 recovered, 1 refused or failed (the message says whether anything was sent),
 * 2 bad usage or input.
 */
async function recover(args: readonly string[], out: Writer, opts: Day2Options): Promise<number> {
  const a = parseStatusArgs(args);
  if ((a.from === undefined) === (a.fromDataDir === undefined))
    throw new UsageError(
      "recover needs one of --from FILE (a snapshot) or --from-data-dir FILE (a copy of /var/lib/etcd/member/snap/db)",
    );
  if (a.node === undefined) throw new UsageError("recover needs --node NAME (a control plane)");
  if (a.fromDataDir !== undefined && (a.sha256 !== undefined || a.forceOtherCluster))
    throw new UsageError(
      "--sha256 and --force-other-cluster go with --from: a data-directory copy has no trailer or record to check",
    );
  const { inventory, talos, ca } = await connect(a, opts);
  try {
    await day2.recoverEtcd(talos, {
      cluster: inventory.cluster.name,
      ca,
      controlPlanes: inventory.nodes
        .filter((n) => n.role === "controlplane")
        .map((n) => ({ name: n.name, ip: n.ip })),
      node: a.node,
      from:
        a.fromDataDir !== undefined
          ? { dataDir: a.fromDataDir }
          : { snapshot: a.from as string, ...(a.sha256 === undefined ? {} : { sha256: a.sha256 }) },
      missing: a.missing,
      forceOtherCluster: a.forceOtherCluster,
      ...(opts.recoverWait === undefined ? {} : opts.recoverWait),
      log: (line) => out.write(`${line}\n`),
    });
    out.write(
      [
        `Recovered etcd on ${a.node}.`,
        "Next: npm run day2 -- status until every node matches, then protect again and let the program catch up (docs/operations.md, Disaster recovery, steps 6 and 7).",
        "",
      ].join("\n"),
    );
    return 0;
  } catch (e) {
    if (e instanceof day2.RecoverError) {
      out.write(`${e.message}\n`);
      return 1;
    }
    throw e;
  } finally {
    talos.close();
  }
}

async function status(args: readonly string[], out: Writer, opts: Day2Options): Promise<number> {
  const a = parseStatusArgs(args);
  const { inventory, talos, kube, pve, label, root, backupsDir } = await connect(a, opts);
  try {
    const lastRun = (readStateRollout(defaultStateFile(root, a.stack))?.lastRun ?? null) as {
      at?: string;
    } | null;
    const report = statusReport(inventory, await observeCluster(inventory, talos, kube, pve), {
      dir: shown(backupsDir),
      snapshots: day2.listSnapshots(backupsDir, inventory.cluster.name),
      ...(typeof lastRun?.at === "string" ? { lastRollout: lastRun.at } : {}),
      now: new Date(),
    });
    if (a.json) out.write(statusJson(report));
    else for (const line of formatStatus(report, label, width(args))) out.write(`${line}\n`);
    return report.matches ? 0 : 1;
  } finally {
    talos.close();
    kube?.close();
    pve?.close();
  }
}

/**
 * `rollout --dry-run`: the steps the next `pulumi up` would take, read-only. Exit 0
 * when nothing would be rolled, 1 when something would (or would be refused).
 */
async function rollout(args: readonly string[], out: Writer, opts: Day2Options): Promise<number> {
  if (!args.includes("--dry-run")) {
    throw new UsageError(
      "rollout needs --dry-run: the rollout itself runs in npx pulumi up; this command only shows it",
    );
  }
  const a = parseStatusArgs(args.filter((x) => x !== "--dry-run"));
  const { inventory, talos, kube, pve } = await connect(a, opts);
  try {
    const run = rolloutDryRun(
      buildClusterModel(inventory),
      await observeCluster(inventory, talos, kube, pve),
    );
    if (a.json) out.write(JSON.stringify(run, null, 2) + "\n");
    else for (const line of formatDryRun(run)) out.write(`${line}\n`);
    return run.refusals.length === 0 && run.nodes.every((n) => n.steps.length === 0) ? 0 : 1;
  } finally {
    talos.close();
    kube?.close();
    pve?.close();
  }
}

/** `stop [--stack NAME]`: asks the stack's running rollout to stop at its next boundary. */
function stop(args: readonly string[], out: Writer, opts: Day2Options): number {
  let stack = "dev";
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--stack") {
      const v = args[i + 1];
      if (v === undefined || v.startsWith("--")) throw new UsageError("--stack needs a value");
      const problem = day2.stackNameProblem(v);
      if (problem !== undefined) throw new InputError(`--stack: ${problem}`);
      stack = v;
      i++;
    } else if (args[i] !== "--wide")
      throw new UsageError(`stop takes only --stack NAME, not ${args[i]}`);
  }
  const root = opts.projectRoot ?? findProjectRoot(__dirname);
  let asked;
  try {
    asked = day2.requestStop(root, stack);
  } catch (e) {
    throw new InputError((e as Error).message);
  }
  if (asked === undefined) {
    out.write(
      `No rollout of stack ${stack} is running from ${root}: nothing to stop. (A rollout runs only inside npx pulumi up, while the update of its <cluster>-rollout resource is in progress.)\n`,
    );
    return 1;
  }
  out.write(
    [
      `Asked the rollout of stack ${stack} (cluster ${asked.cluster}, provider process ${asked.pid}, running since ${asked.started}) to stop.`,
      "It finishes the node or worker batch in progress within its own timeouts, records what it finished, starts nothing new, and fails the update with a message that says a rerun resumes. Watch npx pulumi up's output; run it again to resume.",
      "",
    ].join("\n"),
  );
  return 0;
}

/**
 * `demo --keep`'s hooks from this process's signals: Ctrl-C (SIGINT) or SIGTERM ends
 * it, SIGUSR1 makes the fake lose etcd. `release` puts the default handlers back.
 */
export function keepUntilSignalled(): KeepHooks & { release(): void } {
  let end: () => void = () => undefined;
  const until = new Promise<void>((resolve) => (end = resolve));
  let lose: () => void = () => undefined;
  const onLose = () => lose();
  process.on("SIGINT", end);
  process.on("SIGTERM", end);
  process.on("SIGUSR1", onLose);
  return {
    until,
    loseEtcdCommand: `kill -USR1 ${process.pid}`,
    onLoseEtcd: (fn) => (lose = fn),
    release() {
      process.off("SIGINT", end);
      process.off("SIGTERM", end);
      process.off("SIGUSR1", onLose);
    },
  };
}

/** The width a command's text fits: 80 columns, unless `--wide`. */
function width(args: readonly string[]): number {
  return args.includes("--wide") ? Infinity : TERMINAL_WIDTH;
}

/**
 * Runs `npm run day2 -- <args>` and returns the exit code. Never throws for bad input:
 * a usage or input problem is written to `err` with exit code 2.
 */
export async function runDay2(
  args: readonly string[],
  outTo: Writer,
  errTo: Writer,
  opts: Day2Options = {},
): Promise<number> {
  // Text fits 80 columns unless --wide; JSON is never folded.
  const fold = !args.includes("--wide") && !args.includes("--json");
  const out = fold ? fitting(outTo) : outTo;
  const err = fold ? fitting(errTo) : errTo;
  const [command, ...rest] = args;
  if (command === "-h" || command === "--help") {
    out.write(USAGE);
    return 0;
  }
  if (command === undefined)
    return usageError(err, `a command is needed: ${COMMANDS.join(", ")}`, DAY2);
  if (!isCommand(command)) return usageError(err, `unknown command ${command}`, DAY2);
  if (rest.includes("--help") || rest.includes("-h")) {
    out.write(commandHelp(command));
    return 0;
  }
  try {
    if (command === "stop") return stop(rest, out, opts);
    if (command === "demo") {
      if (rest.some((a) => a !== "--wide" && a !== "--keep"))
        throw new UsageError("demo takes no flags but --keep");
      const kept = rest.includes("--keep");
      const signalled = kept && opts.demo?.keep === undefined ? keepUntilSignalled() : undefined;
      const keep = kept ? (opts.demo?.keep ?? signalled) : undefined;
      try {
        return await runDemo(
          out,
          err,
          (a, o, e, x) => runDay2([...a, ...(fold ? [] : ["--wide"])], o, e, x),
          { ...opts.demo, ...(keep === undefined ? {} : { keep }) },
        );
      } finally {
        signalled?.release();
      }
    }
    if (command === "snapshot") return await snapshot(rest, out, opts);
    if (command === "recover") return await recover(rest, out, opts);
    return command === "status" ? await status(rest, out, opts) : await rollout(rest, out, opts);
  } catch (e) {
    if (e instanceof UsageError) return usageError(err, e.message, `${DAY2} ${command}`);
    if (e instanceof InputError || e instanceof day2.Day2InputError) {
      err.write(`${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

if (require.main === module) {
  // The Talos client dials IP addresses, and grpc-js passes the IP as the TLS server
  // name; Node warns once (DEP0123). The identity check itself is by IP, so the
  // warning says nothing to an operator: drop that one, keep every other.
  process.removeAllListeners("warning");
  process.on("warning", (w: Error & { code?: string }) => {
    if (w.code !== "DEP0123") process.stderr.write(`${w.name}: ${w.message}\n`);
  });
  runDay2(process.argv.slice(2), process.stdout, process.stderr).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 2;
    },
  );
}
