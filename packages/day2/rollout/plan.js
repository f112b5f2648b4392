// @ts-check
/**
 * The rollout's decisions, as pure functions over the provider's inputs and stored
 * outputs: input checks, the refusals `diff` raises at preview time, whether anything
 * changed, what each node still needs, the removal order and the etcd scale-down rule.
 * Nothing here dials anything.
 */
"use strict";

const { stackNameProblem } = require("../lib/stackName");
const crypto = require("node:crypto");
const { configRemovals, pathSupported } = require("../lib/removals");
const { checkSettings } = require("../lib/pve");

/**
 * @typedef {import("./types").RolloutInputs} RolloutInputs
 * @typedef {import("./types").RolloutOutputs} RolloutOutputs
 * @typedef {import("./types").RolledNode} RolledNode
 * @typedef {import("./types").LastRun} LastRun
 * @typedef {import("./types").RolloutProgress} RolloutProgress
 */

/** The value the Pulumi host passes for an input that is not known yet (preview). */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** The Node annotation that marks a cordon as the rollout's own. */
const CORDON_ANNOTATION = { key: "em-infra.dev/cordoned-by", value: "rollout" };

/** The output schema this code writes. */
const SCHEMA = 1;

/** @param {unknown} v */
const isUnknown = (v) => v === UNKNOWN;

/**
 * sha256 hex of a rendered configuration.
 * @param {string} text
 */
function configHash(text) {
  return crypto.createHash("sha256").update(String(text), "utf8").digest("hex");
}

/**
 * `1.36.0` or `v1.36.0` -> numbers; null when it is not a release version.
 * @param {unknown} v
 * @returns {{ major: number, minor: number, patch: number } | null}
 */
function parseVersion(v) {
  if (typeof v !== "string") return null;
  const m = /^v?(\d+)\.(\d+)\.(\d+)$/.exec(v);
  return m === null ? null : { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) };
}

/**
 * A release's numbers from a tag that may carry a pre-release or build suffix
 * (`v1.13.0-beta.1`, `v1.13.2+dirty`), compared by the release it belongs to, as
 * semver's ParseTolerant reads it for Talos's own compatibility checks; null when it is
 * no version at all.
 * @param {unknown} v
 * @returns {{ major: number, minor: number, patch: number } | null}
 */
function releaseOf(v) {
  if (typeof v !== "string") return null;
  const m = /^v?(\d+)\.(\d+)\.(\d+)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/.exec(v);
  return m === null ? null : { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) };
}

/**
 * Why Kubernetes may not move from `from` to `to`, as go-kubernetes' path.go allows
 * moves (any within a minor, patch downgrades included; one minor up; no minor
 * downgrade); null when it may.
 * @param {string} fromText
 * @param {string} toText
 * @returns {string | null}
 */
function pathRefusal(fromText, toText) {
  const from = parseVersion(fromText);
  const to = parseVersion(toText);
  if (from === null || to === null || pathSupported(from, to)) return null;
  if (compareVersions(to, from) < 0)
    return `downgrading Kubernetes from ${fromText} to ${toText} crosses a minor release, which upstream does not support (go-kubernetes path.go: within a minor any patch, up or down; one minor up at a time); go back only to a ${from.major}.${from.minor}.x release`;
  if (to.major !== from.major || to.minor > from.minor + 1)
    return `${fromText} -> ${toText} skips a minor release; Kubernetes upgrades one minor at a time: go to ${from.major}.${from.minor + 1}.x first`;
  return `${fromText} -> ${toText} is not an upgrade path go-kubernetes v0.2.38 (as Talos v1.13.9 pins it) knows (path.go), so its checks for that release are unknown; stay on ${from.major}.${from.minor}.x until em-infra carries a newer table`;
}

/**
 * Negative, zero or positive as `a` is older than, the same as or newer than `b`.
 * @param {{ major: number, minor: number, patch: number }} a
 * @param {{ major: number, minor: number, patch: number }} b
 */
