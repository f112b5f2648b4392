// @ts-check
/**
 * A fake Proxmox VE API on 127.0.0.1 (port 0, HTTPS), serving only the endpoints in
 * the committed facts of the PVE 9.1.3 API schema (test/facts/pve-api.json, made by
 * `npm run facts` from apidata.js): their paths and methods, their parameters (unknown
 * ones refused, as `additionalProperties: 0` says; missing or out-of-range ones
 * refused), their return shapes, their permission checks (`check: ["perm", path,
 * privileges]`, `user: "all" | "world"`) and whether an API token may call them
 * (`allowtoken`). Every VM it holds belongs to a node of a fake cluster: its reboot
 * applies the pending values and reboots that fake Talos node (a new boot id).
 * packages/day2/fake/FIDELITY.md lists each behaviour, its source and its test.
 */
"use strict";

const https = require("node:https");
const { URLSearchParams } = require("node:url");
const crypto = require("node:crypto");
const certs = require("./certs");

/**
 * @typedef {import("./cluster").FakeCluster} FakeCluster
 * @typedef {{ readonly method: string, readonly path: string, readonly name: string, readonly allowtoken: boolean, readonly parameters: Readonly<Record<string, { readonly type?: string, readonly optional?: number, readonly minimum?: number, readonly maximum?: number, readonly enum?: readonly string[] }>>, readonly permissions: { readonly check?: readonly [string, string, readonly string[]], readonly user?: string }, readonly returns: any }} PveEndpointFacts
 */

/**
 * One VM of the fake: a fake cluster node's machine.
 * @typedef {object} FakeVmSpec
 * @property {string} node The fake cluster node it runs.
 * @property {number} vmid
 * @property {string} host The Proxmox node it lives on.
 * @property {number} cores
 * @property {number} memoryMiB
 * @property {number} diskGiB
 */

/**
 * @typedef {object} FakePveFaults
 * @property {string[]} rebootFails Nodes whose reboot task ends with an error exit status (nothing applied).
 * @property {string[]} neverComesBack Nodes whose VM is rebooted but whose guest never boots again.
 */

/**
 * @typedef {object} FakePveOptions
 * @property {{ readonly endpoints: readonly PveEndpointFacts[] }} facts test/facts/pve-api.json's `facts`.
 * @property {FakeCluster} cluster
 * @property {FakeVmSpec[]} vms
 * @property {string[]} [privileges] The token's (and user's) privileges on every VM. Default: VM.Audit, VM.PowerMgmt.
 * @property {number} [taskMs] How long a reboot task runs before the guest goes down. Default: 2.
 * @property {Partial<FakePveFaults>} [faults]
 */

const TOKEN_ID = "em-infra@pve!rollout";
const USER = "em-infra@pve";

class FakePve {
  /** @param {FakePveOptions} opts */
  constructor(opts) {
    /** @private */ this.opts = opts;
    /** @readonly */ this.cluster = opts.cluster;
    /** @readonly */ this.faults = {
      rebootFails: [...(opts.faults?.rebootFails ?? [])],
      neverComesBack: [...(opts.faults?.neverComesBack ?? [])],
    };
    /** Privileges the credentials hold on every VM path. */
    this.privileges = [...(opts.privileges ?? ["VM.Audit", "VM.PowerMgmt"])];
    /** @private */ this.secret = crypto.randomUUID();
    /** @private */ this.password = crypto.randomBytes(12).toString("hex");
    /** @private @type {Map<string, string>} ticket -> csrf */ this.tickets = new Map();
    /** @type {Map<number, { spec: FakeVmSpec, config: Record<string, string>, pending: Record<string, string>, status: string }>} */
    this.vms = new Map();
    for (const v of opts.vms)
      this.vms.set(v.vmid, {
        spec: v,
        config: {
          name: v.node,
          cores: String(v.cores),
          sockets: "1",
          memory: String(v.memoryMiB),
          scsihw: "virtio-scsi-pci",
          scsi0: diskValue(v, v.diskGiB),
        },
        pending: {},
        status: "running",
      });
    /** @private @type {Map<string, { status: string, exitstatus?: string, node: string, type: string, id: string, starttime: number }>} */
    this.tasks = new Map();
    /** @private */ this.pid = 4096;
    const { cert, key } = certs.proxmoxServerCert();
    /** @readonly */ this.ca = certs.proxmoxAuthority().caCert;
    /** @private */ this.server = https.createServer({ cert, key }, (req, res) =>
      this.handle(req, res),
    );
    /** @type {number} */ this.port = 0;
    /** Every request: for "no request leaves 127.0.0.1" and order checks. @type {{ method: string, path: string, status: number }[]} */
    this.requests = [];
  }

