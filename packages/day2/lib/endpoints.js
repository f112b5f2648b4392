// @ts-check
/**
 * Where to dial. By default a node's Talos API is `<inventory ip>:50000` and the
 * Kubernetes API is the kubeconfig's server; the stack config `em-infra:talosEndpoints`
 * (node name -> `host:port`) and `em-infra:kubernetesEndpoint` (`host:port`) reach them
 * some other way (a tunnel, a management network, a test). TLS still verifies the
 * inventory address either way. Pure functions: the Pulumi program validates stack
 * config with them before the first resource.
 */
"use strict";

const net = require("node:net");
const { Day2InputError } = require("./errors");

/** The Talos API port (apid). */
const TALOS_API_PORT = 50000;

/**
 * @typedef {object} HostPort
 * @property {string} host A name or IP address, without brackets.
 * @property {number} port 1 to 65535.
 */

/**
 * Parses `host:port` (`[v6]:port` for IPv6). Returns a reason string when it is not one.
 * @param {unknown} value
 * @returns {HostPort | string}
 */
function parseHostPort(value) {
  if (typeof value !== "string")
    return `is ${value === null ? "null" : typeof value}, expected a "host:port" string`;
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]\s/]+)):([0-9]+)$/.exec(value);
  if (m === null) return `"${value}" is not host:port`;
  const host = m[1] ?? m[2];
  if (m[1] !== undefined && net.isIPv6(host) === false)
    return `"${value}": "${host}" is not an IPv6 address`;
  const port = Number(m[3]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    return `"${value}": port ${m[3]} is not between 1 and 65535`;
  }
  if (
    m[2] !== undefined &&
    !net.isIP(host) &&
    !/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(host)
  ) {
    return `"${value}": "${host}" is not a host name or IP address`;
  }
  return { host, port };
}

/**
 * `host:port` text, bracketing IPv6.
 * @param {HostPort} hp
 */
function formatHostPort(hp) {
  return net.isIPv6(hp.host) ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`;
}

/**
 * Checks a `talosEndpoints` value against the inventory's node names. Messages name
 * the entry as `<source>.<node>` for a config key (`em-infra:...`), else as
 * `<source>: <node>` (a file name).
 * @param {unknown} value The parsed config value (undefined when unset).
 * @param {readonly string[]} nodeNames
 * @param {string} [source] Names the setting or file in messages.
 * @returns {{ endpoints: Record<string, HostPort>, problems: string[] }}
 */
function checkTalosEndpoints(value, nodeNames, source = "em-infra:talosEndpoints") {
  /** @type {Record<string, HostPort>} */
  const endpoints = {};
  /** @type {string[]} */
  const problems = [];
  if (value === undefined || value === null) return { endpoints, problems };
  if (typeof value !== "object" || Array.isArray(value)) {
    problems.push(
      `${source} must be an object from node name to "host:port", got ${Array.isArray(value) ? "a list" : typeof value}`,
    );
    return { endpoints, problems };
  }
  const known = new Set(nodeNames);
  const at = (/** @type {string} */ name) =>
    source.startsWith("em-infra:") ? `${source}.${name}` : `${source}: ${name}`;
  for (const [name, raw] of Object.entries(value)) {
    if (!known.has(name)) {
      problems.push(
        `${at(name)}: "${name}" is not a node in the inventory (nodes: ${nodeNames.join(", ")})`,
      );
      continue;
    }
    const hp = parseHostPort(raw);
    if (typeof hp === "string") problems.push(`${at(name)}: ${hp}`);
    else endpoints[name] = hp;
  }
  return { endpoints, problems };
}

/**
 * As {@link checkTalosEndpoints}, throwing one Day2InputError listing every problem.
 * @param {unknown} value
 * @param {readonly string[]} nodeNames
 * @param {string} [source]
 */
function parseTalosEndpoints(value, nodeNames, source) {
  const { endpoints, problems } = checkTalosEndpoints(value, nodeNames, source);
  if (problems.length > 0) throw new Day2InputError(problems.join("\n"));
  return endpoints;
}

/**
 * Checks a `kubernetesEndpoint` value.
 * @param {unknown} value
 * @param {string} [source]
 * @returns {{ endpoint?: HostPort, problems: string[] }}
 */
function checkKubernetesEndpoint(value, source = "em-infra:kubernetesEndpoint") {
  if (value === undefined || value === null) return { problems: [] };
  const hp = parseHostPort(value);
  return typeof hp === "string"
    ? { problems: [`${source}: ${hp}`] }
    : { endpoint: hp, problems: [] };
}

/**
 * As {@link checkKubernetesEndpoint}, throwing on a problem.
 * @param {unknown} value
 * @param {string} [source]
 */
function parseKubernetesEndpoint(value, source) {
  const { endpoint, problems } = checkKubernetesEndpoint(value, source);
  if (problems.length > 0) throw new Day2InputError(problems.join("\n"));
  return endpoint;
}

/**
 * Where a node's Talos API is dialed: its override, else `<ip>:50000`.
 * @param {{ name: string, ip: string }} node
 * @param {Readonly<Record<string, HostPort>>} endpoints
 * @returns {HostPort}
 */
function talosDialTarget(node, endpoints) {
  return endpoints[node.name] ?? { host: node.ip, port: TALOS_API_PORT };
}

module.exports = {
  TALOS_API_PORT,
  parseHostPort,
  formatHostPort,
  checkTalosEndpoints,
  parseTalosEndpoints,
  checkKubernetesEndpoint,
  parseKubernetesEndpoint,
  talosDialTarget,
};