function compareVersions(a, b) {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

/**
 * Structural checks of the inputs, as Pulumi's `check` reports them. Values not known
 * yet (preview) pass.
 * @param {any} news
 * @returns {{ property: string, reason: string }[]}
 */
function checkInputs(news) {
  /** @type {{ property: string, reason: string }[]} */
  const failures = [];
  const fail = (/** @type {string} */ property, /** @type {string} */ reason) =>
    failures.push({ property, reason });
  if (news === null || typeof news !== "object") {
    fail("", "inputs must be an object");
    return failures;
  }
  if (news.schema !== SCHEMA)
    fail("schema", `must be ${SCHEMA}, got ${JSON.stringify(news.schema)}`);
  if (typeof news.cluster !== "string" || news.cluster === "") fail("cluster", "must be a name");
  const stackProblem = news.stack === undefined ? undefined : stackNameProblem(news.stack);
  if (stackProblem !== undefined) fail("stack", stackProblem);
  if (!isUnknown(news.talosVersion) && parseVersion(news.talosVersion) === null)
    fail("talosVersion", `"${news.talosVersion}" is not a version like v1.13.0`);
  if (!isUnknown(news.kubernetesVersion) && parseVersion(news.kubernetesVersion) === null)
    fail("kubernetesVersion", `"${news.kubernetesVersion}" is not a version like 1.36.0`);
  if (!Number.isInteger(news.maxUnavailableWorkers) || news.maxUnavailableWorkers < 1)
    fail("maxUnavailableWorkers", "must be an integer of at least 1");
  const nodes = news.nodes;
  // In a preview the nodes are unknown until the images they name exist: nothing more
  // can be checked until then, and the update checks again with everything known.
  if (isUnknown(nodes)) return failures;
  if (nodes === null || typeof nodes !== "object" || Array.isArray(nodes)) {
    fail("nodes", "must be an object from node name to node");
    return failures;
  }
  for (const [name, n] of Object.entries(nodes)) {
    if (n?.role !== "controlplane" && n?.role !== "worker")
      fail(`nodes.${name}.role`, `must be controlplane or worker, got ${JSON.stringify(n?.role)}`);
    if (typeof n?.ip !== "string" && !isUnknown(n?.ip)) fail(`nodes.${name}.ip`, "must be an IP");
  }
  if (!isUnknown(news.configs)) {
    if (news.configs === null || typeof news.configs !== "object")
      fail("configs", "must be an object from node name to its rendered configuration");
    else
      for (const name of Object.keys(nodes))
        if (typeof news.configs[name] !== "string")
          fail(`configs.${name}`, "missing: every node needs its rendered configuration");
  }
  if (news.proxmox !== undefined && !isUnknown(news.proxmox)) {
    try {
      checkSettings(news.proxmox, { requireCredentials: false });
    } catch (e) {
      fail("proxmox", /** @type {Error} */ (e).message);
    }
  }
  for (const [name, n] of Object.entries(nodes)) {
    const h = n?.hardware;
    if (h === undefined || isUnknown(h)) continue;
    for (const f of /** @type {const} */ (["vmId", "cores", "memoryMiB", "diskGiB"]))
      if (!Number.isInteger(h?.[f]) || h[f] < 1)
        fail(
          `nodes.${name}.hardware.${f}`,
          `must be a positive integer, got ${JSON.stringify(h?.[f])}`,
        );
    if (typeof h?.host !== "string" || h.host === "")
      fail(`nodes.${name}.hardware.host`, "must be the Proxmox node's name");
  }
  if (!isUnknown(news.credentials))
    for (const f of ["caCertificate", "clientCertificate", "clientKey"])
      if (typeof news.credentials?.[f] !== "string")
        fail(`credentials.${f}`, "missing (the Secrets resource's clientConfiguration shape)");
  if (!isUnknown(news.bootstrapNode) && nodes[news.bootstrapNode]?.role !== "controlplane")
    fail("bootstrapNode", `"${news.bootstrapNode}" is not a control plane in nodes`);
  if (!Array.isArray(news.batches)) {
    fail("batches", "must be a list of lists of node names");
  } else {
    /** @type {Map<string, number>} */
    const seen = new Map();
    for (const batch of news.batches) {
      if (!Array.isArray(batch) || batch.length === 0) {
        fail("batches", "every batch must be a non-empty list of node names");
        continue;
      }
      const roles = new Set(batch.map((/** @type {string} */ b) => nodes[b]?.role));
      if (roles.has("controlplane") && batch.length > 1)
        fail("batches", `control planes go one per batch: [${batch.join(", ")}]`);
      if (
        roles.has("worker") &&
        Number.isInteger(news.maxUnavailableWorkers) &&
        batch.length > news.maxUnavailableWorkers
      )
        fail(
          "batches",
          `[${batch.join(", ")}] is wider than maxUnavailableWorkers (${news.maxUnavailableWorkers})`,
        );
      for (const b of batch) seen.set(b, (seen.get(b) ?? 0) + 1);
    }
    for (const name of Object.keys(nodes))
      if (seen.get(name) !== 1)
        fail("batches", `${name} must be in exactly one batch (found ${seen.get(name) ?? 0})`);
    for (const name of seen.keys())
      if (nodes[name] === undefined) fail("batches", `${name} is not in nodes`);
  }
  return failures;
}

/**
 * Stored outputs in today's shape, whatever iteration of the provider wrote them.
 * @param {any} olds
 * @returns {RolloutOutputs}
 */
function normalizeOutputs(olds) {
  const o = { ...(olds ?? {}) };
  delete o.__provider;
  // State written before outputs dropped them still holds the credentials.
  delete o.credentials;
  delete o.proxmox;
  const nodes = o.nodes ?? {};
  const configHashes = o.configHashes ?? {};
  /** @type {Record<string, RolledNode>} */
  const rolled = {};
  for (const name of Object.keys(nodes)) {
    const r = o.rolled?.[name];
    rolled[name] = {
      talosVersion: r?.talosVersion ?? o.talosVersion,
      schematic: r?.schematic ?? nodes[name].schematic,
      kubernetesVersion: r?.kubernetesVersion ?? o.kubernetesVersion,
      configHash: r?.configHash ?? configHashes[name] ?? "",
    };
    // State from before hardware was an input records none: the next update asks
    // Proxmox what is pending instead of trusting a size it never saw.
    const hw = r?.hardware ?? hardwareOf(nodes[name]);
    if (hw !== undefined) rolled[name].hardware = hw;
  }
  return { ...o, schema: SCHEMA, configHashes, rolled, lastRun: o.lastRun ?? null };
}

/** @param {any} n */
const networkKey = (n) =>
  JSON.stringify([n?.ip, n?.network?.cidr, n?.network?.gateway, n?.network?.prefixLength]);

/**
 * Names of nodes in `olds` but not in `news`, workers first, then control planes in
 * their old batch order.
 * @param {RolloutOutputs} olds
 * @param {RolloutInputs} news
 */
function removedNodes(olds, news) {
  const gone = Object.keys(olds.nodes ?? {}).filter((n) => news.nodes[n] === undefined);
  const order = (olds.batches ?? []).flat();
  const pos = (/** @type {string} */ n) => (order.includes(n) ? order.indexOf(n) : order.length);
  const byOrder = (/** @type {string} */ a, /** @type {string} */ b) => pos(a) - pos(b);
  return {
    workers: gone.filter((n) => olds.nodes[n].role === "worker").sort(byOrder),
    controlPlanes: gone.filter((n) => olds.nodes[n].role === "controlplane").sort(byOrder),
  };
}

/**
 * Names of nodes in `news` but not in `olds`.
 * @param {RolloutOutputs} olds
 * @param {RolloutInputs} news
 */
function addedNodes(olds, news) {
  return Object.keys(news.nodes).filter((n) => (olds.nodes ?? {})[n] === undefined);
}

/**
 * The edits the rollout refuses, each a message naming the node or field and what to
 * do instead. `diff` throws them, so `pulumi preview` already fails.
 * @param {any} oldsIn Stored outputs.
 * @param {RolloutInputs} news
 * @returns {string[]}
 */
function refusals(oldsIn, news) {
  const olds = normalizeOutputs(oldsIn);
  /** @type {string[]} */
  const out = [];
  for (const [name, n] of Object.entries(news.nodes)) {
    const o = olds.nodes?.[name];
    if (o === undefined || isUnknown(n.ip)) continue;
    if (networkKey(o) !== networkKey(n)) {
      const fields = [];
      if (o.ip !== n.ip) fields.push(`ip ${o.ip} -> ${n.ip}`);
      for (const f of /** @type {const} */ (["cidr", "gateway", "prefixLength"]))
        if (o.network?.[f] !== n.network?.[f])
          fields.push(`network.${f} ${o.network?.[f]} -> ${n.network?.[f]}`);
      out.push(
        `${name}: its network identity cannot change while it exists (${fields.join(", ")}); remove the node and add it back instead, in two separate pulumi up runs`,
      );
    }
  }
  out.push(...hardwareRefusals(olds, news));
  for (const name of Object.keys(olds.nodes ?? {})) {
    if (news.nodes[name] === undefined && olds.nodes[name].protect === true)
      out.push(
        `${name}: removing a protected node is refused; set protect: false in a separate pulumi up first, then remove it`,
      );
  }
  const ok = parseVersion(olds.kubernetesVersion);
  const nk = parseVersion(news.kubernetesVersion);
  if (ok !== null && nk !== null) {
    const path = pathRefusal(olds.kubernetesVersion, news.kubernetesVersion);
    if (path !== null) out.push(`kubernetesVersion: ${path}`);
    else if (!isUnknown(news.configs))
      // What the rendered configurations set that the step removes (the update checks
      // the running command lines again, and the API resources still in use).
      for (const [name, config] of Object.entries(news.configs ?? {}))
        for (const f of typeof config === "string" ? configRemovals(config, ok, nk) : [])
          out.push(`${name}: ${f}; remove it from the inventory before upgrading Kubernetes`);
  }
  const talosBump =
    !isUnknown(news.talosVersion) &&
    olds.talosVersion !== undefined &&
    olds.talosVersion !== news.talosVersion;
  const kubeBump =
    !isUnknown(news.kubernetesVersion) &&
    olds.kubernetesVersion !== undefined &&
    olds.kubernetesVersion !== news.kubernetesVersion;
  if (talosBump && kubeBump)
    out.push(
      `talosVersion (${olds.talosVersion} -> ${news.talosVersion}) and kubernetesVersion (${olds.kubernetesVersion} -> ${news.kubernetesVersion}) changed together; change one, pulumi up, then the other`,
    );
  const moved = endpointRefusal(olds, news);
  if (moved !== null) out.push(moved);
  if (kubeBump && nk !== null)
    for (const [name, rolled] of Object.entries(olds.rolled)) {
      if (news.nodes[name] === undefined) continue;
      const why = unsupportedKubernetes(news, rolled.talosVersion, nk);
      if (why !== null)
        out.push(
          `${name}: runs Talos ${rolled.talosVersion} (as recorded), which ${why}; bring every node to Talos ${news.talosVersion} first, then bump Kubernetes`,
        );
    }
  return out;
}

/**
 * The VM hardware the rollout tracks for a node: cores, memory, boot disk size and SCSI
 * controller.
 * @param {any} node A RolloutNode.
 * @returns {import("./types").RolledHardware | undefined}
 */
function hardwareOf(node) {
  const h = node?.hardware;
  if (h === undefined || h === null || isUnknown(h)) return undefined;
  return {
    cores: h.cores,
    memoryMiB: h.memoryMiB,
    diskGiB: h.diskGiB,
    ...(h.scsiController === undefined ? {} : { scsiController: h.scsiController }),
  };
}

/**
 * The hardware edits refused at preview: a disk cannot shrink (Proxmox only grows
 * one), and a disk cannot grow in the same update as a change that needs the VM
 * restarted. With `rebootAfterUpdate: false` the provider (bpg v0.111.1,
 * proxmoxtf/resource/vm/vm.go) writes cores and memory as pending, then refuses to
 * resize a disk of the running VM ("cannot resize disks while the VM is running"),
 * after the other edits were written.
 * @param {RolloutOutputs} olds
 * @param {RolloutInputs} news
 * @returns {string[]}
 */
function hardwareRefusals(olds, news) {
  /** @type {string[]} */
  const out = [];
  for (const [name, n] of Object.entries(news.nodes)) {
    const was = hardwareOf(olds.nodes?.[name]);
    const now = hardwareOf(n);
    if (was === undefined || now === undefined) continue;
    if (now.diskGiB < was.diskGiB) {
      out.push(
        `${name}: diskGiB ${was.diskGiB} -> ${now.diskGiB}: Proxmox cannot shrink a disk; keep ${was.diskGiB} or more (to get a smaller disk, remove the node and add it back, in two pulumi up runs)`,
      );
      continue;
    }
    const restart = [];
    if (now.cores !== was.cores) restart.push(`cores ${was.cores} -> ${now.cores}`);
    if (now.memoryMiB !== was.memoryMiB)
      restart.push(`memoryMiB ${was.memoryMiB} -> ${now.memoryMiB}`);
    if (now.scsiController !== was.scsiController)
      restart.push(`proxmox.scsiController ${was.scsiController} -> ${now.scsiController}`);
    if (now.diskGiB > was.diskGiB && restart.length > 0)
      out.push(
        `${name}: diskGiB ${was.diskGiB} -> ${now.diskGiB} together with ${restart.join(", ")}: the Proxmox provider cannot resize the disk of a running VM in the same update as a change that needs a restart; make the two edits in two pulumi up runs (the disk first, then the rest, or the other way round)`,
      );
  }
  return out;
}

/**
 * The VM restarts a hardware edit brings, in the order the rollout takes them (control
 * planes one at a time, the bootstrap node last, then worker batches), each with what
 * changed against what was last rolled. A node whose recorded hardware is unknown
 * (older state) is left out: the rollout asks Proxmox whether anything is pending.
 * @param {any} oldsIn Stored outputs.
 * @param {RolloutInputs} news
 * @returns {{ node: string, role: "controlplane" | "worker", place: string, changes: string[] }[]}
 */
function hardwareRestarts(oldsIn, news) {
  const olds = normalizeOutputs(oldsIn);
  /** @type {{ node: string, role: "controlplane" | "worker", place: string, changes: string[] }[]} */
  const out = [];
  const batches = Array.isArray(news.batches) ? news.batches : [];
  const cpBatches = batches.filter((b) => news.nodes[b[0]]?.role === "controlplane").length;
  let cp = 0;
  let w = 0;
  for (const batch of batches) {
    const isCp = news.nodes[batch[0]]?.role === "controlplane";
    const place = isCp
      ? `control plane ${++cp}/${cpBatches}`
      : `workers batch ${++w}/${batches.length - cpBatches}`;
    for (const node of batch) {
      const was = olds.rolled[node]?.hardware;
      const now = hardwareOf(news.nodes[node]);
      if (was === undefined || now === undefined) continue;
      const changes = [];
      if (now.cores !== was.cores) changes.push(`cores ${was.cores} -> ${now.cores}`);
      if (now.memoryMiB !== was.memoryMiB)
        changes.push(`memoryMiB ${was.memoryMiB} -> ${now.memoryMiB}`);
      if (now.diskGiB !== was.diskGiB) changes.push(`diskGiB ${was.diskGiB} -> ${now.diskGiB}`);
      if (was.scsiController !== undefined && now.scsiController !== was.scsiController)
        changes.push(`scsiController ${was.scsiController} -> ${now.scsiController}`);
      if (changes.length > 0) out.push({ node, role: news.nodes[node].role, place, changes });
    }
  }
  return out;
}

/**
 * Why a node running `talosVersion` cannot run Kubernetes `kube`, from the inputs'
 * support table; null when it can, or when the table does not know that Talos minor.
 * @param {RolloutInputs} news
 * @param {string} talosVersion
 * @param {{ major: number, minor: number }} kube
 * @returns {string | null}
 */
function unsupportedKubernetes(news, talosVersion, kube) {
  const t = releaseOf(talosVersion);
  const row =
    t === null ? undefined : news.kubernetesSupport?.find((r) => r.talosMinor === t.minor);
  if (row === undefined || kube.major !== 1) return null;
  if (kube.minor >= row.oldestKubernetesMinor && kube.minor <= row.newestKubernetesMinor)
    return null;
  return `runs Kubernetes 1.${row.oldestKubernetesMinor} to 1.${row.newestKubernetesMinor}, not ${kube.major}.${kube.minor}`;
}

/** `https://10.20.0.11:6443` -> `10.20.0.11`. @param {string} url */
function endpointHost(url) {
  try {
    return new URL(url).hostname.replace(/^\[(.*)\]$/, "$1");
  } catch {
    return url;
  }
}

/**
 * The cluster endpoint is in every node's configuration and every kubeconfig, so it may
 * not move, with one exception: onto a new VIP while the control plane that served as
 * the endpoint stays, which is how a cluster gets ready to lose that node.
 * @param {RolloutOutputs} olds
 * @param {RolloutInputs} news
 * @returns {string | null}
 */
function endpointRefusal(olds, news) {
  const was = olds.clusterEndpoint;
  const now = news.clusterEndpoint;
  if (was === undefined || now === undefined || isUnknown(now) || was === now) return null;
  const oldHost = endpointHost(was);
  const holder = Object.entries(news.nodes).find(
    ([, n]) => n.ip === oldHost && n.role === "controlplane",
  );
  const ontoNewVip =
    (olds.vip ?? null) === null &&
    typeof news.vip === "string" &&
    endpointHost(now) === news.vip &&
    holder !== undefined;
  if (ontoNewVip) return null;
  const why =
    (olds.vip ?? null) !== null
      ? `the vip changed from ${olds.vip} to ${news.vip ?? "none"}`
      : `without a vip the endpoint is the first control plane in nodes.yaml, and ${oldHost} ${holder === undefined ? "is no longer a control plane there" : "is no longer first"}`;
  return `clusterEndpoint: the cluster endpoint would move from ${was} to ${now} (${why}); every node's configuration and every kubeconfig name it, so the API would be lost mid-rollout. Undo that edit; to remove or reorder that control plane, give the cluster a vip first, in a pulumi up of its own, then make the edit`;
}

/**
 * The comparable part of inputs or outputs: every field but the configurations (whose
 * hashes stand in for them) and what the rollout records.
 * @param {any} v
 * @param {Record<string, string>} hashes
 */
function comparable(v, hashes) {
  // The backup settings and the waits are read at the next update; changing them alone
  // rolls nothing.
  const {
    configs: _c,
    configHashes: _h,
    rolled: _r,
    lastRun: _l,
    __provider: _p,
    // Not stored in the outputs (outputsFor), and new credentials alone roll nothing.
    credentials: _cr,
    backups: _b,
    waits: _w,
    kubernetesSupport: _k,
    // The Proxmox API settings carry a secret and say nothing about the cluster.
    proxmox: _x,
    ...rest
  } = v;
  return JSON.stringify(sortKeys({ ...rest, configHashes: hashes }));
}

/** @param {any} v @returns {any} */
function sortKeys(v) {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v === null || typeof v !== "object") return v;
  return Object.fromEntries(
    Object.keys(v)
      .sort()
      .map((k) => [k, sortKeys(v[k])]),
  );
}

