/**
 * The pinned facts each add-on is built from: release, images, arguments, ports and RBAC
 * rules, read from each project's release (../shared/upstream/addons, whose README gives
 * the tag and commit). lib/addons/objects.ts builds the Kubernetes objects from these;
 * test/addons.test.ts compares every object it builds with the release's own manifests,
 * field by field (the facts in test/facts/addons.json), and lists where they differ on
 * purpose (lib/addons/differences.ts).
 *
 * Bumping an add-on: change its pins here, `npm run facts` against the new release's
 * files, and let the tests say what else moved.
 */

/** One RBAC policy rule. */
export interface Rule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
  readonly resourceNames?: readonly string[];
}

const rule = (
  apiGroups: string[],
  resources: string[],
  verbs: string[],
  resourceNames?: string[],
): Rule =>
  resourceNames ? { apiGroups, resources, verbs, resourceNames } : { apiGroups, resources, verbs };

const READ = ["get", "list", "watch"];
const WRITE = ["get", "list", "watch", "create", "patch", "update", "delete"];

/** NVIDIA's device plugin, at a release that runs on Talos v1.13 (siderolabs/talos #12103). */
export const NVIDIA_DEVICE_PLUGIN = {
  release: "v0.20.0",
  image: "nvcr.io/nvidia/k8s-device-plugin:v0.20.0",
  /** Where the kubelet's device-plugin sockets live. */
  socketDir: "/var/lib/kubelet/device-plugins",
} as const;

/** Rancher's local-path-provisioner. */
export const LOCAL_PATH_PROVISIONER = {
  release: "v0.0.37",
  image: "docker.io/rancher/local-path-provisioner:v0.0.37",
  /** The image of the pods it starts on a node to make and remove a volume's folder. */
  helperImage: "docker.io/library/busybox",
  provisioner: "rancher.io/local-path",
  healthPort: 8080,
  clusterRules: [
    rule([""], ["nodes", "persistentvolumeclaims", "configmaps", "pods", "pods/log"], READ),
    rule([""], ["persistentvolumes"], WRITE),
    rule([""], ["events"], ["create", "patch"]),
    rule(["storage.k8s.io"], ["storageclasses"], READ),
  ],
  namespaceRules: [rule([""], ["pods"], WRITE)],
} as const;

/** metrics-server, as its release kustomization renders it. */
export const METRICS_SERVER = {
  release: "v0.9.0",
  image: "registry.k8s.io/metrics-server/metrics-server:v0.9.0",
  port: 10250,
  args: [
    "--cert-dir=/tmp",
    "--secure-port=10250",
    "--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname",
    "--kubelet-use-node-status-port",
    "--metric-resolution=15s",
  ],
  readerRules: [rule(["metrics.k8s.io"], ["pods", "nodes"], READ)],
  serverRules: [rule([""], ["nodes/metrics"], ["get"]), rule([""], ["pods", "nodes"], READ)],
} as const;

/** Approves the kubelets' serving-certificate requests (alex1989hu/kubelet-serving-cert-approver). */
export const CERT_APPROVER = {
  release: "v0.11.0",
  image: "ghcr.io/alex1989hu/kubelet-serving-cert-approver:0.11.0",
  healthPort: 8080,
  metricsPort: 9090,
  /** The non-root user, group and filesystem group it runs as. */
  user: 65534,
  certificateRules: [
    rule(["certificates.k8s.io"], ["certificatesigningrequests"], READ),
    rule(["certificates.k8s.io"], ["certificatesigningrequests/approval"], ["update"]),
    rule(["authorization.k8s.io"], ["subjectaccessreviews"], ["create"]),
    rule(["certificates.k8s.io"], ["signers"], ["approve"], ["kubernetes.io/kubelet-serving"]),
  ],
  eventRules: [rule([""], ["events"], ["create", "patch"])],
} as const;
