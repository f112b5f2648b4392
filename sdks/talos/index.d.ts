/** Talos client configuration (talosconfig) generation. */
export * as client from "./client";
/** Cluster-level operations: kubeconfig retrieval and health checks. */
export * as cluster from "./cluster";
/** Talos Image Factory: schematics and image URLs. */
export * as imagefactory from "./imagefactory";
/** Machine-level operations: secrets, configuration rendering and apply, bootstrap. */
export * as machine from "./machine";
/** Nested input and output types. */
export * as types from "./types";
export { SdkMetadata } from "./utilities";
