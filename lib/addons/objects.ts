/**
 * The add-ons' Kubernetes objects, built from the pinned facts in ./pins. Pure: no
 * Pulumi, no I/O. Each add-on becomes one Talos inline manifest on the control planes
 * (lib/talos/patches.ts), so its objects exist as soon as the API server first answers;
 * a later change reaches a running cluster through the rollout's bootstrap-manifest
 * sync, which applies what differs and prunes what left.
 *
 * - nvidia-device-plugin, whenever nodes.yaml has a GPU worker: advertises
 *   `nvidia.com/gpu` from the GPU nodes only, run by the `nvidia` RuntimeClass.
 * - local-path-provisioner (`storage.localPath`): the default StorageClass, each
 *   volume a folder in the Talos user volume `local-path-provisioner`
 *   (/var/mnt/local-path-provisioner).
 * - metrics-server and kubelet-serving-cert-approver (`addons.metricsServer`): the
 *   kubelets ask for serving certificates signed by the cluster CA, the approver
 *   approves those requests, and metrics-server verifies the kubelets against that CA.
 */
import { stringify } from "yaml";
import { LastUsed } from "../lastUsed";
import { GPU_LABELS, GPU_TAINT, NVIDIA_RUNTIME_CLASS } from "../talos/gpu";
import type { ClusterSpec } from "../inventory/types";
import {
  CERT_APPROVER,
  LOCAL_PATH_PROVISIONER,
  METRICS_SERVER,
  NVIDIA_DEVICE_PLUGIN,
  type Rule,
} from "./pins";

/** A Kubernetes object as plain data. */
export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
  };
  readonly [field: string]: unknown;
}

/** The add-ons em-infra can deploy, by the name of their inline manifest. */
export type AddonName =
  | "nvidia-device-plugin"
  | "local-path-provisioner"
  | "metrics-server"
  | "kubelet-serving-cert-approver";

/** One add-on: the inline manifest that carries it, and its objects in apply order. */
export interface Addon {
  readonly name: AddonName;
  readonly release: string;
  readonly objects: readonly KubeObject[];
}

/** The Talos user volume local-path-provisioner keeps its volumes in. */
export const LOCAL_PATH_VOLUME = "local-path-provisioner";
/** Where Talos mounts a user volume: `/var/mnt/<name>`. */
export const LOCAL_PATH_DIR = `/var/mnt/${LOCAL_PATH_VOLUME}`;
/** The default StorageClass's name, as upstream names it. */
export const LOCAL_PATH_STORAGE_CLASS = "local-path";
/** The annotation that makes a StorageClass the default. */
export const DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class";

/**
 * Which add-ons the inventory turns on.
 * @param gpuInCluster whether nodes.yaml has a GPU worker: the device plugin follows it.
 */
export function enabledAddons(cluster: ClusterSpec, gpuInCluster: boolean): AddonName[] {
  const out: AddonName[] = [];
  if (gpuInCluster) out.push("nvidia-device-plugin");
  if (cluster.storage.localPath) out.push("local-path-provisioner");
  if (cluster.addons.metricsServer) out.push("metrics-server", "kubelet-serving-cert-approver");
  return out;
}

/** Every add-on the inventory turns on, with its objects. */
export function buildAddons(cluster: ClusterSpec, gpuInCluster: boolean): Addon[] {
  return enabledAddons(cluster, gpuInCluster).map((name) => BUILDERS[name]());
}

/**
 * Texts already written, by their objects' JSON: every control plane's configuration
 * carries the same add-ons, and writing them as YAML took 5 ms where the key takes 0.2.
 */
const manifestTexts = new LastUsed<string>(64);

/** An add-on's objects as one multi-document YAML text, the inline manifest's contents. */
export function manifestText(addon: Addon): string {
  return manifestTexts.get(JSON.stringify(addon.objects), () =>
    addon.objects
      .map((o) => stringify(o, { version: "1.1", aliasDuplicateObjects: false, lineWidth: 0 }))
      .join("---\n"),
  );
}

/** The add-ons as the `cluster.inlineManifests` entries of a control plane's configuration. */
export function inlineManifests(addons: readonly Addon[]): { name: AddonName; contents: string }[] {
  return addons.map((a) => ({ name: a.name, contents: manifestText(a) }));
}

