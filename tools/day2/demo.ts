/**
 * `npm run day2 -- demo`: day two in a minute, without a cluster. It starts the fake
 * cluster the tests use (three control planes and two workers, on 127.0.0.1 only, at
 * Talos v1.13.0 and Kubernetes 1.35.2), writes a throwaway inventory and credentials
 * into a temporary folder, and runs what an operator would: status, a rollout dry run
 * for a Talos bump, that rollout (the same provider code and the same lines as in
 * `pulumi up`), a Kubernetes bump, and status again. It removes everything it wrote.
 *
 * What is not real: the nodes (the fake models Talos's and Kubernetes's answers), and
 * each node's machine configuration, which here is a stand-in naming the component
 * images (Pulumi renders the real one through the Talos provider).
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as day2 from "../../packages/day2";
import { startFakeCluster, type FakeCluster } from "../../packages/day2/fake";
import * as YAML from "yaml";
import { loadInventory } from "../../lib/inventory";
import { buildClusterModel, rolloutInputs } from "../../lib/model";
import { buildAddons, inlineManifests, type Addon } from "../../lib/addons/objects";
import { hasGpuNodes } from "../../lib/talos/patches";
import type { Writer } from "../cli";

/** The demo's starting versions and the bumps it shows. */
export const DEMO = {
  talosFrom: "v1.13.0",
  talosTo: "v1.13.3",
  kubernetesFrom: "1.35.2",
  kubernetesTo: "1.36.0",
} as const;

const CLUSTER_YAML = (talos: string, kubernetes: string, backups?: string) => `name: demo
vip: 10.20.0.10
talos:
  version: ${talos}
kubernetes:
  version: ${kubernetes}
proxmox:
  node: pve1
  vmDatastore: local-lvm
  imageDatastore: local
  bridge: vmbr0
network:
  cidr: 10.20.0.0/24
  gateway: 10.20.0.1
  nameservers:
    - 10.20.0.1
rollout:
  maxUnavailableWorkers: 1
${backups === undefined ? "" : `backups:\n  etcd:\n    dir: ${backups}\n`}`;

const NODES = [
  { name: "demo-cp-1", role: "controlplane", vmId: 2011, ip: "10.20.0.11" },
  { name: "demo-cp-2", role: "controlplane", vmId: 2012, ip: "10.20.0.12" },
  { name: "demo-cp-3", role: "controlplane", vmId: 2013, ip: "10.20.0.13" },
  { name: "demo-worker-1", role: "worker", vmId: 2021, ip: "10.20.0.21" },
  { name: "demo-worker-2", role: "worker", vmId: 2022, ip: "10.20.0.22" },
] as const;

const NODES_YAML = `nodes:\n${NODES.map(
  (n) => `  - name: ${n.name}\n    role: ${n.role}\n    vmId: ${n.vmId}\n    ip: ${n.ip}\n`,
).join("")}`;

/**
 * A stand-in for a node's rendered machine configuration: the images a Kubernetes
 * version sets, which is what the fake reads from it. The fake's nodes start from it.
 */
function standInConfig(role: string, kubernetes: string, addons: readonly Addon[]): string {
  const v = `v${kubernetes}`;
  const lines = [
    "version: v1alpha1",
    `machine:`,
    `  type: ${role}`,
    `  kubelet:`,
    `    image: ghcr.io/siderolabs/kubelet:${v}`,
  ];
  if (role === "controlplane")
    lines.push(
      "cluster:",
      ...(
        [
          ["apiServer", "kube-apiserver"],
          ["controllerManager", "kube-controller-manager"],
          ["scheduler", "kube-scheduler"],
          ["proxy", "kube-proxy"],
        ] as const
      ).flatMap(([key, c]) => [`  ${key}:`, `    image: registry.k8s.io/${c}:${v}`]),
    );
  const text = lines.join("\n") + "\n";
  if (role !== "controlplane" || addons.length === 0) return text;
  // The add-ons as the control planes carry them: inline manifests Talos creates.
  const doc = YAML.parse(text);
  doc.cluster.inlineManifests = inlineManifests(addons);
  return YAML.stringify(doc);
}

/**
 * Options for tests: the fake's simulated times, the rollout's pause between two looks,
 * and the pause before the first status (the add-ons rolling out). By default they are
 * slow enough for a reader to follow.
 */
