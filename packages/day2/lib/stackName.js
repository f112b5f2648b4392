// @ts-check
/**
 * The one check of a Pulumi stack name, for every place that makes a path or a file
 * name of it: the program's default inventory folder (`inventory/<stack>`), the state
 * file, the backups folder, the rollout's stop and running markers, and each
 * `npm run day2` command's `--stack`.
 */
"use strict";

/** Pulumi's own rule for a stack name: letters, digits, `_`, `.`, `-`, at most 100. */
const STACK_NAME = /^[A-Za-z0-9_.-]{1,100}$/;

/**
 * Why `name` cannot be a stack name here, or undefined when it can. `.` and `..` match
 * Pulumi's pattern but would name the folder itself or its parent in every path made
 * from them, so they are refused too.
 * @param {unknown} name
 * @returns {string | undefined}
 */
function stackNameProblem(name) {
  if (typeof name !== "string" || !STACK_NAME.test(name))
    return `${JSON.stringify(name)} is not a stack name (1 to 100 letters, digits, _ . -)`;
  if (/^\.+$/.test(name))
    return `${JSON.stringify(name)} is not a stack name: it would name a folder or its parent in the paths made from it`;
  return undefined;
}

module.exports = { stackNameProblem };
