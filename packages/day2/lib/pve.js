// @ts-check
/**
 * A small Proxmox VE API client over node:https: only the calls the rollout makes to
 * reboot a VM through Proxmox (which applies its pending hardware changes), with the
 * facts of the PVE 9.1.3 API schema (test/facts/pve-api.json):
 *
 * - authentication by API token (`Authorization: PVEAPIToken=<user>@<realm>!<id>=<secret>`),
 *   or by username and password through `POST /access/ticket` (a `PVEAuthCookie` cookie,
 *   and the `CSRFPreventionToken` header on every write);
 * - every reply is `{"data": ...}`;
 * - a long-running call answers a task id (UPID), followed through
 *   `GET /nodes/{node}/tasks/{upid}/status` until `status` is `stopped`; it succeeded
 *   only when `exitstatus` is `OK`.
 *
 * Every call has a deadline; reads are retried a bounded number of times on a transport
 * failure or a 5xx, a write only when it never reached the server. An error names the
 * VM (`pve-a/121`), the call and what came back, and never carries the credentials.
 */
"use strict";

const https = require("node:https");
const { URLSearchParams } = require("node:url");
const { Day2Error, Day2InputError, isTlsRefusal } = require("./errors");
const { DEFAULT_RETRY, backoffMs, delay } = require("./retry");

/**
 * The Proxmox endpoint and credentials, as the provider takes them (`proxmoxve:*` stack
 * configuration or the `PROXMOX_VE_*` environment variables).
 * @typedef {object} PveSettings
 * @property {string} endpoint e.g. `https://pve1.example.internal:8006/`.
 * @property {string} [apiToken] `<user>@<realm>!<tokenid>=<secret>`.
 * @property {string} [username] `<user>@<realm>`, with `password`, when there is no token.
 * @property {string} [password]
 * @property {boolean} [insecure] Skip verifying the server certificate.
 * @property {string} [minTls] The oldest TLS version accepted: `1.0` to `1.3`; default `1.3`, as the provider's (bpg v0.111.1 proxmox/api/client.go, GetMinTLSVersion).
 */

/**
 * @typedef {object} PveClientOptions
 * @property {PveSettings} settings
 * @property {string | Buffer} [ca] Extra trusted CA (PEM), e.g. a test's fake.
 * @property {number} [timeoutMs] Per request. Default: 15000.
 * @property {import("./retry").RetryPolicy} [retry]
 */

/**
 * One pending entry of `GET /nodes/{node}/qemu/{vmid}/pending`.
 * @typedef {object} PendingEntry
 * @property {string} key
 * @property {string} [value] The current value.
 * @property {string} [pending] The value the next restart applies.
 * @property {number} [delete] Non-zero: the key is deleted at the next restart.
 */

/**
 * A VM as the client addresses it.
 * @typedef {object} PveVm
 * @property {string} host The Proxmox node the VM lives on.
 * @property {number} vmid
 * @property {string} [name] The inventory node, for messages.
 */

/** The Proxmox privileges the rollout needs on each VM (the schema's `permissions`). */
const REQUIRED_PRIVILEGES = Object.freeze(["VM.Audit", "VM.PowerMgmt"]);

/** The provider's minimum TLS versions, an empty one meaning 1.3. @type {Record<string, import("node:tls").SecureVersion>} */
const TLS_VERSIONS = {
  "": "TLSv1.3",
  1.3: "TLSv1.3",
  1.2: "TLSv1.2",
  1.1: "TLSv1.1",
  "1.0": "TLSv1",
};

/** Network failures that mean the request never reached the server. */
const NEVER_SENT = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH"]);

/**
 * The entries of a pending list that a restart would change.
 * @param {readonly PendingEntry[]} entries
 */
function pendingChanges(entries) {
  return entries.filter((e) => e.pending !== undefined || (e.delete ?? 0) !== 0);
}

/**
 * Checks the settings before anything is dialed. Without credentials they pass the
 * input check (`requireCredentials: false`): only a run that restarts a VM needs them.
 * @param {PveSettings} s
 * @param {{ requireCredentials?: boolean }} [opts]
 * @returns {URL}
 */
