// @ts-check
/**
 * The Talos resources (COSI) the day-two work reads, by namespace, type and id, as Talos
 * v1.13 names them (pkg/machinery/resources/config and k8s). Every control plane keeps
 * its own copies; a worker has only the machine configuration and the kubelet spec.
 */
"use strict";

const RESOURCES = Object.freeze({
  /** The node's running machine configuration: its spec is the whole configuration. */
  machineConfig: {
    namespace: "config",
    type: "MachineConfigs.config.talos.dev",
    id: "v1alpha1",
  },
  /** What the kubelet runs with: its image among others. */
  kubeletSpec: { namespace: "k8s", type: "KubeletSpecs.kubernetes.talos.dev", id: "kubelet" },
  /**
   * A control-plane component's static pod as Talos renders it for the kubelet (id: the
   * component's name; spec: the Pod, its command line among it).
   */
  staticPods: { namespace: "k8s", type: "StaticPods.kubernetes.talos.dev" },
  /** The bootstrap manifests (one resource a group, the spec a list of objects). */
  manifests: { namespace: "controlplane", type: "Manifests.kubernetes.talos.dev" },
});

/**
 * Each control-plane component: its configuration resource (whose version a static pod
 * carries in its `talos.dev/config-version` annotation once it runs it), and where its
 * image is set in a v1alpha1 configuration. In upgrade order, as talosctl upgrade-k8s.
 */
const COMPONENTS = Object.freeze(
  /** @type {const} */ ([
    {
      name: "kube-apiserver",
      key: "apiServer",
      resource: {
        namespace: "controlplane",
        type: "APIServerConfigs.kubernetes.talos.dev",
        id: "kube-apiserver",
      },
    },
    {
      name: "kube-controller-manager",
      key: "controllerManager",
      resource: {
        namespace: "controlplane",
        type: "ControllerManagerConfigs.kubernetes.talos.dev",
        id: "kube-controller-manager",
      },
    },
    {
      name: "kube-scheduler",
      key: "scheduler",
      resource: {
        namespace: "controlplane",
        type: "SchedulerConfigs.kubernetes.talos.dev",
        id: "kube-scheduler",
      },
    },
  ]),
);

/** The static pod annotation that names the configuration version it runs. */
const CONFIG_VERSION_ANNOTATION = "talos.dev/config-version";

module.exports = { RESOURCES, COMPONENTS, CONFIG_VERSION_ANNOTATION };
