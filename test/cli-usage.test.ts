/**
 * Errors first, help per command, everything within 80 columns: a usage error is the
 * error and one line saying where the help is; `<command> --help` is that command's
 * help; every help fits an 80-column terminal.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { runValidate } from "../scripts/validate";
import { runPlan } from "../scripts/plan";
import { runDay2 } from "../scripts/day2";
import { runDocs } from "../scripts/docs";
import { runFigures } from "../scripts/figures";
import { PROJECT_ROOT } from "../lib/projectRoot";

type Run = (args: string[]) => Promise<{ code: number; out: string; err: string }>;

function capture(main: (a: string[], o: never, e: never) => number | Promise<number>): Run {
  return async (args) => {
    let out = "";
    let err = "";
    const code = await main(
      args,
      { write: (s: string) => (out += s) } as never,
      { write: (s: string) => (err += s) } as never,
    );
    return { code, out, err };
  };
}

const COMMANDS: Record<string, Run> = {
  "npm run validate --": capture(runValidate),
  "npm run plan --": capture(runPlan),
  "npm run docs --": capture(runDocs),
  "npm run figures --": capture(runFigures),
  "npm run day2 --": capture(runDay2),
};
const DAY2 = ["status", "rollout", "snapshot", "recover", "demo", "stop"];

const widest = (text: string) => Math.max(...text.split("\n").map((l) => l.length));

describe("usage and help", function () {
  for (const [name, run] of Object.entries(COMMANDS)) {
    it(`${name} --help prints its usage within 80 columns, exit 0`, async function () {
      const r = await run(["--help"]);
      assert.equal(r.code, 0);
      assert.equal(r.err, "");
      assert.ok(r.out.startsWith(`usage: ${name.replace(/ --$/, "")}`), r.out);
      assert.ok(widest(r.out) <= 80, `${widest(r.out)} columns:\n${r.out}`);
    });
  }

  for (const command of DAY2) {
    it(`npm run day2 -- ${command} --help prints ${command}'s own help within 80 columns`, async function () {
      const r = await COMMANDS["npm run day2 --"]([command, "--help"]);
      assert.equal(r.code, 0);
      assert.ok(r.out.startsWith(`usage: npm run day2 -- ${command}`), r.out);
      assert.ok(widest(r.out) <= 80, `${widest(r.out)} columns:\n${r.out}`);
      // Not the general help: no other command is described.
      for (const other of DAY2.filter((c) => c !== command))
        assert.doesNotMatch(r.out, new RegExp(`^  ${other} {2,}\\S`, "m"));
    });
  }

  const errors: [string, string[], string][] = [
    ["npm run day2 --", [], "a command is needed: status, rollout, snapshot, recover, demo, stop"],
    ["npm run day2 --", ["frobnicate"], "unknown command frobnicate"],
    ["npm run day2 --", ["status"], "--talosconfig FILE is required"],
    ["npm run day2 --", ["status", "--talosconfig"], "--talosconfig needs a value"],
    ["npm run day2 --", ["rollout", "--talosconfig", "x"], "rollout needs --dry-run"],
    ["npm run day2 --", ["recover", "--talosconfig", "x"], "recover needs one of --from FILE"],
    ["npm run day2 --", ["stop", "--frobnicate"], "stop takes only --stack NAME"],
    ["npm run day2 --", ["demo", "--talosconfig", "x"], "demo takes no flags but --keep"],
    ["npm run plan --", ["--frobnicate"], "unexpected argument --frobnicate"],
    ["npm run plan --", ["--state"], "--state needs a file name"],
    ["npm run validate --", ["--frobnicate"], "unknown option --frobnicate"],
    ["npm run docs --", ["--frobnicate"], "unexpected argument --frobnicate"],
    ["npm run figures --", ["--runs", "x"], "--runs"],
  ];
  for (const [name, args, message] of errors) {
    it(`${name} ${args.join(" ")}: the error, then where the help is, in at most 3 lines`, async function () {
      const r = await COMMANDS[name](args);
      assert.equal(r.code, 2);
      assert.equal(r.out, "");
      const lines = r.err.trimEnd().split("\n");
      assert.ok(lines[0].startsWith(message), r.err);
      assert.ok(lines.length <= 3, r.err);
      const sub = name === "npm run day2 --" && DAY2.includes(args[0]) ? ` ${args[0]}` : "";
      assert.equal(lines[lines.length - 1], `run \`${name}${sub} --help\` for usage`);
      assert.ok(widest(r.err) <= 80, r.err);
    });
  }

  it("no script ends the process with process.exit while its output may be unflushed", function () {
    // Only tools/cli.ts's exitWhenFlushed may call it, after stdout and stderr drained.
    const files = [
      ...fs.readdirSync(path.join(PROJECT_ROOT, "scripts")).map((f) => path.join("scripts", f)),
      path.join("tools", "cli.ts"),
    ];
    const calls = files.flatMap((f) =>
      fs
        .readFileSync(path.join(PROJECT_ROOT, f), "utf8")
        .split("\n")
        .map((l, i) => [`${f}:${i + 1}`, l] as const)
        .filter(([, l]) => /process\.exit\(/.test(l)),
    );
    assert.equal(calls.length, 1, calls.map(([at, l]) => `${at}: ${l.trim()}`).join("\n"));
    assert.match(calls[0][1], /if \(--waiting === 0\) process\.exit\(code\);/);
  });
});
