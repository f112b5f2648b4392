/**
 * Which Kubernetes releases each Talos minor release supports, from the "Support Matrix"
 * page of the Talos documentation (docs.siderolabs.com/talos/v1.13/getting-started/
 * support-matrix and the same page for earlier releases). Each Talos minor supports the
 * six Kubernetes minors up to the newest one released before it.
 *
 * Add a row when a Talos minor is released; until then a newer Talos gets a warning, not
 * an error, because the table is what is out of date. The table starts at
 * {@link OLDEST_TALOS_MINOR}: an older Talos is refused whatever its Kubernetes.
 */

/**
 * The oldest Talos minor em-infra deploys (v1.12). Every node's configuration is built
 * from the multi-document network configuration (lib/talos/patches.ts: HostnameConfig,
 * LinkAliasConfig, LinkConfig, Layer2VIPConfig and ResolverConfig), which Talos v1.12
 * introduced when it deprecated `.machine.network`; the v1.11 configuration reference
 * (talos.dev/v1.11/reference/configuration/network) has none of these documents, so a
 * v1.11 node would reject its configuration. See the "Network Configuration" note of the
 * v1.12 release and docs.siderolabs.com/talos/v1.12/reference/configuration/network/.
 */
export const OLDEST_TALOS_MINOR = 12;

/** One row of the support matrix. Versions are minors within major 1. */
export interface TalosSupport {
  /** Talos minor, e.g. 13 for v1.13. */
  readonly talosMinor: number;
  /** Oldest supported Kubernetes minor, e.g. 31 for 1.31. */
  readonly oldestKubernetesMinor: number;
  /** Newest supported Kubernetes minor, e.g. 36 for 1.36. */
  readonly newestKubernetesMinor: number;
}

/** The support matrix, oldest Talos first, from {@link OLDEST_TALOS_MINOR} on. */
export const TALOS_SUPPORT: readonly TalosSupport[] = [
  { talosMinor: 12, oldestKubernetesMinor: 30, newestKubernetesMinor: 35 },
  { talosMinor: 13, oldestKubernetesMinor: 31, newestKubernetesMinor: 36 },
];

/** The outcome of {@link checkVersions}. */
export type VersionCheck =
  | { readonly status: "supported" }
  /** The Talos minor is known and the Kubernetes minor is outside its range. */
  | { readonly status: "unsupported"; readonly talos: string; readonly supported: string }
  /** The Talos minor is older than {@link OLDEST_TALOS_MINOR}: em-infra does not deploy it. */
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
  const newest = TALOS_SUPPORT[TALOS_SUPPORT.length - 1];
  if (talos.major < 1 || (talos.major === 1 && talos.minor < OLDEST_TALOS_MINOR)) {
    return { status: "talos-too-old", talos: talosName, oldest: `v1.${OLDEST_TALOS_MINOR}` };
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
