/**
 * A program for `npm run bench` only: it registers as many day-two dynamic resources
 * as EM_INFRA_BENCH_DYNAMIC says, and nothing else, so that the cost of one
 * registration (its provider serialized, its inputs sent) can be measured.
 */
import { Day2Resource } from "../components/rollout";

const count = Number(process.env.EM_INFRA_BENCH_DYNAMIC ?? "0");
for (let i = 0; i < count; i++) {
  new Day2Resource("bootstrapCheck", `probe-${i}`, { schema: 1, node: `node-${i}` });
}