const BUILDERS: Readonly<Record<AddonName, () => Addon>> = {
  "nvidia-device-plugin": devicePlugin,
  "local-path-provisioner": localPath,
  "metrics-server": metricsServer,
  "kubelet-serving-cert-approver": certApprover,
};

// --- small constructors -------------------------------------------------------------

type Labels = Record<string, string>;

function object(
  apiVersion: string,
  kind: string,
  name: string,
  namespace: string | undefined,
  labels: Labels | undefined,
  body: Record<string, unknown> = {},
  annotations?: Labels,
): KubeObject {
  return {
    apiVersion,
    kind,
    metadata: {
      name,
      ...(namespace === undefined ? {} : { namespace }),
      ...(labels === undefined ? {} : { labels: { ...labels } }),
      ...(annotations === undefined ? {} : { annotations: { ...annotations } }),
    },
    ...body,
  };
}

const RBAC = "rbac.authorization.k8s.io/v1";

function rules(list: readonly Rule[]): Record<string, unknown>[] {
  return list.map((r) => ({
    apiGroups: [...r.apiGroups],
    resources: [...r.resources],
    verbs: [...r.verbs],
    ...(r.resourceNames === undefined ? {} : { resourceNames: [...r.resourceNames] }),
  }));
}

function serviceAccountSubject(name: string, namespace: string) {
  return [{ kind: "ServiceAccount", name, namespace }];
}

function binding(
  kind: "RoleBinding" | "ClusterRoleBinding",
  name: string,
  namespace: string | undefined,
  labels: Labels | undefined,
  role: { kind: "Role" | "ClusterRole"; name: string },
  subject: { name: string; namespace: string },
): KubeObject {
  return object(RBAC, kind, name, namespace, labels, {
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: role.kind, name: role.name },
    subjects: serviceAccountSubject(subject.name, subject.namespace),
  });
}

/** An HTTP probe of a named port, over HTTPS when `scheme` says so. */
function httpProbe(
  path: string,
  port: string,
  timing: Record<string, number>,
  scheme?: "HTTPS",
): Record<string, unknown> {
  return { httpGet: { path, port, ...(scheme === undefined ? {} : { scheme }) }, ...timing };
}

const DROP_ALL = { drop: ["ALL"] };

// --- the add-ons ----------------------------------------------------------------------

/**
 * NVIDIA's device plugin: a DaemonSet on the GPU nodes only (the label every GPU node
 * carries, the same node-affinity term NVIDIA's chart offers), tolerating their taint
 * whatever its effect,
 * and run by the `nvidia` RuntimeClass so that it sees the driver's libraries.
 */
function devicePlugin(): Addon {
  const labels = { name: "nvidia-device-plugin-ds" };
  const [gpuLabel, gpuValue] = Object.entries(GPU_LABELS)[0];
  const socketVolume = "kubelet-device-plugins-dir";
  const daemonSet = object(
    "apps/v1",
    "DaemonSet",
    "nvidia-device-plugin-daemonset",
    "kube-system",
    undefined,
    {
      spec: {
        selector: { matchLabels: labels },
        updateStrategy: { type: "RollingUpdate" },
        template: {
          metadata: { labels },
          spec: {
            runtimeClassName: NVIDIA_RUNTIME_CLASS,
            affinity: {
              nodeAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: {
                  nodeSelectorTerms: [
                    { matchExpressions: [{ key: gpuLabel, operator: "In", values: [gpuValue] }] },
                  ],
                },
              },
            },
            // Whatever the effect: the inventory may taint a GPU worker's nvidia.com/gpu
            // NoExecute (or PreferNoSchedule) instead of em-infra's NoSchedule, and a
            // plugin that tolerated NoSchedule alone would be kept off (or evicted), so the
            // node would advertise no GPU. A toleration with no effect matches every
            // effect (k8s.io/api core/v1 Toleration: "Empty means match all taint effects").
            tolerations: [{ key: GPU_TAINT.key, operator: "Exists" }],
            priorityClassName: "system-node-critical",
            containers: [
              {
                image: NVIDIA_DEVICE_PLUGIN.image,
                name: "nvidia-device-plugin-ctr",
                securityContext: { allowPrivilegeEscalation: false, capabilities: DROP_ALL },
                volumeMounts: [{ name: socketVolume, mountPath: NVIDIA_DEVICE_PLUGIN.socketDir }],
              },
            ],
            volumes: [
              {
                name: socketVolume,
                hostPath: { path: NVIDIA_DEVICE_PLUGIN.socketDir, type: "Directory" },
              },
            ],
          },
        },
      },
    },
  );
  return {
    name: "nvidia-device-plugin",
    release: NVIDIA_DEVICE_PLUGIN.release,
    objects: [daemonSet],
  };
}

