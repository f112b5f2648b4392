/** Where the project lives, found one way for the program, the tools and the tests. */
import * as fs from "fs";
import * as path from "path";

/**
 * The project root: the nearest folder above `start` that holds Pulumi.yaml. Walking up
 * (rather than a fixed `../..`) finds it from a source file under ts-node and from its
 * compiled copy under .build/ alike.
 */
export function findProjectRoot(start: string = __dirname): string {
  let dir = path.resolve(start);
  for (;;) {
    if (fs.existsSync(path.join(dir, "Pulumi.yaml"))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no Pulumi.yaml in ${start} or any folder above it`);
    dir = parent;
  }
}

/** The project root of this checkout. */
export const PROJECT_ROOT = findProjectRoot(__dirname);
