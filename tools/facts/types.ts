/**
 * Facts extracted from upstream data (../shared/upstream/), committed as small JSON
 * files under test/facts/ so that a clone without ../shared runs every check.
 * Each extractor reads only the upstream files it names; `npm run facts`
 * regenerates every file, and a test fails when a committed file is stale.
 */

/** One kind of facts: where it comes from and how to read it. */
export interface FactsSource {
  /** The file under test/facts/ is `<name>.json`. */
  readonly name: string;
  /** Where the upstream files come from: repository, path and tag or commit. */
  readonly origin: string;
  /** The upstream files read, relative to ../shared/upstream/. */
  readonly files: readonly string[];
  /**
   * Project-relative paths that hold the same facts file for code that reads it at run
   * time from outside test/ (packages/day2 is loaded by the dynamic-provider host, which
   * sees only the package): `npm run facts` writes them, a test holds them equal.
   */
  readonly copies?: readonly string[];
  /** Reads the facts from the upstream folder. Deterministic: same input, same JSON. */
  extract(upstreamDir: string): unknown;
}

/** A committed facts file. */
export interface FactsFile<T = unknown> {
  readonly name: string;
  readonly origin: string;
  /** Each upstream file read, with the sha256 of its bytes. */
  readonly files: readonly { readonly path: string; readonly sha256: string }[];
  readonly generatedBy: "npm run facts";
  readonly facts: T;
}