/**
 * local-path-provisioner: every volume a folder under the Talos user volume on the
 * node the pod lands on; its namespace allows privileged pods, since the helper pods
 * it starts mount host paths; its StorageClass is the cluster's default.
 */
let helperPodText: string | undefined;

function localPath(): Addon {
  const ns = "local-path-storage";
  const sa = "local-path-provisioner-service-account";
  const role = "local-path-provisioner-role";
  const bind = "local-path-provisioner-bind";
  const app = { app: "local-path-provisioner" };
  const p = LOCAL_PATH_PROVISIONER;
  const config = {
    nodePathMap: [{ node: "DEFAULT_PATH_FOR_NON_LISTED_NODES", paths: [LOCAL_PATH_DIR] }],
  };
  const helperPod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "helper-pod" },
    spec: {
      priorityClassName: "system-node-critical",
      tolerations: [
        { key: "node.kubernetes.io/disk-pressure", operator: "Exists", effect: "NoSchedule" },
      ],
      containers: [{ name: "helper-pod", image: p.helperImage, imagePullPolicy: "IfNotPresent" }],
    },
  };
  const objects: KubeObject[] = [
    object("v1", "Namespace", ns, undefined, {
      "pod-security.kubernetes.io/enforce": "privileged",
    }),
    object("v1", "ServiceAccount", sa, ns, undefined),
    object(RBAC, "Role", role, ns, undefined, { rules: rules(p.namespaceRules) }),
    object(RBAC, "ClusterRole", role, undefined, undefined, { rules: rules(p.clusterRules) }),
    binding(
      "RoleBinding",
      bind,
      ns,
      undefined,
      { kind: "Role", name: role },
      { name: sa, namespace: ns },
    ),
    binding(
      "ClusterRoleBinding",
      bind,
      undefined,
      undefined,
      { kind: "ClusterRole", name: role },
      { name: sa, namespace: ns },
    ),
    object("apps/v1", "Deployment", "local-path-provisioner", ns, undefined, {
      spec: {
        replicas: 1,
        selector: { matchLabels: app },
        template: {
          metadata: { labels: app },
          spec: {
            serviceAccountName: sa,
            containers: [
              {
                name: "local-path-provisioner",
                image: p.image,
                imagePullPolicy: "IfNotPresent",
                command: [
                  "local-path-provisioner",
                  "--debug",
                  "start",
                  "--config",
                  "/etc/config/config.json",
                ],
                ports: [{ name: "health", containerPort: p.healthPort, protocol: "TCP" }],
                startupProbe: httpProbe("/health", "health", {
                  initialDelaySeconds: 5,
                  periodSeconds: 5,
                  failureThreshold: 12,
                }),
                livenessProbe: httpProbe("/health", "health", {
                  initialDelaySeconds: 10,
                  periodSeconds: 10,
                }),
                readinessProbe: httpProbe("/ready", "health", {
                  initialDelaySeconds: 5,
                  periodSeconds: 5,
                }),
                volumeMounts: [{ name: "config-volume", mountPath: "/etc/config/" }],
                env: [
                  {
                    name: "POD_NAMESPACE",
                    valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } },
                  },
                  { name: "CONFIG_MOUNT_PATH", value: "/etc/config/" },
                  { name: "HEALTH_PORT", value: String(p.healthPort) },
                ],
              },
            ],
            volumes: [{ name: "config-volume", configMap: { name: "local-path-config" } }],
          },
        },
      },
    }),
    object(
      "storage.k8s.io/v1",
      "StorageClass",
      LOCAL_PATH_STORAGE_CLASS,
      undefined,
      undefined,
      {
        provisioner: p.provisioner,
        volumeBindingMode: "WaitForFirstConsumer",
        reclaimPolicy: "Delete",
      },
      { [DEFAULT_CLASS_ANNOTATION]: "true" },
    ),
    object("v1", "ConfigMap", "local-path-config", ns, undefined, {
      data: {
        "config.json": JSON.stringify(config, null, 2),
        // The provisioner runs these in its helper pod, with VOL_DIR set to the folder.
        setup: ["#!/bin/sh", "set -eu", 'mkdir -m 0777 -p "$VOL_DIR"'].join("\n"),
        teardown: ["#!/bin/sh", "set -eu", 'rm -rf "$VOL_DIR"'].join("\n"),
        // Every build writes the same pod: once per process.
        "helperPod.yaml": (helperPodText ??= stringify(helperPod, {
          version: "1.1",
          lineWidth: 0,
        }).trimEnd()),
      },
    }),
  ];
  return { name: "local-path-provisioner", release: p.release, objects };
}

