// @ts-check
/**
 * VM hardware edits (cores, memory, boot disk size), rolled like every other edit.
 *
 * The provider never restarts a VM (`rebootAfterUpdate: false`): it writes cores and
 * memory to the VM's configuration, where Proxmox keeps them pending until a restart,
 * and grows a disk online, which Talos uses only at its next boot (EPHEMERAL is grown
 * to the disk when the volume is provisioned at boot; Talos v1.13.9
 * internal/app/machined/pkg/controllers/block/internal/volumes/grow.go). A reboot from
 * inside Talos does not apply Proxmox's pending values; `POST .../status/reboot` does
 * ("Reboot the VM by shutting it down, and starting it again. Applies pending changes."
 * in the PVE 9.1.3 API schema).
 *
 * So, for every node whose hardware differs from what was rolled: before anything is
 * touched, check that the credentials hold VM.Audit and VM.PowerMgmt on its VM, and ask
 * Proxmox what is pending. A node with pending entries, or whose disk grew, is rolled
 * through a Proxmox reboot in batch order (control planes one at a time with the
 * preflight's etcd checks, the bootstrap node last, workers by batch); a node with
 * nothing pending is only recorded. The Talos and configuration steps take the same
 * Proxmox reboot for a node they reboot anyway, so it reboots once.
 */
"use strict";

const { filterBatches, hardwareOf, needs } = require("./plan");
const { pendingChanges, REQUIRED_PRIVILEGES } = require("../lib/pve");
const { preflight } = require("./preflight");
const { rollThroughReboot, inParallel } = require("./node");

/**
 * @typedef {import("./session").Session} Session
 * @typedef {import("./types").RolledNode} RolledNode
 */

/**
 * Before anything is touched: the credentials' privileges on every VM whose hardware
 * changed, then what Proxmox has pending for it. Fills `session.hardwareReboots`.
 * @param {Session} session
 * @param {Record<string, RolledNode>} rolled
 */
async function hardwareCheck(session, rolled) {
  const news = session.news;
  const todo = Object.keys(news.nodes).filter((n) => needs(rolled[n], news, n).hardware);
  if (todo.length === 0) return;
  const pve = session.pve();
  /** @type {string[]} */
  const lacking = [];
  await inParallel(todo, async (n) => {
    const vm = session.vm(n);
    const missing = await pve.missingPrivileges(vm, REQUIRED_PRIVILEGES);
    if (missing.length > 0) lacking.push(`${missing.join(" and ")} on /vms/${vm.vmid} (${n})`);
  });
  if (lacking.length > 0)
    throw new Error(
      `the Proxmox credentials lack ${lacking.sort().join("; ")}; nothing was changed. Grant the token (or user) ${REQUIRED_PRIVILEGES.join(" and ")} on the VMs (docs/operations.md, Proxmox privileges), then run pulumi up again`,
    );
  await inParallel(todo, async (n) => {
    const vm = session.vm(n);
    const pending = pendingChanges(await pve.pending(vm));
    const was = rolled[n].hardware;
    const now = /** @type {import("./types").RolledHardware} */ (hardwareOf(news.nodes[n]));
    /** @type {string[]} */
    const why = [];
    if (pending.length > 0)
      why.push(
        `pending in Proxmox: ${pending.map((e) => (e.pending !== undefined ? `${e.key} ${e.value ?? "(unset)"} -> ${e.pending}` : `${e.key} deleted`)).join(", ")}`,
      );
    if (was !== undefined && now.diskGiB > was.diskGiB)
      why.push(`disk grown ${was.diskGiB} -> ${now.diskGiB} GiB (Talos grows EPHEMERAL at boot)`);
    if (why.length > 0) {
      session.hardwareReboots.set(n, why.join("; "));
      session.log(
        `${n}: VM ${vm.host}/${vm.vmid} needs a restart through Proxmox: ${why.join("; ")}`,
      );
    } else {
      session.log(`${n}: VM ${vm.host}/${vm.vmid} has nothing pending; its hardware is recorded`);
    }
  });
}

/**
 * The Proxmox reboot that replaces Talos's for `name`, when its VM has hardware to
 * apply in this run; undefined otherwise.
 * @param {Session} session
 * @param {string} name
 * @returns {{ what: string, run: () => Promise<unknown> } | undefined}
 */
function proxmoxReboot(session, name) {
  if (!session.hardwareReboots.has(name)) return undefined;
  return {
    what: "reboot through Proxmox (applies the VM's pending hardware)",
    run: async () => {
      await session.pve().reboot(session.vm(name), {
        timeoutMs: session.timing.nodeTimeoutMs,
        pollMs: session.timing.pollMs,
      });
      session.viaProxmox.add(name);
    },
  };
}

/**
 * Records the node's hardware as rolled once its VM was restarted through Proxmox in
 * this run (and it came back), or when nothing needed a restart.
 * @param {Session} session
 * @param {Record<string, RolledNode>} rolled
 * @param {string} name
 */
function recordHardware(session, rolled, name) {
  const hw = hardwareOf(session.news.nodes[name]);
  if (hw === undefined || rolled[name] === undefined) return;
  if (session.hardwareReboots.has(name) && !session.viaProxmox.has(name)) return;
  session.hardwareReboots.delete(name);
  rolled[name] = { ...rolled[name], hardware: hw };
}

/**
 * The hardware step: every node whose hardware still differs from what was rolled
 * (the Talos and configuration steps may have restarted some through Proxmox already).
 * @param {Session} session
 * @param {Record<string, RolledNode>} rolled Updated in place as nodes finish.
 */
async function hardwareStep(session, rolled) {
  const news = session.news;
  const todo = Object.keys(news.nodes).filter((n) => needs(rolled[n], news, n).hardware);
  if (todo.length === 0) return;
  for (const n of todo) if (!session.hardwareReboots.has(n)) recordHardware(session, rolled, n);
  const reboot = todo.filter((n) => session.hardwareReboots.has(n));
  if (reboot.length === 0) return;
  session.log(`VM hardware: ${reboot.join(", ")} to restart through Proxmox, in this order`);
  const batches = filterBatches(news.batches, (n) => reboot.includes(n));
  await session.eachBatch("VM hardware", batches, async (batch) => {
    session.checkpoint(`restarting ${batch.join(", ")} through Proxmox`);
    await session.step(batch.join(", "), "preflight", () =>
      preflight(session, {
        before: `restarting ${batch.join(", ")} through Proxmox`,
        reboots: true,
      }),
    );
    await inParallel(batch, async (n) => {
      const started = Date.now();
      await rollThroughReboot(session, n, {
        what: "VM hardware",
        after: "its restart through Proxmox",
        reboot: /** @type {{ what: string, run: () => Promise<unknown> }} */ (
          proxmoxReboot(session, n)
        ),
      });
      recordHardware(session, rolled, n);
      session.finished(n, "VM hardware, rebooted through Proxmox", Date.now() - started);
    });
    return true;
  });
}

module.exports = { hardwareCheck, hardwareStep, proxmoxReboot, recordHardware };
