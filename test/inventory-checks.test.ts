/** lib/inventory/checks.ts: the cross-field rules, run directly on parsed files. */
import { strict as assert } from "assert";
import {
  checkCluster,
  checkNodes,
  checkNodesAgainstCluster,
  networkFacts,
  placeInNetwork,
} from "../lib/inventory/checks";
import { parseIpv4 } from "../lib/inventory/ipv4";
import { formatProblem } from "../lib/inventory/problems";
import { BASE_CLUSTER, BASE_NODES, sourceOf, yamlText } from "./support/inventorySource";

const cluster = (lines: readonly string[]) => sourceOf(yamlText(...lines), "cluster.yaml");
const nodes = (lines: readonly string[]) => sourceOf(yamlText(...lines), "nodes.yaml");

/** BASE_CLUSTER with line `index` (0-based) replaced, or lines inserted after it. */
function clusterWith(index: number, ...lines: string[]): string[] {
  const out = [...BASE_CLUSTER];
  out.splice(index, 1, ...lines);
  return out;
}

function clusterLines(lines: readonly string[]): string[] {
  return checkCluster(cluster(lines)).map(formatProblem);
}

function crossLines(clusterText: readonly string[], nodesText: readonly string[]): string[] {
  return checkNodesAgainstCluster(cluster(clusterText), nodes(nodesText)).map(formatProblem);
}

