/**
 * The bootstrap check (issue 11, item 4): the dynamic provider created right after the
 * Talos Bootstrap. Against the fake cluster it passes on a bootstrapped node with read
 * calls only, and fails within its short deadline, naming what it saw last and the
 * `pulumi up --replace` that bootstraps again, when etcd never gets healthy, the node
 * is a learner or not a member, or the node cannot be reached. `diff` never reports a
 * change and `delete` does nothing, so later runs never repeat the check.
 */
import { strict as assert } from "assert";
import * as day2 from "../packages/day2";
import {
  BOOTSTRAP_URN as URN,
  bootstrapCheckInputs as checkInputs,
  fake,
  rejection,
  type BootstrapCheckInputs,
} from "./support/day2";

type Provider = ReturnType<typeof day2.createBootstrapCheckProvider>;
type Inputs = BootstrapCheckInputs;

/** A provider whose progress lines land in `lines`. */
function provider(lines: string[] = []): Provider {
  return day2.createBootstrapCheckProvider({ log: (l) => lines.push(l) });
}

/** The fixed part of every failure message, after the "Last seen" line. */
function recovery(node = "cp-1"): string {
  return [
    "The Talos provider can report a bootstrap that never happened (siderolabs/terraform-provider-talos #248), and no later run bootstraps again by itself.",
    "If the node is reachable and etcd never started, bootstrap again with:",
    `  npx pulumi up --replace '${URN}'`,
    `This re-runs the bootstrap on ${node}, which is safe only when etcd never started there.`,
    "If the node was unreachable or etcd was still starting, a plain `npx pulumi up` runs this check again.",
  ].join("\n");
}

/**
 * The deadline of a check that is meant to fail: half a second, still room for a first
 * TLS handshake on a loaded machine, where the default second would be waited out.
 */
const SHORT = { timeoutSeconds: 0.5 };

/** Runs create and returns its error and how long it took. */
async function failing(p: Provider, inputs: Inputs): Promise<{ e: Error; ms: number }> {
  const started = Date.now();
  const e = await rejection(p.create(inputs));
  return { e, ms: Date.now() - started };
}

