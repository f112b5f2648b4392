// @ts-check
/**
 * The bootstrap check: a Pulumi dynamic provider created right after the Talos
 * Bootstrap resource. Its create waits, with a short deadline, until the bootstrap
 * node's etcd service runs healthy and etcd lists that node as a voting member. It
 * reads only; it never bootstraps anything itself.
 *
 * Why: the Talos provider retries every bootstrap error but InvalidArgument, its Read
 * does nothing, and it can report success for a bootstrap that never happened
 * (siderolabs/terraform-provider-talos #248, open). Without this check that surfaces
 * only when the health gate times out, 20 minutes later, and no rerun ever bootstraps
 * again. The failure message names the one command that does.
 *
 * The check runs once, at create: `diff` never reports a change, so a later run with
 * the node down (maintenance) neither repeats it nor is told to replace anything. The
 * resource is replaced only with the Bootstrap (`replaceWith`), which is what the
 * recovery command does.
 */
"use strict";

const { createTalosClient } = require("./talos");
const { parseHostPort } = require("./endpoints");
const { Day2Error, Day2InputError, redact } = require("./errors");
const { delay } = require("./retry");

/**
 * The check's inputs, schema 1. Every field is stored in state as an output too.
 * @typedef {object} BootstrapCheckInputs
 * @property {1} schema
 * @property {string} cluster The cluster name; the resource id is `<cluster>-bootstrap-check`.
 * @property {string} node The bootstrap node's inventory name (its Talos hostname).
 * @property {string} ip The bootstrap node's IP: what its certificate carries.
 * @property {string | null} endpoint `host:port` to dial instead of `<ip>:50000` (em-infra:talosEndpoints), or null.
 * @property {{ caCertificate: string, clientCertificate: string, clientKey: string }} credentials Secret: the Secrets resource's clientConfiguration, base64 PEM.
 * @property {string} bootstrapUrn The Bootstrap resource's URN, for the recovery command.
 * @property {number} timeoutSeconds How long to wait for etcd. 180 in the program.
 * @property {number} pollMs Pause between two looks. 2000 in the program.
 */

/**
 * What the check needs of a Talos client (a real one, or a test's stand-in).
 * @typedef {object} BootstrapCheckClient
 * @property {(node: string) => Promise<import("./talos").TalosService[]>} serviceList
 * @property {(node: string) => Promise<import("./talos").EtcdMember[]>} etcdMemberList
 * @property {() => void} close
 */

/**
 * @typedef {object} BootstrapCheckOptions
 * @property {(inputs: BootstrapCheckInputs, callTimeoutMs: number) => BootstrapCheckClient} [connect] Makes the client. Default: a Talos client for the one node, one try per call.
 * @property {(line: string) => void} [log] Progress lines. Default: standard error, which `pulumi up` shows as plain text.
 */

/**
 * The dynamic provider: Pulumi's interface, create, diff and delete only.
 * @typedef {object} BootstrapCheckProvider
 * @property {(inputs: BootstrapCheckInputs) => Promise<{ id: string, outs: Omit<BootstrapCheckInputs, "credentials"> }>} create
 * @property {(id: string, olds: unknown, news: unknown) => Promise<{ changes: false }>} diff
 * @property {(id: string, olds: unknown) => Promise<void>} delete
 */

/** The longest a single call may take; the check's own deadline caps it further. */
const CALL_TIMEOUT_MS = 10000;

/**
 * The inputs, checked. A bad input is the program's bug, so the message names the field.
 * @param {unknown} raw
 * @returns {BootstrapCheckInputs}
 */