  async start() {
    await new Promise((resolve) => this.server.listen(0, "127.0.0.1", () => resolve(undefined)));
    const addr = this.server.address();
    this.port = typeof addr === "object" && addr !== null ? addr.port : 0;
    return this;
  }

  stop() {
    this.server.closeAllConnections();
    this.server.close();
  }

  /** The endpoint and token, as the provider and the rollout take them. */
  get settings() {
    return { endpoint: `https://127.0.0.1:${this.port}/`, apiToken: `${TOKEN_ID}=${this.secret}` };
  }

  /** The endpoint with a username and password instead of a token. */
  get passwordSettings() {
    return { endpoint: `https://127.0.0.1:${this.port}/`, username: USER, password: this.password };
  }

  /** The secrets the fake handed out, for leak checks. */
  secretMaterial() {
    return [this.secret, this.password];
  }

  /** @param {string} node */
  vm(node) {
    const v = [...this.vms.values()].find((x) => x.spec.node === node);
    if (v === undefined) throw new Error(`the fake Proxmox has no VM for ${node}`);
    return v;
  }

  /**
   * What the provider does with `rebootAfterUpdate: false` on a running VM
   * (bpg/terraform-provider-proxmox v0.111.1, proxmoxtf/resource/vm/vm.go): cores and
   * memory written to the configuration, which Proxmox keeps pending until a restart;
   * a disk grown online (no pending entry).
   * @param {string} node
   * @param {{ cores?: number, memoryMiB?: number, diskGiB?: number, scsiController?: string }} edit
   */
  providerUpdate(node, edit) {
    const v = this.vm(node);
    if (edit.scsiController !== undefined) v.pending.scsihw = edit.scsiController;
    if (edit.cores !== undefined) v.pending.cores = String(edit.cores);
    if (edit.memoryMiB !== undefined) v.pending.memory = String(edit.memoryMiB);
    if (edit.diskGiB !== undefined) v.config.scsi0 = diskValue(v.spec, edit.diskGiB);
  }

  /**
   * Starts a VM whose guest never came back (heals the neverComesBack fault).
   * @param {string} node
   */
  heal(node) {
    this.faults.neverComesBack = this.faults.neverComesBack.filter((n) => n !== node);
    this.faults.rebootFails = this.faults.rebootFails.filter((n) => n !== node);
    const f = this.cluster.faults.neverComesBack;
    const i = f.indexOf(node);
    if (i >= 0) {
      f.splice(i, 1);
      void this.cluster.node(node).rebootNow("VM started again");
    }
  }