export interface DemoOptions {
  readonly rebootMs?: number;
  readonly upgradeMs?: number;
  readonly staticPodReadyMs?: number;
  readonly rolloutMs?: number;
  readonly pollMs?: number;
  readonly settleMs?: number;
  /** `--keep`: after the story, keep the cluster up until asked to end. */
  readonly keep?: KeepHooks;
}

/** How a kept demo learns what the operator asks for, from the command's signals. */
export interface KeepHooks {
  /** Resolves when the operator ends the demo (Ctrl-C). */
  readonly until: Promise<unknown>;
  /** The shell command that asks the fake to lose etcd (`kill -USR1 <pid>`). */
  readonly loseEtcdCommand: string;
  /** Registers what to do when that command is run. */
  onLoseEtcd(fn: () => void): void;
}

/**
 * Runs the demo, writing its transcript to `out`. Resolves 0 when the cluster ends at
 * the inventory, 1 otherwise. Everything it made is gone when it resolves.
 */
export async function runDemo(
  out: Writer,
  err: Writer,
  run: (args: readonly string[], out: Writer, err: Writer, opts: object) => Promise<number>,
  opts: DemoOptions = {},
): Promise<number> {
  const started = Date.now();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "em-infra-demo-"));
  let cluster: FakeCluster | undefined;
  const heading = (n: number, text: string) =>
    out.write(`\n${"=".repeat(78)}\n${n}. ${text}\n${"=".repeat(78)}\n`);
  try {
    const inventoryDir = path.join(dir, "inventory");
    fs.mkdirSync(inventoryDir);
    const writeInventory = (talos: string, kubernetes: string) => {
      fs.writeFileSync(
        path.join(inventoryDir, "cluster.yaml"),
        // Kept, its snapshots go to its own folder, removed with it.
        CLUSTER_YAML(talos, kubernetes, opts.keep ? path.join(dir, "backups") : undefined),
      );
      fs.writeFileSync(path.join(inventoryDir, "nodes.yaml"), NODES_YAML);
    };
    writeInventory(DEMO.talosFrom, DEMO.kubernetesFrom);
    const first = loadInventory(inventoryDir);
    const addons = buildAddons(first.cluster, hasGpuNodes(first.nodes));

    cluster = await startFakeCluster({
      nodes: NODES.map((n) => ({ name: n.name, ip: n.ip, role: n.role })),
      clusterName: "demo",
      endpointHost: "10.20.0.10",
      talosVersion: DEMO.talosFrom,
      kubernetesVersion: DEMO.kubernetesFrom,
      rebootMs: opts.rebootMs ?? 400,
      upgradeMs: opts.upgradeMs ?? 200,
      staticPodReadyMs: opts.staticPodReadyMs ?? 100,
      rolloutMs: opts.rolloutMs ?? 100,
      initialConfig: (n) => standInConfig(n.role, DEMO.kubernetesFrom, addons),
    });
    const files = cluster.writeFiles(dir);
    const flags = [inventoryDir, ...files.flags];
    const day2Opts = { projectRoot: dir, timeoutMs: 3000 };
    out.write(
      `em-infra day-two demo: a fake cluster on 127.0.0.1 (3 control planes, 2 workers) at Talos ${DEMO.talosFrom} and Kubernetes ${DEMO.kubernetesFrom}. A throwaway inventory and credentials are in ${dir}, removed at the end. Nothing else is dialed.\n`,
    );

    // A cluster a moment after its pulumi up: the add-ons Talos created have rolled out.
    await new Promise((resolve) => setTimeout(resolve, opts.settleMs ?? 150));
    heading(1, "npm run day2 -- status: the cluster against its inventory");
    await run(["status", ...flags], out, err, day2Opts);

    // The rollout as pulumi up runs it: created at the start, then updated per edit.
    const provider = day2.createRolloutProvider({
      workDir: dir,
      log: day2.rolloutLineLogger((l) => void out.write(`${l}\n`)),
    });
    const inputsFor = (talos: string, kubernetes: string) => {
      writeInventory(talos, kubernetes);
      const model = buildClusterModel(loadInventory(inventoryDir));
      // The stack is dev's, whose backups folder status reads.
      const plain = rolloutInputs(model, "dev", {
        talosEndpoints: cluster!.endpoints,
        kubernetesEndpoint: cluster!.kubernetesEndpoint,
      });
      const schematic = (key: string) =>
        crypto.createHash("sha256").update(`demo schematic ${key}`).digest("hex");
      return {
        ...plain,
        nodes: Object.fromEntries(
          model.nodes.map((n) => [
            n.name,
            {
              ...plain.nodes[n.name],
              schematic: schematic(n.schematic),
              installer: `factory.talos.dev/nocloud-installer/${schematic(n.schematic)}:${talos}`,
            },
          ]),
        ),
        configs: Object.fromEntries(
          model.nodes.map((n) => [n.name, standInConfig(n.role, kubernetes, addons)]),
        ),
        credentials: cluster!.clientConfiguration,
        timing: { nodeTimeoutSeconds: 30, drainTimeoutSeconds: 10, pollMs: opts.pollMs ?? 50 },
      };
    };
    const created = await provider.create(inputsFor(DEMO.talosFrom, DEMO.kubernetesFrom));

    heading(2, `npm run day2 -- rollout --dry-run, after talos.version: ${DEMO.talosTo}`);
    writeInventory(DEMO.talosTo, DEMO.kubernetesFrom);
    await run(["rollout", "--dry-run", ...flags], out, err, day2Opts);

    heading(3, `the rollout pulumi up runs for the Talos bump (its own log lines)`);
    const talosNews = inputsFor(DEMO.talosTo, DEMO.kubernetesFrom);
    const afterTalos = (await provider.update("demo-rollout", created.outs, talosNews)).outs;

    heading(4, `the rollout for kubernetes.version: ${DEMO.kubernetesTo}`);
    const kubeNews = inputsFor(DEMO.talosTo, DEMO.kubernetesTo);
    await provider.update("demo-rollout", afterTalos, kubeNews);

    heading(5, "npm run day2 -- status: the cluster matches its new inventory");
    const code = await run(["status", ...flags], out, err, day2Opts);
    if (opts.keep !== undefined) {
      const keep = opts.keep;
      keep.onLoseEtcd(() => {
        cluster!.wipeEtcd();
        out.write(
          "The fake lost etcd on every control plane (EPHEMERAL wiped): status shows it; recover brings it back.\n",
        );
      });
      for (const line of keptLines(dir, cluster.kubernetesEndpoint, keep.loseEtcdCommand))
        out.write(`${line}\n`);
      await keep.until;
      out.write(`Stopped the fake cluster and removed ${dir}.\n`);
      return code;
    }
    out.write(
      `\nThe demo took ${((Date.now() - started) / 1000).toFixed(1)} s and removed what it wrote. ` +
        "docs/operations.md (Day two) says what each step means on a real cluster.\n",
    );
    return code;
  } finally {
    cluster?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * What a kept demo prints (at most 20 lines): where its files are, and each command to
 * try against its cluster, exactly as a shell takes them. The flags are held in shell
 * variables so that each command fits a line.
 */
export function keptLines(dir: string, kubernetesEndpoint: string, loseEtcd: string): string[] {
  return [
    "",
    "The fake cluster stays up. In another terminal, in this checkout (bash):",
    `  D=${dir}`,
    '  A="$D/inventory --talosconfig $D/talosconfig --endpoints $D/endpoints.json"',
    `  K="--kubeconfig $D/kubeconfig --kubernetes-endpoint ${kubernetesEndpoint}"`,
    "  npm run day2 -- status $A $K",
    "  npm run day2 -- rollout --dry-run $A $K",
    "  npm run day2 -- snapshot $A",
    "  S=$(ls -t $D/backups/*.db | head -1)",
    `  ${loseEtcd}   # the fake loses etcd on every control plane`,
    "  npm run day2 -- recover $A --node demo-cp-1 --from $S",
    "  npm run day2 -- stop --stack dev",
    "(inventory, talosconfig, kubeconfig and endpoints.json are in $D; snapshot",
    "writes to $D/backups; stop answers that no rollout runs: one runs only inside",
    "npx pulumi up.) Ctrl-C here stops the cluster and removes $D.",
  ];
}
