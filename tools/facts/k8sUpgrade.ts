/**
 * Facts from siderolabs/go-kubernetes v0.2.38 `kubernetes/upgrade/`, the library
 * `talosctl upgrade-k8s` (Talos v1.13.9) checks a Kubernetes upgrade with:
 * - `path.go`: the upgrade paths it supports, as `major.minor->major.minor` keys
 *   (`Path.IsSupported`);
 * - `checks.go`: for each step, what that release removed (`upgradeVersionCheck`): the
 *   feature gates (checked on the three control-plane components only), each
 *   component's flags, kube-apiserver's admission plugins and API resources, and any
 *   TODO upstream left on the step (1.35->1.36: "the final list" was not yet known).
 * Only the string lists are recorded; the Go source is read, never kept.
 */
import * as fs from "fs";
import * as path from "path";
import type { FactsSource } from "./types";

/** The upstream folder, relative to ../shared/upstream. */
const DIR = "go-kubernetes-v0.2.38/kubernetes/upgrade";

/** What one step removes. */
export interface K8sStepRemovals {
  /** Removed feature gates: upstream looks for them on kube-apiserver, kube-controller-manager and kube-scheduler. */
  readonly featureGates: readonly string[];
  /** Removed flags (without `--`) by component. */
  readonly flags: Readonly<Record<string, readonly string[]>>;
  readonly admissionPlugins: readonly string[];
  /** `resource.version.group`, as `schema.ParseResourceArg` reads it. */
  readonly apiResources: readonly string[];
  /** Upstream's TODO comments on this step, verbatim. */
  readonly todos: readonly string[];
}

export interface K8sUpgradeFacts {
  /** Every supported `major.minor->major.minor`. */
  readonly paths: readonly string[];
  /** By step `major.minor->major.minor`. */
  readonly steps: Readonly<Record<string, K8sStepRemovals>>;
}

/** The text of the `{...}` block that opens at or after `from`. */
function block(text: string, from: number): { body: string; end: number } {
  const open = text.indexOf("{", from);
  if (open < 0) throw new Error(`checks.go: no block after offset ${from}`);
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === "{") depth++;
    else if (text[i] === "}" && --depth === 0) return { body: text.slice(open + 1, i), end: i + 1 };
  }
  throw new Error(`checks.go: unbalanced block at offset ${open}`);
}

/** The strings of the `<field>: []string{...}` directly in `body` (nested blocks excluded unless asked). */
function strings(body: string, field: string): string[] {
  const at = body.search(new RegExp(`\\b${field}:\\s*\\[\\]string\\{`));
  if (at < 0) return [];
  const code = block(body, at)
    .body.split("\n")
    .map((l) => l.replace(/\/\/.*$/, ""))
    .join("\n");
  return [...code.matchAll(/"([^"]*)"/g)].map((m) => m[1] as string);
}

/** The body of `<field>: <type>{...}` in `body`, or "" when absent. */
function sub(body: string, field: string): string {
  const at = body.search(new RegExp(`\\b${field}:\\s*\\w+\\{`));
  return at < 0 ? "" : block(body, at).body;
}

/** Reads the per-step table from checks.go's text. */
export function parseChecks(text: string): Record<string, K8sStepRemovals> {
  const start = text.indexOf("upgradeVersionCheck: map[string]componentChecks{");
  if (start < 0) throw new Error("checks.go: upgradeVersionCheck not found");
  const table = block(text, start).body;
  const out: Record<string, K8sStepRemovals> = {};
  const key = /"(\d+\.\d+->\d+\.\d+)":\s*\{/g;
  let m: RegExpExecArray | null;
  while ((m = key.exec(table)) !== null) {
    const step = m[1] as string;
    const { body, end } = block(table, m.index);
    key.lastIndex = end;
    const api = sub(body, "kubeAPIServerChecks");
    const flags: Record<string, string[]> = {};
    const put = (component: string, list: string[]) => {
      if (list.length > 0) flags[component] = list;
    };
    put("kube-apiserver", strings(sub(api, "componentCheck"), "removedFlags"));
    put(
      "kube-controller-manager",
      strings(sub(body, "kubeControllerManagerChecks"), "removedFlags"),
    );
    put("kube-scheduler", strings(sub(body, "kubeSchedulerChecks"), "removedFlags"));
    put("kubelet", strings(sub(body, "kubeletChecks"), "removedFlags"));
    out[step] = {
      featureGates: strings(body, "removedFeatureGates"),
      flags,
      admissionPlugins: strings(api, "removedAdmissionPlugins"),
      apiResources: strings(api, "removedAPIResources"),
      todos: [...body.matchAll(/\/\/\s*(TODO:[^\n]*)/g)].map((t) => (t[1] as string).trim()),
    };
  }
  if (Object.keys(out).length === 0) throw new Error("checks.go: no steps found");
  return out;
}

/** Reads `Path.IsSupported`'s list from path.go's text. */
export function parsePaths(text: string): string[] {
  const at = text.indexOf("func (p *Path) IsSupported() bool");
  if (at < 0) throw new Error("path.go: IsSupported not found");
  const { body } = block(text, at);
  const paths = [...body.matchAll(/"(\d+\.\d+->\d+\.\d+)"/g)].map((m) => m[1] as string);
  if (paths.length === 0) throw new Error("path.go: no supported paths found");
  return paths;
}

/** The go-kubernetes upgrade facts source. */
export const k8sUpgradeFacts: FactsSource = {
  name: "k8s-upgrade",
  origin:
    "github.com/siderolabs/go-kubernetes kubernetes/upgrade/ at tag v0.2.38 (the version Talos v1.13.9 pins)",
  files: [`${DIR}/path.go`, `${DIR}/checks.go`],
  copies: ["packages/day2/lib/k8s-upgrade.json"],
  extract(upstreamDir: string): K8sUpgradeFacts {
    const read = (f: string) => fs.readFileSync(path.join(upstreamDir, DIR, f), "utf8");
    return { paths: parsePaths(read("path.go")), steps: parseChecks(read("checks.go")) };
  },
};