function checkSettings(s, opts = {}) {
  if (s === null || typeof s !== "object" || typeof s.endpoint !== "string")
    throw new Day2InputError(
      "Proxmox API: no endpoint (proxmoxve:endpoint or PROXMOX_VE_ENDPOINT)",
    );
  /** @type {URL} */
  let url;
  try {
    url = new URL(s.endpoint);
  } catch {
    throw new Day2InputError(`Proxmox API: endpoint "${s.endpoint}" is not a URL`);
  }
  if (url.protocol !== "https:")
    throw new Day2InputError(`Proxmox API: endpoint "${s.endpoint}" is not https`);
  if (s.apiToken !== undefined && !/^[^\s@!]+@[^\s@!]+![^\s=]+=\S+$/.test(s.apiToken))
    throw new Day2InputError(
      "Proxmox API: the API token is not <user>@<realm>!<tokenid>=<secret> (proxmoxve:apiToken or PROXMOX_VE_API_TOKEN)",
    );
  if (
    opts.requireCredentials !== false &&
    s.apiToken === undefined &&
    (s.username === undefined || s.password === undefined)
  )
    throw new Day2InputError(
      "Proxmox API: no credentials: an API token (proxmoxve:apiToken or PROXMOX_VE_API_TOKEN), or a username and password",
    );
  if (s.minTls !== undefined && TLS_VERSIONS[s.minTls.trim()] === undefined)
    throw new Day2InputError(`Proxmox API: minTls "${s.minTls}" is not one of 1.0, 1.1, 1.2, 1.3`);
  return url;
}

class PveClient {
  /** @param {PveClientOptions} opts */
  constructor(opts) {
    /** @private */ this.base = checkSettings(opts.settings);
    /** @private */ this.settings = opts.settings;
    /** @private */ this.timeoutMs = opts.timeoutMs ?? 15000;
    /** @private */ this.retry = { ...DEFAULT_RETRY, ...(opts.retry ?? {}) };
    /** @private */ this.agent = new https.Agent({
      keepAlive: true,
      rejectUnauthorized: opts.settings.insecure !== true,
      minVersion: TLS_VERSIONS[(opts.settings.minTls ?? "").trim()] ?? "TLSv1.3",
      ...(opts.ca === undefined ? {} : { ca: opts.ca }),
    });
    /** @private @type {{ ticket: string, csrf: string } | undefined} */
    this.ticket = undefined;
    /** The secrets an error text must never carry. @private */
    this.secrets = [opts.settings.apiToken, opts.settings.password]
      .filter((s) => typeof s === "string" && s.length > 0)
      .flatMap((s) => [/** @type {string} */ (s), /** @type {string} */ (s).split("=").pop() ?? ""])
      .filter((s) => s.length >= 4);
  }

  /** @private @param {string} text */
  scrub(text) {
    let out = text;
    for (const s of this.secrets) out = out.split(s).join("[redacted]");
    return out.replace(/PVEAuthCookie=[^;\s]+/g, "PVEAuthCookie=[redacted]");
  }

  /**
   * The effective privileges of these credentials on `path` (`/vms/121`): privilege
   * name -> whether it propagates. A token may read its own.
   * @param {string} path
   * @returns {Promise<Record<string, number>>}
   */
  async permissions(path) {
    const data = await this.call("GET", "/access/permissions", { path }, path);
    const forPath = data?.[path];
    return forPath !== null && typeof forPath === "object" ? forPath : {};
  }

  /**
   * Which of `privileges` these credentials lack on the VM.
   * @param {PveVm} vm
   * @param {readonly string[]} [privileges]
   */
  async missingPrivileges(vm, privileges = REQUIRED_PRIVILEGES) {
    const have = await this.permissions(`/vms/${vm.vmid}`);
    return privileges.filter((p) => have[p] === undefined);
  }

  /**
   * The VM's configuration with current and pending values.
   * @param {PveVm} vm
   * @returns {Promise<PendingEntry[]>}
   */
  async pending(vm) {
    const data = await this.call(
      "GET",
      `/nodes/${encodeURIComponent(vm.host)}/qemu/${vm.vmid}/pending`,
      {},
      vmName(vm),
    );
    if (!Array.isArray(data))
      throw new Day2Error({
        target: vmName(vm),
        call: "GET pending",
        code: "BAD_REPLY",
        details: "the reply's data is not a list",
        attempts: 1,
      });
    return data;
  }

  /**
   * The VM's run state (`status`: running or stopped, `uptime`).
   * @param {PveVm} vm
   * @returns {Promise<{ status: string, uptime?: number }>}
   */
  async status(vm) {
    return this.call(
      "GET",
      `/nodes/${encodeURIComponent(vm.host)}/qemu/${vm.vmid}/status/current`,
      {},
      vmName(vm),
    );
  }