/** metrics-server, with the label its release kustomization gives every object. */
function metricsServer(): Addon {
  const ns = "kube-system";
  const name = "metrics-server";
  const labels = { "k8s-app": name };
  const m = METRICS_SERVER;
  const subject = { name, namespace: ns };
  const objects: KubeObject[] = [
    object("v1", "ServiceAccount", name, ns, labels),
    object(
      RBAC,
      "ClusterRole",
      "system:aggregated-metrics-reader",
      undefined,
      {
        ...labels,
        "rbac.authorization.k8s.io/aggregate-to-admin": "true",
        "rbac.authorization.k8s.io/aggregate-to-edit": "true",
        "rbac.authorization.k8s.io/aggregate-to-view": "true",
      },
      { rules: rules(m.readerRules) },
    ),
    object(RBAC, "ClusterRole", "system:metrics-server", undefined, labels, {
      rules: rules(m.serverRules),
    }),
    binding(
      "RoleBinding",
      "metrics-server-auth-reader",
      ns,
      labels,
      { kind: "Role", name: "extension-apiserver-authentication-reader" },
      subject,
    ),
    binding(
      "ClusterRoleBinding",
      "metrics-server:system:auth-delegator",
      undefined,
      labels,
      { kind: "ClusterRole", name: "system:auth-delegator" },
      subject,
    ),
    binding(
      "ClusterRoleBinding",
      "system:metrics-server",
      undefined,
      labels,
      { kind: "ClusterRole", name: "system:metrics-server" },
      subject,
    ),
    object("v1", "Service", name, ns, labels, {
      spec: {
        ports: [
          { name: "https", port: 443, protocol: "TCP", targetPort: "https", appProtocol: "https" },
        ],
        selector: labels,
      },
    }),
    object("apps/v1", "Deployment", name, ns, labels, {
      spec: {
        selector: { matchLabels: labels },
        strategy: { rollingUpdate: { maxUnavailable: 0 } },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: name,
            volumes: [{ name: "tmp-dir", emptyDir: {} }],
            priorityClassName: "system-cluster-critical",
            containers: [
              {
                name,
                image: m.image,
                imagePullPolicy: "IfNotPresent",
                args: [...m.args],
                resources: { requests: { cpu: "100m", memory: "200Mi" } },
                ports: [{ name: "https", containerPort: m.port, protocol: "TCP" }],
                readinessProbe: httpProbe(
                  "/readyz",
                  "https",
                  { periodSeconds: 10, failureThreshold: 3, initialDelaySeconds: 20 },
                  "HTTPS",
                ),
                livenessProbe: httpProbe(
                  "/livez",
                  "https",
                  { periodSeconds: 10, failureThreshold: 3 },
                  "HTTPS",
                ),
                securityContext: {
                  readOnlyRootFilesystem: true,
                  runAsNonRoot: true,
                  runAsUser: 1000,
                  allowPrivilegeEscalation: false,
                  seccompProfile: { type: "RuntimeDefault" },
                  capabilities: DROP_ALL,
                },
                volumeMounts: [{ name: "tmp-dir", mountPath: "/tmp" }],
              },
            ],
            nodeSelector: { "kubernetes.io/os": "linux" },
          },
        },
      },
    }),
    object("apiregistration.k8s.io/v1", "APIService", "v1beta1.metrics.k8s.io", undefined, labels, {
      spec: {
        service: { name, namespace: ns },
        group: "metrics.k8s.io",
        version: "v1beta1",
        insecureSkipTLSVerify: true,
        groupPriorityMinimum: 100,
        versionPriority: 100,
      },
    }),
  ];
  return { name: "metrics-server", release: m.release, objects };
}

