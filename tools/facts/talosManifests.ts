/**
 * Facts from the goldens of Talos v1.13.9's bootstrap-manifest template tests
 * (internal/app/machined/pkg/controllers/k8s/internal/k8stemplates/testdata/): every
 * object Talos renders, as it renders it from the tests' inputs (old images, test
 * CIDRs). The fake Talos node serves these shapes with its own values put in
 * (packages/day2/fake/talos/manifests.js), so the fake's objects are Talos's, not a
 * likeness written by hand.
 */
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import type { FactsSource } from "./types";

/** The upstream folder, relative to ../shared/upstream. */
const DIR = "talos-v1.13.9/k8stemplates-testdata";

/** The golden files, by the name the template tests give them (file name without `.yaml`). */
export const TALOS_MANIFEST_GOLDENS = [
  "coredns-cluster-role-binding",
  "coredns-cluster-role",
  "coredns-configmap-cluster-domain",
  "coredns-configmap-no-cluster-domain",
  "coredns-deployment",
  "coredns-service-account",
  "coredns-service-dual",
  "coredns-service-ipv4",
  "coredns-service-ipv6",
  "csr-approver-role-binding",
  "csr-node-bootstrap",
  "csr-renewal-role-binding",
  "flannel-cluster-role-binding",
  "flannel-cluster-role-with-network-policies",
  "flannel-cluster-role",
  "flannel-configmap-dual",
  "flannel-configmap-v4",
  "flannel-configmap-v6",
  "flannel-daemonset-with-network-policies",
  "flannel-daemonset",
  "flannel-service-account",
  "kube-proxy-cluster-role-binding",
  "kube-proxy-daemonset",
  "kube-proxy-service-account",
  "kubeconfig-in-cluster",
  "kubelet-bootstrapping-token",
  "talos-nodes-rbac-cluster-role-binding",
  "talos-nodes-rbac-cluster-role",
  "talos-service-account-crd",
] as const;

/** One golden: the object Talos rendered, as parsed from the YAML. */
export type TalosManifestGolden = Record<string, unknown>;

/** Talos's bootstrap-manifest goldens, by name. */
export interface TalosManifestsFacts {
  readonly objects: Record<(typeof TALOS_MANIFEST_GOLDENS)[number], TalosManifestGolden>;
}

/** The Talos bootstrap-manifest facts source. */
export const talosManifestsFacts: FactsSource = {
  name: "talos-manifests",
  origin:
    "github.com/siderolabs/talos internal/app/machined/pkg/controllers/k8s/internal/k8stemplates/testdata/ at tag v1.13.9",
  files: TALOS_MANIFEST_GOLDENS.map((n) => `${DIR}/${n}.yaml`),
  extract(upstreamDir: string): TalosManifestsFacts {
    const objects: Record<string, TalosManifestGolden> = {};
    for (const n of TALOS_MANIFEST_GOLDENS) {
      const text = fs.readFileSync(path.join(upstreamDir, DIR, `${n}.yaml`), "utf8");
      objects[n] = parse(text) as TalosManifestGolden;
    }
    return { objects: objects as TalosManifestsFacts["objects"] };
  },
};
