/**
 * Where the add-ons' objects differ from each release's own manifests, on purpose. The
 * add-on tests compare every object field by field with the upstream facts
 * (test/facts/addons.json) and fail on any difference not listed here, or on an entry
 * here that no longer differs.
 */
import type { AddonName } from "./objects";

/** One field, or a whole subtree, that differs from upstream. */
export interface Difference {
  readonly addon: AddonName;
  /** `Kind/namespace/name`, the namespace empty for a cluster-wide object. */
  readonly object: string;
  /** JSON pointer of the field; every differing field beneath it is covered. */
  readonly field: string;
  /** Added by us, removed by us, or a value we changed. */
  readonly change: "added" | "removed" | "changed";
  readonly why: string;
}

export const DIFFERENCES: readonly Difference[] = [
  {
    addon: "nvidia-device-plugin",
    object: "DaemonSet/kube-system/nvidia-device-plugin-daemonset",
    field: "/spec/template/spec/runtimeClassName",
    change: "added",
    why: "Talos runs NVIDIA's container runtime as a RuntimeClass of its own (nvidia), not as containerd's default; the plugin only sees the driver through it",
  },
  {
    addon: "nvidia-device-plugin",
    object: "DaemonSet/kube-system/nvidia-device-plugin-daemonset",
    field: "/spec/template/spec/affinity",
    change: "added",
    why: "only GPU nodes run it: the nvidia.com/gpu.present=true term of NVIDIA's own chart, a label every GPU node carries (siderolabs/talos #12103)",
  },
  {
    addon: "nvidia-device-plugin",
    object: "DaemonSet/kube-system/nvidia-device-plugin-daemonset",
    field: "/spec/template/spec/tolerations/0/effect",
    change: "removed",
    why: "a GPU worker's nvidia.com/gpu taint may be NoExecute or PreferNoSchedule (the inventory sets it), not only NoSchedule; with no effect the toleration matches them all, so the plugin is never kept off or evicted from a GPU node",
  },
  {
    addon: "nvidia-device-plugin",
    object: "DaemonSet/kube-system/nvidia-device-plugin-daemonset",
    field: "/spec/template/spec/containers/0/env",
    change: "removed",
    why: "an empty list, which sets nothing",
  },
  {
    addon: "local-path-provisioner",
    object: "Namespace//local-path-storage",
    field: "/metadata/labels/pod-security.kubernetes.io~1enforce",
    change: "added",
    why: "its helper pods mount host paths, which Talos's default Pod Security level (baseline) refuses",
  },
  {
    addon: "local-path-provisioner",
    object: "StorageClass//local-path",
    field: "/metadata/annotations/storageclass.kubernetes.io~1is-default-class",
    change: "added",
    why: "it is the cluster's default StorageClass, so a claim without a class binds",
  },
  {
    addon: "local-path-provisioner",
    object: "ConfigMap/local-path-storage/local-path-config",
    field: "/data/config.json/nodePathMap/0/paths/0",
    change: "changed",
    why: "Talos's root filesystem is read-only: volumes go to the Talos user volume at /var/mnt/local-path-provisioner instead of /opt",
  },
  {
    addon: "kubelet-serving-cert-approver",
    object: "Deployment/kubelet-serving-cert-approver/kubelet-serving-cert-approver",
    field: "/spec/template/spec/containers/0/imagePullPolicy",
    change: "changed",
    why: "the image is pinned to a tag, so IfNotPresent: a restart does not depend on the registry",
  },
];