function checkInputs(raw) {
  const v = /** @type {Record<string, unknown>} */ (raw ?? {});
  const bad = (/** @type {string} */ what) =>
    new Day2InputError(`bootstrap check: ${what} (inputs schema ${String(v.schema)})`);
  if (v.schema !== 1) throw bad("unsupported inputs schema; this version reads schema 1");
  for (const key of ["cluster", "node", "ip", "bootstrapUrn"]) {
    if (typeof v[key] !== "string" || v[key] === "") throw bad(`${key} must be a non-empty string`);
  }
  if (v.endpoint !== null && v.endpoint !== undefined) {
    const hp = parseHostPort(v.endpoint);
    if (typeof hp === "string") throw bad(`endpoint: ${hp}`);
  }
  for (const key of ["timeoutSeconds", "pollMs"]) {
    const n = v[key];
    if (typeof n !== "number" || !Number.isFinite(n) || n <= 0)
      throw bad(`${key} must be a positive number`);
  }
  const c = v.credentials;
  if (c === null || typeof c !== "object") throw bad("credentials are missing");
  return /** @type {BootstrapCheckInputs} */ (
    /** @type {unknown} */ ({
      ...v,
      endpoint: v.endpoint ?? null,
    })
  );
}

/** @type {NonNullable<BootstrapCheckOptions["connect"]>} */
function defaultConnect(inputs, callTimeoutMs) {
  return createTalosClient({
    credentials: inputs.credentials,
    nodes: [{ name: inputs.node, ip: inputs.ip }],
    endpoints: inputs.endpoint === null ? {} : { [inputs.node]: inputs.endpoint },
    timeoutMs: callTimeoutMs,
    // The check polls on its own schedule: one try per call.
    retry: { attempts: 1, baseMs: 1, maxMs: 1 },
  });
}

/**
 * One look at the node: etcd's service, then the members. `ok` when etcd runs healthy
 * and lists the node as a voting member; otherwise `seen` says what was found.
 * @param {BootstrapCheckClient} client
 * @param {BootstrapCheckInputs} inputs
 * @returns {Promise<{ ok: boolean, seen: string }>}
 */
async function look(client, inputs) {
  const services = await client.serviceList(inputs.node);
  const etcd = services.find((s) => s.id === "etcd");
  if (etcd === undefined) {
    const ids = services.map((s) => s.id).join(", ") || "none";
    return { ok: false, seen: `no etcd service on ${inputs.node} (services: ${ids})` };
  }
  if (etcd.state !== "Running" || !etcd.healthy) {
    const health = etcd.healthUnknown ? "health unknown" : etcd.healthy ? "healthy" : "unhealthy";
    const why = etcd.lastMessage === "" ? "" : `: ${etcd.lastMessage}`;
    return { ok: false, seen: `etcd service on ${inputs.node}: ${etcd.state}, ${health}${why}` };
  }
  const members = await client.etcdMemberList(inputs.node);
  const listed = members.map((m) => `${m.hostname}${m.isLearner ? " (learner)" : ""}`).join(", ");
  const me = members.find(
    (m) =>
      m.hostname === inputs.node ||
      m.peerUrls.some((u) => {
        try {
          return new URL(u).hostname.replace(/^\[|\]$/g, "") === inputs.ip;
        } catch {
          return false;
        }
      }),
  );
  if (me === undefined)
    return { ok: false, seen: `etcd members: ${listed || "none"}; ${inputs.node} is not one` };
  if (me.isLearner)
    return { ok: false, seen: `etcd members: ${listed}; ${inputs.node} is only a learner` };
  return {
    ok: true,
    seen: `etcd running and healthy on ${inputs.node}, a voting member of ${members.length}`,
  };
}

/**
 * The error a check that timed out throws: what was seen last, why this happens, and
 * the command that bootstraps again.
 * @param {BootstrapCheckInputs} inputs
 * @param {string} seen
 */
function failureMessage(inputs, seen) {
  return [
    `bootstrap check: etcd on ${inputs.node} (${inputs.ip}) was not running and healthy with ${inputs.node} as a voting member within ${inputs.timeoutSeconds} s of the bootstrap.`,
    `Last seen: ${seen}.`,
    "The Talos provider can report a bootstrap that never happened (siderolabs/terraform-provider-talos #248), and no later run bootstraps again by itself.",
    "If the node is reachable and etcd never started, bootstrap again with:",
    `  npx pulumi up --replace '${inputs.bootstrapUrn}'`,
    `This re-runs the bootstrap on ${inputs.node}, which is safe only when etcd never started there.`,
    "If the node was unreachable or etcd was still starting, a plain `npx pulumi up` runs this check again.",
  ].join("\n");
}