describe("checks", () => {
  describe("placeInNetwork", () => {
    const facts = networkFacts({ network: { cidr: "10.0.0.0/24" } });
    const at = (ip: string) => placeInNetwork(facts, parseIpv4(ip)!, ip);

    it("words an address outside, or the network or broadcast address, one way", () => {
      assert.equal(at("10.0.0.5"), undefined);
      assert.equal(at("10.0.1.5"), '"10.0.1.5" is outside network.cidr "10.0.0.0/24"');
      assert.equal(
        at("10.0.0.0"),
        '"10.0.0.0" is the network address of network.cidr "10.0.0.0/24"',
      );
      assert.equal(
        at("10.0.0.255"),
        '"10.0.0.255" is the broadcast address of network.cidr "10.0.0.0/24"',
      );
    });

    it("says nothing when network.cidr is unusable", () => {
      const broken = networkFacts({ network: { cidr: "10.0.0.0/33" } });
      assert.equal(broken.cidr, undefined);
      assert.equal(placeInNetwork(broken, parseIpv4("192.168.0.1")!, "192.168.0.1"), undefined);
    });
  });

  describe("networkFacts", () => {
    it("reads cidr, gateway and vip, leaving out what does not parse", () => {
      const facts = networkFacts({
        vip: "10.0.0.10",
        network: { cidr: "10.0.0.0/24", gateway: "not-an-ip" },
      });
      assert.equal(facts.cidrText, "10.0.0.0/24");
      assert.equal(facts.cidr?.prefix, 24);
      assert.equal(facts.gateway, undefined);
      assert.equal(facts.vip, parseIpv4("10.0.0.10"));
      assert.deepEqual(networkFacts("a string"), {
        cidr: undefined,
        cidrText: undefined,
        gateway: undefined,
        vip: undefined,
      });
    });
  });

  describe("checkCluster", () => {
    it("passes the base cluster.yaml", () => {
      assert.deepEqual(clusterLines(BASE_CLUSTER), []);
    });

    it("uses the shared wording for the gateway and the vip", () => {
      assert.deepEqual(clusterLines(clusterWith(12, "  gateway: 10.0.0.255")), [
        'cluster.yaml:13:12: network.gateway: "10.0.0.255" is the broadcast address of network.cidr "10.0.0.0/24"',
      ]);
      assert.deepEqual(clusterLines(clusterWith(1, "vip: 10.0.0.0")), [
        'cluster.yaml:2:6: vip: "10.0.0.0" is the network address of network.cidr "10.0.0.0/24"',
      ]);
    });

    it("refuses a Talos minor newer than the support table", () => {
      assert.deepEqual(clusterLines(clusterWith(3, "  version: v1.99.0")), [
        "cluster.yaml:4:12: talos.version: Talos v1.99 is newer than em-infra's support table (up to v1.13), so neither its installer image nor Kubernetes 1.36.0 on it is known to work; use a release the table lists, or set talos.allowUnsupportedVersion: true to deploy it anyway",
      ]);
    });

    it("makes that a warning that says the flag is set, with talos.allowUnsupportedVersion", () => {
      const problems = checkCluster(
        cluster(clusterWith(3, "  version: v2.0.0", "  allowUnsupportedVersion: true")),
      );
      assert.deepEqual(
        problems.map((p) => [p.severity, formatProblem(p)]),
        [
          [
            "warning",
            "cluster.yaml:4:12: warning: talos.version: Talos v2.0 is newer than em-infra's support table (up to v1.13), deployed anyway because talos.allowUnsupportedVersion is true; cannot confirm it runs Kubernetes 1.36.0",
          ],
        ],
      );
    });

    it("warns that the flag has no effect on a supported release, and still refuses an old one", () => {
      assert.deepEqual(
        clusterLines(clusterWith(3, "  version: v1.13.2", "  allowUnsupportedVersion: true")),
        [
          "cluster.yaml:5:28: warning: talos.allowUnsupportedVersion: true has no effect, since Talos v1.13.2 is not newer than em-infra's support table; remove it, so that a later version outside the table is refused",
        ],
      );
      const old = checkCluster(
        cluster(clusterWith(3, "  version: v1.11.0", "  allowUnsupportedVersion: true")),
      );
      // checkCluster reports in the order it checks; the loader sorts by line.
      assert.deepEqual(old.map((p) => `${p.severity} ${p.line}`).sort(), ["error 4", "warning 5"]);
      assert.match(old.find((p) => p.severity === "error")!.message, /"v1\.11\.0" is too old/);
    });

    it("a false flag changes nothing", () => {
      assert.deepEqual(
        clusterLines(clusterWith(3, "  version: v1.13.0", "  allowUnsupportedVersion: false")),
        [],
      );
    });
  });

  describe("checkNodes", () => {
    it("passes the base nodes.yaml", () => {
      assert.deepEqual(checkNodes(nodes(BASE_NODES)).map(formatProblem), []);
    });

    it("names the first holder of a duplicated value", () => {
      const lines = [...BASE_NODES];
      lines[7] = "    vmId: 101";
      assert.deepEqual(checkNodes(nodes(lines)).map(formatProblem), [
        'nodes.yaml:8:11: nodes[1] "worker-1".vmId: 101 is already used by nodes[0] "cp-1" on line 4',
      ]);
    });

    it("warns about an even number of control planes at the last one", () => {
      const lines = [...BASE_NODES];
      lines[6] = "    role: controlplane";
      const problems = checkNodes(nodes(lines));
      assert.deepEqual(
        problems.map((p) => [p.severity, p.line, p.col]),
        [["warning", 7, 11]],
      );
    });
  });

  describe("checkNodesAgainstCluster", () => {
    it("passes the base files", () => {
      assert.deepEqual(crossLines(BASE_CLUSTER, BASE_NODES), []);
    });

    it("uses the shared wording for a node IP, and says when it is the gateway", () => {
      const outside = [...BASE_NODES];
      outside[8] = "    ip: 10.0.0.0";
      assert.deepEqual(crossLines(BASE_CLUSTER, outside), [
        'nodes.yaml:9:9: nodes[1] "worker-1".ip: "10.0.0.0" is the network address of network.cidr "10.0.0.0/24"',
      ]);
      outside[8] = "    ip: 10.0.0.1";
      assert.deepEqual(crossLines(BASE_CLUSTER, outside), [
        'nodes.yaml:9:9: nodes[1] "worker-1".ip: "10.0.0.1" is network.gateway',
      ]);
    });

    it("warns when rollout.maxUnavailableWorkers is more than the workers", () => {
      const rollout = [...BASE_CLUSTER, "rollout:", "  maxUnavailableWorkers: 3"];
      const problems = checkNodesAgainstCluster(cluster(rollout), nodes(BASE_NODES));
      assert.deepEqual(
        problems.map((p) => [p.severity, formatProblem(p)]),
        [
          [
            "warning",
            "cluster.yaml:17:26: warning: rollout.maxUnavailableWorkers: 3 is more than the 1 worker nodes.yaml lists: a rolling change would take every worker down at once",
          ],
        ],
      );
      const equal = [...BASE_CLUSTER, "rollout:", "  maxUnavailableWorkers: 1"];
      assert.deepEqual(crossLines(equal, BASE_NODES), []);
    });

    it("warns when rollout.maxUnavailableWorkers is as many as two or more workers", () => {
      const two = [
        ...BASE_NODES,
        "  - name: worker-2",
        "    role: worker",
        "    vmId: 202",
        "    ip: 10.0.0.22",
      ];
      const rollout = [...BASE_CLUSTER, "rollout:", "  maxUnavailableWorkers: 2"];
      assert.deepEqual(crossLines(rollout, two), [
        "cluster.yaml:17:26: warning: rollout.maxUnavailableWorkers: 2 is as many as the 2 workers nodes.yaml lists: a rolling change would take every worker down at once",
      ]);
      const one = [...BASE_CLUSTER, "rollout:", "  maxUnavailableWorkers: 1"];
      assert.deepEqual(crossLines(one, two), []);
    });

    it("warns when two GPU workers on one host share a PCI mapping", () => {
      const gpu = (name: string, vmId: number, ip: string, extra: string[] = []) => [
        `  - name: ${name}`,
        "    role: worker",
        `    vmId: ${vmId}`,
        `    ip: ${ip}`,
        ...extra,
        "    gpu:",
        "      mapping: rtx",
      ];
      const sharing = [
        ...BASE_NODES,
        ...gpu("gpu-1", 301, "10.0.0.31"),
        ...gpu("gpu-2", 302, "10.0.0.32"),
      ];
      assert.deepEqual(crossLines(BASE_CLUSTER, sharing), [
        'nodes.yaml:21:16: warning: nodes[3] "gpu-2".gpu.mapping: "rtx" is also the mapping of nodes[2] "gpu-1" on host pve1: the mapping must hold a device for each GPU worker that uses it, or only one of them can start',
      ]);
      // On different hosts, the same mapping name is a different mapping.
      const apart = [
        ...BASE_NODES,
        ...gpu("gpu-1", 301, "10.0.0.31"),
        ...gpu("gpu-2", 302, "10.0.0.32", ["    host: pve2"]),
      ];
      assert.deepEqual(crossLines(BASE_CLUSTER, apart), []);
    });

    it("says the setting has nothing to limit without workers", () => {
      const rollout = [...BASE_CLUSTER, "rollout:", "  maxUnavailableWorkers: 2"];
      const onlyControlPlane = BASE_NODES.slice(0, 5);
      assert.deepEqual(crossLines(rollout, onlyControlPlane), [
        "cluster.yaml:17:26: warning: rollout.maxUnavailableWorkers: 2 has nothing to limit: nodes.yaml lists no workers",
      ]);
      // Left at its default, it draws nothing.
      assert.deepEqual(crossLines(BASE_CLUSTER, onlyControlPlane), []);
    });
  });
});