/**
 * The configuration hashes of the inputs (an unknown configuration hashes as unknown).
 * @param {RolloutInputs} news
 */
function hashesOf(news) {
  /** @type {Record<string, string>} */
  const out = {};
  const configs = isUnknown(news.configs) ? {} : (news.configs ?? {});
  for (const name of Object.keys(news.nodes)) {
    const c = configs[name];
    out[name] = c === undefined || isUnknown(c) ? UNKNOWN : configHash(c);
  }
  return out;
}

/**
 * Whether anything the rollout cares about differs between the stored outputs and
 * the inputs (`__provider` never counts).
 * @param {any} oldsIn
 * @param {RolloutInputs} news
 */
function hasChanges(oldsIn, news) {
  const olds = normalizeOutputs(oldsIn);
  if (comparable(olds, olds.configHashes) !== comparable(news, hashesOf(news))) return true;
  // A run that failed left the cluster between states the outputs cannot tell apart (a
  // component half-way, a revert to the recorded version): the next up always updates,
  // and the update reads what runs.
  if (typeof olds.lastRun?.failed === "string") return true;
  // Stored state that lags the inputs (an older shape, a node rolled short).
  return Object.keys(news.nodes).some((n) => {
    const w = needs(olds.rolled[n], news, n);
    return w.talos || w.kubernetes || w.config || w.hardware;
  });
}

