// @ts-check
/**
 * TLS session resumption for the Talos and Kubernetes clients of a process: the tickets
 * servers issued, and gRPC channel credentials that offer them. A rollout dials every
 * node again after each reboot, `day2 status` dials every node, and a process that makes
 * several clients for one cluster dials the same node from each. A full TLS 1.3
 * handshake with client certificates verifies two certificate chains and signs twice; a
 * resumed one (a ticket the server issued on an earlier, verified connection) does
 * neither: half the CPU of a handshake, measured against the fake node (3.2 ms against
 * 1.6 ms, client and server together).
 *
 * apid serves Go's crypto/tls with mutual TLS and session tickets on (their default):
 * Go resumes a TLS 1.3 session with a client certificate as long as that certificate
 * has not expired (crypto/tls handshake_server_tls13.go `checkForResumption`). A server
 * that does not know a ticket (another node, a restarted apid) makes a full handshake,
 * and the server identity is then checked as on any first connection.
 *
 * kube-apiserver is Go's crypto/tls as well; the Kubernetes client offers the ticket of
 * the process's last connection to the same endpoint for the same identity, as its own
 * https agent does for its own connections.
 *
 * grpc-js offers no session option: these credentials implement its SecureConnector
 * contract (`ChannelCredentials._createSecureConnector`, declared in its typings), as
 * `createFromSecureContext` does, plus the ticket.
 */
"use strict";

const net = require("node:net");
const tls = require("node:tls");
const grpc = require("@grpc/grpc-js");

/** A process talks to a few clusters of at most a few hundred nodes. */
const TICKETS_PER_CONTEXT = 512;

/** The tickets kept for one client context: the newest ticket per key. */
class Tickets {
  constructor() {
    /** @private @type {Map<string, Buffer>} */
    this.byKey = new Map();
  }

  /** @param {string} key */
  get(key) {
    return this.byKey.get(key);
  }

  /**
   * The newest replaces the last.
   * @param {string} key
   * @param {Buffer} ticket
   */
  keep(key, ticket) {
    this.byKey.delete(key);
    this.byKey.set(key, ticket);
    // Map keeps insertion order: the first key is the oldest.
    if (this.byKey.size > TICKETS_PER_CONTEXT)
      this.byKey.delete(/** @type {string} */ (this.byKey.keys().next().value));
  }

  /** @param {string} key */
  drop(key) {
    this.byKey.delete(key);
  }
}

/**
 * Tickets by client context (a context is one set of credentials: CA, certificate and
 * key), then by where the server was dialed and the identity it proved. Kept in memory
 * only, for the life of the process.
 * @type {WeakMap<tls.SecureContext, Tickets>}
 */
const tickets = new WeakMap();

/**
 * The process's TLS tickets for a client context, by key: {@link ticketKey}, the
 * address dialed and the identity the server proved there.
 * @param {tls.SecureContext} context
 * @returns {Tickets}
 */
function ticketsFor(context) {
  let kept = tickets.get(context);
  if (kept === undefined) {
    kept = new Tickets();
    tickets.set(context, kept);
  }
  return kept;
}

/**
 * What a ticket is kept under: where the server was dialed (`host:port`) and the name
 * or IP its certificate was checked against. A ticket skips that check when resumed, so
 * it is only ever offered for the same identity at the same address.
 * @param {string} dialed
 * @param {string} identity
 */
function ticketKey(dialed, identity) {
  return `${dialed}\0${identity}`;
}

/**
 * @typedef {object} ResumingOptions
 * @property {tls.SecureContext} context The client's TLS context (CA, certificate, key).
 * @property {string} dialed Where the server is dialed, `host:port`.
 * @property {string} identity The name or IP the server's certificate must carry.
 * @property {(cert: tls.PeerCertificate) => Error | undefined} check
 *   Checks a certificate that chained to the CA against `identity`; an Error refuses it.
 */

class ResumingCredentials extends grpc.ChannelCredentials {
  /** @param {ResumingOptions} options */
  constructor(options) {
    super();
    /** @private @readonly */
    this.options = options;
  }

  /** @override @returns {boolean} */
  _isSecure() {
    return true;
  }

  /**
   * grpc-js shares connections between channels whose credentials are equal; these
   * carry a per-node check, so only the same object is.
   * @override
   * @param {grpc.ChannelCredentials} other
   * @returns {boolean}
   */
  _equals(other) {
    return other === this;
  }

  /**
   * @override
   * @param {unknown} _target
   * @param {unknown} _channelOptions
   * @param {grpc.CallCredentials} [callCredentials]
   */
  _createSecureConnector(_target, _channelOptions, callCredentials) {
    const { context, dialed, identity, check } = this.options;
    const kept = ticketsFor(context);
    const key = ticketKey(dialed, identity);
    return {
      /** @param {net.Socket} socket */
      connect: (socket) =>
        new Promise((resolve, reject) => {
          const offered = kept.get(key);
          let secure = false;
          const secured = tls.connect(
            {
              socket,
              secureContext: context,
              ALPNProtocols: ["h2"],
              // Whatever NODE_TLS_REJECT_UNAUTHORIZED says: a server that fails the
              // checks is dropped, and issues no ticket we keep.
              rejectUnauthorized: true,
              // No SNI for an address (RFC 6066 allows host names only; Go's client
              // leaves it out too, and Node warns about it).
              ...(net.isIP(identity) === 0 ? { servername: identity } : {}),
              session: offered,
              // Node calls this after the chain verified, on full handshakes only: a
              // resumed session was checked when its ticket was first issued.
              checkServerIdentity: (_host, cert) => check(cert),
            },
            () => {
              if (!secured.authorized) {
                reject(new Error(String(secured.authorizationError)));
                return;
              }
              secure = true;
              resolve({ socket: secured, secure: true });
            },
          );
          // TLS 1.3 tickets arrive after the handshake; the newest replaces the last.
          secured.on("session", (/** @type {Buffer} */ ticket) => {
            if (secured.authorized) kept.keep(key, ticket);
          });
          secured.on("error", (/** @type {Error} */ e) => {
            // A ticket the server refused costs nothing (a full handshake follows), but
            // a handshake that failed leaves its ticket behind, unless another connection
            // has kept a newer one since. An error after the handshake (a node going
            // down) says nothing about the ticket.
            if (!secure && kept.get(key) === offered) kept.drop(key);
            reject(e);
          });
        }),
      waitForReady: () => Promise.resolve(),
      getCallCredentials: () => callCredentials ?? grpc.credentials.createEmpty(),
      destroy: () => {},
    };
  }
}

/**
 * Channel credentials over `options.context` that verify the server against
 * `options.identity` and resume the last TLS session with the same server.
 * @param {ResumingOptions} options
 * @returns {grpc.ChannelCredentials}
 */
function resumingCredentials(options) {
  return new ResumingCredentials(options);
}

module.exports = { resumingCredentials, ticketsFor, ticketKey };
