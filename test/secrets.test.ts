/**
 * The secrets audit: the real program runs under the offline engine, whose fakes hand
 * out fixed key material (MOCK_SECRETS); every value the engine recorded, and would
 * store in state or print, is searched for that material outside a secret wrapper.
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { PROJECT_ROOT, type RunRecord } from "../tools/offline/engine";
import { MOCK_SECRETS } from "../tools/offline/fakes";
import {
  isSecretWrapper,
  plaintextStrings,
  unwrapSecrets,
  wrapSecret,
} from "../tools/offline/secretSig";
import { DEV, LARGE, runFor, stackConfig } from "./support/program";
import { DYNAMIC } from "../lib/tokens";

type Material = keyof typeof MOCK_SECRETS;
const MATERIAL = Object.entries(MOCK_SECRETS) as [Material, string][];

/**
 * The Proxmox API token reaches the provider from stack config; the program passes it
 * on to one resource only, the rollout (its `proxmox` input, secret), which restarts
 * VMs through the same API. Nothing else carries it, not even inside a wrapper.
 */
const ONLY_IN_ROLLOUT: readonly Material[] = ["proxmoxApiToken"];

/** One recorded place and the value found there. */
interface Found {
  readonly where: string;
  readonly value: string;
}

/** Object keys outside secret wrappers (plaintextStrings reports values only). */
function plaintextKeys(v: unknown, at = "$"): Found[] {
  if (isSecretWrapper(v) || v === null || typeof v !== "object") return [];
  if (Array.isArray(v)) return v.flatMap((x, i) => plaintextKeys(x, `${at}[${i}]`));
  return Object.entries(v).flatMap(([k, x]) => [
    { where: `${at} (key)`, value: k },
    ...plaintextKeys(x, `${at}.${k}`),
  ]);
}

/** Every string inside a secret wrapper. */
function secretStrings(v: unknown, at = "$"): Found[] {
  if (isSecretWrapper(v)) {
    return plaintextStrings(unwrapSecrets(v), at).map((s) => ({ where: s.path, value: s.value }));
  }
  if (Array.isArray(v)) return v.flatMap((x, i) => secretStrings(x, `${at}[${i}]`));
  if (v !== null && typeof v === "object") {
    return Object.entries(v).flatMap(([k, x]) => secretStrings(x, `${at}.${k}`));
  }
  return [];
}

/** Every part of a run record, labelled by what it belongs to. */
function partsOf(record: RunRecord): [string, unknown][] {
  return [
    ...record.resources.map((r): [string, unknown] => [`${r.type}::${r.name}`, r]),
    ...record.invokes.map((i, n): [string, unknown] => [`invoke #${n} ${i.token}`, i]),
    ["stack outputs", record.stackOutputs],
    ["logs", record.logs],
  ];
}

/** Where each piece of material shows outside a secret wrapper. */
function leaks(record: RunRecord): string[] {
  const out: string[] = [];
  for (const [label, part] of partsOf(record)) {
    const visible = [
      ...plaintextStrings(part).map((s) => ({ where: s.path, value: s.value })),
      ...plaintextKeys(part),
    ];
    for (const { where, value } of visible) {
      for (const [name, secret] of MATERIAL) {
        if (value.includes(secret)) out.push(`${name} in plaintext: ${label} ${where}`);
      }
    }
  }
  return out;
}

