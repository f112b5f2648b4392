/**
 * The secrets audit, extended to the day-two clients: no piece of the fake cluster's
 * key material (the throwaway CAs' keys, the client keys, the client certificates)
 * may appear in a failing call's error, in what a failing call prints, in the call
 * log, or in `npm run day2 -- status` output, text or JSON. The material is searched
 * for by distinctive substrings: each PEM body line and the base64 of each PEM.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { inspect } from "util";
import * as day2 from "../packages/day2";
import { runDay2 } from "../scripts/day2";
import { bootstrapCheckInputs, fake, FAST, kubeFor, rejection, talosFor } from "./support/day2";
import type { FakeCluster } from "../packages/day2/fake";
import { tempDir } from "./support/tmp";
import { inputsFor, providerFor, rolloutWorkDir } from "./support/rollout";

/** name -> distinctive substrings of that material. */
function fingerprints(c: FakeCluster): [string, string[]][] {
  return Object.entries(c.secretMaterial()).map(([name, pem]) => {
    const lines = pem.split("\n").filter((l) => l.length >= 16 && !l.startsWith("-----"));
    const b64 = Buffer.from(pem).toString("base64");
    // The middle of the base64: its start and end encode the PEM armour every block shares.
    const mid = Math.floor(b64.length / 2);
    return [name, [...lines, b64.slice(mid, mid + 40)]];
  });
}

/** Every (material, where) pair found in `texts`. */
function leaks(c: FakeCluster, texts: Record<string, string>): string[] {
  const out: string[] = [];
  for (const [where, text] of Object.entries(texts)) {
    for (const [name, marks] of fingerprints(c)) {
      if (marks.some((m) => text.includes(m))) out.push(`${name} in ${where}`);
    }
  }
  return out;
}

/** Every way an error can be shown. */
function shown(e: Error): string {
  return [e.message, String(e), e.stack ?? "", inspect(e, { depth: 5 }), JSON.stringify(e)].join(
    "\n",
  );
}