  /**
   * @private
   * @param {import("node:http").IncomingMessage} req
   * @param {import("node:http").ServerResponse} res
   */
  handle(req, res) {
    /** @type {Buffer[]} */
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "https://127.0.0.1");
      const method = req.method ?? "GET";
      const reply = (/** @type {number} */ status, /** @type {any} */ body, reason = "") => {
        this.requests.push({ method, path: url.pathname, status });
        res.writeHead(status, reason || undefined, { "content-type": "application/json" });
        res.end(JSON.stringify(body));
      };
      const rel = url.pathname.replace(/^\/api2\/json/, "");
      if (rel === url.pathname) return reply(404, { data: null }, "Not Found");
      const found = this.route(method, rel);
      if (found === null)
        return reply(501, { data: null }, `Method '${method} ${rel}' not implemented`);
      const { ep, pathParams } = found;
      const params = { ...pathParams };
      const source =
        method === "GET" ? url.searchParams : new URLSearchParams(Buffer.concat(chunks).toString());
      for (const [k, v] of source) params[k] = v;
      // Who is calling.
      const who = this.principal(req, method);
      if (who === "bad-csrf")
        return reply(401, { data: null }, "Permission denied - invalid csrf token");
      if (ep.permissions.user !== "world") {
        if (who === null) return reply(401, { data: null }, "No ticket");
        if (who.token && !ep.allowtoken)
          return reply(401, { data: null }, "API token not allowed for this endpoint");
      }
      const errors = checkParams(ep, params);
      if (Object.keys(errors).length > 0)
        return reply(400, { data: null, errors }, "Parameter verification failed.");
      const check = ep.permissions.check;
      if (check !== undefined && check[0] === "perm") {
        const permPath = check[1].replace(/\{(\w+)\}/g, (_m, k) => String(params[k]));
        const missing = check[2].filter((p) => !this.privileges.includes(p));
        if (missing.length > 0)
          return reply(
            403,
            { data: null },
            `Permission check failed (${permPath}, ${missing.join("|")})`,
          );
      }
      try {
        const out = this.serve(ep, params, who);
        if (out.status !== undefined) return reply(out.status, { data: null }, out.reason);
        return reply(200, { data: out.data });
      } catch (e) {
        return reply(500, { data: null }, /** @type {Error} */ (e).message);
      }
    });
  }

  /**
   * @private
   * @param {string} method
   * @param {string} rel
   * @returns {{ ep: PveEndpointFacts, pathParams: Record<string, string> } | null}
   */
  route(method, rel) {
    for (const ep of this.opts.facts.endpoints) {
      if (ep.method !== method) continue;
      /** @type {string[]} */
      const names = [];
      const re = new RegExp(
        "^" +
          ep.path.replace(/\{(\w+)\}/g, (_m, k) => {
            names.push(k);
            return "([^/]+)";
          }) +
          "$",
      );
      const m = re.exec(rel);
      if (m === null) continue;
      return {
        ep,
        pathParams: Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(m[i + 1])])),
      };
    }
    return null;
  }

  /**
   * The caller: a token, a ticket's user, or nobody.
   * @private
   * @param {import("node:http").IncomingMessage} req
   * @param {string} method
   * @returns {{ token: boolean, id: string } | null | "bad-csrf"}
   */
  principal(req, method) {
    const auth = req.headers.authorization;
    if (typeof auth === "string" && auth.startsWith("PVEAPIToken="))
      return auth === `PVEAPIToken=${TOKEN_ID}=${this.secret}`
        ? { token: true, id: TOKEN_ID }
        : null;
    const ticket = /PVEAuthCookie=([^;\s]+)/.exec(String(req.headers.cookie ?? ""))?.[1];
    if (ticket === undefined || !this.tickets.has(ticket)) return null;
    if (method !== "GET" && req.headers.csrfpreventiontoken !== this.tickets.get(ticket))
      return "bad-csrf";
    return { token: false, id: USER };
  }

  /**
   * @private
   * @param {PveEndpointFacts} ep
   * @param {Record<string, string>} p
   * @param {{ token: boolean, id: string } | null | "bad-csrf"} who
   * @returns {{ data?: any, status?: number, reason?: string }}
   */
  serve(ep, p, who) {
    const id = who !== null && who !== "bad-csrf" ? who.id : "";
    switch (`${ep.method} ${ep.path}`) {
      case "POST /access/ticket": {
        if (p.username !== USER || p.password !== this.password)
          return { status: 401, reason: "authentication failure" };
        const ticket = `PVE:${USER}:${crypto.randomBytes(16).toString("hex")}`;
        const csrf = crypto.randomBytes(16).toString("hex");
        this.tickets.set(ticket, csrf);
        return { data: { username: USER, ticket, CSRFPreventionToken: csrf } };
      }
      case "GET /access/permissions": {
        const path = p.path ?? "/";
        // Effective privileges on the path, each with its propagate flag.
        return {
          data: { [path]: Object.fromEntries(this.privileges.map((x) => [x, 1])) },
        };
      }
      case "GET /nodes/{node}/qemu/{vmid}/pending": {
        const v = this.vmAt(p.node, Number(p.vmid));
        if (v === undefined)
          return {
            status: 500,
            reason: `Configuration file 'nodes/${p.node}/qemu-server/${p.vmid}.conf' does not exist`,
          };
        const keys = new Set([...Object.keys(v.config), ...Object.keys(v.pending)]);
        return {
          data: [...keys].sort().map((key) => ({
            key,
            ...(v.config[key] === undefined ? {} : { value: v.config[key] }),
            ...(v.pending[key] === undefined ? {} : { pending: v.pending[key] }),
          })),
        };
      }
      case "GET /nodes/{node}/qemu/{vmid}/status/current": {
        const v = this.vmAt(p.node, Number(p.vmid));
        if (v === undefined)
          return {
            status: 500,
            reason: `Configuration file 'nodes/${p.node}/qemu-server/${p.vmid}.conf' does not exist`,
          };
        return {
          data: {
            vmid: Number(p.vmid),
            name: v.config.name,
            status: v.status,
            ha: { managed: 0 },
            cpus: Number(v.config.cores),
            maxmem: Number(v.config.memory) * 1024 * 1024,
          },
        };
      }
      case "POST /nodes/{node}/qemu/{vmid}/status/reboot": {
        const v = this.vmAt(p.node, Number(p.vmid));
        if (v === undefined)
          return {
            status: 500,
            reason: `Configuration file 'nodes/${p.node}/qemu-server/${p.vmid}.conf' does not exist`,
          };
        if (v.status !== "running") return { status: 500, reason: `VM ${p.vmid} not running` };
        return { data: this.rebootTask(v, p.node, id) };
      }
      case "GET /nodes/{node}/tasks/{upid}/status": {
        const t = this.tasks.get(p.upid);
        if (t === undefined || t.node !== p.node) return { status: 500, reason: `no such task` };
        return {
          data: {
            upid: p.upid,
            node: t.node,
            pid: 0,
            pstart: 0,
            starttime: t.starttime,
            type: t.type,
            id: t.id,
            user: id,
            status: t.status,
            ...(t.exitstatus === undefined ? {} : { exitstatus: t.exitstatus }),
          },
        };
      }
      default:
        return { status: 501, reason: "not implemented by the fake" };
    }
  }

  /** @private @param {string} host @param {number} vmid */
  vmAt(host, vmid) {
    const v = this.vms.get(vmid);
    return v !== undefined && v.spec.host === host ? v : undefined;
  }

  /**
   * A `qmreboot` task: after `taskMs`, either fails (fault) with nothing applied, or
   * applies the pending values and reboots the guest (a fake Talos node), the task
   * ending once the guest went down and the VM was started again.
   * @private
   */
  rebootTask(
    /** @type {{ spec: FakeVmSpec, config: Record<string, string>, pending: Record<string, string>, status: string }} */ v,
    /** @type {string} */ host,
    /** @type {string} */ user,
  ) {
    const starttime = Math.floor(Date.now() / 1000);
    const pid = ++this.pid;
    const hex = (/** @type {number} */ n) => n.toString(16).toUpperCase().padStart(8, "0");
    const upid = `UPID:${host}:${hex(pid)}:${hex(pid * 7)}:${hex(starttime)}:qmreboot:${v.spec.vmid}:${user}:`;
    const task = {
      status: "running",
      node: host,
      type: "qmreboot",
      id: String(v.spec.vmid),
      starttime,
    };
    this.tasks.set(upid, task);
    const node = v.spec.node;
    this.cluster.log.record(node, "PVE reboot", "started", upid);
    setTimeout(() => {
      void (async () => {
        if (this.faults.rebootFails.includes(node)) {
          Object.assign(task, { status: "stopped", exitstatus: "VM quit/powerdown failed" });
          this.cluster.log.record(node, "PVE reboot", "failed");
          return;
        }
        Object.assign(v.config, v.pending);
        const applied = Object.keys(v.pending);
        v.pending = {};
        if (
          this.faults.neverComesBack.includes(node) &&
          !this.cluster.faults.neverComesBack.includes(node)
        )
          this.cluster.faults.neverComesBack.push(node);
        await this.cluster
          .node(node)
          .rebootNow(`Proxmox reboot (applied: ${applied.join(", ") || "nothing pending"})`);
        Object.assign(task, { status: "stopped", exitstatus: "OK" });
        this.cluster.log.record(node, "PVE reboot", "ok", applied.join(","));
      })();
    }, this.opts.taskMs ?? 2);
    return upid;
  }
}

