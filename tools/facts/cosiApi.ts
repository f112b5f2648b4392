/**
 * Facts from the COSI resource API protos (cosi-project/specification at a25fac0), the
 * `cosi.resource` package that Talos's apid serves as `cosi.resource.State`: services,
 * methods, messages, fields and enums, in the same form as the Talos machine API facts.
 * packages/day2/proto/cosi declares a subset by hand; a test checks it against these.
 */
import * as path from "path";
import type { FactsSource } from "./types";
import { loadProtoRoot, protoFacts } from "./talosApi";

/** The upstream folder, relative to ../shared/upstream. */
const DIR = "cosi-spec-a25fac0";

/** The packages recorded: the resource and State definitions, not the meta types. */
export const COSI_API_PACKAGES = ["cosi.resource"] as const;

/** The COSI resource API facts source. */
export const cosiApiFacts: FactsSource = {
  name: "cosi-api",
  origin:
    "github.com/cosi-project/specification proto/v1alpha1/ at commit a25fac056c642b32468b030387ab94c17bc3ba1d",
  files: [`${DIR}/v1alpha1/resource.proto`, `${DIR}/v1alpha1/state.proto`],
  extract(upstreamDir: string) {
    const base = path.join(upstreamDir, DIR);
    return protoFacts(
      loadProtoRoot(["v1alpha1/state.proto"], (p) => path.join(base, p)),
      COSI_API_PACKAGES,
    );
  },
};