/**
 * What a node still needs, from what was last rolled to it.
 * @param {RolledNode | undefined} rolled
 * @param {RolloutInputs} news
 * @param {string} name
 */
function needs(rolled, news, name) {
  if (rolled === undefined)
    return { talos: false, kubernetes: false, config: false, hardware: false };
  const hash = news.configs?.[name] === undefined ? undefined : configHash(news.configs[name]);
  const hw = hardwareOf(news.nodes[name]);
  return {
    // Unknown (state from before hardware was tracked) counts: Proxmox is asked.
    hardware:
      hw !== undefined &&
      (rolled.hardware === undefined || JSON.stringify(hardwareOf(rolled)) !== JSON.stringify(hw)),
    talos:
      rolled.talosVersion !== news.talosVersion || rolled.schematic !== news.nodes[name].schematic,
    kubernetes: rolled.kubernetesVersion !== news.kubernetesVersion,
    config: hash !== undefined && rolled.configHash !== hash,
  };
}

/**
 * Why an update will disturb a control plane (and so wants an etcd snapshot first): a
 * control plane removed, one whose Talos or configuration changes, or a Kubernetes
 * upgrade (which restarts the API servers). Empty when it touches none.
 * @param {RolloutOutputs} olds Normalized stored outputs.
 * @param {RolloutInputs} news
 * @param {Record<string, RolledNode>} rolled
 * @returns {string[]}
 */