/**
 * A bootstrap-check provider. Tests inject `connect` (and `log`); the program uses
 * {@link bootstrapCheck}, made with the defaults.
 * @param {BootstrapCheckOptions} [opts]
 * @returns {BootstrapCheckProvider}
 */
function createBootstrapCheckProvider(opts = {}) {
  const connect = opts.connect ?? defaultConnect;
  const log = opts.log ?? ((line) => process.stderr.write(`${line}\n`));

  /** @param {BootstrapCheckInputs} raw */
  async function create(raw) {
    const inputs = checkInputs(raw);
    const started = Date.now();
    const deadline = started + inputs.timeoutSeconds * 1000;
    const fragments = secretTexts(
      /** @type {Record<string, unknown>} */ (/** @type {unknown} */ (inputs.credentials)),
    );
    const client = connect(inputs, Math.min(CALL_TIMEOUT_MS, inputs.timeoutSeconds * 1000));
    /** @type {string | undefined} */
    let said;
    let seen = "nothing yet";
    let answered = false;
    try {
      for (;;) {
        let ok = false;
        try {
          ({ ok, seen } = await within(look(client, inputs), deadline - Date.now()));
          answered = true;
        } catch (e) {
          if (e instanceof Day2InputError) throw e;
          if (e instanceof DeadlineReached) {
            // A look cut short by the check's own deadline says nothing new: keep the
            // last real answer, if there was one.
            if (!answered)
              seen = `${inputs.node} (${inputs.ip}) did not answer before the deadline`;
          } else {
            answered = true;
            // A Day2Error already names the node, the call and what came back.
            const message = /** @type {Error} */ (e).message;
            seen = e instanceof Day2Error ? message : `${inputs.node}: ${message}`;
          }
        }
        seen = redact(seen, fragments);
        const secs = ((Date.now() - started) / 1000).toFixed(1);
        if (ok) {
          log(`bootstrap check: ${seen} (after ${secs} s)`);
          // The outputs keep no credentials: nothing reads them back (diff never asks
          // for a change, and there is no update).
          const { credentials: _credentials, ...outs } = inputs;
          return { id: `${inputs.cluster}-bootstrap-check`, outs };
        }
        if (seen !== said) {
          log(`bootstrap check: waiting (${secs} s): ${seen}`);
          said = seen;
        }
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(failureMessage(inputs, seen));
        await delay(Math.min(inputs.pollMs, left));
      }
    } finally {
      client.close();
    }
  }

  return {
    create,
    // Never a change: the check belongs to the bootstrap's creation only. A changed
    // input (new credentials, a node down for maintenance, a new provider version)
    // must not ask to replace it; replacing the Bootstrap replaces it (replaceWith).
    diff: async () => ({ changes: false }),
    // Nothing to undo: the check created nothing on the node.
    delete: async () => undefined,
  };
}

/** A look still running when the check's deadline came. */
class DeadlineReached extends Error {}

/**
 * `p`, or a {@link DeadlineReached} rejection once `ms` pass (at least 20 ms, so a
 * look started on the deadline still gets a chance).
 * @template T
 * @param {Promise<T>} p
 * @param {number} ms
 * @returns {Promise<T>}
 */
function within(p, ms) {
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineReached("deadline")), Math.max(ms, 20));
  });
  return /** @type {Promise<T>} */ (Promise.race([p, late])).finally(() => clearTimeout(timer));
}

/**
 * The credential texts in every form they may be shown, for redaction.
 * @param {Record<string, unknown>} credentials
 */
function secretTexts(credentials) {
  /** @type {string[]} */
  const out = [];
  for (const v of Object.values(credentials ?? {})) {
    if (typeof v !== "string" || v.length < 16) continue;
    out.push(v);
    const pem = Buffer.from(v, "base64").toString("utf8");
    for (const line of pem.split(/\r?\n/))
      if (line.length >= 16 && !line.startsWith("-----")) out.push(line.trim());
  }
  return out;
}

/** The provider the program's dynamic resource calls, with the defaults. */
const bootstrapCheck = createBootstrapCheckProvider();

module.exports = {
  bootstrapCheck,
  createBootstrapCheckProvider,
  checkBootstrapCheckInputs: checkInputs,
  bootstrapCheckFailureMessage: failureMessage,
};