/** Runs `fn` while capturing what the process prints. */
async function printed(fn: () => Promise<unknown>): Promise<string> {
  let text = "";
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  const capture = (chunk: unknown): boolean => {
    text += String(chunk);
    return true;
  };
  process.stdout.write = capture as typeof process.stdout.write;
  process.stderr.write = capture as typeof process.stderr.write;
  try {
    await fn().catch(() => undefined);
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
  return text;
}

describe("day2 secrets audit", () => {
  it("the detector finds the material where it must be (talosconfig, kubeconfig)", async () => {
    const c = await fake();
    try {
      assert.deepStrictEqual(leaks(c, { talosconfig: c.talosconfig }), [
        "talosClientKey in talosconfig",
        "talosClientCert in talosconfig",
      ]);
      assert.deepStrictEqual(leaks(c, { kubeconfig: c.kubeconfig }), [
        "kubernetesClientKey in kubeconfig",
        "kubernetesClientCert in kubeconfig",
      ]);
    } finally {
      c.stop();
    }
  });

  it("failing Talos and Kubernetes calls neither show nor print key material", async () => {
    const c = await fake({
      faults: {
        wrongCertIp: ["cp-1"],
        connectionRefused: ["cp-2"],
        hang: [{ node: "w-1", call: "Version" }],
        pdbNeverAllows: ["default/app-w-2"],
      },
    });
    const t = talosFor(c, { timeoutMs: 100, retry: { attempts: 1, baseMs: 1, maxMs: 1 } });
    const k = kubeFor(c);
    const badKube = day2.createKubeClient({
      kubeconfig: c.kubeconfig.replace("https://10.20.0.11:6443", "https://10.20.0.99:6443"),
      endpoint: c.kubernetesEndpoint,
      ...FAST,
    });
    try {
      const errors: Record<string, string> = {};
      const failing: [string, () => Promise<unknown>][] = [
        ["talos TLS", () => t.version("cp-1")],
        ["talos refused", () => t.version("cp-2")],
        ["talos hang", () => t.version("w-1")],
        ["talos precondition", () => t.etcdStatus("w-2")],
        ["talos kubeconfig on a worker", () => t.kubeconfig("w-2")],
        ["kube TLS", () => badKube.listNodes()],
        [
          "kube not served",
          () => k.getObject({ apiVersion: "apps/v1beta9", kind: "DaemonSet", name: "nope" }),
        ],
        ["kube drain", () => k.drain("w-2", { timeoutMs: 30, retry: { baseMs: 5, maxMs: 5 } })],
      ];
      let output = "";
      for (const [label, call] of failing) {
        output += await printed(async () => {
          errors[label] = shown(await rejection(call()));
        });
      }
      assert.strictEqual(Object.keys(errors).length, failing.length);
      assert.deepStrictEqual(
        leaks(c, { ...errors, printed: output, "call log": c.log.toString() }),
        [],
      );
    } finally {
      t.close();
      k.close();
      badKube.close();
      c.stop();
    }
  });

  it("a failing bootstrap check neither shows nor logs key material", async () => {
    const c = await fake({
      faults: {
        wrongCertIp: ["cp-1"],
        connectionRefused: ["cp-2"],
        hang: [{ node: "cp-3", call: "ServiceList" }],
      },
    });
    try {
      const lines: string[] = [];
      const check = day2.createBootstrapCheckProvider({ log: (l) => lines.push(l) });
      const errors: Record<string, string> = {};
      let output = "";
      const nodes = [
        ["cp-1", "10.20.0.11"],
        ["cp-2", "10.20.0.12"],
        ["cp-3", "10.20.0.13"],
      ];
      // Side by side: each waits out its deadline.
      output += await printed(() =>
        Promise.all(
          nodes.map(async ([node, ip]) => {
            const inputs = bootstrapCheckInputs(c, {
              ...{ node, ip, endpoint: c.endpoints[node] },
              // Each fails: half a second is room enough for its first handshake.
              timeoutSeconds: 0.5,
            });
            errors[node] = shown(await rejection(check.create(inputs)));
          }),
        ),
      );
      for (const [node, ip] of nodes) {
        assert.match(errors[node], new RegExp(`Last seen: ${node} \\(${ip.replace(/\./g, "\\.")}`));
      }
      assert.match(errors["cp-1"], /TLS: .*server certificate is not valid for 10\.20\.0\.11/);
      assert.deepStrictEqual(leaks(c, { ...errors, printed: output, log: lines.join("\n") }), []);
    } finally {
      c.stop();
    }
  });

  /** A key that decodes as PEM but is not a key: Node's TLS refuses it when a context is made. */
  const unloadable = (pem: string) => pem.replace(/\n[A-Za-z0-9+/=]{10}/, "\nAAAAAAAAAA");

  /** The error of a client whose key did not load: an input error naming it, without the key. */
  function keyRefused(c: FakeCluster, e: Error, client: "Talos" | "Kubernetes") {
    assert.ok(e instanceof day2.Day2InputError, e.message);
    assert.match(e.message, new RegExp(`^${client} client credentials could not be loaded: `));
    assert.deepStrictEqual(leaks(c, { error: shown(e) }), []);
    assert.doesNotMatch(shown(e), /AAAAAAAAAA/);
  }

  it("a credential the TLS stack refuses is reported without its text", async () => {
    const c = await fake();
    const material = c.secretMaterial();
    const broken = unloadable(material.talosClientKey);
    const t = talosFor(c, {
      credentials: {
        ca: Buffer.from(material.talosClientCert).toString("base64"),
        crt: Buffer.from(material.talosClientCert).toString("base64"),
        key: Buffer.from(broken).toString("base64"),
      },
    });
    try {
      keyRefused(c, await rejection(t.version("cp-1")), "Talos");
    } finally {
      t.close();
      c.stop();
    }
  });

  it("a kubeconfig key the TLS stack refuses is reported without its text", async () => {
    const c = await fake();
    const material = c.secretMaterial();
    const broken = unloadable(material.kubernetesClientKey);
    const kubeconfig = c.kubeconfig.replace(
      /client-key-data: \S+/,
      `client-key-data: ${Buffer.from(broken).toString("base64")}`,
    );
    assert.notEqual(kubeconfig, c.kubeconfig);
    const k = day2.createKubeClient({ kubeconfig, endpoint: c.kubernetesEndpoint, ...FAST });
    try {
      keyRefused(c, await rejection(k.listNodes()), "Kubernetes");
    } finally {
      k.close();
      c.stop();
    }
  });

  it("the bootstrap check's and the rollout's stored outputs hold no credentials", async function () {
    this.timeout(20000);
    const c = await fake();
    try {
      const check = day2.createBootstrapCheckProvider({ log: () => undefined });
      const checked = await check.create(bootstrapCheckInputs(c, { timeoutSeconds: 10 }));
      assert.equal("credentials" in checked.outs, false);
      const { provider } = providerFor();
      const created = await provider.create(inputsFor(c));
      assert.equal("credentials" in created.outs, false);
      // The next run has what it needs from its inputs: an edit rolls, against these outputs.
      const updated = await provider.update(
        "fake-rollout",
        created.outs,
        inputsFor(c, { only: ["cp-1", "cp-2", "cp-3", "w-1"] }),
      );
      assert.equal("credentials" in updated.outs, false);
      assert.deepEqual(
        leaks(c, {
          "bootstrap check outputs": JSON.stringify(checked.outs),
          "rollout outputs at create": JSON.stringify(created.outs),
          "rollout outputs after an update": JSON.stringify(updated.outs),
        }),
        [],
      );
      // State written before: its credentials are not carried on.
      const oldState = { ...created.outs, credentials: inputsFor(c).credentials };
      assert.equal("credentials" in day2.rolloutPlan.normalizeOutputs(oldState), false);
    } finally {
      c.stop();
    }
  });

  it("a failed update stores (lastRun) and shows a server's words only redacted", async function () {
    this.timeout(20000);
    const c = await fake();
    try {
      const inputs = inputsFor(c);
      const keyPem = Buffer.from(inputs.credentials.clientKey, "base64").toString("utf8");
      const keyLine = keyPem.split("\n").find((l) => l.length >= 16 && !l.startsWith("-----"));
      assert.ok(keyLine !== undefined);
      // A Talos client whose every call fails with a server that echoes the key.
      const echo = new Proxy(
        {},
        {
          get: (_t, name) =>
            name === "close" || name === "forget"
              ? () => undefined
              : () => Promise.reject(new Error(`server said: ${keyLine} is not welcome`)),
        },
      );
      const provider = day2.createRolloutProvider({
        workDir: rolloutWorkDir(),
        log: () => undefined,
        connect: {
          talos: () => echo as ReturnType<typeof day2.createTalosClient>,
          kube: (opts) => day2.createKubeClient({ ...opts, ...FAST }),
        },
      });
      const olds = (await providerFor().provider.create(inputs)).outs;
      const err = (await rejection(
        provider.update("fake-rollout", olds, inputsFor(c, { extraConfig: "x" })),
      )) as Error & { properties?: { lastRun?: { failed?: string } } };
      const failed = err.properties?.lastRun?.failed ?? "";
      assert.match(failed, /server said: \[redacted\] is not welcome/);
      assert.deepEqual(
        leaks(c, { "stored outputs": JSON.stringify(err.properties), error: shown(err) }),
        [],
      );
    } finally {
      c.stop();
    }
  });

  it("redact() removes credential lines and whole PEM blocks from any text", () => {
    const pem =
      "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ0123456789abcdef\n-----END PRIVATE KEY-----\n";
    const frags = day2.secretFragments([pem]);
    assert.strictEqual(
      day2.redact(`x ${Buffer.from(pem).toString("base64")} y`, frags),
      "x [redacted] y",
    );
    assert.strictEqual(
      day2.redact("a MC4CAQAwBQYDK2VwBCIEIJ0123456789abcdef b", frags),
      "a [redacted] b",
    );
    assert.strictEqual(
      day2.redact("a -----BEGIN EC PRIVATE KEY-----\nQUJD\n-----END EC PRIVATE KEY----- b", []),
      "a [redacted PEM] b",
    );
  });

  it("npm run day2 -- status shows no key material, text or JSON, healthy or failing", async () => {
    const c = await fake({ faults: { wrongCertIp: ["w-1"], connectionRefused: ["w-2"] } });
    const dir = tempDir("day2-secrets");
    try {
      const inv = path.join(dir, "inventory");
      fs.mkdirSync(inv);
      const dev = path.resolve(__dirname, "..", "inventory", "dev");
      fs.writeFileSync(
        path.join(inv, "cluster.yaml"),
        fs
          .readFileSync(path.join(dev, "cluster.yaml"), "utf8")
          .replace("vip: 10.20.0.10", "vip: 10.20.0.10"),
      );
      fs.writeFileSync(
        path.join(inv, "nodes.yaml"),
        [
          "nodes:",
          ...c.nodes.map(
            (n, i) => `  - { name: ${n.name}, role: ${n.role}, vmId: ${1100 + i}, ip: ${n.ip} }`,
          ),
          "",
        ].join("\n"),
      );
      fs.writeFileSync(path.join(dir, "talosconfig"), c.talosconfig);
      fs.writeFileSync(path.join(dir, "kubeconfig"), c.kubeconfig);
      fs.writeFileSync(path.join(dir, "endpoints.json"), JSON.stringify(c.endpoints));
      const texts: Record<string, string> = {};
      for (const extra of [[], ["--json"]]) {
        let out = "";
        let err = "";
        const code = await runDay2(
          [
            "status",
            inv,
            "--talosconfig",
            path.join(dir, "talosconfig"),
            "--kubeconfig",
            path.join(dir, "kubeconfig"),
            "--endpoints",
            path.join(dir, "endpoints.json"),
            "--kubernetes-endpoint",
            c.kubernetesEndpoint,
            ...extra,
          ],
          { write: (s: string) => (out += s) },
          { write: (s: string) => (err += s) },
          { projectRoot: dir, timeoutMs: 400, retry: { attempts: 1, baseMs: 1, maxMs: 1 } },
        );
        assert.strictEqual(code, 1, out + err);
        texts[`stdout ${extra.join(" ")}`] = out;
        texts[`stderr ${extra.join(" ")}`] = err;
      }
      assert.match(
        texts["stdout "],
        /w-1 \(10\.20\.0\.21 via 127\.0\.0\.1:\d+\): Talos Version failed: TLS/,
      );
      assert.deepStrictEqual(leaks(c, texts), []);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      c.stop();
    }
  });
});
