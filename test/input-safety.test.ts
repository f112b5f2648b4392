/**
 * Inputs that cannot read, print or damage what they should not (issue 31): patch files
 * stay inside the inventory folder, no message repeats a patch's values, and the plan
 * shows an operator's patch values only for fields known to be harmless.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { stringify } from "yaml";
import { checkInventory, formatProblem } from "../lib/inventory";
import { runValidate } from "../scripts/validate";
import { runPlan, writePrivateFile } from "../scripts/plan";
import { HIDDEN, SHOWN_PATCH_FIELDS, redactSecrets } from "../tools/plan";
import { readFacts } from "../tools/facts";
import type { TalosConfigFacts, TalosConfigFieldFacts } from "../tools/facts/talosConfig";
import { DEV, editedInventory, reusedRuns } from "./support/program";
import { tempDir } from "./support/tmp";
import { backupDirRefusal, type GitRunner } from "../lib/inventory/backupDir";
import { spawnSync } from "child_process";
import * as os from "os";
import * as day2 from "../packages/day2";
import { runDay2 } from "../scripts/day2";
import { resolveSettings } from "../lib/settings";
import * as certs from "../packages/day2/fake/certs";

/** A private key that is not one: what a file outside the inventory might hold. */
const FAKE_KEY = [
  "-----BEGIN OPENSSH PRIVATE KEY-----",
  "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW",
  "FAKEFAKEFAKEFAKEnotarealkeyNOTAREALKEY0123456789abcdefghijklmnopqrstu",
  "-----END OPENSSH PRIVATE KEY-----",
  "",
].join("\n");

