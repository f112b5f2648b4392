// @ts-check
/**
 * Text for a terminal: lines folded to 80 columns, and long references shortened. The
 * command-line tools and the rollout's log share these, so every line em-infra prints
 * fits the same way.
 */
"use strict";

/** The width output fits by default: an 80-column terminal. */
const TERMINAL_WIDTH = 80;

/**
 * One line folded to `width` at spaces. Continuation lines hang under the first line's
 * text, two spaces further in (or at `hang` columns). A word longer than the width (a
 * path, a URL, a hash) is never cut: it gets a line of its own.
 * @param {string} line
 * @param {number} [width]
 * @param {number} [hang]
 * @returns {string[]}
 */
function wrap(line, width = TERMINAL_WIDTH, hang) {
  if (line.length <= width) return [line];
  const indent = /^ */.exec(line)?.[0] ?? "";
  const under = " ".repeat(hang ?? indent.length + 2);
  const words = line.slice(indent.length).split(" ");
  /** @type {string[]} */
  const out = [];
  let current = indent;
  for (const word of words) {
    const empty = current.trim() === "";
    const next = empty ? current + word : `${current} ${word}`;
    if (next.length > width && !empty) {
      out.push(current);
      current = under + word;
    } else current = next;
  }
  out.push(current);
  return out;
}

/**
 * Left-aligned columns, two spaces apart, trailing blanks trimmed. A row may be
 * shorter than the first; its missing cells count as empty. When the table is wider
 * than `width`, each row becomes a record instead: its first cell, then
 * `header value` pairs folded under it, a pair never split. The first row is the header.
 * @param {readonly (readonly string[])[]} rows
 * @param {number} [width]
 * @returns {string[]}
 */
function table(rows, width = Infinity) {
  if (rows.length === 0) return [];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length)));
  const plain = rows.map((r) =>
    r
      .map((cell, c) => cell.padEnd(widths[c]))
      .join("  ")
      .trimEnd(),
  );
  if (plain.every((l) => l.length <= width)) return plain;
  const [head, ...body] = rows;
  const first = Math.max(...body.map((r) => r[0].length));
  const under = " ".repeat(first + 2);
  return body.flatMap((r) => {
    const pairs = r
      .slice(1)
      .map((cell, c) => `${head[c + 1].toLowerCase()} ${cell === "" ? "-" : cell}`);
    /** @type {string[]} */
    const out = [];
    let current = `${r[0].padEnd(first)}  `;
    for (const [i, pair] of pairs.entries()) {
      const piece = i === pairs.length - 1 ? pair : `${pair},`;
      const fresh = current.trim() === "" || current.endsWith("  ");
      const next = fresh ? current + piece : `${current} ${piece}`;
      if (next.length > width && !fresh) {
        out.push(current);
        current = under + piece;
      } else current = next;
    }
    out.push(current);
    return out;
  });
}

/**
 * An installer image as a person needs it: its schematic's first 8 characters and its
 * tag. `factory.talos.dev/nocloud-installer/<64 hex>:v1.13.3` -> `installer 376567…:v1.13.3`.
 * @param {string} image
 */
function shortImage(image) {
  const m = /\/([a-z0-9-]*installer)\/([0-9a-f]{8})[0-9a-f]{56}:([^:/@]+)$/.exec(image);
  return m === null ? image : `${m[1]} ${m[2]}…:${m[3]}`;
}

/** `1.2 s`, `4 min 5 s`: a duration for a person. @param {number} ms */
function duration(ms) {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}

module.exports = { TERMINAL_WIDTH, wrap, table, shortImage, duration };
