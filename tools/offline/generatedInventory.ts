/**
 * A generated inventory of any size, for the benchmark and for the tests that need a
 * large cluster (a 200-node plan through a pipe). Kept apart from scripts/bench.ts so
 * that importing it starts nothing.
 */
import * as fs from "fs";
import * as path from "path";

/** Writes an inventory of `count` nodes: 3 control planes (1 when count ≤ 3), 1 GPU worker. */
export function writeInventory(dir: string, count: number): void {
  const cps = count <= 3 ? 1 : 3;
  const cluster = [
    "name: bench",
    "vip: 10.50.0.10",
    "talos: { version: v1.13.0 }",
    "kubernetes: { version: 1.36.0 }",
    "proxmox: { node: pve1, vmDatastore: local-lvm, imageDatastore: local }",
    "network: { cidr: 10.50.0.0/16, gateway: 10.50.0.1, nameservers: [10.50.0.1] }",
  ];
  const nodes = ["nodes:"];
  for (let i = 0; i < count; i++) {
    const role = i < cps ? "controlplane" : "worker";
    const ip = `10.50.${1 + Math.floor(i / 200)}.${10 + (i % 200)}`;
    nodes.push(`  - { name: node-${i}, role: ${role}, vmId: ${5000 + i}, ip: ${ip} }`);
  }
  // The last node is a GPU worker, so both schematics and both downloads are in play.
  nodes[nodes.length - 1] = nodes[nodes.length - 1].replace(" }", ", gpu: { mapping: gpu0 } }");
  fs.writeFileSync(path.join(dir, "cluster.yaml"), cluster.join("\n") + "\n");
  fs.writeFileSync(path.join(dir, "nodes.yaml"), nodes.join("\n") + "\n");
}
