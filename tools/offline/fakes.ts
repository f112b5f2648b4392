/**
 * What the offline engine answers for each provider resource and function the
 * program uses: realistic outputs under the providers' real property names, with
 * the fields the providers mark sensitive returned as secrets, as a real provider
 * does. Deterministic: the same inputs always give the same answer.
 *
 * The secret material is fixed and distinctive ({@link MOCK_SECRETS}) so that the
 * secrets audit can search every recorded value for it.
 */
import { createHash } from "crypto";
import { isSecretWrapper, unwrapSecrets, wrapSecret } from "./secretSig";
import * as tokens from "../../lib/tokens";

/** Key material the fakes hand out. None of it may ever appear in plaintext. */
export const MOCK_SECRETS = {
  proxmoxApiToken: "root@pam!em-infra=5ec7e7a0-0000-4000-8000-mocktoken0001",
  osCaKey: "MOCK-TALOS-OS-CA-PRIVATE-KEY-7f3a",
  etcdCaKey: "MOCK-ETCD-CA-PRIVATE-KEY-91bd",
  k8sCaKey: "MOCK-KUBERNETES-CA-PRIVATE-KEY-c24e",
  aggregatorCaKey: "MOCK-AGGREGATOR-CA-PRIVATE-KEY-0d81",
  serviceAccountKey: "MOCK-SERVICE-ACCOUNT-KEY-5a6c",
  clusterSecret: "MOCK-CLUSTER-SECRET-e19f",
  bootstrapToken: "mockbt.0123456789abcdef",
  secretboxSecret: "MOCK-SECRETBOX-ENCRYPTION-SECRET-44aa",
  trustdToken: "mocktd.fedcba9876543210",
  clientKey: "MOCK-TALOS-CLIENT-PRIVATE-KEY-b7c2",
  kubeClientKey: "MOCK-KUBERNETES-ADMIN-CLIENT-KEY-3e9d",
  kubeconfigBody: "MOCK-KUBECONFIG-BODY-ADMIN-CONTEXT-6f01",
} as const;

/** Certificates are public; they only need to look like themselves. */
const CERT = (who: string) => `MOCK-CERTIFICATE-${who}`;

/** A call the engine received, as the fakes see it (secrets still wrapped). */
export interface FakeRequest {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, unknown>;
  /** True for previews: computed outputs stay unknown, as they would. */
  readonly dryRun: boolean;
}

/** A fake's answer for a resource. */
export interface FakeResult {
  readonly id?: string;
  readonly state: Record<string, unknown>;
}

type ResourceFake = (req: FakeRequest) => FakeResult;
type FunctionFake = (args: Record<string, unknown>) => Record<string, unknown>;

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");
const plain = (v: unknown) => unwrapSecrets(v);
const str = (v: unknown) => (typeof plain(v) === "string" ? (plain(v) as string) : "");

function machineSecrets() {
  return {
    certs: {
      etcd: { cert: CERT("etcd-ca"), key: wrapSecret(MOCK_SECRETS.etcdCaKey) },
      k8s: { cert: CERT("k8s-ca"), key: wrapSecret(MOCK_SECRETS.k8sCaKey) },
      k8sAggregator: { cert: CERT("aggregator-ca"), key: wrapSecret(MOCK_SECRETS.aggregatorCaKey) },
      k8sServiceaccount: { key: wrapSecret(MOCK_SECRETS.serviceAccountKey) },
      os: { cert: CERT("os-ca"), key: wrapSecret(MOCK_SECRETS.osCaKey) },
    },
    cluster: { id: "mock-cluster-id", secret: wrapSecret(MOCK_SECRETS.clusterSecret) },
    secrets: {
      bootstrapToken: wrapSecret(MOCK_SECRETS.bootstrapToken),
      secretboxEncryptionSecret: wrapSecret(MOCK_SECRETS.secretboxSecret),
    },
    trustdinfo: { token: wrapSecret(MOCK_SECRETS.trustdToken) },
  };
}

