/** lib/inventory/problems.ts: problem records, their one-line form, and InventoryError. */
import { strict as assert } from "assert";
import * as path from "path";
import {
  displayPath,
  error,
  formatProblem,
  formatProblemUnlabelled,
  hasErrors,
  InventoryError,
  warning,
} from "../lib/inventory/problems";

const AT = { file: "inventory/x/nodes.yaml", line: 3, col: 7 };

describe("problems", () => {
  it("error and warning record the position, the message and the severity", () => {
    assert.deepEqual(error(AT, "bad"), { ...AT, message: "bad", severity: "error" });
    assert.deepEqual(warning(AT, "odd"), { ...AT, message: "odd", severity: "warning" });
  });

  it("formatProblem writes file:line:col: message, with warning: before a warning's message", () => {
    assert.equal(formatProblem(error(AT, "m")), "inventory/x/nodes.yaml:3:7: m");
    assert.equal(formatProblem(warning(AT, "m")), "inventory/x/nodes.yaml:3:7: warning: m");
  });

  it("formatProblemUnlabelled leaves the severity word out", () => {
    assert.equal(formatProblemUnlabelled(warning(AT, "m")), "inventory/x/nodes.yaml:3:7: m");
    assert.equal(formatProblemUnlabelled(error(AT, "m")), "inventory/x/nodes.yaml:3:7: m");
  });

  it("hasErrors ignores warnings", () => {
    assert.equal(hasErrors([]), false);
    assert.equal(hasErrors([warning(AT, "w")]), false);
    assert.equal(hasErrors([warning(AT, "w"), error(AT, "e")]), true);
  });

  it("displayPath is relative below the working directory and absolute elsewhere", () => {
    assert.equal(
      displayPath(path.join(process.cwd(), "inventory", "dev", "nodes.yaml")),
      "inventory/dev/nodes.yaml",
    );
    const outside = path.join(path.parse(process.cwd()).root, "elsewhere", "nodes.yaml");
    assert.equal(displayPath(outside), outside);
    assert.equal(displayPath(process.cwd()), process.cwd());
  });

  it("InventoryError lists every problem, one per line, and keeps a frozen copy", () => {
    const problems = [error(AT, "first"), warning({ ...AT, line: 9 }, "second")];
    const e = new InventoryError(problems);
    assert.equal(e.name, "InventoryError");
    assert.equal(
      e.message,
      "inventory/x/nodes.yaml:3:7: first\ninventory/x/nodes.yaml:9:7: warning: second",
    );
    assert.deepEqual(e.problems, problems);
    assert.ok(Object.isFrozen(e.problems));
    problems.pop();
    assert.equal(e.problems.length, 2);
    assert.ok(e instanceof Error);
  });
});