  /**
   * Reboots the VM through Proxmox ("shutting it down, and starting it again. Applies
   * pending changes.") and waits for the task to end with exit status OK.
   * @param {PveVm} vm
   * @param {{ timeoutMs: number, pollMs?: number, shutdownTimeoutSeconds?: number }} how
   */
  async reboot(vm, how) {
    const upid = await this.call(
      "POST",
      `/nodes/${encodeURIComponent(vm.host)}/qemu/${vm.vmid}/status/reboot`,
      how.shutdownTimeoutSeconds === undefined ? {} : { timeout: how.shutdownTimeoutSeconds },
      vmName(vm),
    );
    if (typeof upid !== "string" || !upid.startsWith("UPID:"))
      throw new Day2Error({
        target: vmName(vm),
        call: "POST status/reboot",
        code: "BAD_REPLY",
        details: `expected a task id (UPID), got ${JSON.stringify(upid)}`,
        attempts: 1,
      });
    return this.waitTask(vm, upid, how);
  }

  /**
   * Follows a task until it stopped; throws unless its exit status is OK.
   * @param {PveVm} vm For messages; the task is read on `vm.host`.
   * @param {string} upid
   * @param {{ timeoutMs: number, pollMs?: number }} how
   */
  async waitTask(vm, upid, how) {
    const deadline = Date.now() + how.timeoutMs;
    const path = `/nodes/${encodeURIComponent(vm.host)}/tasks/${encodeURIComponent(upid)}/status`;
    for (;;) {
      const t = await this.call("GET", path, {}, vmName(vm));
      if (t?.status === "stopped") {
        if (t.exitstatus === "OK") return t;
        throw new Day2Error({
          target: vmName(vm),
          call: `task ${t.type ?? upid}`,
          code: "TASK_FAILED",
          details: `the task ${upid} ended with exit status ${JSON.stringify(t.exitstatus ?? null)}`,
          attempts: 1,
        });
      }
      if (Date.now() >= deadline)
        throw new Day2Error({
          target: vmName(vm),
          call: `task ${t?.type ?? upid}`,
          code: "TIMEOUT",
          details: `the task ${upid} was still ${t?.status ?? "unknown"} after ${how.timeoutMs} ms`,
          attempts: 1,
        });
      await delay(Math.min(how.pollMs ?? 1000, Math.max(1, deadline - Date.now())));
    }
  }

  /**
   * One API call, with `{"data": ...}` unwrapped. Reads retry; writes only when the
   * request never reached the server.
   * @private
   * @param {"GET" | "POST"} method
   * @param {string} path Under `/api2/json`.
   * @param {Record<string, string | number>} params
   * @param {string} target
   * @returns {Promise<any>}
   */
  async call(method, path, params, target) {
    const name = `${method} ${path.replace(/\/tasks\/[^/]+\//, "/tasks/{upid}/")}`;
    for (let attempt = 1; ; attempt++) {
      try {
        if (this.settings.apiToken === undefined && this.ticket === undefined)
          await this.login(target);
        return await this.once(method, path, params);
      } catch (e) {
        const err =
          /** @type {{ status?: number, code?: string, message: string, body?: string }} */ (e);
        if (err.status === 401 && this.settings.apiToken === undefined && attempt === 1) {
          // A ticket expires after two hours: log in again once.
          this.ticket = undefined;
          continue;
        }
        const transient =
          err.status === undefined
            ? !isTlsRefusal(err.message) && (method === "GET" || NEVER_SENT.has(err.code ?? ""))
            : err.status >= 500 && method === "GET";
        if (!transient || attempt >= this.retry.attempts) {
          throw new Day2Error({
            target,
            call: name,
            code:
              err.status !== undefined
                ? String(err.status)
                : isTlsRefusal(err.message)
                  ? "TLS"
                  : err.code === "ETIMEDOUT"
                    ? "TIMEOUT"
                    : err.code === "ECONNREFUSED"
                      ? "REFUSED"
                      : (err.code ?? "ERROR"),
            details: this.scrub(
              err.status !== undefined
                ? `${err.message}${err.body ? `: ${err.body}` : ""}`
                : err.message,
            ),
            attempts: attempt,
            ...(err.status === 401 || err.status === 403
              ? {
                  hint: `the Proxmox credentials need ${REQUIRED_PRIVILEGES.join(" and ")} on the VMs; see docs/operations.md`,
                }
              : {}),
          });
        }
        await delay(backoffMs(this.retry, attempt));
      }
    }
  }

