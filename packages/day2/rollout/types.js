// @ts-check
/**
 * The shapes the rollout provider receives and returns. Plain data: the Pulumi
 * dynamic-provider host hands inputs over as plain values (secrets unwrapped) and
 * stores the outputs as they are returned.
 */
"use strict";

/**
 * A node's network identity, as the cloud-init drive injects it.
 * @typedef {object} RolloutNetwork
 * @property {string} cidr e.g. `10.20.0.0/24`.
 * @property {string} gateway
 * @property {number} prefixLength
 */

/**
 * @typedef {object} RolloutNode
 * @property {"controlplane" | "worker"} role
 * @property {string} ip The inventory IP: what the node's Talos certificate carries.
 * @property {string | null} endpoint `host:port` to dial instead of `<ip>:50000` (em-infra:talosEndpoints), or null.
 * @property {string} installer The installer image, e.g. `factory.talos.dev/nocloud-installer/<schematic>:v1.13.0`.
 * @property {string} schematic The Image Factory schematic id.
 * @property {boolean} protect Whether removing the node is refused.
 * @property {RolloutNetwork} network
 * @property {RolloutHardware} [hardware] Its VM; absent in state written before it existed.
 */

/**
 * A node's VM as the rollout sees it: where it lives, and what a restart applies.
 * @typedef {object} RolloutHardware
 * @property {string} host The Proxmox node the VM lives on.
 * @property {number} vmId
 * @property {number} cores
 * @property {number} memoryMiB
 * @property {number} diskGiB The boot disk's size.
 * @property {string} [scsiController] Proxmox's `scsihw`; absent in older state.
 */

/**
 * The hardware last rolled to a node (its VM restarted through Proxmox, or nothing
 * was pending).
 * @typedef {object} RolledHardware
 * @property {number} cores
 * @property {number} memoryMiB
 * @property {number} diskGiB
 * @property {string} [scsiController]
 */

/**
 * @typedef {object} RolloutTiming
 * @property {number} nodeTimeoutSeconds How long a node may take to come back after a reboot.
 * @property {number} drainTimeoutSeconds The drain deadline (PodDisruptionBudgets are honoured until then).
 * @property {number} pollMs Pause between two looks at a node that is coming back.
 */

/**
 * The Secrets resource's `clientConfiguration` shape: base64 PEM.
 * @typedef {object} RolloutCredentials
 * @property {string} caCertificate
 * @property {string} clientCertificate
 * @property {string} clientKey
 */

/**
 * The provider's inputs, schema 1. `configs` and `credentials` are secret.
 * @typedef {object} RolloutInputs
 * @property {1} schema
 * @property {string} cluster
 * @property {string} talosVersion The target Talos release, e.g. `v1.13.0`.
 * @property {string} kubernetesVersion The target Kubernetes release, e.g. `1.36.0`.
 * @property {string} bootstrapNode
 * @property {number} maxUnavailableWorkers
 * @property {string[][]} batches Control planes one per batch (the bootstrap node last), then worker batches.
 * @property {Record<string, RolloutNode>} nodes
 * @property {Record<string, string>} configs Rendered machine configuration per node (secret).
 * @property {RolloutCredentials} credentials (secret)
 * @property {string | null} kubernetesEndpoint `host:port` to dial the Kubernetes API at, or null.
 * @property {RolloutTiming} timing
 * @property {string} [stack] The Pulumi stack: names the stop request `npm run day2 -- stop` writes. Absent in state written before it existed.
 * @property {string} [clusterEndpoint] The cluster endpoint every configuration and kubeconfig names, e.g. `https://10.20.0.10:6443`. Absent in state written before it existed.
 * @property {string | null} [vip] The cluster's Talos VIP, or null when the endpoint is the first control plane's address.
 * @property {{ etcd: EtcdBackups }} [backups] Absent in state written before it existed: the defaults then apply.
 * @property {RolloutWaits} [waits] The Kubernetes upgrade's waits (cluster.yaml `rollout.waits`); absent in state written before it existed: `timing.nodeTimeoutSeconds` then bounds every wait, as before. Changing them alone rolls nothing.
 * @property {import("../lib/pve").PveSettings} [proxmox] The Proxmox API endpoint and credentials, the provider's own (secret); never in the outputs, never compared. Needed only when a node's hardware changed.
 * @property {{ talosMinor: number, oldestKubernetesMinor: number, newestKubernetesMinor: number }[]} [kubernetesSupport] em-infra's table of the Kubernetes minors each Talos minor runs; absent in older state (no check then).
 */

/**
 * How long the Kubernetes upgrade waits, upstream's values by default (talosctl
 * upgrade-k8s, Talos v1.13.9).
 * @typedef {object} RolloutWaits
 * @property {number} controlPlanePodSeconds For a control-plane static pod at its new configuration and Ready, per node.
 * @property {number} kubeletSeconds For a kubelet at its new version and its Node Ready, per node.
 * @property {number} manifestsSeconds For the bootstrap manifests' objects to roll out.
 */

/**
 * cluster.yaml's `backups.etcd`: a snapshot before any update that touches a control plane.
 * @typedef {object} EtcdBackups
 * @property {boolean} beforeRollout
 * @property {number} keep How many of the cluster's snapshots stay in `dir`; the oldest go first.
 * @property {string} dir Relative to the program's directory (where the provider runs), or absolute.
 */

/**
 * What was last rolled to a node.
 * @typedef {object} RolledNode
 * @property {string} talosVersion
 * @property {string} schematic
 * @property {string} kubernetesVersion
 * @property {string} configHash sha256 hex of the configuration last applied by the rollout (or at creation).
 * @property {RolledHardware} [hardware] The VM hardware last rolled; absent in older state.
 */

/**
 * What a removal did and could not do, for one removed node.
 * @typedef {object} RemovalReport
 * @property {"controlplane" | "worker"} role
 * @property {boolean} reachable Whether its Talos API answered.
 * @property {string[]} done Steps done, in order.
 * @property {string[]} notDone Steps that could not be done on the node itself, with why.
 */

/**
 * What the last update did, beyond `rolled`.
 * @typedef {object} LastRun
 * @property {string} at ISO time the update finished (or failed).
 * @property {Record<string, RemovalReport>} removed
 * @property {string[]} warnings Lines the operator should read.
 * @property {string} [failed] Why the update failed, when it did; its progress is recorded all the same. Stored outputs with it make the next diff a change, so a rerun, a revert or a fix always reaches `update`.
 * @property {Record<string, Record<string, { image: string, done: boolean }>>} [asked] What the Kubernetes step asked each node's components (`kube-apiserver`, ..., `kubelet`) to run, and whether each got there.
 */

/**
 * What one update has finished so far: kept when it fails, so a rerun skips it.
 * @typedef {object} RolloutProgress
 * @property {Record<string, RolledNode>} rolled Every node's last rolled state, updated as nodes finish.
 * @property {Record<string, RemovalReport>} removed Removals finished, by node.
 */

/**
 * The provider's outputs, schema 1: every input except `configs`, `credentials` and
 * `proxmox`, plus what was rolled.
 * @typedef {Omit<RolloutInputs, "configs" | "credentials" | "proxmox"> & {
 *   configHashes: Record<string, string>,
 *   rolled: Record<string, RolledNode>,
 *   lastRun: LastRun | null,
 * }} RolloutOutputs
 */

/**
 * A progress sink: one line per call.
 * @typedef {(line: string) => void} RolloutLog
 */

module.exports = {};
