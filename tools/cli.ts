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
 * Runs a command's main function with the process's arguments and streams, and
 * exits with its code; an unexpected error is printed as one line, exit 1.
 */
export function runCommand(
  main: (args: readonly string[], out: Writer, err: Writer) => Promise<number> | number,
): void {
  Promise.resolve()
    .then(() => main(process.argv.slice(2), process.stdout, process.stderr))
    .then(
      (code) => process.exit(code),
      (e: unknown) => {
        process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
        process.exit(1);
      },
    );
}