function controlPlaneRisks(olds, news, rolled) {
  /** @type {string[]} */
  const why = [];
  const gone = removedNodes(olds, news).controlPlanes;
  if (gone.length > 0) why.push(`removing ${gone.join(", ")}`);
  const cps = Object.keys(news.nodes).filter((n) => news.nodes[n].role === "controlplane");
  const talos = cps.filter((n) => needs(rolled[n], news, n).talos);
  if (talos.length > 0) why.push(`a Talos upgrade of ${talos.join(", ")}`);
  if (Object.keys(news.nodes).some((n) => needs(rolled[n], news, n).kubernetes))
    why.push(`a Kubernetes upgrade to ${news.kubernetesVersion}`);
  else {
    // After a failed Kubernetes step the stored targets may already equal the inventory's
    // (a revert, a fix), yet the update moves the control planes' components back or on,
    // as it reads what they run: that disturbs them as much as an upgrade does.
    const asked = olds.lastRun?.failed === undefined ? {} : (olds.lastRun?.asked ?? {});
    const moved = cps.filter((n) => asked[n] !== undefined);
    if (moved.length > 0) why.push(`a rerun of the failed Kubernetes step on ${moved.join(", ")}`);
  }
  const config = cps.filter((n) => needs(rolled[n], news, n).config);
  if (config.length > 0) why.push(`a configuration change on ${config.join(", ")}`);
  const hardware = cps.filter((n) => needs(rolled[n], news, n).hardware);
  if (hardware.length > 0) why.push(`a VM hardware change on ${hardware.join(", ")}`);
  return why;
}