describe("secrets audit", function () {
  describe("when the providers mark nothing secret", function () {
    // The real providers mark their sensitive fields. Here they do not, so every
    // secret in what the engine stores (resource inputs and outputs) and in what
    // the program exports is one the program and its SDK marked themselves.
    for (const [label, dir] of [
      ["dev", DEV],
      ["large", LARGE],
    ] as const) {
      it(`${label}: stores and exports no key material in plaintext`, async function () {
        const record = await runFor(dir, { providersMarkSecrets: false });
        // The providers' own answers to function calls are transient (never stored);
        // in this mode they carry the material in the clear, which shows the mode bites.
        const answers = record.invokes.map((i) => JSON.stringify(i.result)).join("\n");
        assert.ok(answers.includes(MOCK_SECRETS.clientKey));
        const stored: RunRecord = {
          ...record,
          invokes: record.invokes.map((i) => ({ ...i, result: {} })),
        };
        assert.deepEqual(leaks(stored), []);
      });
    }
  });

  for (const [label, dir] of [
    ["dev", DEV],
    ["large", LARGE],
  ] as const) {
    describe(`${label} inventory`, function () {
      let record: RunRecord;
      before(async function () {
        record = await runFor(dir);
      });

      it("shows no key, token or kubeconfig outside a secret wrapper, anywhere in the record", function () {
        assert.deepEqual(leaks(record), []);
      });

      it("does hold the material, inside secret wrappers, so the audit saw it", function () {
        const hidden = partsOf(record).flatMap(([, part]) => secretStrings(part));
        const missing = MATERIAL.filter(
          ([, secret]) => !hidden.some((s) => s.value.includes(secret)),
        ).map(([name]) => name);
        assert.deepEqual(missing, []);
        assert.ok(hidden.length > 0);
      });

      it("stores no client credentials in the day-two resources' outputs (rollout, bootstrap check)", function () {
        const dynamic = record.resources.filter((r) => r.type === DYNAMIC);
        assert.ok(dynamic.length >= 2, "the rollout and the bootstrap check");
        for (const r of dynamic) {
          assert.ok("credentials" in (unwrapSecrets(r.inputs) as object), `${r.name} gets them`);
          assert.equal("credentials" in (unwrapSecrets(r.outputs) as object), false, r.name);
          const stored = JSON.stringify(unwrapSecrets(r.outputs));
          assert.deepEqual(
            MATERIAL.filter(([, secret]) => stored.includes(secret)).map(([name]) => name),
            [],
            `${r.name} outputs`,
          );
        }
      });

      it("carries the Proxmox API token only in the rollout's proxmox input, as a secret", function () {
        for (const name of ONLY_IN_ROLLOUT) {
          const secret = MOCK_SECRETS[name];
          const holders = partsOf(record).filter(([, part]) =>
            JSON.stringify(part).includes(secret),
          );
          assert.deepEqual(
            holders.map(([label]) => label),
            [record.resources.find((r) => r.name.endsWith("-rollout"))!].map(
              (r) => `${r.type}::${r.name}`,
            ),
          );
          const rollout = record.resources.find((r) => r.name.endsWith("-rollout"))!;
          const { proxmox, ...rest } = rollout.inputs as Record<string, unknown>;
          assert.ok(isSecretWrapper(proxmox), "the proxmox input is not secret");
          assert.ok(!JSON.stringify(rest).includes(secret), `${name} outside the proxmox input`);
        }
      });

      it("exports kubeconfig and talosconfig as secrets, holding the admin credentials", function () {
        const { kubeconfig, talosconfig } = record.stackOutputs;
        assert.ok(isSecretWrapper(kubeconfig), "kubeconfig is not secret");
        assert.ok(isSecretWrapper(talosconfig), "talosconfig is not secret");
        assert.ok(String(unwrapSecrets(kubeconfig)).includes(MOCK_SECRETS.kubeconfigBody));
        assert.ok(String(unwrapSecrets(kubeconfig)).includes(MOCK_SECRETS.kubeClientKey));
        assert.ok(String(unwrapSecrets(talosconfig)).includes(MOCK_SECRETS.clientKey));
      });

      it("logs none of the material", function () {
        const text = JSON.stringify(record.logs);
        assert.deepEqual(
          MATERIAL.filter(([, secret]) => text.includes(secret)).map(([name]) => name),
          [],
        );
      });
    });
  }

  it("a preview leaks nothing either", async function () {
    assert.deepEqual(leaks(await runFor(DEV, { dryRun: true })), []);
  });

  it("the scanner finds material outside a wrapper and ignores it inside one", function () {
    const { config } = stackConfig(DEV);
    const exposed = { config, [MOCK_SECRETS.clusterSecret]: 1 };
    const fake = { resources: [], invokes: [], stackOutputs: exposed, logs: [], deleted: [] };
    assert.deepEqual(leaks(fake), [
      "proxmoxApiToken in plaintext: stack outputs $.config.proxmoxve:apiToken",
      `clusterSecret in plaintext: stack outputs $ (key)`,
    ]);
    const wrapped = { ...fake, stackOutputs: { config: wrapSecret(config) } };
    assert.deepEqual(leaks(wrapped), []);
  });

  describe(".gitignore", function () {
    /** Whether git ignores a path (checked by pattern, whether or not it exists). */
    function ignored(this: Mocha.Context, file: string): boolean {
      const run = spawnSync("git", ["check-ignore", "-q", "--no-index", file], {
        cwd: PROJECT_ROOT,
      });
      if (run.status !== 0 && run.status !== 1) {
        console.log(`      SKIPPED: git check-ignore failed: ${String(run.stderr)}`);
        this.skip();
      }
      return run.status === 0;
    }

    it("ignores the local state folder that Pulumi.yaml's backend names", function () {
      const project = parseYaml(fs.readFileSync(path.join(PROJECT_ROOT, "Pulumi.yaml"), "utf8"));
      const url = String((project as { backend: { url: string } }).backend.url);
      const match = /^file:\/\/(.+)$/.exec(url);
      assert.ok(match, `backend.url ${url} is not a local file backend`);
      const folder = path.relative(PROJECT_ROOT, path.resolve(PROJECT_ROOT, match[1]));
      assert.equal(folder, ".pulumi-state");
      assert.ok(ignored.call(this, `${folder}/.pulumi/stacks/em-infra/dev.json`));
      assert.ok(ignored.call(this, `${folder}/x`));
    });

    it("ignores kubeconfig, talosconfig and *.secret* files", function () {
      for (const file of [
        "kubeconfig",
        "kubeconfig.prod",
        "talosconfig",
        "talosconfig.yaml",
        "foo.secret.yaml",
        "inventory/dev/token.secret",
      ]) {
        assert.ok(ignored.call(this, file), `${file} is not git-ignored`);
      }
    });

    it("still tracks the inventory, stack settings and every source file", function () {
      for (const file of [
        "inventory/dev/nodes.yaml",
        "Pulumi.dev.yaml",
        "index.ts",
        ".pulumi-state/.gitkeep",
        // A pattern for the credential files once caught these two, and a clean
        // clone had no Kubeconfig resource in the Talos SDK.
        "sdks/talos/cluster/kubeconfig.js",
        "sdks/talos/cluster/kubeconfig.d.ts",
      ]) {
        assert.ok(!ignored.call(this, file), `${file} is git-ignored`);
      }
    });

    it("ignores no file of the project outside dependencies, build output and state", function () {
      const run = spawnSync(
        "git",
        ["ls-files", "--others", "--ignored", "--exclude-standard", "--directory"],
        { cwd: PROJECT_ROOT, encoding: "utf8" },
      );
      if (run.status !== 0) {
        console.log(`      SKIPPED: not a git checkout (${String(run.stderr).trim()})`);
        this.skip();
      }
      const expected = /^(node_modules|\.build|\.pulumi-state)\//;
      const stray = run.stdout.split("\n").filter((f) => f !== "" && !expected.test(f));
      assert.deepEqual(stray, [], "git ignores files that look like part of the project");
    });
  });
});
