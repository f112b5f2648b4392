/**
 * The Proxmox API client against the fake Proxmox API, and the fake against the
 * committed facts of the PVE 9.1.3 API schema: paths, parameters, permission checks,
 * the `{"data": ...}` envelope, task ids, tokens and tickets, TLS.
 */
import { strict as assert } from "assert";
import * as https from "https";
import * as day2 from "../packages/day2";
import { startFakePve, type FakePve, type FakeCluster } from "../packages/day2/fake";
import { readFacts } from "../tools/facts";
import type { PveApiFacts } from "../tools/facts/pveApi";
import { fake, rejection } from "./support/day2";

const FACTS = readFacts<PveApiFacts>("pve-api").facts;

async function rig(privileges?: string[], faults?: { rebootFails?: string[] }) {
  const c = await fake({ nodes: [{ name: "cp-1", ip: "10.20.0.11", role: "controlplane" }] });
  const pve = await startFakePve({
    facts: FACTS,
    cluster: c,
    vms: [{ node: "cp-1", vmid: 111, host: "pve-a", cores: 2, memoryMiB: 4096, diskGiB: 32 }],
    ...(privileges === undefined ? {} : { privileges }),
    ...(faults === undefined ? {} : { faults }),
  });
  return { c, pve };
}

/** A client trusting the fake's CA, unless `ca` is null. */
function client(pve: FakePve, settings: object = pve.settings, ca: string | null = pve.ca) {
  return day2.createPveClient({
    settings: settings as Parameters<typeof day2.createPveClient>[0]["settings"],
    ...(ca === null ? {} : { ca }),
    timeoutMs: 1000,
    retry: { attempts: 2, baseMs: 5, maxMs: 10 },
  });
}

/** A raw request to the fake, for what the client never sends. */
function raw(pve: FakePve, method: string, path: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; reason: string; body: string }>((resolve, reject) => {
    const req = https.request(
      { host: "127.0.0.1", port: pve.port, method, path, headers, ca: pve.ca },
      (res) => {
        let body = "";
        res.on("data", (c) => (body += c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, reason: res.statusMessage ?? "", body }),
        );
      },
    );
    req.on("error", reject);
    req.end();
  });
}

const VM = { host: "pve-a", vmid: 111, name: "cp-1" };

