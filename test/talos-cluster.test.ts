/** Cluster-level Talos decisions, as pure functions. */
import { strict as assert } from "assert";
import {
  bootstrapNode,
  controlPlaneIps,
  ipsOf,
  onDestroyFor,
  skipKubernetesChecks,
  talosContract,
} from "../lib/talos/cluster";
import { haWithGpu } from "./support/talosInventories";

describe("Talos cluster decisions", () => {
  const inv = haWithGpu();

  it("takes the Talos minor as the version contract", () => {
    assert.equal(talosContract("v1.13.4"), "v1.13");
    assert.equal(talosContract("1.12.0"), "v1.12");
    assert.throws(() => talosContract("latest"), /talos.version: "latest" is not a vX.Y.Z version/);
  });

  it("bootstraps on the first control plane in inventory order", () => {
    const reordered = [...inv.nodes].reverse();
    assert.equal(bootstrapNode(inv.nodes).name, "cp-1");
    assert.equal(bootstrapNode(reordered).name, "cp-3");
    assert.throws(
      () => bootstrapNode(inv.nodes.filter((n) => n.role === "worker")),
      /has no control plane/,
    );
  });

  it("lists addresses by role in inventory order", () => {
    assert.deepEqual(controlPlaneIps(inv.nodes), [
      "192.168.10.11",
      "192.168.10.12",
      "192.168.10.13",
    ]);
    assert.deepEqual(ipsOf(inv.nodes, "worker"), ["192.168.10.21", "192.168.10.31"]);
  });

  it("resets nothing when an apply is destroyed: the rollout decommissions removed nodes", () => {
    assert.deepEqual(onDestroyFor("worker"), { graceful: false, reboot: false, reset: false });
    assert.deepEqual(onDestroyFor("controlplane"), {
      graceful: false,
      reboot: false,
      reset: false,
    });
  });

  it("skips the Kubernetes checks only without a CNI", () => {
    assert.equal(skipKubernetesChecks("none"), true);
    assert.equal(skipKubernetesChecks("flannel"), false);
  });
});