/**
 * The backup settings in force: the inputs', else the defaults.
 * @param {RolloutInputs} news
 * @returns {import("./types").EtcdBackups}
 */
function etcdBackups(news) {
  const b = news.backups?.etcd;
  return {
    beforeRollout: b?.beforeRollout ?? true,
    keep: b?.keep ?? 10,
    dir: b?.dir ?? `backups/${news.stack ?? news.cluster}`,
  };
}

/**
 * Every node rolled to the current targets (what `create` records).
 * @param {RolloutInputs} news
 * @param {string[]} [only] Just these nodes.
 * @returns {Record<string, RolledNode>}
 */
function rolledAtTargets(news, only) {
  const hashes = hashesOf(news);
  /** @type {Record<string, RolledNode>} */
  const out = {};
  for (const name of only ?? Object.keys(news.nodes)) {
    out[name] = {
      talosVersion: news.talosVersion,
      schematic: news.nodes[name].schematic,
      kubernetesVersion: news.kubernetesVersion,
      configHash: hashes[name],
    };
    const hw = hardwareOf(news.nodes[name]);
    if (hw !== undefined) out[name].hardware = hw;
  }
  return out;
}

/**
 * The outputs for inputs `news` after rolling `rolled`.
 * @param {RolloutInputs} news
 * @param {Record<string, RolledNode>} rolled
 * @param {LastRun | null} lastRun
 * @returns {RolloutOutputs}
 */
