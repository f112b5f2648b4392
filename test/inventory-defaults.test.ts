/** lib/inventory/defaults.ts: the defaults agree with each other and with the limits. */
import { strict as assert } from "assert";
import * as defaults from "../lib/inventory/defaults";
import { cidrsOverlap, parseCidr } from "../lib/inventory/ipv4";
import { NUMBER_LIMITS } from "../lib/inventory/limits";
import { ROLES, SCSI_CONTROLLERS } from "../lib/inventory/types";

describe("defaults", () => {
  it("sizes every role between Talos's minimum and em-infra's maximum", () => {
    for (const role of ROLES) {
      const size = defaults.DEFAULT_SIZING[role];
      const minimum = defaults.MINIMUM_SIZING[role];
      for (const field of ["cores", "memoryMiB", "diskGiB"] as const) {
        assert.ok(size[field] >= minimum[field], `${role}.${field} below its minimum`);
        assert.ok(
          size[field] <= NUMBER_LIMITS[field].maximum,
          `${role}.${field} above its maximum`,
        );
      }
    }
    // A control plane needs more than a worker: Talos's minimums say so.
    assert.ok(
      defaults.MINIMUM_SIZING.controlplane.memoryMiB > defaults.MINIMUM_SIZING.worker.memoryMiB,
    );
  });

  it("uses Talos's own pod and service networks, which do not overlap", () => {
    const pods = parseCidr(defaults.DEFAULT_POD_SUBNETS[0])!;
    const services = parseCidr(defaults.DEFAULT_SERVICE_SUBNETS[0])!;
    assert.deepEqual([pods.prefix, services.prefix], [16, 12]);
    assert.equal(cidrsOverlap(pods, services), false);
  });

  it("protects control planes only, and rolls one worker at a time", () => {
    assert.deepEqual(defaults.DEFAULT_PROTECT, { controlplane: true, worker: false });
    assert.equal(defaults.DEFAULT_MAX_UNAVAILABLE_WORKERS, 1);
    assert.equal(defaults.DEFAULT_ALLOW_UNSUPPORTED_VERSION, false);
  });

  it("waits as talosctl upgrade-k8s does: 5 min a control-plane pod, 3 a kubelet, 5 the manifests", () => {
    assert.deepEqual(defaults.DEFAULT_ROLLOUT_WAITS, {
      controlPlanePodSeconds: 300,
      kubeletSeconds: 180,
      manifestsSeconds: 300,
    });
  });

  it("defaults to the SCSI controller the Talos guide recommends", () => {
    assert.equal(defaults.DEFAULT_SCSI_CONTROLLER, "virtio-scsi-pci");
    assert.equal(SCSI_CONTROLLERS[0], defaults.DEFAULT_SCSI_CONTROLLER);
  });

  it("puts the guest agent on every node and pairs the NVIDIA extensions by branch", () => {
    assert.deepEqual(defaults.DEFAULT_EXTENSIONS, ["siderolabs/qemu-guest-agent"]);
    const branches = defaults.DEFAULT_GPU_EXTENSIONS.map((e) => e.split("-").pop());
    assert.deepEqual(branches, ["production", "production"]);
  });
});