/** The approver of kubelet serving-certificate requests, in its own restricted namespace. */
function certApprover(): Addon {
  const name = "kubelet-serving-cert-approver";
  const labels = { "app.kubernetes.io/instance": name, "app.kubernetes.io/name": name };
  const c = CERT_APPROVER;
  const subject = { name, namespace: name };
  const certificates = `certificates:${name}`;
  const events = `events:${name}`;
  const restricted = {
    "pod-security.kubernetes.io/audit": "restricted",
    "pod-security.kubernetes.io/enforce": "restricted",
    "pod-security.kubernetes.io/warn": "restricted",
  };
  const objects: KubeObject[] = [
    object("v1", "Namespace", name, undefined, { ...labels, ...restricted }),
    object("v1", "ServiceAccount", name, name, labels),
    object(RBAC, "ClusterRole", certificates, undefined, labels, {
      rules: rules(c.certificateRules),
    }),
    object(RBAC, "ClusterRole", events, undefined, labels, { rules: rules(c.eventRules) }),
    binding(
      "RoleBinding",
      events,
      "default",
      labels,
      { kind: "ClusterRole", name: events },
      subject,
    ),
    binding(
      "ClusterRoleBinding",
      name,
      undefined,
      labels,
      { kind: "ClusterRole", name: certificates },
      subject,
    ),
    object("v1", "Service", name, name, labels, {
      spec: {
        ports: [{ name: "metrics", port: c.metricsPort, protocol: "TCP", targetPort: "metrics" }],
        selector: labels,
      },
    }),
    object("apps/v1", "Deployment", name, name, labels, {
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            affinity: {
              nodeAffinity: {
                preferredDuringSchedulingIgnoredDuringExecution: [
                  {
                    preference: {
                      matchExpressions: [
                        { key: "node-role.kubernetes.io/control-plane", operator: "DoesNotExist" },
                      ],
                    },
                    weight: 100,
                  },
                ],
              },
            },
            containers: [
              {
                args: ["serve"],
                env: [
                  {
                    name: "NAMESPACE",
                    valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } },
                  },
                ],
                image: c.image,
                imagePullPolicy: "IfNotPresent",
                livenessProbe: httpProbe("/healthz", "health", { initialDelaySeconds: 6 }),
                name: "cert-approver",
                ports: [
                  { containerPort: c.healthPort, name: "health" },
                  { containerPort: c.metricsPort, name: "metrics" },
                ],
                readinessProbe: httpProbe("/readyz", "health", { initialDelaySeconds: 3 }),
                resources: {
                  limits: { cpu: "250m", memory: "32Mi" },
                  requests: { cpu: "10m", memory: "16Mi" },
                },
                securityContext: {
                  allowPrivilegeEscalation: false,
                  capabilities: DROP_ALL,
                  privileged: false,
                  readOnlyRootFilesystem: true,
                  runAsNonRoot: true,
                },
              },
            ],
            priorityClassName: "system-cluster-critical",
            securityContext: {
              fsGroup: c.user,
              runAsGroup: c.user,
              runAsUser: c.user,
              seccompProfile: { type: "RuntimeDefault" },
            },
            serviceAccountName: name,
            tolerations: [
              {
                effect: "NoSchedule",
                key: "node.cloudprovider.kubernetes.io/uninitialized",
                operator: "Exists",
              },
              { effect: "NoSchedule", key: "node-role.kubernetes.io/master", operator: "Exists" },
              {
                effect: "NoSchedule",
                key: "node-role.kubernetes.io/control-plane",
                operator: "Exists",
              },
            ],
          },
        },
      },
    }),
  ];
  return { name, release: c.release, objects };
}
