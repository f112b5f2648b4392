/**
 * The documentation: links resolve, every `npm run` script named exists, no doc says
 * that the Proxmox layer or cloud-init configures the node OS, and the generated parts
 * (docs/inventory.md, the graph in docs/architecture.md) match what `npm run docs`
 * would write now.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import {
  ARCHITECTURE_DOC,
  DOCS_ROOT,
  GRAPH_BEGIN,
  GRAPH_END,
  INVENTORY_DOC,
  currentGraphSection,
  readSchema,
  renderGraphSection,
  renderInventoryReference,
  replaceGenerated,
  runDocs,
} from "../scripts/docs";
import { tempDir } from "./support/tmp";

/** README.md and every Markdown file in docs/, relative to the project root. */
function docFiles(): string[] {
  const docs = fs
    .readdirSync(path.join(DOCS_ROOT, "docs"))
    .filter((f) => f.endsWith(".md"))
    .sort()
    .map((f) => path.join("docs", f));
  return ["README.md", ...docs];
}

function read(file: string): string {
  return fs.readFileSync(path.join(DOCS_ROOT, file), "utf8");
}

/** The text with fenced code blocks blanked out, line numbers kept. */
function withoutFences(text: string): string {
  let fence: string | undefined;
  return text
    .split("\n")
    .map((line) => {
      const m = /^\s*(`{3,}|~{3,})/.exec(line);
      if (fence === undefined && m) {
        fence = m[1];
        return "";
      }
      if (fence !== undefined) {
        if (line.trim().startsWith(fence)) fence = undefined;
        return "";
      }
      return line;
    })
    .join("\n");
}

/** Link targets in Markdown: inline links and images, and reference definitions. */
function linkTargets(markdown: string): string[] {
  const text = withoutFences(markdown).replace(/`[^`\n]*`/g, "");
  const inline = [...text.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)];
  const defs = [...text.matchAll(/^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)];
  return [...inline, ...defs].map((m) => m[1]);
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
function githubSlug(heading: string): string {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/<[^>]+>/g, "")
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, "")
    .replace(/ /g, "-");
}

/** Every anchor a Markdown file defines: its headings (duplicates numbered) and ids. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of withoutFences(markdown).split("\n")) {
    const m = /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (m) {
      const base = githubSlug(m[1]);
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      anchors.add(n === 0 ? base : `${base}-${n}`);
    }
    for (const a of line.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(a[1]);
  }
  return anchors;
}

/** Problems with the relative links of one doc under `root`: missing files and anchors. */
function brokenLinks(file: string, root = DOCS_ROOT): string[] {
  const problems: string[] = [];
  const text = fs.readFileSync(path.join(root, file), "utf8");
  for (const target of linkTargets(text)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto: and the like
    const [rawPath, anchor] = target.split("#", 2);
    const linkPath = decodeURIComponent(rawPath);
    const resolved = linkPath === "" ? file : path.join(path.dirname(file), linkPath);
    const full = path.join(root, resolved);
    if (!fs.existsSync(full)) {
      problems.push(`${file}: ${target}: ${resolved} does not exist`);
      continue;
    }
    if (anchor !== undefined && resolved.endsWith(".md")) {
      if (!anchorsOf(fs.readFileSync(full, "utf8")).has(anchor)) {
        problems.push(`${file}: ${target}: no heading with anchor #${anchor} in ${resolved}`);
      }
    }
  }
  return problems;
}

// --- The OS-configuration rule -------------------------------------------------------

/** Words that turn a statement into a denial. */
const NEGATION =
  /\b(no|not|never|nothing|none|neither|nor|without|cannot|can't|doesn't|don't|isn't|aren't|won't|ignores?|ignored)\b/i;

/** What the cloud-init drive may be said to carry: network bootstrap metadata, and only that. */
const CLOUD_INIT_SCOPE =
  /\bonly\b[\s\S]*\b(network|address(es)?|gateway|nameservers?|meta-?data)\b|\b(network|address(es)?|gateway|nameservers?|meta-?data)\b[\s\S]*\bonly\b/i;

/**
 * Phrasings that say the Proxmox side or cloud-init sets up the OS. Each is wrong
 * whatever else the sentence says, except where a negation sits before the verb
 * (`gap`), as in "the Proxmox layer never configures the node OS".
 */
const FORBIDDEN: readonly { readonly what: string; readonly re: RegExp }[] = [
  {
    what: "cloud-init as the subject of configuring",
    re: /\bcloud-init(?:\s+(?:drive|data|user[- ]data|config(?:uration)?))?(?<gap>\s+(?:\w+\s+){0,2}?)(?:configures|installs|sets up|provisions|customi[sz]es|applies|delivers the machine config)\b/i,
  },
  {
    what: "configuring through cloud-init or over SSH",
    re: /\b(?:configur|provision|install|customi[sz]|set(?:s|ting)? up)\w*(?<gap>\b[^.]{0,60}?)\b(?:over|via|through|using|with|from) (?:the )?(?:SSH|cloud-init)\b/i,
  },
  {
    what: "the Proxmox layer configuring the OS",
    re: /\bProxmox(?: VE)? (?:layer|provider|side|resources?)\b(?<gap>[^.]{0,60}?)\b(?:configures|installs|sets up|provisions|manages)\s+(?:the\s+)?(?:node(?:'s)?\s+)?(?:OS|operating system|machine config\w*|Talos)\b/i,
  },
];

/**
 * Prose sentences of a Markdown text: fenced code dropped, inline code unwrapped,
 * links reduced to their text, table cells and list items apart, lines of a
 * paragraph joined, then split after `.`, `!` or `?`.
 */
function sentencesOf(markdown: string): string[] {
  const units: string[] = [];
  for (const block of withoutFences(markdown).split(/\n\s*\n/)) {
    let current: string[] = [];
    const flush = () => {
      if (current.length > 0) units.push(current.join(" "));
      current = [];
    };
    for (const line of block.split("\n")) {
      if (/^\s*\|/.test(line)) {
        flush();
        units.push(...line.split(/(?<!\\)\|/));
      } else if (/^\s*#/.test(line)) {
        flush();
        units.push(line);
      } else if (/^\s*([-*+]|\d+\.)\s/.test(line)) {
        flush();
        current.push(line);
      } else {
        current.push(line);
      }
    }
    flush();
  }
  return units
    .map((u) =>
      u
        .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
        .replace(/`([^`]*)`/g, "$1")
        .replace(/\s+/g, " ")
        .trim(),
    )
    .flatMap((u) => u.split(/(?<=[.!?])\s+/))
    .filter((s) => s !== "");
}

/**
 * Sentences that say or imply that the Proxmox layer, cloud-init or SSH configures the
 * node OS, each with the rule it breaks:
 * - a sentence naming cloud-init must limit it to network bootstrap metadata (`only`
 *   with network, address, gateway, nameservers or metadata) or deny something;
 * - a sentence naming SSH or user data must deny something (no SSH, no user data);
 * - no sentence may use a {@link FORBIDDEN} phrasing without a negation before its verb.
 */
function osConfigurationClaims(markdown: string): string[] {
  const found: string[] = [];
  for (const s of sentencesOf(markdown)) {
    if (/cloud-init/i.test(s) && !CLOUD_INIT_SCOPE.test(s) && !NEGATION.test(s)) {
      found.push(`cloud-init not limited to network metadata: ${s}`);
    }
    if (/\bSSH\b/.test(s) && !NEGATION.test(s)) found.push(`SSH without a negation: ${s}`);
    if (/\buser[- ]data\b/i.test(s) && !NEGATION.test(s)) {
      found.push(`user data without a negation: ${s}`);
    }
    for (const f of FORBIDDEN) {
      const m = f.re.exec(s);
      if (!m) continue;
      const before = s.slice(0, m.index) + (m.groups?.gap ?? "");
      if (!NEGATION.test(before)) found.push(`${f.what}: ${s}`);
    }
  }
  return found;
}

/** The docs whose measured figures `npm run figures` writes. */
const FIGURE_DOCS = [path.join("docs", "validation.md"), path.join("docs", "performance.md")];

/**
 * Where a doc's measured figures are not where `npm run figures` writes them: a
 * figures block without its date, its command or a table; a table of timings (a
 * `Wall time`, `median`, `min` or `max` column) or a time in seconds or minutes with
 * decimals outside such a block; no block at all.
 */
export function misplacedFigures(text: string): string[] {
  const found: string[] = [];
  const BLOCK =
    /<!-- BEGIN GENERATED: [^>]*\(npm run figures\) -->([\s\S]*?)<!-- END GENERATED: [^>]*-->/g;
  let blocks = 0;
  for (const m of text.matchAll(BLOCK)) {
    blocks++;
    const body = m[1];
    if (!/\b\d{4}-\d{2}-\d{2}\b/.test(body)) found.push("a figures block without its date");
    if (!body.includes("`npm run figures`")) found.push("a figures block without its command");
    if (!/^\|.*\|$/m.test(body)) found.push("a figures block without a table");
  }
  if (blocks === 0) found.push("no figures block");
  const outside = withoutFences(text.replace(BLOCK, ""));
  for (const line of outside.split("\n")) {
    if (/^\s*\|.*\|\s*$/.test(line) && /\|\s*(wall time[^|]*|median|min|max)\s*\|/i.test(line))
      found.push(`a table of timings outside a figures block: ${line.trim()}`);
    else if (/\b\d+\.\d+ (s|min)\b/.test(line))
      found.push(`a measured time outside a figures block: ${line.trim()}`);
  }
  return found;
}

describe("documentation", function () {
  const files = docFiles();

  it("has the docs index and the documents it lists", function () {
    for (const f of [
      "docs/README.md",
      "docs/architecture.md",
      "docs/operations.md",
      "docs/inventory.md",
      "docs/validation.md",
      "docs/roadmap.md",
    ]) {
      assert.ok(files.includes(path.normalize(f)), `${f} is missing`);
    }
  });

  it("links every doc in docs/ back to the index", function () {
    const missing = files
      .filter((f) => f.startsWith("docs") && f !== path.join("docs", "README.md"))
      .filter((f) => !linkTargets(read(f)).includes("README.md"));
    assert.deepEqual(missing, []);
  });

  describe("links", function () {
    it("resolve to existing files, and #anchors to existing headings", function () {
      assert.deepEqual(
        files.flatMap((f) => brokenLinks(f)),
        [],
      );
    });

    it("follow GitHub's anchor rules, as the check assumes", function () {
      assert.equal(githubSlug("What an edit does"), "what-an-edit-does");
      assert.equal(
        githubSlug("Per-node `ignoreChanges` on the VM"),
        "per-node-ignorechanges-on-the-vm",
      );
      assert.equal(githubSlug("cluster.yaml"), "clusteryaml");
      assert.equal(githubSlug("State, passphrase and stack"), "state-passphrase-and-stack");
      const anchors = anchorsOf("# A\n## Notes\n### Notes\n```\n# not a heading\n```\n");
      assert.deepEqual([...anchors], ["a", "notes", "notes-1"]);
    });

    it("the check finds a missing file and a missing anchor", function () {
      const root = tempDir("docs");
      try {
        fs.mkdirSync(path.join(root, "docs"));
        fs.writeFileSync(path.join(root, "docs", "other.md"), "# Other\n\n## Has `code`\n");
        fs.writeFileSync(
          path.join(root, "docs", "doc.md"),
          [
            "## Fine",
            "[ok](#fine) [ok](other.md#has-code) [web](https://example.com/x.md)",
            "[gone](nowhere.md) [bad](#nope) [bad](other.md#missing)",
            "`[in code](ignored.md)`",
            "```",
            "[in a fence](ignored.md)",
            "```",
            "",
          ].join("\n"),
        );
        assert.deepEqual(brokenLinks(path.join("docs", "doc.md"), root), [
          `${path.join("docs", "doc.md")}: nowhere.md: ${path.join("docs", "nowhere.md")} does not exist`,
          `${path.join("docs", "doc.md")}: #nope: no heading with anchor #nope in ${path.join("docs", "doc.md")}`,
          `${path.join("docs", "doc.md")}: other.md#missing: no heading with anchor #missing in ${path.join("docs", "other.md")}`,
        ]);
      } finally {
        fs.rmSync(root, { recursive: true, force: true });
      }
    });
  });

  describe("measured figures", function () {
    it("every timing table and time sits in a dated `npm run figures` block", function () {
      assert.deepEqual(
        FIGURE_DOCS.flatMap((f) => misplacedFigures(read(f)).map((p) => `${f}: ${p}`)),
        [],
      );
    });

    it("the check finds a table or a time by hand, and a block without its date", function () {
      const block = (body: string) =>
        `<!-- BEGIN GENERATED: x (npm run figures) -->\n${body}\n<!-- END GENERATED: x -->`;
      const good = block(
        "2026-11-30, by `npm run figures`:\n\n| a | median |\n| - | -: |\n| b | 1.2 s |",
      );
      assert.deepEqual(misplacedFigures(`# T\n\n${good}\n`), []);
      assert.deepEqual(
        misplacedFigures(
          `${good}\n\n| Command | Wall time |\n| - | -: |\n\nIt took 9.8 s.\n\n\`\`\`\n0.5 s in a fence\n\`\`\`\n`,
        ),
        [
          "a table of timings outside a figures block: | Command | Wall time |",
          "a measured time outside a figures block: It took 9.8 s.",
        ],
      );
      assert.deepEqual(misplacedFigures(block("by `npm run figures`\n\n| a |")), [
        "a figures block without its date",
      ]);
      assert.deepEqual(misplacedFigures("| a | min |\n"), [
        "no figures block",
        "a table of timings outside a figures block: | a | min |",
      ]);
    });
  });

  describe("figures the prose states, against what the bench measures", function () {
    const words = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"];
    let prose: string;
    let record: Awaited<ReturnType<typeof import("./support/program").runFor>>;
    before(async function () {
      const { runFor, DEV } = await import("./support/program");
      record = await runFor(DEV);
      prose = read(path.join("docs", "architecture.md")).replace(/\s+/g, " ");
    });

    it("architecture.md gives the longest chain that longestChain (the bench's measure) finds", async function () {
      const { longestChain } = await import("../tools/plan");
      const steps = longestChain(record).length;
      assert.match(
        prose,
        new RegExp(`The longest chain is ${words[steps]} steps at every cluster size`),
      );
    });

    it("architecture.md gives the size of the serialized providers the bench reports", async function () {
      const { DYNAMIC } = await import("../lib/tokens");
      const { unwrapSecrets } = await import("../tools/offline/secretSig");
      const kb = (name: string) => {
        const r = record.resources.find((x) => x.type === DYNAMIC && x.name.endsWith(name))!;
        return (String(unwrapSecrets(r.inputs.__provider)).length / 1000).toFixed(1);
      };
      assert.ok(
        prose.includes(
          `the state holds about ${kb("-bootstrap-check")} KB (the bootstrap check) to ${kb("-rollout")} KB (the rollout)`,
        ),
        `architecture.md should say ${kb("-bootstrap-check")} KB and ${kb("-rollout")} KB`,
      );
    });
  });

  it("names only npm scripts that package.json defines", function () {
    const pkg = JSON.parse(read("package.json")) as { scripts: Record<string, string> };
    const unknown = files.flatMap((f) =>
      [...read(f).matchAll(/\bnpm run (?:--silent )?([\w:-]+)/g)]
        .map((m) => m[1])
        .filter((name) => !(name in pkg.scripts))
        .map((name) => `${f}: npm run ${name}`),
    );
    assert.deepEqual(unknown, []);
  });

  describe("ownership of the node OS", function () {
    it("no doc says the Proxmox layer, cloud-init or SSH configures the node OS", function () {
      assert.deepEqual(
        files.flatMap((f) => osConfigurationClaims(read(f)).map((c) => `${f}: ${c}`)),
        [],
      );
    });

    it("the check flags each wrong phrasing", function () {
      const wrong = [
        "The Proxmox layer configures the node OS.",
        "Cloud-init configures each node's hostname and network.",
        "The cloud-init drive sets up Talos on first boot.",
        "The cloud-init drive carries the machine configuration.",
        "Each VM gets its Talos machine config from cloud-init user data.",
        "The nodes are provisioned over SSH after they boot.",
        "The Proxmox provider also installs Talos on each node.",
        "Nodes are configured through cloud-init, with network metadata only.",
      ];
      for (const s of wrong) {
        assert.notDeepEqual(osConfigurationClaims(s), [], `not flagged: ${s}`);
      }
    });

    it("the check accepts the correct statements", function () {
      const right = [
        "The cloud-init drive carries network bootstrap metadata only: address, gateway and nameservers.",
        "Nothing configures the node OS over SSH or through cloud-init user data.",
        "The Proxmox layer owns the VM lifecycle only; it never configures the node OS.",
        "Talos ignores the user data Proxmox generates.",
        "| `initialization` | the cloud-init drive, which holds network metadata only |",
      ];
      for (const s of right) assert.deepEqual(osConfigurationClaims(s), [], s);
    });

    it("splits prose into sentences, cells and list items, skipping code", function () {
      assert.deepEqual(
        sentencesOf(
          "One `a` line\ncontinues. Two!\n\n- item [link](x.md)\n\n```\ncode.\n```\n| c1 | c2 |\n",
        ),
        ["One a line continues.", "Two!", "- item link", "c1", "c2"],
      );
    });
  });

  describe("generated content", function () {
    it("docs/inventory.md matches schema.json (npm run docs regenerates it)", function () {
      assert.equal(read(INVENTORY_DOC), renderInventoryReference(readSchema()));
    });

    it("docs/inventory.md is left alone by Prettier, so formatting never makes it stale", function () {
      const ignored = read(".prettierignore")
        .split("\n")
        .map((l) => l.trim());
      assert.ok(ignored.includes("docs/inventory.md"));
    });

    it("the inventory reference has every section, and a row per field", function () {
      const text = renderInventoryReference(readSchema());
      const headings = [...text.matchAll(/^#{2,3} (.+)$/gm)].map((m) => m[1]);
      assert.deepEqual(headings, [
        "cluster.yaml",
        "Top level",
        "talos",
        "kubernetes",
        "proxmox",
        "network",
        "defaults",
        "nodes.yaml",
        "Node entry",
        "taints",
        "gpu",
        "Value formats",
      ]);
      for (const row of [
        "| `talos.installDisk` | any | – | No longer accepted.",
        "| `kubernetes.cni` | string; one of `flannel`, `none` | `flannel` |",
        "| `proxmox.vlan` | integer; 1 to 4094 | – |",
        "| `nodes[].vmId` | integer; 100 to 999999999; **required** | – |",
        "| `nodes[].taints[].effect` | string; one of `NoSchedule`, `PreferNoSchedule`, `NoExecute`; **required** | – |",
        "| `nodes[].gpu.pcie` | boolean | `true` |",
        "| `defaults.worker.memoryMiB` | integer; 1024 to 4194304 | `8192` |",
      ]) {
        assert.ok(text.includes(row), `missing row ${row}`);
      }
      // A `|` inside a pattern is escaped, or it would end the table cell.
      assert.match(text, /\| ipv4Cidr \| .* \| pattern `\^\(\(25\[0-5\]\\\|2\[0-4\]/);
    });

    it("the graph in docs/architecture.md matches an offline run over inventory/dev", async function () {
      const text = read(ARCHITECTURE_DOC);
      const begin = text.indexOf(GRAPH_BEGIN);
      const end = text.indexOf(GRAPH_END);
      assert.ok(begin >= 0 && end > begin, "the GENERATED markers are missing");
      const block = text.slice(begin, end + GRAPH_END.length);
      const now = await currentGraphSection();
      assert.equal(block, now, "stale: run npm run docs");
      assert.match(now, /\n```mermaid\nflowchart LR\n/);
    });

    it("replaceGenerated replaces only the marked block, and refuses missing markers", function () {
      const block = renderGraphSection("flowchart LR\n  a --> b\n");
      const doc = `# T\n\nbefore\n\n${GRAPH_BEGIN}\nold\n${GRAPH_END}\n\nafter\n`;
      assert.equal(replaceGenerated(doc, block), `# T\n\nbefore\n\n${block}\n\nafter\n`);
      assert.equal(
        replaceGenerated(replaceGenerated(doc, block), block),
        replaceGenerated(doc, block),
      );
      assert.throws(() => replaceGenerated("# T\n", block), /missing or out of order/);
      assert.throws(
        () => replaceGenerated(`${GRAPH_END}\n${GRAPH_BEGIN}\n`, block),
        /out of order/,
      );
      assert.throws(() => replaceGenerated(`${doc}${doc}`, block), /more than once/);
    });

    it("npm run docs -- --check names a stale file and exits 1; npm run docs fixes it", async function () {
      const root = tempDir("docs");
      const out = { text: "", write: (s: string) => (out.text += s) };
      const err = { text: "", write: (s: string) => (err.text += s) };
      try {
        fs.mkdirSync(path.join(root, "docs"));
        fs.cpSync(path.join(DOCS_ROOT, "inventory"), path.join(root, "inventory"), {
          recursive: true,
        });
        fs.copyFileSync(path.join(DOCS_ROOT, "schema.json"), path.join(root, "schema.json"));
        fs.copyFileSync(path.join(DOCS_ROOT, ARCHITECTURE_DOC), path.join(root, ARCHITECTURE_DOC));
        fs.writeFileSync(path.join(root, INVENTORY_DOC), "# hand-edited\n");

        assert.equal(await runDocs(["--check"], out, err, root), 1);
        assert.equal(err.text, `${INVENTORY_DOC} is stale: run npm run docs\n`);
        assert.equal(read(INVENTORY_DOC) === "# hand-edited\n", false, "touched the real doc");

        assert.equal(await runDocs([], out, err, root), 0);
        assert.equal(
          fs.readFileSync(path.join(root, INVENTORY_DOC), "utf8"),
          renderInventoryReference(readSchema()),
        );
        err.text = "";
        assert.equal(await runDocs(["--check"], out, err, root), 0);
        assert.equal(err.text, "");
        assert.equal(await runDocs(["--bogus"], out, err, root), 2);
      } finally {
        fs.rmSync(root, { recursive: true, force: true });
      }
    });
  });
});
