/** What the command-line tools share: where they write, and how they lay out tables. */

/** Where a command writes: process.stdout and process.stderr, or a test's buffer. */
export interface Writer {
  write(chunk: string): unknown;
}

/**
 * Left-aligned columns, two spaces apart, trailing blanks trimmed. A row may be
 * shorter than the first; its missing cells count as empty.
 */
export function table(rows: readonly (readonly string[])[]): string[] {
  if (rows.length === 0) return [];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length)));
  return rows.map((r) =>
    r
      .map((cell, c) => cell.padEnd(widths[c]))
      .join("  ")
      .trimEnd(),
  );
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
