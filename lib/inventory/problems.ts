import * as path from "path";
import type { Problem, SourcePosition } from "./types";

/**
 * The path a problem reports for a file: relative to the working directory when the file
 * is below it (what an editor or terminal link resolves), absolute otherwise.
 */
export function displayPath(absolute: string): string {
  const relative = path.relative(process.cwd(), absolute);
  if (relative === "" || relative.startsWith("..") || path.isAbsolute(relative)) return absolute;
  return relative;
}

/**
 * `<file>:<line>:<col>: <message>`, with `warning: ` before the message of a warning: for
 * a list where errors and warnings mix. An error carries no word; it is the default.
 */
export function formatProblem(p: Problem): string {
  const prefix = p.severity === "warning" ? "warning: " : "";
  return `${p.file}:${p.line}:${p.col}: ${prefix}${p.message}`;
}

/**
 * `<file>:<line>:<col>: <message>` without the severity word: for a line that already
 * sits under a "Warnings" heading or goes out through a warning channel
 * (`pulumi.log.warn`, which labels it itself), so that it says "warning" once.
 */
export function formatProblemUnlabelled(p: Problem): string {
  return `${p.file}:${p.line}:${p.col}: ${p.message}`;
}

/** An error-severity problem at a position. */
export function error(at: SourcePosition, message: string): Problem {
  return { file: at.file, line: at.line, col: at.col, message, severity: "error" };
}

/** A warning-severity problem at a position. */
export function warning(at: SourcePosition, message: string): Problem {
  return { file: at.file, line: at.line, col: at.col, message, severity: "warning" };
}

/** Whether any problem in the list is an error. */
export function hasErrors(problems: readonly Problem[]): boolean {
  return problems.some((p) => p.severity === "error");
}

/**
 * Thrown by `loadInventory` when the inventory has at least one error. The message lists
 * every problem (warnings too) one per line, so an uncaught one still tells the operator
 * everything to fix in one run.
 */
export class InventoryError extends Error {
  /** Every problem found, errors and warnings, in file and line order. */
  public readonly problems: readonly Problem[];

  constructor(problems: readonly Problem[]) {
    super(problems.map(formatProblem).join("\n"));
    this.name = "InventoryError";
    this.problems = Object.freeze([...problems]);
  }
}