function clientConfiguration() {
  return {
    caCertificate: CERT("os-ca"),
    clientCertificate: CERT("talos-admin"),
    clientKey: wrapSecret(MOCK_SECRETS.clientKey),
  };
}

/** A machine configuration as the provider renders it: secrets inside, patches merged. */
function machineConfiguration(args: Record<string, unknown>): string {
  const type = str(args.machineType);
  const patches = (plain(args.configPatches) as string[] | undefined) ?? [];
  const lines = [
    "version: v1alpha1",
    "machine:",
    `  type: ${type}`,
    `  token: ${MOCK_SECRETS.trustdToken}`,
    "  ca:",
    `    crt: ${CERT("os-ca")}`,
    ...(type === "controlplane" ? [`    key: ${MOCK_SECRETS.osCaKey}`] : []),
    "cluster:",
    `  clusterName: ${str(args.clusterName)}`,
    `  controlPlane: { endpoint: ${str(args.clusterEndpoint)} }`,
    `  token: ${MOCK_SECRETS.bootstrapToken}`,
    ...(type === "controlplane"
      ? [
          `  secretboxEncryptionSecret: ${MOCK_SECRETS.secretboxSecret}`,
          `  etcd: { ca: { key: ${MOCK_SECRETS.etcdCaKey} } }`,
        ]
      : []),
  ];
  return [lines.join("\n"), ...patches].join("\n---\n");
}

function kubeconfig(endpoint: string, clusterName: string): string {
  return [
    "apiVersion: v1",
    "kind: Config",
    `clusters: [{ name: ${clusterName}, cluster: { server: ${endpoint} } }]`,
    `users: [{ name: admin@${clusterName}, user: { client-key-data: ${MOCK_SECRETS.kubeClientKey} } }]`,
    `# ${MOCK_SECRETS.kubeconfigBody}`,
  ].join("\n");
}

const echo = (req: FakeRequest) => ({ ...req.inputs });

/** Resource fakes by type token. */
export const RESOURCE_FAKES: Readonly<Record<string, ResourceFake>> = {
  [tokens.SECRETS]: (req) => ({
    id: "machine-secrets",
    state: req.dryRun
      ? echo(req)
      : {
          ...echo(req),
          machineSecrets: machineSecrets(),
          clientConfiguration: clientConfiguration(),
        },
  }),
  [tokens.SCHEMATIC]: (req) => ({
    id: req.dryRun ? undefined : sha256(str(req.inputs.schematic)),
    state: echo(req),
  }),
  [tokens.APPLY]: (req) => ({
    id: `apply-${str(req.inputs.node)}`,
    state: req.dryRun
      ? echo(req)
      : {
          ...echo(req),
          machineConfiguration: wrapSecret(str(req.inputs.machineConfigurationInput)),
          resolvedApplyMode: str(req.inputs.applyMode) || "auto",
        },
  }),
  [tokens.BOOTSTRAP]: (req) => ({
    id: `bootstrap-${str(req.inputs.node)}`,
    state: echo(req),
  }),
  [tokens.KUBECONFIG]: (req) => {
    const endpoint = `https://${str(req.inputs.endpoint) || str(req.inputs.node)}:6443`;
    return {
      id: `kubeconfig-${str(req.inputs.node)}`,
      state: req.dryRun
        ? echo(req)
        : {
            ...echo(req),
            kubeconfigRaw: wrapSecret(kubeconfig(endpoint, "cluster")),
            kubernetesClientConfiguration: {
              host: endpoint,
              caCertificate: CERT("k8s-ca"),
              clientCertificate: CERT("k8s-admin"),
              clientKey: wrapSecret(MOCK_SECRETS.kubeClientKey),
            },
          },
    };
  },
  [tokens.FILE]: (req) => ({
    id: req.dryRun
      ? undefined
      : `${str(req.inputs.datastoreId)}:${str(req.inputs.contentType)}/${str(req.inputs.fileName)}`,
    state: req.dryRun ? echo(req) : { ...echo(req), size: 1_306_525_696 },
  }),
  // A dynamic resource's provider is serialized into its inputs; the engine runs it
  // (see engine.ts). This is the fallback: the state the host would store, inputs
  // echoed, without the provider text.
  [tokens.DYNAMIC]: (req) => {
    const { __provider: _, ...state } = req.inputs;
    return { id: req.dryRun ? undefined : req.name, state };
  },
  [tokens.VM]: (req) => {
    const devices = (plain(req.inputs.networkDevices) as { macAddress?: string }[]) ?? [];
    return {
      id: req.dryRun ? undefined : String(plain(req.inputs.vmId)),
      state: req.dryRun
        ? echo(req)
        : {
            ...echo(req),
            macAddresses: devices.map((d) => (d.macAddress ?? "").toUpperCase()),
            networkInterfaceNames: ["lo", "eth0"],
          },
    };
  },
};

