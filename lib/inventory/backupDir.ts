/**
 * Where etcd snapshots may go (`backups.etcd.dir`). A snapshot holds every Kubernetes
 * Secret of the cluster, and the rollout creates the folder and writes into it as the
 * user that runs `pulumi up` (often root on an operator's box). So the folder must be
 * one that is only ours: not the project folder (or one that holds it), not a system
 * folder, and not a folder git would commit.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_ROOT } from "../projectRoot";
import { error } from "./problems";
import { positionOf, type SourceFile } from "./source";
import type { Problem } from "./types";

/**
 * Folders that belong to the system or to every user: a snapshot folder there would
 * share them (and a rollout that set their mode would break them, as `dir: /tmp` run as
 * root once did).
 */
export const SYSTEM_FOLDERS: readonly string[] = [
  "/",
  "/bin",
  "/boot",
  "/dev",
  "/etc",
  "/home",
  "/lib",
  "/lib64",
  "/media",
  "/mnt",
  "/opt",
  "/proc",
  "/root",
  "/run",
  "/sbin",
  "/srv",
  "/sys",
  "/tmp",
  "/usr",
  "/usr/local",
  "/var",
  "/var/backups",
  "/var/lib",
  "/var/log",
  "/var/tmp",
];

/** How git is run to ask whether it ignores a path; a parameter for tests. */
export interface GitRunner {
  (args: readonly string[], cwd: string): { status: number | null; stdout: string; error?: Error };
}

const runGit: GitRunner = (args, cwd) => {
  const r = spawnSync("git", args, { cwd, encoding: "utf8", timeout: 10_000 });
  return { status: r.status, stdout: r.stdout ?? "", error: r.error };
};

/** The real path of `p`: its nearest existing folder's real path, and the rest as written. */
function realish(p: string): { real: string; existing: string } {
  let existing = p;
  const rest: string[] = [];
  for (;;) {
    try {
      return { real: path.join(fs.realpathSync(existing), ...rest), existing };
    } catch {
      const parent = path.dirname(existing);
      if (parent === existing) return { real: p, existing: p };
      rest.unshift(path.basename(existing));
      existing = parent;
    }
  }
}

/** Whether `inner` is `outer` or lies below it. */
function within(outer: string, inner: string): boolean {
  const rel = path.relative(outer, inner);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}

/**
 * Why the snapshot folder `dir` is refused, or undefined when it may be used.
 * @param dir as written: relative to `projectRoot` (where the rollout runs), or absolute.
 */
export function backupDirRefusal(
  dir: string,
  projectRoot: string = PROJECT_ROOT,
  git: GitRunner = runGit,
): string | undefined {
  const { real, existing } = realish(path.resolve(projectRoot, dir));
  const root = realish(projectRoot).real;
  const system = [...SYSTEM_FOLDERS, os.tmpdir(), os.homedir()].map((f) => realish(f).real);
  if (system.includes(real))
    return "it is a system or shared folder: snapshots need a folder of their own, which em-infra creates with mode 0700";
  if (within(real, root))
    return "it is the project folder, or a folder that holds it: snapshots need a folder of their own";
  // Inside a git work tree, the folder must be one git ignores, or a snapshot (every
  // Kubernetes Secret) is one `git add -A` away from being committed.
  const top = workTree(existing, git);
  if (top === undefined) return undefined;
  if ("noGit" in top)
    return `it lies inside a git work tree (${top.noGit}) and git is not installed to tell whether it ignores the folder; choose a folder outside the work tree`;
  // A trailing slash, so that a folder-only pattern (`/backups/`) matches a folder that
  // does not exist yet.
  const rel = path.relative(top.top, real) + "/";
  const ignored = git(["check-ignore", "-q", "--", rel], top.top);
  if (ignored.status === 0) return undefined;
  return ignored.status === 1
    ? `it lies inside the git work tree ${top.top} and git does not ignore it, so snapshots (every Kubernetes Secret) could be committed: add it to .gitignore (the default, backups/<stack>, is), or choose a folder outside the work tree`
    : `it lies inside the git work tree ${top.top} and git check-ignore could not tell whether it ignores the folder; choose a folder outside the work tree`;
}

/** The git work tree that holds `folder` (an existing folder), if any. */
function workTree(folder: string, git: GitRunner): { top: string } | { noGit: string } | undefined {
  const r = git(["rev-parse", "--show-toplevel"], folder);
  if (r.error === undefined) {
    const top = r.stdout.trim();
    return r.status === 0 && top !== "" ? { top: realish(top).real } : undefined;
  }
  // No git to ask: a `.git` above the folder still says it is a work tree.
  for (let d = folder; ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, ".git"))) return { noGit: d };
    if (path.dirname(d) === d) return undefined;
  }
}

/** The problem with cluster.yaml's `backups.etcd.dir`, at its line, if any. */
export function checkBackupDir(
  source: SourceFile,
  projectRoot: string = PROJECT_ROOT,
  git: GitRunner = runGit,
): Problem[] {
  const dir = (source.data as { backups?: { etcd?: { dir?: unknown } } } | null)?.backups?.etcd
    ?.dir;
  if (typeof dir !== "string" || dir === "") return [];
  const why = backupDirRefusal(dir, projectRoot, git);
  if (why === undefined) return [];
  return [
    error(
      positionOf(source, ["backups", "etcd", "dir"]),
      `backups.etcd.dir (${JSON.stringify(dir)}) is refused: ${why}`,
    ),
  ];
}