function outputsFor(news, rolled, lastRun) {
  // No credentials: the next run gets them as inputs (Pulumi hands update and diff the
  // new inputs), and stored outputs are secret only as long as the engine marks them by
  // the input of the same name. Neither the configurations nor the Proxmox API settings
  // (a secret) are kept either.
  const {
    configs: _configs,
    credentials: _credentials,
    proxmox: _proxmox,
    ...rest
  } = /** @type {any} */ (news);
  delete rest.__provider;
  /** @type {Record<string, RolledNode>} */
  const kept = {};
  for (const name of Object.keys(news.nodes))
    if (rolled[name] !== undefined) kept[name] = rolled[name];
  return { ...rest, schema: SCHEMA, configHashes: hashesOf(news), rolled: kept, lastRun };
}

/**
 * The outputs a failed update leaves: the stored outputs as they were (never the new
 * inputs), with what the run finished merged in: each node's rolled state, and nodes
 * fully decommissioned dropped. So a rerun skips what was done, a control plane whose
 * removal failed is still recorded (its VM is not deleted while its etcd member may
 * remain), and reverting a failed bump is judged against the old targets.
 * @param {any} oldsIn Stored outputs.
 * @param {RolloutProgress} progress
 * @param {LastRun} lastRun
 * @returns {RolloutOutputs}
 */
