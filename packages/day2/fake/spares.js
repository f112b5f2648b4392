// @ts-check
/**
 * Closed servers the fake keeps to listen again: a node's gRPC server across its boots,
 * and a stopped cluster's servers for a later cluster presenting the same certificates.
 * A new server costs a TLS context (about 1.5 ms of CPU), for some thousands of boots
 * and about 200 clusters in a test run; the certificates are the process's (certs.js).
 * Each server answers for whoever its route names now, and for no one while spare.
 */
"use strict";

/**
 * @template S, O
 */
class Spares {
  constructor() {
    /** Closed servers by what they serve and present. @private @type {Map<string, S[]>} */
    this.byKey = new Map();
    /** @private @type {WeakMap<object, { key: string, route: { owner: O | undefined } }>} */
    this.known = new WeakMap();
  }

  /**
   * A new server, made for `owner`: the route its handlers read.
   * @param {S} server
   * @param {string} key What it serves and presents: only an owner asking for the same takes it.
   * @param {O} owner
   * @returns {{ owner: O | undefined }}
   */
  add(server, key, owner) {
    const route = { owner: /** @type {O | undefined} */ (owner) };
    this.known.set(/** @type {object} */ (server), { key, route });
    return route;
  }

  /**
   * A closed server, its connections gone, kept for the next owner asking for its key.
   * Its route names no one: the last owner, and all it holds, can go.
   * @param {S} server
   * @returns {boolean} false for a server not made through add()
   */
  give(server) {
    const k = this.known.get(/** @type {object} */ (server));
    if (k === undefined) return false;
    k.route.owner = undefined;
    const list = this.byKey.get(k.key) ?? [];
    list.push(server);
    this.byKey.set(k.key, list);
    return true;
  }

  /**
   * A spare server with `key`, which answers for `owner` from now on.
   * @param {string} key
   * @param {O} owner
   * @returns {S | undefined}
   */
  take(key, owner) {
    const server = this.byKey.get(key)?.pop();
    const k = server === undefined ? undefined : this.known.get(/** @type {object} */ (server));
    if (server === undefined || k === undefined) return undefined;
    k.route.owner = owner;
    return server;
  }
}

module.exports = { Spares };
