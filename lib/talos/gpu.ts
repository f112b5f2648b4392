/**
 * What marks a GPU node, shared by its Talos patches and the NVIDIA device plugin that
 * must find it: the label, the taint and the RuntimeClass.
 */
import type { Taint } from "../inventory/types";

/** Label every GPU node carries, unless its inventory entry sets the same key. */
export const GPU_LABELS: Readonly<Record<string, string>> = Object.freeze({
  "nvidia.com/gpu.present": "true",
});

/** Taint every GPU node carries, unless its inventory entry has a taint with the same key. */
export const GPU_TAINT: Taint = Object.freeze({
  key: "nvidia.com/gpu",
  value: "present",
  effect: "NoSchedule",
});

/** Name of the RuntimeClass (and its containerd handler) that GPU pods ask for. */
export const NVIDIA_RUNTIME_CLASS = "nvidia";