function partialOutputs(oldsIn, progress, lastRun) {
  const olds = normalizeOutputs(oldsIn);
  const keep = (/** @type {string} */ n) => progress.removed[n] === undefined;
  /** @type {RolloutOutputs["nodes"]} */
  const nodes = {};
  /** @type {Record<string, string>} */
  const configHashes = {};
  /** @type {Record<string, RolledNode>} */
  const rolled = {};
  for (const [name, n] of Object.entries(olds.nodes ?? {})) {
    if (!keep(name)) continue;
    nodes[name] = n;
    if (olds.configHashes[name] !== undefined) configHashes[name] = olds.configHashes[name];
    rolled[name] = progress.rolled[name] ?? olds.rolled[name];
  }
  return {
    ...olds,
    nodes,
    configHashes,
    rolled,
    batches: filterBatches(olds.batches ?? [], keep),
    lastRun,
  };
}

/**
 * `batches` keeping only the nodes `keep` selects, empty batches dropped.
 * @param {readonly string[][]} batches
 * @param {(name: string) => boolean} keep
 */
function filterBatches(batches, keep) {
  return batches.map((b) => b.filter(keep)).filter((b) => b.length > 0);
}

/**
 * Omni's scale-down rule: quorum must hold now and after the member leaves. Returns the
 * refusal, or null when the member may go.
 * @param {{ total: number, healthy: number, leavingHealthy: boolean, node: string }} m
 * @returns {string | null}
 */
function scaleDownRefusal(m) {
  const quorum = (/** @type {number} */ n) => Math.floor(n / 2) + 1;
  if (m.healthy < quorum(m.total))
    return `etcd has no quorum now (${m.healthy} of ${m.total} members healthy, ${quorum(m.total)} needed)`;
  const total = m.total - 1;
  const healthy = m.healthy - (m.leavingHealthy ? 1 : 0);
  if (total === 0 || healthy < quorum(total))
    return `removing ${m.node} would break etcd quorum (${healthy} of ${total} remaining members healthy, ${quorum(total)} needed)`;
  return null;
}

module.exports = {
  UNKNOWN,
  SCHEMA,
  CORDON_ANNOTATION,
  configHash,
  parseVersion,
  releaseOf,
  pathRefusal,
  compareVersions,
  checkInputs,
  normalizeOutputs,
  removedNodes,
  addedNodes,
  refusals,
  hasChanges,
  hashesOf,
  needs,
  hardwareOf,
  hardwareRefusals,
  hardwareRestarts,
  rolledAtTargets,
  outputsFor,
  partialOutputs,
  controlPlaneRisks,
  unsupportedKubernetes,
  etcdBackups,
  endpointHost,
  filterBatches,
  scaleDownRefusal,
};
