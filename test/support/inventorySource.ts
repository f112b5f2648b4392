/**
 * Inventory files held in memory, for unit tests of the checks and the schema wording:
 * a `SourceFile` exactly as `readSource` would build it, without touching the disk.
 */
import { LineCounter, parseDocument } from "yaml";
import type { SourceFile } from "../../lib/inventory/source";

/** Joins lines with "\n" and a final newline, so a test can number them at a glance. */
export function yamlText(...lines: string[]): string {
  return `${lines.join("\n")}\n`;
}

/** Parses `text` as the file `file` (what problems report); the text must be valid YAML. */
export function sourceOf(text: string, file = "nodes.yaml"): SourceFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true });
  if (doc.errors.length > 0) throw new Error(`test YAML does not parse: ${doc.errors[0].message}`);
  return { absolute: `/test/${file}`, file, doc, lineCounter, data: doc.toJS() };
}

/** The cluster.yaml of test/fixtures/base, as lines, for tests to change one field of. */
export const BASE_CLUSTER: readonly string[] = [
  "name: demo",
  "vip: 10.0.0.10",
  "talos:",
  "  version: v1.13.0",
  "kubernetes:",
  "  version: 1.36.0",
  "proxmox:",
  "  node: pve1",
  "  vmDatastore: local-lvm",
  "  imageDatastore: local",
  "network:",
  "  cidr: 10.0.0.0/24",
  "  gateway: 10.0.0.1",
  "  nameservers:",
  "    - 10.0.0.1",
];

/** The nodes.yaml of test/fixtures/base, as lines. */
export const BASE_NODES: readonly string[] = [
  "nodes:",
  "  - name: cp-1",
  "    role: controlplane",
  "    vmId: 101",
  "    ip: 10.0.0.11",
  "  - name: worker-1",
  "    role: worker",
  "    vmId: 201",
  "    ip: 10.0.0.21",
];
