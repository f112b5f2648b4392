/** lib/inventory/versions.ts: the Talos support table and the version checks. */
import { strict as assert } from "assert";
import {
  checkVersions,
  majorMinor,
  OLDEST_TALOS_MINOR,
  TALOS_SUPPORT,
} from "../lib/inventory/versions";

describe("checkVersions", () => {
  it("follows the Talos support matrix", () => {
    assert.equal(checkVersions("v1.13.0", "1.36.0").status, "supported");
    assert.equal(checkVersions("v1.13.2", "1.31.9").status, "supported");
    assert.deepEqual(checkVersions("v1.13.0", "1.30.4"), {
      status: "unsupported",
      talos: "v1.13",
      supported: "1.31 to 1.36",
    });
    assert.equal(checkVersions("v1.12.0", "1.36.0").status, "unsupported");
    assert.equal(checkVersions("v1.14.0", "1.36.0").status, "talos-unknown");
    assert.equal(checkVersions("v2.0.0", "1.36.0").status, "talos-unknown");
    assert.equal(checkVersions("v1.5.3", "1.28.0").status, "talos-too-old");
  });

  it("names the ranges it reports", () => {
    assert.deepEqual(checkVersions("v1.14.0", "1.36.0"), {
      status: "talos-unknown",
      talos: "v1.14",
      newest: "v1.13",
    });
    assert.deepEqual(checkVersions("v1.11.5", "1.34.1"), {
      status: "talos-too-old",
      talos: "v1.11",
      oldest: "v1.12",
    });
    assert.deepEqual(checkVersions("v1.12.3", "1.29.0"), {
      status: "unsupported",
      talos: "v1.12",
      supported: "1.30 to 1.35",
    });
    // Kubernetes 2.x is outside every row, whatever its minor.
    assert.equal(checkVersions("v1.13.0", "2.33.0").status, "unsupported");
    assert.equal(checkVersions("v0.14.0", "1.36.0").status, "talos-too-old");
  });

  it("accepts a pre-release and leaves malformed versions to the schema", () => {
    assert.equal(checkVersions("v1.13.0-beta.1", "1.36.0-rc.0").status, "supported");
    assert.deepEqual(checkVersions("latest", "1.36.0"), { status: "supported" });
  });
});

describe("majorMinor", () => {
  it("reads vX.Y.Z and X.Y.Z, with or without a pre-release", () => {
    assert.deepEqual(majorMinor("v1.13.2"), { major: 1, minor: 13 });
    assert.deepEqual(majorMinor("1.36.0"), { major: 1, minor: 36 });
    assert.deepEqual(majorMinor("v1.14.0-alpha.2"), { major: 1, minor: 14 });
    assert.equal(majorMinor("1.36"), undefined);
    assert.equal(majorMinor("v1.13.0 "), undefined);
  });
});

describe("TALOS_SUPPORT", () => {
  it("starts at OLDEST_TALOS_MINOR, one row per minor, six Kubernetes minors each", () => {
    assert.equal(TALOS_SUPPORT[0].talosMinor, OLDEST_TALOS_MINOR);
    TALOS_SUPPORT.forEach((row, i) => {
      assert.equal(row.talosMinor, OLDEST_TALOS_MINOR + i);
      assert.equal(row.newestKubernetesMinor - row.oldestKubernetesMinor, 5);
      if (i > 0) {
        assert.equal(row.newestKubernetesMinor, TALOS_SUPPORT[i - 1].newestKubernetesMinor + 1);
      }
    });
  });
});