/** @param {FakeVmSpec} v @param {number} gib */
function diskValue(v, gib) {
  return `local-lvm:vm-${v.vmid}-disk-0,discard=on,size=${gib}G,ssd=1`;
}

/**
 * The schema's parameter checks: unknown parameters (additionalProperties is 0 on
 * every endpoint recorded), missing required ones, integers and their bounds.
 * @param {PveEndpointFacts} ep
 * @param {Record<string, string>} params
 * @returns {Record<string, string>}
 */
function checkParams(ep, params) {
  /** @type {Record<string, string>} */
  const errors = {};
  for (const k of Object.keys(params))
    if (ep.parameters[k] === undefined)
      errors[k] =
        "property is not defined in schema and the schema does not allow additional properties";
  for (const [k, f] of Object.entries(ep.parameters)) {
    const v = params[k];
    if (v === undefined) {
      if (f.optional !== 1) errors[k] = "property is missing and it is not optional";
      continue;
    }
    if (f.type === "integer") {
      if (!/^-?\d+$/.test(v)) errors[k] = `type check ('integer') failed - got '${v}'`;
      else if (f.minimum !== undefined && Number(v) < f.minimum)
        errors[k] = `value must have a minimum value of ${f.minimum}`;
      else if (f.maximum !== undefined && Number(v) > f.maximum)
        errors[k] = `value may only be ${f.maximum}`;
    }
    if (f.enum !== undefined && !f.enum.includes(v))
      errors[k] = `value '${v}' does not have a value in the enumeration '${f.enum.join(", ")}'`;
  }
  return errors;
}

/**
 * Starts a fake Proxmox API for a fake cluster's nodes.
 * @param {FakePveOptions} opts
 */
async function startFakePve(opts) {
  return new FakePve(opts).start();
}

module.exports = { FakePve, startFakePve, checkParams };
