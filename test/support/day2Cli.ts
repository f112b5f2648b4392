/**
 * Running `npm run day2 -- <command>` in-process against a fake cluster shaped like an
 * inventory: the talosconfig, kubeconfig and endpoints written to a temporary project
 * folder (removed by close()), every endpoint on 127.0.0.1.
 */
import * as fs from "fs";
import { loadInventory, type Inventory } from "../../lib/inventory";
import "./loopbackOnly";
import { startFakeCluster, type FakeCluster } from "../../packages/day2/fake";
import { runDay2 } from "../../scripts/day2";
import { tempDir } from "./tmp";
import * as YAML from "yaml";
import * as fakeResources from "../../packages/day2/fake/talosResources";
import { buildAddons, inlineManifests } from "../../lib/addons/objects";
import { hasGpuNodes } from "../../lib/talos/patches";

type FakeOptions = Parameters<typeof startFakeCluster>[0];

/** A fake cluster shaped like an inventory, and files pointing at it in a temp dir. */
export interface Rig {
  readonly inventory: Inventory;
  readonly cluster: FakeCluster;
  readonly dir: string;
  readonly files: { talosconfig: string; kubeconfig: string; endpoints: string };
  /** `status` with these arguments. */
  run(args: readonly string[]): Promise<{ code: number; out: string; err: string }>;
  /**
   * Any command with these arguments. Content tests read whole lines: `--wide` is added
   * unless `fold` asks for the default 80-column output.
   */
  command(
    name: string,
    args: readonly string[],
    how?: { fold?: boolean; env?: Record<string, string>; pveCa?: string },
  ): Promise<{ code: number; out: string; err: string }>;
  close(): void;
}

/** The fake's starting configuration for a role, with the inventory's add-ons on control planes. */
function withAddons(inventory: Inventory, role: "controlplane" | "worker"): string {
  const doc = YAML.parse(fakeResources.initialConfig(role, inventory.cluster.kubernetes.version));
  const addons = buildAddons(inventory.cluster, hasGpuNodes(inventory.nodes));
  if (role === "controlplane" && addons.length > 0)
    doc.cluster.inlineManifests = inlineManifests(addons);
  return YAML.stringify(doc);
}

export async function rig(inventoryDir: string, options: Partial<FakeOptions> = {}): Promise<Rig> {
  const inventory = loadInventory(inventoryDir);
  const cluster = await startFakeCluster({
    nodes: inventory.nodes.map((n) => ({ name: n.name, ip: n.ip, role: n.role })),
    clusterName: inventory.cluster.name,
    endpointHost: inventory.endpoint.host,
    talosVersion: inventory.cluster.talos.version,
    kubernetesVersion: inventory.cluster.kubernetes.version,
    // A healthy cluster's GPU workers advertise their GPU (the NVIDIA device plugin).
    gpus: Object.fromEntries(inventory.nodes.filter((n) => n.gpu).map((n) => [n.name, 1])),
    // Its control planes carry the inventory's add-ons as inline manifests, as a deployed
    // cluster's do, so the fake's Talos creates their objects.
    initialConfig: (n) => withAddons(inventory, n.role),
    ...options,
  });
  const dir = tempDir("day2-status");
  const files = cluster.writeFiles(dir);
  const command: Rig["command"] = async (name, args, how = {}) => {
    let out = "";
    let err = "";
    const code = await runDay2(
      [name, ...args, ...(how.fold === true || args.includes("--wide") ? [] : ["--wide"])],
      { write: (s: string) => (out += s) },
      { write: (s: string) => (err += s) },
      {
        projectRoot: dir,
        timeoutMs: 400,
        retry: { attempts: 2, baseMs: 5, maxMs: 5 },
        recoverWait: { waitMs: 5000, pollMs: 10 },
        // Never the runner's own PROXMOX_VE_* variables.
        env: how.env ?? {},
        ...(how.pveCa === undefined ? {} : { pveCa: how.pveCa }),
      },
    );
    return { code, out, err };
  };
  return {
    inventory,
    cluster,
    dir,
    files,
    run: (args) => command("status", args),
    command,
    close() {
      cluster.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The usual arguments: the inventory, the fake's files, and its API endpoint. */
export function full(r: Rig, dir: string, ...extra: string[]): string[] {
  return [
    dir,
    "--talosconfig",
    r.files.talosconfig,
    "--kubeconfig",
    r.files.kubeconfig,
    "--endpoints",
    r.files.endpoints,
    "--kubernetes-endpoint",
    r.cluster.kubernetesEndpoint,
    ...extra,
  ];
}
