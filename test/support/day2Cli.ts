/**
 * Running `npm run day2 -- <command>` in-process against a fake cluster shaped like an
 * inventory: the talosconfig, kubeconfig and endpoints written to a temporary project
 * folder (removed by close()), every endpoint on 127.0.0.1.
 */
import * as fs from "fs";
import { loadInventory, type Inventory } from "../../lib/inventory";
import "./loopbackOnly";
import type { FakeCluster, startFakeCluster } from "../../packages/day2/fake";
import { startFakeFor } from "../../tools/day2/fakeFor";
import { runDay2 } from "../../scripts/day2";
import { tempDir } from "./tmp";

type FakeOptions = Parameters<typeof startFakeCluster>[0];

/** A fake cluster shaped like an inventory, and files pointing at it in a temp dir. */
export interface Rig {
  readonly inventory: Inventory;
  readonly cluster: FakeCluster;
  readonly dir: string;
  readonly files: ReturnType<FakeCluster["writeFiles"]>;
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

export async function rig(inventoryDir: string, options: Partial<FakeOptions> = {}): Promise<Rig> {
  const inventory = loadInventory(inventoryDir);
  const cluster = await startFakeFor(inventory, options);
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
  return [dir, ...r.files.flags, ...extra];
}
