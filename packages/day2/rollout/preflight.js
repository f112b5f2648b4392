// @ts-check
/**
 * The checks before a node is disturbed: etcd has as many healthy voting members as
 * there are control planes, no learners, no member errors, and every Node is Ready.
 * A rolling reboot of a 2-member etcd is refused outright: one reboot loses quorum.
 */
"use strict";

/** @typedef {import("./session").Session} Session */

/**
 * One etcd member as the rollout judges it.
 * @typedef {object} MemberHealth
 * @property {string} id
 * @property {string | undefined} node The inventory node it runs on, when known.
 * @property {string} hostname
 * @property {boolean} isLearner
 * @property {boolean} healthy
 * @property {string} why What was wrong, when not healthy.
 */

/**
 * The inventory node an etcd member runs on: by its peer URL's IP, else its hostname.
 * @param {Session} session
 * @param {import("../lib/talos").EtcdMember} m
 */
function memberNode(session, m) {
  for (const url of m.peerUrls) {
    const host = /^https?:\/\/\[?([^\]/]+?)\]?:\d+/.exec(url)?.[1];
    const byIp = Object.entries(session.allNodes).find(([, n]) => n.ip === host);
    if (byIp !== undefined) return byIp[0];
  }
  return session.allNodes[m.hostname] === undefined ? undefined : m.hostname;
}

/**
 * Every etcd member and its health: the member list from a peer, then each member's
 * own status (no errors) and its etcd service (healthy). A node that does not answer
 * is unhealthy.
 * @param {Session} session
 * @param {{ except?: string[] }} [opts] Peers not to ask.
 * @returns {Promise<{ peer: string, members: MemberHealth[] }>}
 */
async function etcdHealth(session, opts = {}) {
  const peer = await session.peer(opts.except ?? []);
  const list = await session.talos.etcdMemberList(peer);
  const members = await Promise.all(
    list.map(async (m) => {
      const node = memberNode(session, m);
      /** @type {MemberHealth} */
      const h = {
        id: m.id,
        node,
        hostname: m.hostname,
        isLearner: m.isLearner,
        healthy: false,
        why: "",
      };
      if (node === undefined) {
        h.why = "is not a node of the inventory";
        return h;
      }
      try {
        const [status, services] = await Promise.all([
          session.talos.etcdStatus(node),
          session.talos.serviceList(node),
        ]);
        const svc = services.find((s) => s.id === "etcd");
        if (status.errors.length > 0) h.why = `reports ${status.errors.join("; ")}`;
        else if (svc === undefined) h.why = "has no etcd service";
        else if (!svc.healthy)
          h.why = `etcd service is ${svc.state}${svc.lastMessage ? ` (${svc.lastMessage})` : ""}, not healthy`;
        else h.healthy = true;
      } catch (e) {
        h.why = `did not answer: ${/** @type {Error} */ (e).message}`;
      }
      return h;
    }),
  );
  return { peer, members };
}

/**
 * Throws when the cluster is not healthy enough to disturb a node.
 * @param {Session} session
 * @param {{ before: string, reboots: boolean }} what `before` names the next step in the message.
 */
async function preflight(session, what) {
  const news = session.news;
  /** @type {string[]} */
  const problems = [];
  const existing = (/** @type {string} */ n) =>
    session.olds.nodes?.[n] !== undefined && !session.leaving.has(n);
  const cps = session.controlPlanes().filter(existing);
  const { members } = await etcdHealth(session);
  const voters = members.filter((m) => !m.isLearner);
  if (what.reboots && voters.length === 2) {
    throw new Error(
      `refusing to roll ${what.before}: etcd has exactly 2 members (${voters.map((m) => m.node ?? m.hostname).join(", ")}), and rebooting either loses quorum; add a third control plane first, then run pulumi up again`,
    );
  }
  for (const m of members) {
    const who = m.node ?? m.hostname;
    if (m.isLearner) problems.push(`etcd member ${who} is a learner, not yet a voting member`);
    if (!m.healthy) problems.push(`etcd member ${who} ${m.why}`);
    if (m.node !== undefined && news.nodes[m.node]?.role !== "controlplane")
      problems.push(`etcd member ${who} is not a control plane of the inventory`);
  }
  const missing = cps.filter((cp) => !voters.some((m) => m.node === cp));
  if (missing.length > 0)
    problems.push(
      `etcd has ${voters.length} voting members for ${cps.length} control planes (not a member: ${missing.join(", ")})`,
    );
  const kube = await session.kube();
  const nodes = await kube.listNodes();
  for (const name of Object.keys(news.nodes).filter(existing)) {
    const n = nodes.find((x) => x.name === name);
    if (n === undefined) problems.push(`Node ${name} is not registered in Kubernetes`);
    else if (n.ready !== true)
      problems.push(`Node ${name} is not Ready (${n.readyReason || "no Ready condition"})`);
  }
  if (problems.length > 0)
    throw new Error(
      `preflight before ${what.before} refused, nothing was changed on it: ${problems.join("; ")}; fix the cluster, then run pulumi up again`,
    );
}

module.exports = { preflight, etcdHealth, memberNode };