/** The dev inventory with `talos.patches` set to `entries`, and these files beside it. */
function withPatches(entries: unknown[], files: Record<string, string> = {}): string {
  const dir = editedInventory(DEV, ({ cluster }) => cluster.setIn(["talos", "patches"], entries));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

/** What `npm run validate` prints for the folder (stdout and stderr), and its exit code. */
function validate(dir: string): { code: number; text: string } {
  let text = "";
  const w = { write: (c: string) => ((text += c), true) };
  const code = runValidate([dir, "--wide"], w, w);
  return { code, text };
}

/** The line in cluster.yaml where `talos.patches[0]` is written (1-based). */
function entryLine(dir: string): number {
  const lines = fs.readFileSync(path.join(dir, "cluster.yaml"), "utf8").split("\n");
  const at = lines.findIndex((l) => /^\s*patches:/.test(l));
  assert.ok(at >= 0);
  return at + 2; // a block list: the entry is on the line after `patches:`
}

describe("input safety: patch files stay inside the inventory folder", () => {
  let outside: string;
  before(() => {
    outside = tempDir("outside");
    fs.writeFileSync(path.join(outside, "id_ed25519"), FAKE_KEY, { mode: 0o600 });
    fs.writeFileSync(path.join(outside, "mapping.yaml"), "machine:\n  sysctls:\n    a: b\n");
  });

  const refusedAtEntry = (dir: string, written: string, why: RegExp) => {
    const { code, text } = validate(dir);
    assert.equal(code, 1, text);
    assert.doesNotMatch(text, /OPENSSH|FAKEFAKE|sysctls/, "nothing of the file is printed");
    const line = entryLine(dir);
    assert.match(
      text,
      new RegExp(
        `cluster\\.yaml:${line}:\\d+: talos\\.patches\\[0\\]: patch file ${JSON.stringify(written).replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} is refused: `,
      ),
    );
    assert.match(text, why);
  };

  it("a relative path that leads out (the issue's ../outside/id_ed25519) is refused", () => {
    const dir = withPatches([]);
    const written = path.join(path.relative(dir, outside), "id_ed25519");
    assert.ok(written.startsWith(".."), written);
    refusedAtEntry(withPatches([written]), written, /it leads out of the inventory folder/);
  });

  it("an absolute path outside, even to a file that parses as a mapping, is refused", () => {
    const written = path.join(outside, "mapping.yaml");
    refusedAtEntry(withPatches([written]), written, /it is outside the inventory folder/);
  });

  it("a symlink in the folder that leads out, to a file or through a folder, is refused", () => {
    const dir = withPatches(["patches/key.yaml"]);
    fs.mkdirSync(path.join(dir, "patches"));
    fs.symlinkSync(path.join(outside, "id_ed25519"), path.join(dir, "patches", "key.yaml"));
    refusedAtEntry(dir, "patches/key.yaml", /symbolic link.*leads out of the inventory folder/);
    const viaFolder = withPatches(["linked/mapping.yaml"]);
    fs.symlinkSync(outside, path.join(viaFolder, "linked"));
    refusedAtEntry(viaFolder, "linked/mapping.yaml", /symbolic link/);
  });

  it("a folder, or anything but a regular file, is refused", () => {
    const dir = withPatches(["patches"]);
    fs.mkdirSync(path.join(dir, "patches"));
    refusedAtEntry(dir, "patches", /it is not a regular file/);
  });

  it("a file inside, and a symlink that stays inside, are read", () => {
    const good = "machine:\n  sysctls:\n    vm.max_map_count: '262144'\n";
    const dir = withPatches(["patches/a.yaml", "b.yaml"], { "patches/a.yaml": good });
    fs.symlinkSync(path.join("patches", "a.yaml"), path.join(dir, "b.yaml"));
    const { inventory, problems } = checkInventory(dir);
    assert.deepEqual(problems.map(formatProblem), []);
    assert.equal(inventory?.cluster.talos.patches?.length, 2);
  });
});

describe("input safety: no message repeats a value of a patch", () => {
  const problemsOf = (dir: string) => checkInventory(dir).problems.map(formatProblem).join("\n");

  it("a refused owned field names the field, not its value (cluster.secret)", () => {
    const text = problemsOf(withPatches([{ cluster: { secret: "CLUSTERSECRETVALUE123" } }]));
    assert.match(text, /cluster\.secret is set by em-infra; use nothing/);
    assert.doesNotMatch(text, /CLUSTERSECRETVALUE123/);
  });

  it("a schema error names the field and the kind of value, not the value (a registry password)", () => {
    const text = problemsOf(
      withPatches([
        {
          apiVersion: "v1alpha1",
          kind: "RegistryAuthConfig",
          name: "ghcr.io",
          password: 31415926535,
          identityToken: ["TOKENVALUE42"],
        },
      ]),
    );
    assert.match(text, /password \(a number\): not valid Talos v1\.13 configuration/);
    assert.match(text, /identityToken \(a list\): not valid/);
    assert.doesNotMatch(text, /31415926535|TOKENVALUE42/);
  });

  it("a file inside the folder that is not a mapping, or not YAML, is not quoted", () => {
    const dir = withPatches(["key.yaml", "broken.yaml"], {
      "key.yaml": FAKE_KEY,
      "broken.yaml": "machine: {\n  token: SECRETINBROKENYAML\n  : : :\n",
    });
    const text = problemsOf(dir);
    assert.match(
      text,
      /talos\.patches\[0\] \(key\.yaml\): expected a YAML mapping \(a config document\), got a string/,
    );
    assert.match(text, /broken\.yaml:3:3: talos\.patches\[1\]: not valid YAML \(/);
    assert.doesNotMatch(text, /OPENSSH|FAKEFAKE|SECRETINBROKENYAML/);
  });

  it("a $patch directive is refused without its value", () => {
    const text = problemsOf(withPatches([{ machine: { sysctls: { $patch: "SECRETDIRECTIVE" } } }]));
    assert.match(text, /machine\.sysctls\["\$patch"\] is refused/);
    assert.doesNotMatch(text, /SECRETDIRECTIVE/);
  });
});

/** One step into a config document: a field, a list item, or any key of a map. */
type Step = { field: string } | { item: true } | { anyKey: true };

interface StringField {
  /** The document kind, or undefined for the untyped v1alpha1 document. */
  kind?: string;
  /** `definition.property` of the field. */
  id: string;
  steps: Step[];
  flaggedBy: string;
}

/** Whether a field's name says it holds something sensitive. */
const SENSITIVE_NAME =
  /key|password|passphrase|token|secret|credential|cert|content|url|endpoint|header|auth/i;

/**
 * Every field of the Talos v1.13 config schema that holds strings (a string, a list of
 * them, or a map of them) and whose name, or whose description (test/facts/
 * talos-config-fields.json), says it holds a key, a password, a token, a passphrase,
 * contents, a URL or a header, with the steps from its document's root.
 */
function sensitiveStringFields(): StringField[] {
  const { schema, documents, untypedDocument } = readFacts<TalosConfigFacts>("talos-config").facts;
  const terms = readFacts<TalosConfigFieldFacts>("talos-config-fields").facts.descriptionTerms;
  type S = {
    $ref?: string;
    type?: string;
    properties?: Record<string, S>;
    items?: S;
    patternProperties?: Record<string, S>;
    additionalProperties?: S | boolean;
  };
  const defs = schema.$defs as Record<string, S>;
  const deref = (s: S): { s: S; def?: string } => {
    if (s.$ref === undefined) return { s };
    const def = s.$ref.replace(/^#\/\$defs\//, "");
    return { s: defs[def], def };
  };
  const holdsStrings = (s: S): Step[] | undefined => {
    const { s: t } = deref(s);
    if (t.type === "string") return [];
    if (t.type === "array" && t.items && deref(t.items).s.type === "string")
      return [{ item: true }];
    const map =
      Object.values(t.patternProperties ?? {})[0] ??
      (typeof t.additionalProperties === "object" ? t.additionalProperties : undefined);
    if (t.type === "object" && !t.properties && map && deref(map).s.type === "string")
      return [{ anyKey: true }];
    return undefined;
  };
  const out: StringField[] = [];
  const walk = (s: S, def: string, steps: Step[], kind: string | undefined, seen: string[]) => {
    if (seen.length > 14) return;
    for (const [name, sub] of Object.entries(s.properties ?? {})) {
      const here = [...steps, { field: name }];
      const tail = holdsStrings(sub);
      const described = terms[def]?.[name];
      if (
        tail !== undefined &&
        !(steps.length === 0 && (name === "apiVersion" || name === "kind"))
      ) {
        const flaggedBy = SENSITIVE_NAME.test(name)
          ? `its name`
          : described !== undefined
            ? `its description (${described.join(", ")})`
            : undefined;
        if (flaggedBy !== undefined)
          out.push({ kind, id: `${def}.${name}`, steps: [...here, ...tail], flaggedBy });
      }
      // Go into mappings and lists of mappings (each definition once per path).
      let { s: t, def: inner } = deref(sub);
      let into = here;
      if (t.type === "array" && t.items) {
        ({ s: t, def: inner } = deref(t.items));
        into = [...here, { item: true }];
      }
      const map = Object.values(t.patternProperties ?? {})[0];
      if (t.type === "object" && !t.properties && map && typeof map === "object") {
        ({ s: t, def: inner } = deref(map));
        into = [...into, { anyKey: true }];
      }
      if (t.properties && (inner === undefined || !seen.includes(inner)))
        walk(t, inner ?? def, into, kind, inner ? [...seen, inner] : seen);
    }
  };
  walk(defs[untypedDocument], untypedDocument, [], undefined, [untypedDocument]);
  for (const [kind, d] of Object.entries(documents))
    walk(defs[d.definition], d.definition, [], kind, [d.definition]);
  return out;
}

/** A document that sets the field to `marker`, as YAML. */
function documentSetting(f: StringField, marker: string): string {
  const build = (steps: Step[]): unknown => {
    if (steps.length === 0) return marker;
    const [s, ...rest] = steps;
    if ("field" in s) return { [s.field]: build(rest) };
    if ("item" in s) return [build(rest)];
    return { "some-key": build(rest) };
  };
  const body = build(f.steps) as Record<string, unknown>;
  return stringify(f.kind === undefined ? body : { apiVersion: "v1alpha1", kind: f.kind, ...body });
}

describe("input safety: the plan shows an operator's patch values only where they are harmless", () => {
  it("redacts every string field of the Talos v1.13 schema that holds a key, password, token, passphrase, contents, a URL or a header", () => {
    const fields = sensitiveStringFields();
    const ids = new Set(fields.map((f) => f.id));
    // The derivation finds what the issue names, so the list is not empty by accident.
    for (const id of [
      "cri.RegistryAuthConfigV1Alpha1.password",
      "cri.RegistryAuthConfigV1Alpha1.auth",
      "cri.RegistryAuthConfigV1Alpha1.identityToken",
      "cri.RegistryTLSConfigV1Alpha1.name",
      "network.WireguardPeer.presharedKey",
      "block.EncryptionKeyStatic.passphrase",
      "v1alpha1.MachineFile.content",
      "v1alpha1.ClusterConfig.extraManifestHeaders",
    ])
      assert.ok(ids.has(id), `${id} is among the ${ids.size} derived fields`);
    const leaked: string[] = [];
    fields.forEach((f, i) => {
      const marker = `MARKER${i}VALUE`;
      const yaml = documentSetting(f, marker);
      assert.ok(yaml.includes(marker));
      const shown = redactSecrets(yaml);
      if (shown.includes(marker)) leaked.push(`${f.id} (flagged by ${f.flaggedBy})`);
      const last = [...f.steps].reverse().find((s) => "field" in s) as { field: string };
      assert.ok(shown.includes(`${last.field}:`), `${f.id}: the field path stays`);
    });
    assert.deepEqual(leaked, []);
  });

  it("shows the values of the allow-listed fields, and only those", () => {
    const shown = redactSecrets(
      stringify({
        machine: {
          sysctls: { "vm.max_map_count": "262144" },
          kernel: { modules: [{ name: "br_netfilter", parameters: ["SECRETPARAM"] }] },
          kubelet: { extraArgs: { "some-flag": "SECRETFLAG" } },
        },
      }),
    );
    assert.match(shown, /vm\.max_map_count: "262144"/);
    assert.match(shown, /name: br_netfilter/);
    assert.doesNotMatch(shown, /SECRETPARAM|SECRETFLAG/);
    assert.ok(SHOWN_PATCH_FIELDS.length > 0);
  });

  it("the issue's cases appear in no form of the plan (text, --json, --mermaid)", async function () {
    this.timeout(30000);
    const secrets = {
      clientKey: "CLIENTKEYSECRET",
      aws: "AWSSECRETVALUE",
      proxyPass: "PROXYPASSWORD",
      header: "Bearer HEADERTOKEN",
      file: "FILECONTENTSECRET",
      passphrase: "PASSPHRASESECRET",
      psk: "PRESHAREDKEYSECRET",
      password: "REGISTRYPASSWORD",
    };
    const files = {
      "patches/registry.yaml": stringify({
        apiVersion: "v1alpha1",
        kind: "RegistryTLSConfig",
        name: "registry.internal:5000",
        clientIdentity: { crt: "CRT", key: secrets.clientKey },
      }),
      "patches/env.yaml": stringify({
        apiVersion: "v1alpha1",
        kind: "EnvironmentConfig",
        variables: {
          AWS_SECRET_ACCESS_KEY: secrets.aws,
          HTTPS_PROXY: `http://user:${secrets.proxyPass}@proxy.internal:3128`,
        },
      }),
      "patches/auth.yaml": stringify({
        apiVersion: "v1alpha1",
        kind: "RegistryAuthConfig",
        name: "ghcr.io",
        username: "robot",
        password: secrets.password,
      }),
    };
    const dir = withPatches(
      [
        "patches/registry.yaml",
        "patches/env.yaml",
        "patches/auth.yaml",
        {
          machine: {
            files: [
              { path: "/var/etc/x", op: "create", content: secrets.file, permissions: 0o600 },
            ],
          },
          cluster: { extraManifestHeaders: { Authorization: secrets.header } },
        },
      ],
      files,
    );
    const out = tempDir("plan");
    let text = "";
    let json = "";
    let errs = "";
    const err = { write: (c: string) => ((errs += c), true) };
    assert.equal(
      await runPlan(
        [dir, "--wide", "--mermaid", path.join(out, "g.md")],
        { write: (c: string) => ((text += c), true) },
        err,
        reusedRuns,
      ),
      0,
      errs,
    );
    assert.equal(
      await runPlan(
        [dir, "--json"],
        { write: (c: string) => ((json += c), true) },
        err,
        reusedRuns,
      ),
      0,
      errs,
    );
    const mermaid = fs.readFileSync(path.join(out, "g.md"), "utf8");
    assert.equal(fs.statSync(path.join(out, "g.md")).mode & 0o777, 0o600);
    for (const v of Object.values(secrets))
      assert.ok(
        !(text + json + mermaid + errs).includes(v.replace(/^Bearer /, "")),
        `${v} is printed`,
      );
    // The fields are still named, so the plan says what the patches set.
    for (const field of [
      "AWS_SECRET_ACCESS_KEY",
      "HTTPS_PROXY",
      "Authorization",
      "content",
      "password",
    ])
      assert.ok(text.includes(`${field}: ${JSON.stringify(HIDDEN)}`), field);
  });
});

describe("input safety: the etcd snapshot folder is ours", () => {
  const noGit: GitRunner = () => ({
    status: null,
    stdout: "",
    error: Object.assign(new Error("spawnSync git ENOENT"), { code: "ENOENT" }),
  });
  /** A new git work tree (with these .gitignore lines) to stand for the project. */
  const repo = (ignore: string[] = []): string => {
    // One level down, so that its parent is not the temp folder itself.
    const dir = path.join(tempDir("repo"), "project");
    const r = spawnSync("git", ["init", "-q", dir], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    fs.writeFileSync(path.join(dir, ".gitignore"), ignore.map((l) => `${l}\n`).join(""));
    return dir;
  };

  it("refuses a system or shared folder, a symlink to one, and the temp and home folders", () => {
    for (const dir of ["/", "/tmp", "/etc", "/var", "/usr", "/home", "/root", "/var/tmp"])
      assert.match(backupDirRefusal(dir) ?? "", /system or shared folder/, dir);
    assert.match(backupDirRefusal(os.tmpdir()) ?? "", /system or shared folder/);
    assert.match(backupDirRefusal(os.homedir()) ?? "", /system or shared folder|project folder/);
    const link = path.join(tempDir("link"), "snaps");
    fs.symlinkSync("/tmp", link);
    assert.match(backupDirRefusal(link) ?? "", /system or shared folder/);
  });

  it("refuses the project folder and a folder that holds it", () => {
    const root = repo();
    assert.match(backupDirRefusal(".", root) ?? "", /the project folder/);
    assert.match(backupDirRefusal("..", root) ?? "", /a folder that holds it/);
    assert.match(backupDirRefusal(root, root) ?? "", /the project folder/);
  });

  it("inside a git work tree, takes only a folder git ignores (asking git check-ignore)", () => {
    const root = repo(["/backups/"]);
    assert.equal(backupDirRefusal("backups/dev", root), undefined);
    assert.match(
      backupDirRefusal("snapshots", root) ?? "",
      /inside the git work tree .* git does not ignore it, so snapshots .* could be committed/,
    );
    fs.appendFileSync(path.join(root, ".gitignore"), "/snapshots/\n");
    assert.equal(backupDirRefusal("snapshots", root), undefined);
    // The project's own default is ignored by this checkout's .gitignore.
    assert.equal(backupDirRefusal("backups/dev"), undefined);
  });

  it("outside any work tree any folder of one's own is taken; without git, a work tree is refused", () => {
    const mine = path.join(tempDir("mine"), "etcd");
    assert.equal(backupDirRefusal(mine, repo()), undefined);
    assert.equal(backupDirRefusal(mine, repo(), noGit), undefined);
    const root = repo(["/backups/"]);
    assert.match(
      backupDirRefusal("backups/dev", root, noGit) ?? "",
      /inside a git work tree .* git is not installed/,
    );
  });

  it("is refused at validate, at the field's line, naming the field and the value", () => {
    const dir = editedInventory(DEV, ({ cluster }) =>
      cluster.setIn(["backups", "etcd", "dir"], "/tmp"),
    );
    const { code, text } = validate(dir);
    assert.equal(code, 1, text);
    const lines = fs.readFileSync(path.join(dir, "cluster.yaml"), "utf8").split("\n");
    const line = lines.findIndex((l) => /^\s+dir: \/tmp$/.test(l)) + 1;
    assert.ok(line > 0);
    assert.match(
      text,
      new RegExp(
        `cluster\\.yaml:${line}:\\d+: backups\\.etcd\\.dir \\("/tmp"\\) is refused: it is a system`,
      ),
    );
  });
});

describe("input safety: one stack-name check for every use", () => {
  it("takes Pulumi's names and refuses . and .., slashes and the empty name", () => {
    for (const ok of ["dev", "prod.eu-1", "a_b", ".hidden"])
      assert.equal(day2.stackNameProblem(ok), undefined, ok);
    for (const bad of ["..", ".", "../etc", "a/b", "", "x".repeat(101), "a b"])
      assert.match(day2.stackNameProblem(bad) ?? "", /is not a stack name/, bad);
  });

  it("is the check of the program's settings, the rollout's inputs, its stop markers and npm run day2", async () => {
    assert.throws(
      () =>
        resolveSettings(
          () => undefined,
          () => false,
          {},
          "..",
          "/nowhere",
        ),
      /stack: "\.\." is not a stack name/,
    );
    const failures = day2.rolloutPlan.checkInputs({ schema: 1, stack: ".." } as never);
    assert.ok(failures.some((f) => f.property === "stack" && /not a stack name/.test(f.reason)));
    assert.throws(() => day2.requestStop(tempDir("stop"), ".."), /not a stack name/);
    for (const command of [["status", "--talosconfig", "x"], ["stop"]]) {
      let err = "";
      const code = await runDay2(
        [...command, "--stack", ".."],
        { write: () => true },
        { write: (c: string) => ((err += c), true) },
        { projectRoot: tempDir("root") },
      );
      assert.equal(code, 2, `${command[0]}: ${err}`);
      assert.match(err, /--stack: "\.\." is not a stack name/);
    }
  });
});

describe("input safety: a talosconfig given as a kubeconfig", () => {
  it("is named for what it is, not failed on deep inside", () => {
    const ca = certs.talosAuthority();
    const client = certs.talosClientCert();
    const b64 = (s: string) => Buffer.from(s).toString("base64");
    const talosconfig = stringify({
      context: "dev",
      contexts: {
        dev: {
          endpoints: ["10.20.0.11"],
          ca: b64(ca.caCert),
          crt: b64(client.cert),
          key: b64(client.key),
        },
      },
    });
    assert.throws(
      () => day2.readKubeconfig(talosconfig, "talosconfig"),
      /^Day2InputError: talosconfig: this is a talosconfig, not a kubeconfig .*pulumi stack output kubeconfig/,
    );
    assert.throws(
      () => day2.readKubeconfig(stringify({ clusters: { a: 1 }, contexts: [] }), "k"),
      /k: clusters must be a list; not a kubeconfig/,
    );
  });
});

describe("input safety: plan files", () => {
  it("--out and --mermaid write 0600 files, whatever was at the name before", async function () {
    this.timeout(30000);
    const dir = tempDir("plan-files");
    const outFile = path.join(dir, "plan.txt");
    const graph = path.join(dir, "graph.md");
    const elsewhere = path.join(dir, "elsewhere.txt");
    fs.writeFileSync(outFile, "old", { mode: 0o644 });
    fs.chmodSync(outFile, 0o644);
    fs.writeFileSync(elsewhere, "not ours", { mode: 0o644 });
    fs.symlinkSync(elsewhere, graph);
    const code = await runPlan(
      [DEV, "--out", outFile, "--mermaid", graph],
      { write: () => true },
      { write: () => true },
    );
    assert.equal(code, 0);
    for (const f of [outFile, graph]) {
      assert.equal(fs.lstatSync(f).isFile(), true, `${f} is a file of its own`);
      assert.equal(fs.statSync(f).mode & 0o777, 0o600, f);
    }
    assert.match(fs.readFileSync(outFile, "utf8"), /^em-infra plan for cluster dev/);
    assert.equal(
      fs.readFileSync(elsewhere, "utf8"),
      "not ours",
      "the symlink's target is untouched",
    );
    assert.deepEqual(
      fs.readdirSync(dir).filter((n) => n.endsWith(".partial")),
      [],
    );
    writePrivateFile(outFile, "again");
    assert.equal(fs.readFileSync(outFile, "utf8"), "again");
  });
});
