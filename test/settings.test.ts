/** The program's stack settings, resolved by a pure function. */
import { strict as assert } from "assert";
import * as path from "path";
import {
  SettingsError,
  proxmoxApiSettings,
  resolveEndpoints,
  resolveSettings,
} from "../lib/settings";

const ROOT = "/project";
const resolve = (config: Record<string, string>, secret: string[] = [], env = {}) =>
  resolveSettings(
    (k) => config[k],
    (k) => secret.includes(k),
    env,
    "dev",
    ROOT,
  );
const ENDPOINT = { "proxmoxve:endpoint": "https://pve:8006/" };

describe("settings", () => {
  it("defaults the inventory to inventory/<stack> and the health gate to on", () => {
    assert.deepEqual(resolve(ENDPOINT), {
      inventoryDir: path.join(ROOT, "inventory", "dev"),
      healthGate: true,
      talosEndpoints: undefined,
      kubernetesEndpoint: undefined,
    });
  });

  it("resolves em-infra:inventory against the project root, and takes an absolute one as is", () => {
    assert.equal(
      resolve({ ...ENDPOINT, "em-infra:inventory": "inventory/prod" }).inventoryDir,
      path.join(ROOT, "inventory", "prod"),
    );
    assert.equal(resolve({ ...ENDPOINT, "em-infra:inventory": "/inv" }).inventoryDir, "/inv");
  });

  it("accepts the endpoint from the provider's environment variable", () => {
    assert.equal(resolve({}, [], { PROXMOX_VE_ENDPOINT: "https://pve:8006/" }).healthGate, true);
  });

  it("names every problem at once", () => {
    assert.throws(
      () => resolve({ "proxmoxve:apiToken": "t", "em-infra:healthGate": "maybe" }, [], {}),
      (err: unknown) =>
        err instanceof SettingsError &&
        err.message.split("\n").length === 3 &&
        err.message.includes("proxmoxve:endpoint is not set") &&
        err.message.includes("proxmoxve:apiToken is stored in plaintext") &&
        err.message.includes('em-infra:healthGate: "maybe" is not true or false'),
    );
  });

  it("turns the health gate off only for the literal false", () => {
    assert.equal(resolve({ ...ENDPOINT, "em-infra:healthGate": "false" }).healthGate, false);
    assert.equal(
      resolve({ ...ENDPOINT, "proxmoxve:apiToken": "t" }, ["proxmoxve:apiToken"]).healthGate,
      true,
    );
  });

  it("reads em-infra:talosEndpoints as JSON and refuses text that is not", () => {
    const set = resolve({ ...ENDPOINT, "em-infra:talosEndpoints": '{"cp-1":"127.0.0.1:50001"}' });
    assert.deepEqual(set.talosEndpoints, { "cp-1": "127.0.0.1:50001" });
    assert.throws(
      () => resolve({ ...ENDPOINT, "em-infra:talosEndpoints": "cp-1=x" }),
      /em-infra:talosEndpoints: "cp-1=x" is not an object of node name to "host:port"/,
    );
  });

  it("checks the dial overrides against the inventory's nodes, every problem at once", () => {
    assert.deepEqual(
      resolveEndpoints(
        { talosEndpoints: { "cp-1": "127.0.0.1:50001" }, kubernetesEndpoint: "[::1]:6443" },
        ["cp-1", "w-1"],
      ),
      { talosEndpoints: { "cp-1": "127.0.0.1:50001" }, kubernetesEndpoint: "[::1]:6443" },
    );
    assert.throws(
      () =>
        resolveEndpoints(
          { talosEndpoints: { "cp-9": "127.0.0.1:1" }, kubernetesEndpoint: "nope" },
          ["cp-1"],
        ),
      (e: unknown) =>
        e instanceof SettingsError &&
        /em-infra:talosEndpoints\.cp-9: "cp-9" is not a node in the inventory/.test(e.message) &&
        /em-infra:kubernetesEndpoint: "nope" is not host:port/.test(e.message),
    );
  });
});

describe("proxmoxApiSettings", () => {
  it("takes each Proxmox API setting from stack config, else from the provider's variables", () => {
    const config: Record<string, string> = {
      "proxmoxve:endpoint": "https://pve1:8006/",
      "proxmoxve:insecure": "true",
    };
    const env = {
      PROXMOX_VE_ENDPOINT: "https://other:8006/",
      PROXMOX_VE_API_TOKEN: "em-infra@pve!pulumi=secret",
      PROXMOX_VE_MIN_TLS: "1.2",
    };
    assert.deepEqual(
      proxmoxApiSettings((k) => config[k], env),
      {
        endpoint: "https://pve1:8006/",
        apiToken: "em-infra@pve!pulumi=secret",
        insecure: true,
        minTls: "1.2",
      },
    );
    assert.deepEqual(
      proxmoxApiSettings(() => undefined, {
        PROXMOX_VE_ENDPOINT: "https://pve1:8006/",
        PROXMOX_VE_USERNAME: "root@pam",
        PROXMOX_VE_PASSWORD: "pw",
        PROXMOX_VE_INSECURE: "false",
      }),
      { endpoint: "https://pve1:8006/", username: "root@pam", password: "pw", insecure: false },
    );
  });
});