  /** @private @param {string} target */
  async login(target) {
    const s = this.settings;
    try {
      const data = await this.once(
        "POST",
        "/access/ticket",
        {
          username: /** @type {string} */ (s.username),
          password: /** @type {string} */ (s.password),
        },
        true,
      );
      if (typeof data?.ticket !== "string")
        throw Object.assign(new Error("no ticket in the reply"), { status: 401 });
      this.ticket = { ticket: data.ticket, csrf: String(data.CSRFPreventionToken ?? "") };
    } catch (e) {
      const err = /** @type {{ status?: number, code?: string, message: string }} */ (e);
      throw new Day2Error({
        target,
        call: "POST /access/ticket",
        code: err.status !== undefined ? String(err.status) : (err.code ?? "ERROR"),
        details: this.scrub(err.message),
        attempts: 1,
        hint: "check the username and password (proxmoxve:username, proxmoxve:password)",
      });
    }
  }

  /**
   * @private
   * @param {"GET" | "POST"} method
   * @param {string} path
   * @param {Record<string, string | number>} params
   * @param {boolean} [anonymous] The login itself.
   * @returns {Promise<any>}
   */
  once(method, path, params, anonymous = false) {
    const query = new URLSearchParams(
      Object.fromEntries(Object.entries(params).map(([k, v]) => [k, String(v)])),
    ).toString();
    const basePath = this.base.pathname.replace(/\/+$/, "");
    const fullPath = `${basePath}/api2/json${path}${method === "GET" && query ? `?${query}` : ""}`;
    /** @type {Record<string, string>} */
    const headers = { accept: "application/json" };
    if (!anonymous) {
      if (this.settings.apiToken !== undefined)
        headers.authorization = `PVEAPIToken=${this.settings.apiToken}`;
      else if (this.ticket !== undefined) {
        headers.cookie = `PVEAuthCookie=${this.ticket.ticket}`;
        if (method !== "GET") headers.csrfpreventiontoken = this.ticket.csrf;
      }
    }
    const body = method === "POST" ? query : undefined;
    if (body !== undefined) {
      headers["content-type"] = "application/x-www-form-urlencoded";
      headers["content-length"] = String(Buffer.byteLength(body));
    }
    return new Promise((resolve, reject) => {
      const req = https.request(
        {
          host: this.base.hostname.replace(/^\[(.*)\]$/, "$1"),
          port: this.base.port === "" ? 8006 : Number(this.base.port),
          method,
          path: fullPath,
          headers,
          agent: this.agent,
          timeout: this.timeoutMs,
        },
        (res) => {
          /** @type {Buffer[]} */
          const chunks = [];
          res.on("data", (c) => chunks.push(c));
          res.on("error", reject);
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            const status = res.statusCode ?? 0;
            if (status < 200 || status >= 300) {
              reject(
                Object.assign(new Error(res.statusMessage || `HTTP ${status}`), {
                  status,
                  body: text.slice(0, 500),
                }),
              );
              return;
            }
            try {
              const parsed = JSON.parse(text);
              if (parsed === null || typeof parsed !== "object" || !("data" in parsed))
                throw new Error("no data field");
              resolve(parsed.data);
            } catch (e) {
              reject(
                Object.assign(
                  new Error(
                    `the reply is not a {"data": ...} envelope (${/** @type {Error} */ (e).message})`,
                  ),
                  { status },
                ),
              );
            }
          });
        },
      );
      req.on("timeout", () =>
        req.destroy(
          Object.assign(new Error(`no answer within ${this.timeoutMs} ms`), { code: "ETIMEDOUT" }),
        ),
      );
      req.on("error", reject);
      if (body !== undefined) req.write(body);
      req.end();
    });
  }

  close() {
    this.agent.destroy();
  }
}

/** @param {PveVm} vm */
function vmName(vm) {
  return `${vm.name === undefined ? "" : `${vm.name} (`}${vm.host}/${vm.vmid}${vm.name === undefined ? "" : ")"}`;
}

/**
 * A Proxmox API client.
 * @param {PveClientOptions} opts
 */
function createPveClient(opts) {
  return new PveClient(opts);
}

module.exports = {
  PveClient,
  createPveClient,
  pendingChanges,
  checkSettings,
  REQUIRED_PRIVILEGES,
};
