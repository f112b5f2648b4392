/** What the command-line tools share: where they write, and how they lay out tables. */

/** Where a command writes: process.stdout and process.stderr, or a test's buffer. */
export interface Writer {
  write(chunk: string): unknown;
}

import { TERMINAL_WIDTH, table, wrap } from "../packages/day2/lib/text";

export { TERMINAL_WIDTH, table, wrap };

/**
 * A writer that folds each complete line to `width` before passing it on (a partial
 * line waits for its end). Not for JSON: a folded string is no longer one.
 */
export function fitting(to: Writer, width = TERMINAL_WIDTH): Writer {
  let pending = "";
  return {
    write(chunk: string) {
      pending += chunk;
      const cut = pending.lastIndexOf("\n");
      if (cut < 0) return true;
      const lines = pending.slice(0, cut).split("\n");
      pending = pending.slice(cut + 1);
      return to.write(fit(lines, width).join("\n") + "\n");
    },
  };
}

/** Every line folded to `width` (see {@link wrap}). */
export function fit(lines: readonly string[], width = TERMINAL_WIDTH): string[] {
  return lines.flatMap((l) => wrap(l, width));
}

/**
 * The line a usage error ends with: where the command's help is. The error itself
 * comes first, so it is the first thing on the screen, not above a page of usage.
 */
export function helpHint(command: string): string {
  return `run \`${command} --help\` for usage`;
}

/** Whether the arguments ask for the help (`--help` or `-h`, anywhere). */
export function wantsHelp(args: readonly string[]): boolean {
  return args.includes("--help") || args.includes("-h");
}

/** Writes the help to stdout (it is what was asked for) and returns exit code 0. */
export function printHelp(out: Writer, usage: string): 0 {
  out.write(usage);
  return 0;
}

/** Writes a usage error (the message, then {@link helpHint}) and returns exit code 2. */
export function usageError(err: Writer, message: string, command: string): 2 {
  err.write(`${message}\n${helpHint(command)}\n`);
  return 2;
}

/**
 * Ends the process with `code` once stdout and stderr have handed everything written
 * to them to the operating system. `process.exit` right after a large write to a pipe
 * drops what the pipe has not taken yet (Node writes to pipes asynchronously): the
 * reader saw the first 64 KiB of a plan's JSON. The empty write's callback runs after
 * every earlier write's, so exiting there loses nothing.
 */
export function exitWhenFlushed(code: number): void {
  process.exitCode = code;
  let waiting = 2;
  const done = () => {
    if (--waiting === 0) process.exit(code);
  };
  for (const stream of [process.stdout, process.stderr]) {
    if (stream.destroyed || !stream.writable) done();
    else stream.write("", done);
  }
}

/**
 * Runs a command's main function with the process's arguments and streams, and
 * exits with its code once the output is flushed; an unexpected error is printed as
 * one line, exit 1.
 */
export function runCommand(
  main: (args: readonly string[], out: Writer, err: Writer) => Promise<number> | number,
): void {
  Promise.resolve()
    .then(() => main(process.argv.slice(2), process.stdout, process.stderr))
    .then(exitWhenFlushed, (e: unknown) => {
      process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
      exitWhenFlushed(1);
    });
}