describe("day2 bootstrap check", () => {
  it("passes on a bootstrapped node, with read calls to that node only", async () => {
    const c = await fake();
    const lines: string[] = [];
    try {
      // A long deadline costs nothing when the check passes; it keeps a loaded machine from failing it.
      const inputs = checkInputs(c, { timeoutSeconds: 10 });
      const res = await provider(lines).create(inputs);
      // Every input but the credentials (inputs enough for the next run).
      const { credentials: _credentials, ...outs } = inputs;
      assert.deepStrictEqual(res, { id: "fake-bootstrap-check", outs });
      const calls = c.log.calls();
      assert.deepStrictEqual(
        [...new Set(calls.map((e) => `${e.node} ${e.call} ${e.outcome}`))].sort(),
        ["cp-1 EtcdMemberList ok", "cp-1 ServiceList ok"],
        c.log.toString(),
      );
      assert.match(lines.join("\n"), /etcd running and healthy on cp-1, a voting member of 3/);
    } finally {
      c.stop();
    }
  });

  it("waits while etcd is unhealthy and passes once it is healthy", async () => {
    const c = await fake({ faults: { unhealthyEtcd: ["cp-1"] } });
    const lines: string[] = [];
    try {
      const done = provider(lines).create(checkInputs(c, { timeoutSeconds: 10 }));
      await day2.waitFor(() => c.log.calls({ node: "cp-1", call: "ServiceList" }).length >= 2, {
        timeoutMs: 5000,
        describe: () => `the check never polled twice:\n${c.log}`,
      });
      assert.strictEqual(c.log.calls({ call: "EtcdMemberList" }).length, 0);
      c.faults.unhealthyEtcd.splice(0); // etcd comes up
      const res = await done;
      assert.strictEqual(res.id, "fake-bootstrap-check");
      assert.match(lines[0], /waiting .*etcd service on cp-1: Running, unhealthy/);
      assert.strictEqual(lines.filter((l) => /waiting/.test(l)).length, 1, lines.join("\n"));
    } finally {
      c.stop();
    }
  });

  it("fails within the deadline when etcd never gets healthy, naming the URN and the command", async () => {
    const c = await fake({ faults: { unhealthyEtcd: ["cp-1"] } });
    try {
      const { e, ms } = await failing(provider(), checkInputs(c, SHORT));
      assert.ok(ms < 500 + 1000, `took ${ms} ms`);
      assert.strictEqual(
        e.message,
        [
          "bootstrap check: etcd on cp-1 (10.20.0.11) was not running and healthy with cp-1 as a voting member within 0.5 s of the bootstrap.",
          "Last seen: etcd service on cp-1: Running, unhealthy: etcd member is unhealthy (fault injected).",
          recovery(),
        ].join("\n"),
      );
      assert.ok(c.log.calls({ call: "ServiceList" }).length >= 2, "it polled");
    } finally {
      c.stop();
    }
  });

  it("fails when the node is not an etcd member, or only a learner", async () => {
    const notMember = await fake({ faults: { etcdMembers: ["cp-2", "cp-3"] } });
    const learner = await fake({ faults: { etcdLearners: ["cp-1"] } });
    try {
      const [a, b] = await Promise.all([
        failing(provider(), checkInputs(notMember, SHORT)),
        failing(provider(), checkInputs(learner, SHORT)),
      ]);
      assert.match(
        a.e.message,
        /\nLast seen: no etcd service on cp-1 \(services: apid, containerd, cri, kubelet, machined, trustd\)\.\n/,
      );
      assert.match(
        b.e.message,
        /\nLast seen: etcd members: cp-1 \(learner\), cp-2, cp-3; cp-1 is only a learner\.\n/,
      );
      assert.ok(b.e.message.endsWith(recovery()));
    } finally {
      notMember.stop();
      learner.stop();
    }
  });

  it("fails naming the node when it refuses connections", async () => {
    const c = await fake({ faults: { connectionRefused: ["cp-1"] } });
    try {
      const { e, ms } = await failing(provider(), checkInputs(c, SHORT));
      assert.ok(ms < 500 + 1000, `took ${ms} ms`);
      const port = c.endpoints["cp-1"].split(":")[1];
      assert.match(
        e.message,
        new RegExp(
          `\\nLast seen: cp-1 \\(10\\.20\\.0\\.11 via 127\\.0\\.0\\.1:${port}\\): Talos ServiceList failed: UNAVAILABLE: connection refused at 127\\.0\\.0\\.1:${port}\\.\\n`,
        ),
      );
      assert.ok(e.message.endsWith(recovery()));
    } finally {
      c.stop();
    }
  });

  it("fails within the deadline when the node never answers", async () => {
    const c = await fake({ faults: { hang: [{ node: "cp-1", call: "ServiceList" }] } });
    try {
      const { e, ms } = await failing(provider(), checkInputs(c, { timeoutSeconds: 0.2 }));
      assert.ok(ms < 200 + 1000, `took ${ms} ms`);
      assert.match(
        e.message,
        /\nLast seen: cp-1 \(10\.20\.0\.11( via [^)]*)?\)[^\n]*(did not answer|no answer)/,
      );
    } finally {
      c.stop();
    }
  });

  it("reports the last real answer when a later look is cut short by the deadline", async () => {
    let looks = 0;
    let closed = 0;
    const p = day2.createBootstrapCheckProvider({
      connect: () => ({
        serviceList: async () => {
          if (++looks > 1) return new Promise<never>(() => undefined); // never answers
          return [
            {
              id: "etcd",
              state: "Preparing",
              healthy: false,
              healthUnknown: true,
              lastMessage: "",
            },
          ];
        },
        etcdMemberList: async () => [],
        close: () => void closed++,
      }),
      log: () => undefined,
    });
    const c = await fake();
    try {
      const { e } = await failing(p, checkInputs(c, { timeoutSeconds: 0.1, pollMs: 5 }));
      assert.match(e.message, /\nLast seen: etcd service on cp-1: Preparing, health unknown\.\n/);
      assert.ok(looks >= 2, `${looks} looks`);
      assert.strictEqual(closed, 1, "the client is closed");
    } finally {
      c.stop();
    }
  });

  it("refuses inputs of another schema before dialing anything", async () => {
    let dialed = 0;
    const p = day2.createBootstrapCheckProvider({
      connect: () => {
        dialed++;
        throw new Error("must not dial");
      },
      log: () => undefined,
    });
    const c = await fake();
    try {
      const bad = { ...checkInputs(c), schema: 2 } as unknown as Inputs;
      const e = await rejection(p.create(bad));
      assert.ok(e instanceof day2.Day2InputError, e.message);
      assert.match(e.message, /unsupported inputs schema/);
      const noUrn = await rejection(p.create(checkInputs(c, { bootstrapUrn: "" })));
      assert.match(noUrn.message, /bootstrapUrn must be a non-empty string/);
      assert.strictEqual(dialed, 0);
    } finally {
      c.stop();
    }
  });

  it("diff never reports a change and delete does nothing, neither calling a node", async () => {
    const c = await fake({ faults: { connectionRefused: ["cp-1"] } });
    let dialed = 0;
    const p = day2.createBootstrapCheckProvider({
      connect: () => {
        dialed++;
        throw new Error("must not dial");
      },
      log: () => undefined,
    });
    try {
      const olds = checkInputs(c);
      const news = checkInputs(c, {
        node: "cp-2",
        ip: "10.20.0.12",
        endpoint: null,
        timeoutSeconds: 180,
      });
      assert.deepStrictEqual(await p.diff("fake-bootstrap-check", olds, news), { changes: false });
      assert.deepStrictEqual(await p.diff("fake-bootstrap-check", olds, olds), { changes: false });
      assert.deepStrictEqual(await p.diff("x", {}, { schema: 2 }), { changes: false });
      assert.strictEqual(await p.delete("fake-bootstrap-check", olds), undefined);
      assert.strictEqual(dialed, 0);
      assert.deepStrictEqual(c.log.calls(), []);
    } finally {
      c.stop();
    }
  });

  it('is what require("@em-infra/day2").providers.bootstrapCheck gives the program\'s shims', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const byName = require("@em-infra/day2") as typeof day2;
    const p = byName.providers.bootstrapCheck;
    assert.strictEqual(p, day2.providers.bootstrapCheck);
    assert.deepStrictEqual(Object.keys(p).sort(), ["create", "delete", "diff"]);
    for (const m of [p.create, p.diff, p.delete]) assert.strictEqual(typeof m, "function");
  });
});