/** Function (invoke) fakes by token. */
export const FUNCTION_FAKES: Readonly<Record<string, FunctionFake>> = {
  [tokens.GET_URLS]: (args) => {
    const id = str(args.schematicId);
    const v = str(args.talosVersion);
    const platform = str(args.platform) || "metal";
    const arch = str(args.architecture) || "amd64";
    const base = `https://factory.talos.dev/image/${id}/${v}`;
    return {
      ...args,
      id: `${id}-${v}-${platform}-${arch}`,
      urls: {
        // What the provider returns for nocloud: the compressed raw image.
        diskImage: `${base}/${platform}-${arch}.raw.xz`,
        diskImageSecureboot: `${base}/${platform}-${arch}-secureboot.raw.xz`,
        initramfs: `${base}/initramfs-${arch}.xz`,
        installer: `factory.talos.dev/${platform}-installer/${id}:${v}`,
        installerSecureboot: `factory.talos.dev/${platform}-installer-secureboot/${id}:${v}`,
        iso: `${base}/${platform}-${arch}.iso`,
        isoSecureboot: `${base}/${platform}-${arch}-secureboot.iso`,
        kernel: `${base}/kernel-${arch}`,
        kernelCommandLine: `${base}/cmdline-${platform}-${arch}`,
        pxe: `https://pxe.factory.talos.dev/pxe/${id}/${v}/${platform}-${arch}`,
        uki: `${base}/${platform}-${arch}-secureboot-uki.efi`,
      },
    };
  },
  [tokens.GET_CONFIG]: (args) => ({
    ...args,
    id: `config-${str(args.clusterName)}-${str(args.machineType)}`,
    machineConfiguration: wrapSecret(machineConfiguration(args)),
  }),
  [tokens.CLIENT_CONFIG]: (args) => {
    const endpoints = (plain(args.endpoints) as string[] | undefined) ?? [];
    const nodes = (plain(args.nodes) as string[] | undefined) ?? [];
    const name = str(args.clusterName);
    return {
      ...args,
      id: name,
      talosConfig: wrapSecret(
        [
          `context: ${name}`,
          "contexts:",
          `  ${name}:`,
          `    endpoints: [${endpoints.join(", ")}]`,
          `    nodes: [${nodes.join(", ")}]`,
          `    ca: ${CERT("os-ca")}`,
          `    crt: ${CERT("talos-admin")}`,
          `    key: ${MOCK_SECRETS.clientKey}`,
        ].join("\n"),
      ),
    };
  },
  [tokens.HEALTH]: (args) => ({
    ...args,
    id: `health-${((plain(args.controlPlaneNodes) as string[]) ?? []).join(",")}`,
  }),
};

/** Whether a state value holds a secret anywhere (used to wrap whole properties). */
export function containsSecret(v: unknown): boolean {
  if (isSecretWrapper(v)) return true;
  if (Array.isArray(v)) return v.some(containsSecret);
  if (typeof v === "object" && v !== null) return Object.values(v).some(containsSecret);
  return false;
}
