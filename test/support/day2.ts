/**
 * Shared set-up for the day-two tests: a small fake cluster on 127.0.0.1 and clients
 * pointed at it with short deadlines, so a fault shows in milliseconds. Every client a
 * test makes dials only the fake's loopback ports.
 */
import "./loopbackOnly";
import * as day2 from "../../packages/day2";
import { startFakeCluster, type FakeCluster } from "../../packages/day2/fake";

/** Three control planes and two workers, with 10.20.0.x inventory IPs (never dialed). */
export const NODES = [
  { name: "cp-1", ip: "10.20.0.11", role: "controlplane" },
  { name: "cp-2", ip: "10.20.0.12", role: "controlplane" },
  { name: "cp-3", ip: "10.20.0.13", role: "controlplane" },
  { name: "w-1", ip: "10.20.0.21", role: "worker" },
  { name: "w-2", ip: "10.20.0.22", role: "worker" },
] as const satisfies readonly { name: string; ip: string; role: "controlplane" | "worker" }[];

type FakeOptions = Parameters<typeof startFakeCluster>[0];

/** The clients' types, from the package's JSDoc. */
export type TalosClient = ReturnType<typeof day2.createTalosClient>;
export type KubeClient = ReturnType<typeof day2.createKubeClient>;
export type TalosClientOptions = Parameters<typeof day2.createTalosClient>[0];

/** Starts a fake cluster of {@link NODES} (or `nodes`), with `options` on top. */
export function fake(options: Partial<FakeOptions> = {}): Promise<FakeCluster> {
  return startFakeCluster({ nodes: NODES, ...options });
}

/** Short deadlines and quick retries: a test waits milliseconds, not seconds. */
export const FAST = { timeoutMs: 400, retry: { attempts: 3, baseMs: 5, maxMs: 20 } } as const;

/** A Talos client for the fake, dialing its loopback endpoints. */
export function talosFor(
  cluster: FakeCluster,
  extra: Partial<TalosClientOptions> = {},
): TalosClient {
  return day2.createTalosClient({
    credentials: day2.talosconfigCredentials(cluster.talosconfig).credentials,
    nodes: cluster.nodes.map((n) => ({ name: n.name, ip: n.ip })),
    endpoints: cluster.endpoints,
    ...FAST,
    ...extra,
  });
}

/** A Kubernetes client for the fake, dialing its loopback endpoint. */
export function kubeFor(cluster: FakeCluster): KubeClient {
  return day2.createKubeClient({
    kubeconfig: cluster.kubeconfig,
    endpoint: cluster.kubernetesEndpoint,
    ...FAST,
  });
}

/** The bootstrap check's inputs, schema 1. */
export type BootstrapCheckInputs = Parameters<
  ReturnType<typeof day2.createBootstrapCheckProvider>["create"]
>[0];

/** A Bootstrap resource's URN, as the program's would read. */
export const BOOTSTRAP_URN =
  "urn:pulumi:dev::em-infra::em-infra:talos:TalosCluster$talos:machine/bootstrap:Bootstrap::fake-bootstrap";

/** Bootstrap-check inputs for the fake's cp-1, dialed at its loopback endpoint, with a short deadline (1 s:
 * long enough for a first TLS handshake on a loaded machine). */
export function bootstrapCheckInputs(
  cluster: FakeCluster,
  extra: Partial<BootstrapCheckInputs> = {},
): BootstrapCheckInputs {
  return {
    schema: 1,
    cluster: "fake",
    node: "cp-1",
    ip: "10.20.0.11",
    endpoint: cluster.endpoints["cp-1"],
    credentials: cluster.clientConfiguration,
    bootstrapUrn: BOOTSTRAP_URN,
    timeoutSeconds: 1,
    pollMs: 20,
    ...extra,
  };
}

/** The error a promise rejects with; fails when it resolves. */
export async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a rejection, but the call succeeded");
}
