/**
 * Which Kubernetes releases each Talos minor release supports, from the "Support Matrix"
 * page of the Talos documentation (docs.siderolabs.com/talos/v1.13/getting-started/
 * support-matrix and the same page for earlier releases). Each Talos minor supports the
 * six Kubernetes minors up to the newest one released before it.
 *
 * Add a row when a Talos minor is released; until then a newer Talos gets a warning, not
 * an error, because the table is what is out of date.
 */

/** One row of the support matrix. Versions are minors within major 1. */
export interface TalosSupport {
  /** Talos minor, e.g. 13 for v1.13. */
  readonly talosMinor: number;
  /** Oldest supported Kubernetes minor, e.g. 31 for 1.31. */
  readonly oldestKubernetesMinor: number;
  /** Newest supported Kubernetes minor, e.g. 36 for 1.36. */
  readonly newestKubernetesMinor: number;
}

/** The support matrix, oldest Talos first. */
export const TALOS_SUPPORT: readonly TalosSupport[] = [
  { talosMinor: 6, oldestKubernetesMinor: 24, newestKubernetesMinor: 29 },
  { talosMinor: 7, oldestKubernetesMinor: 25, newestKubernetesMinor: 30 },
  { talosMinor: 8, oldestKubernetesMinor: 26, newestKubernetesMinor: 31 },
  { talosMinor: 9, oldestKubernetesMinor: 27, newestKubernetesMinor: 32 },
  { talosMinor: 10, oldestKubernetesMinor: 28, newestKubernetesMinor: 33 },
  { talosMinor: 11, oldestKubernetesMinor: 29, newestKubernetesMinor: 34 },
  { talosMinor: 12, oldestKubernetesMinor: 30, newestKubernetesMinor: 35 },
  { talosMinor: 13, oldestKubernetesMinor: 31, newestKubernetesMinor: 36 },
];

/** The outcome of {@link checkVersions}. */
export type VersionCheck =
  | { readonly status: "supported" }
  /** The Talos minor is known and the Kubernetes minor is outside its range. */
  | { readonly status: "unsupported"; readonly talos: string; readonly supported: string }
  /** The Talos minor is older than the table: em-infra does not deploy it. */
  | { readonly status: "talos-too-old"; readonly talos: string; readonly oldest: string }
  /** The Talos minor is newer than the table: nothing can be said about Kubernetes. */
  | { readonly status: "talos-unknown"; readonly talos: string; readonly newest: string };

const VERSION = /^v?(\d+)\.(\d+)\.(\d+)(-[0-9A-Za-z.-]+)?$/;

/** The major and minor of `vX.Y.Z` or `X.Y.Z`, or `undefined` when it is neither. */
export function majorMinor(version: string): { major: number; minor: number } | undefined {
  const match = VERSION.exec(version);
  return match ? { major: Number(match[1]), minor: Number(match[2]) } : undefined;
}

/**
 * Whether a Kubernetes release runs on a Talos release, per {@link TALOS_SUPPORT}.
 * Both versions must already be well-formed (`vX.Y.Z` and `X.Y.Z`).
 */
export function checkVersions(talosVersion: string, kubernetesVersion: string): VersionCheck {
  const talos = majorMinor(talosVersion);
  const kubernetes = majorMinor(kubernetesVersion);
  if (talos === undefined || kubernetes === undefined) return { status: "supported" };
  const talosName = `v${talos.major}.${talos.minor}`;
  const oldest = TALOS_SUPPORT[0];
  const newest = TALOS_SUPPORT[TALOS_SUPPORT.length - 1];
  if (talos.major < 1 || (talos.major === 1 && talos.minor < oldest.talosMinor)) {
    return { status: "talos-too-old", talos: talosName, oldest: `v1.${oldest.talosMinor}` };
  }
  const row =
    talos.major === 1 ? TALOS_SUPPORT.find((r) => r.talosMinor === talos.minor) : undefined;
  if (row === undefined) {
    return { status: "talos-unknown", talos: talosName, newest: `v1.${newest.talosMinor}` };
  }
  const inRange =
    kubernetes.major === 1 &&
    kubernetes.minor >= row.oldestKubernetesMinor &&
    kubernetes.minor <= row.newestKubernetesMinor;
  if (inRange) return { status: "supported" };
  return {
    status: "unsupported",
    talos: talosName,
    supported: `1.${row.oldestKubernetesMinor} to 1.${row.newestKubernetesMinor}`,
  };
}