describe("Proxmox API facts, client and fake", () => {
  let c: FakeCluster | undefined;
  let pve: FakePve | undefined;
  afterEach(() => {
    pve?.stop();
    c?.stop();
    pve = undefined;
    c = undefined;
  });

  it("the facts name the privileges the rollout needs and documents", () => {
    const perm = (method: string, path: string) =>
      FACTS.endpoints.find((e) => e.method === method && e.path === path)!.permissions.check;
    assert.deepEqual(perm("GET", "/nodes/{node}/qemu/{vmid}/pending"), [
      "perm",
      "/vms/{vmid}",
      ["VM.Audit"],
    ]);
    assert.deepEqual(perm("POST", "/nodes/{node}/qemu/{vmid}/status/reboot"), [
      "perm",
      "/vms/{vmid}",
      ["VM.PowerMgmt"],
    ]);
    assert.deepEqual([...day2.PVE_PRIVILEGES], ["VM.Audit", "VM.PowerMgmt"]);
    const ep = FACTS.endpoints.find((e) => e.path === "/access/permissions")!;
    assert.equal(ep.allowtoken, true);
    assert.equal(ep.permissions.user, "all");
    const reboot = FACTS.endpoints.find((e) => e.path.endsWith("/status/reboot"))!;
    assert.match(reboot.description, /Applies pending changes/);
    assert.deepEqual(Object.keys(reboot.parameters).sort(), ["node", "timeout", "vmid"]);
  });

  it("reads pending changes and reboots through a task that ends OK, with a token", async () => {
    ({ c, pve } = await rig());
    const p = client(pve);
    try {
      pve.providerUpdate("cp-1", { memoryMiB: 8192 });
      const entries = await p.pending(VM);
      assert.deepEqual(day2.pendingChanges(entries), [
        { key: "memory", value: "4096", pending: "8192" },
      ]);
      assert.ok(entries.some((e) => e.key === "cores" && e.value === "2" && !("pending" in e)));
      assert.equal((await p.status(VM)).status, "running");
      const boot = c.node("cp-1").bootId;
      const task = await p.reboot(VM, { timeoutMs: 2000, pollMs: 2 });
      assert.equal(task.exitstatus, "OK");
      assert.match(
        task.upid,
        /^UPID:pve-a:[0-9A-F]{8}:[0-9A-F]{8}:[0-9A-F]{8}:qmreboot:111:em-infra@pve!rollout:$/,
      );
      assert.deepEqual(day2.pendingChanges(await p.pending(VM)), []);
      assert.equal(pve.vm("cp-1").config.memory, "8192");
      await day2.waitFor(
        () => c!.node("cp-1").phase === "running" && c!.node("cp-1").bootId !== boot,
        {
          timeoutMs: 2000,
          describe: () => `cp-1 is ${c!.node("cp-1").phase}`,
        },
      );
      assert.deepEqual(await p.missingPrivileges(VM), []);
    } finally {
      p.close();
    }
  });

  it("logs in with a username and password, and sends the CSRF token on writes", async () => {
    ({ c, pve } = await rig());
    const p = client(pve, pve.passwordSettings);
    try {
      const task = await p.reboot(VM, { timeoutMs: 2000, pollMs: 2 });
      assert.equal(task.exitstatus, "OK");
      assert.deepEqual(pve.requests.map((r) => `${r.method} ${r.status}`).slice(0, 2), [
        "POST 200",
        "POST 200",
      ]);
      // Without a ticket or token, nothing but the login answers.
      const login = await raw(pve, "GET", "/api2/json/access/permissions");
      assert.equal(login.status, 401);
    } finally {
      p.close();
    }
  });

  it("a failed reboot task throws naming the VM, the task and its exit status", async () => {
    ({ c, pve } = await rig(undefined, { rebootFails: ["cp-1"] }));
    const p = client(pve);
    try {
      pve.providerUpdate("cp-1", { cores: 4 });
      const err = await rejection(p.reboot(VM, { timeoutMs: 2000, pollMs: 2 }));
      assert.match(
        err.message,
        /^cp-1 \(pve-a\/111\): task qmreboot failed: TASK_FAILED: .*"VM quit\/powerdown failed"/,
      );
      assert.equal(pve.vm("cp-1").pending.cores, "4", "nothing applied");
    } finally {
      p.close();
    }
  });

  it("refuses what the schema refuses: privileges, unknown paths and parameters, bad ids", async () => {
    ({ c, pve } = await rig(["VM.Audit"]));
    const p = client(pve);
    try {
      assert.deepEqual(await p.missingPrivileges(VM), ["VM.PowerMgmt"]);
      const err = await rejection(p.reboot(VM, { timeoutMs: 1000 }));
      assert.match(
        err.message,
        /cp-1 \(pve-a\/111\): POST \/nodes\/pve-a\/qemu\/111\/status\/reboot failed: 403: Permission check failed \(\/vms\/111, VM\.PowerMgmt\)/,
      );
      assert.match(err.message, /need VM\.Audit and VM\.PowerMgmt/);
      assert.ok(!err.message.includes(pve.secretMaterial()[0]), "the token secret leaked");
      const auth = { authorization: `PVEAPIToken=${pve.settings.apiToken}` };
      const unknown = await raw(pve, "GET", "/api2/json/nodes/pve-a/qemu/111/config", auth);
      assert.equal(unknown.status, 501);
      const extra = await raw(
        pve,
        "GET",
        "/api2/json/nodes/pve-a/qemu/111/pending?current=1",
        auth,
      );
      assert.equal(extra.status, 400);
      assert.match(JSON.parse(extra.body).errors.current, /not defined in schema/);
      const low = await raw(pve, "GET", "/api2/json/nodes/pve-a/qemu/99/pending", auth);
      assert.equal(low.status, 400);
      assert.match(JSON.parse(low.body).errors.vmid, /minimum value of 100/);
      const anon = await raw(pve, "GET", "/api2/json/nodes/pve-a/qemu/111/pending");
      assert.equal(anon.status, 401);
      const envelope = await raw(
        pve,
        "GET",
        "/api2/json/nodes/pve-a/qemu/111/status/current",
        auth,
      );
      assert.equal(JSON.parse(envelope.body).data.status, "running");
    } finally {
      p.close();
    }
  });

  it("verifies TLS unless insecure, honours minTls, and refuses bad settings before dialing", async () => {
    ({ c, pve } = await rig());
    const strict = client(pve, pve.settings, null);
    const loose = client(pve, { ...pve.settings, insecure: true }, null);
    try {
      const err = await rejection(strict.pending(VM));
      assert.match(err.message, /: TLS: /);
      assert.equal((await loose.pending(VM)).length > 0, true);
    } finally {
      strict.close();
      loose.close();
    }
    assert.throws(() => client(pve!, { ...pve!.settings, minTls: "1.4" }), /minTls "1.4"/);
    assert.throws(() => client(pve!, { endpoint: pve!.settings.endpoint }), /no credentials/);
    assert.throws(
      () => client(pve!, { endpoint: pve!.settings.endpoint, apiToken: "not-a-token" }),
      /is not <user>@<realm>!<tokenid>=<secret>/,
    );
    const old = client(pve, { ...pve.settings, minTls: "1.2" });
    try {
      assert.ok((await old.pending(VM)).length > 0);
    } finally {
      old.close();
    }
  });
});
