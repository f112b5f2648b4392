/**
 * TLS session resumption in the Talos client (packages/day2/lib/tlsSessions.js): a
 * second connection to the same server, for the same identity, resumes the first's
 * session; a ticket is never offered for another identity, and a server that cannot
 * resume it gets a full handshake whose certificate is checked again.
 */
import "./support/loopbackOnly";
import { strict as assert } from "assert";
import * as net from "net";
import * as tls from "tls";
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the module object itself, to watch tls.connect: `import *` gives a frozen copy
import tlsModule = require("tls");
import type { AddressInfo } from "net";
import * as day2 from "../packages/day2";
import * as certs from "../packages/day2/fake/certs";
import { resumingCredentials } from "../packages/day2/lib/tlsSessions";
import { fake, FAST, NODES } from "./support/day2";

const CA = certs.talosAuthority().caCert;

/** The talosctl client's context, its key under the label Node reads. */
function clientContext(): tls.SecureContext {
  const { cert, key } = certs.talosClientCert();
  return tls.createSecureContext({
    ca: CA,
    cert,
    key: key.replace(/ED25519 PRIVATE KEY/g, "PRIVATE KEY"),
    minVersion: "TLSv1.3",
  });
}

/** A mutual-TLS server on 127.0.0.1 (`port` 0: any) presenting a certificate for `ip`. */
async function server(ip: string, port = 0): Promise<{ port: number; close(): Promise<void> }> {
  const { cert, key } = certs.talosServerCert(ip);
  const s = tls.createServer(
    { cert, key, ca: CA, requestCert: true, rejectUnauthorized: true, minVersion: "TLSv1.3" },
    // A byte after the handshake: TLS 1.3 tickets travel with the server's first write.
    (sock) => {
      sock.on("error", () => undefined);
      sock.end("x");
    },
  );
  s.on("tlsClientError", () => undefined);
  await new Promise<void>((r) => s.listen(port, "127.0.0.1", r));
  return {
    port: (s.address() as AddressInfo).port,
    close: () => new Promise<void>((r) => s.close(() => r())),
  };
}

type Check = (cert: tls.PeerCertificate) => Error | undefined;

/** The check the Talos client makes: the certificate must carry `ip`. */
const carries =
  (ip: string, checked: string[] = []): Check =>
  (cert) => {
    checked.push(ip);
    return tls.checkServerIdentity(ip, cert);
  };

/** Whether each handshake started offered a ticket, in order. */
const offered: boolean[] = [];
/** Whether each handshake that completed resumed a session, in order. */
const resumed: boolean[] = [];

/**
 * One connection through the credentials' connector, as grpc-js makes it; resolves
 * once the server's byte (and with it the ticket) arrived, with whether the session
 * was resumed, or rejects with the connector's error.
 */
async function connectOnce(
  creds: unknown,
  port: number,
  lingerMs = 0,
): Promise<{ resumed: boolean }> {
  const connector = (
    creds as {
      _createSecureConnector(
        t: unknown,
        o: unknown,
      ): { connect(s: net.Socket): Promise<{ socket: tls.TLSSocket; secure: boolean }> };
    }
  )._createSecureConnector(undefined, {});
  const socket = await new Promise<net.Socket>((resolve, reject) => {
    const s = net.connect({ host: "127.0.0.1", port }, () => resolve(s));
    s.on("error", reject);
  });
  try {
    const { socket: secured, secure } = await connector.connect(socket);
    assert.equal(secure, true);
    await new Promise<void>((resolve) => {
      secured.once("data", () => setImmediate(resolve));
      secured.once("end", resolve);
    });
    const resumed = secured.isSessionReused();
    secured.destroy();
    return { resumed };
  } finally {
    // A refused connection kept open a moment: whatever the server sends, a ticket
    // included, reaches the client before it goes.
    if (lingerMs > 0) await new Promise((r) => setTimeout(r, lingerMs));
    socket.destroy();
  }
}

describe("day2 Talos client: TLS sessions resumed, never across identities", function () {
  this.timeout(20000);
  const IP = NODES[0].ip;
  const OTHER = NODES[1].ip;
  const connect = tlsModule.connect;
  before(() => {
    // The connector and the https agent call the module's connect: every handshake of
    // the clients below is seen.
    tlsModule.connect = ((options: tls.ConnectionOptions, ...rest: never[]) => {
      offered.push(options.session !== undefined);
      const socket = connect(options, ...rest);
      socket.once("secureConnect", () => resumed.push(socket.isSessionReused()));
      return socket;
    }) as typeof tls.connect;
  });
  after(() => {
    tlsModule.connect = connect;
  });
  beforeEach(() => {
    offered.length = 0;
    resumed.length = 0;
  });

  it("a second connection to the same server for the same identity resumes", async () => {
    const srv = await server(IP);
    try {
      const checked: string[] = [];
      const creds = resumingCredentials({
        context: clientContext(),
        dialed: `127.0.0.1:${srv.port}`,
        identity: IP,
        check: carries(IP, checked),
      });
      assert.deepEqual(await connectOnce(creds, srv.port), { resumed: false });
      assert.deepEqual(await connectOnce(creds, srv.port), { resumed: true });
      // The identity was checked on the full handshake; the resumed one skips it.
      assert.deepEqual(checked, [IP]);
    } finally {
      await srv.close();
    }
  });

  it("offers no ticket for another identity at the same address: a full handshake, refused", async () => {
    const srv = await server(IP);
    try {
      const context = clientContext();
      const dialed = `127.0.0.1:${srv.port}`;
      const good = resumingCredentials({ context, dialed, identity: IP, check: carries(IP) });
      assert.deepEqual(await connectOnce(good, srv.port), { resumed: false });
      const checked: string[] = [];
      const other = resumingCredentials({
        context,
        dialed,
        identity: OTHER,
        check: carries(OTHER, checked),
      });
      await assert.rejects(
        connectOnce(other, srv.port),
        /IP: 10\.20\.0\.12 is not in the cert's list/,
      );
      assert.deepEqual(checked, [OTHER]);
      assert.deepEqual(offered, [false, false]);
      // The ticket for the right identity is still good.
      assert.deepEqual(await connectOnce(good, srv.port), { resumed: true });
    } finally {
      await srv.close();
    }
  });

  it("keeps no ticket from a server that failed the identity check, whatever NODE_TLS_REJECT_UNAUTHORIZED says", async () => {
    const srv = await server(OTHER);
    const before = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    const emitWarning = process.emitWarning;
    // Node warns once that the variable makes TLS insecure: that is this test's point.
    process.emitWarning = (() => undefined) as typeof process.emitWarning;
    process.env.NODE_TLS_REJECT_UNAUTHORIZED = "0";
    try {
      const creds = resumingCredentials({
        context: clientContext(),
        dialed: `127.0.0.1:${srv.port}`,
        identity: IP,
        check: carries(IP),
      });
      for (const _attempt of [1, 2])
        await assert.rejects(
          connectOnce(creds, srv.port, 50),
          /IP: 10\.20\.0\.11 is not in the cert's list/,
        );
      assert.deepEqual(offered, [false, false]);
    } finally {
      if (before === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
      else process.env.NODE_TLS_REJECT_UNAUTHORIZED = before;
      process.emitWarning = emitWarning;
      await srv.close();
    }
  });

  it("a new server at the same address cannot resume: its certificate is checked again", async () => {
    const first = await server(IP);
    const port = first.port;
    const context = clientContext();
    const checked: string[] = [];
    const creds = resumingCredentials({
      context,
      dialed: `127.0.0.1:${port}`,
      identity: IP,
      check: carries(IP, checked),
    });
    assert.deepEqual(await connectOnce(creds, port), { resumed: false });
    await first.close();
    // Same CA, another node's certificate, fresh ticket keys.
    const impostor = await server(OTHER, port);
    try {
      await assert.rejects(connectOnce(creds, port), /IP: 10\.20\.0\.11 is not in the cert's list/);
      assert.deepEqual(checked, [IP, IP]);
    } finally {
      await impostor.close();
    }
    // The ticket went with the failure: the right server, back, is met without one.
    const back = await server(IP, port);
    try {
      assert.deepEqual(await connectOnce(creds, port), { resumed: false });
      assert.deepEqual(checked, [IP, IP, IP]);
      assert.deepEqual(offered, [false, true, false]);
    } finally {
      await back.close();
    }
  });

  it("keeps tickets per client context (one per set of credentials): another starts afresh", async () => {
    const srv = await server(IP);
    try {
      const dialed = `127.0.0.1:${srv.port}`;
      const a = resumingCredentials({
        context: clientContext(),
        dialed,
        identity: IP,
        check: carries(IP),
      });
      const b = resumingCredentials({
        context: clientContext(),
        dialed,
        identity: IP,
        check: carries(IP),
      });
      assert.deepEqual(await connectOnce(a, srv.port), { resumed: false });
      assert.deepEqual(await connectOnce(b, srv.port), { resumed: false });
      assert.deepEqual(await connectOnce(a, srv.port), { resumed: true });
    } finally {
      await srv.close();
    }
  });

  it("the client redials a node after forget() with a resumed session, and the call answers", async () => {
    const cluster = await fake();
    const client = day2.createTalosClient({
      credentials: day2.talosconfigCredentials(cluster.talosconfig).credentials,
      nodes: [{ name: NODES[0].name, ip: IP }],
      endpoints: { [NODES[0].name]: cluster.endpoints[NODES[0].name] },
      ...FAST,
    });
    try {
      const first = await client.version(NODES[0].name);
      client.forget(NODES[0].name);
      const second = await client.version(NODES[0].name);
      assert.equal(second.tag, first.tag);
      // The second connection resumed the first's session. (The first may have been
      // offered a ticket an earlier cluster of this process left for the same port:
      // the client credentials and the fake's certificates are the process's.)
      assert.equal(resumed.length, 2);
      assert.equal(offered.length, 2);
      assert.equal(resumed[1], true);
      assert.equal(offered[1], true);
      assert.equal(
        cluster.log.calls({ node: NODES[0].name, call: "Version", outcome: "ok" }).length,
        2,
      );
    } finally {
      client.close();
      await cluster.stop();
    }
  });

  it("the Kubernetes client offers a ticket only to the same endpoint for the same identity", async function () {
    const cluster = await fake();
    const kubeAs = (kubeconfig: string) =>
      day2.createKubeClient({
        kubeconfig,
        endpoint: cluster.kubernetesEndpoint,
        ...FAST,
        retry: { attempts: 1, baseMs: 5, maxMs: 5 },
      });
    try {
      for (const _client of [1, 2]) {
        const kube = kubeAs(cluster.kubeconfig);
        try {
          assert.equal((await kube.listNodes()).length, NODES.length);
        } finally {
          kube.close();
        }
      }
      // Two clients, one connection each: the second resumed the first's session (the
      // first may have been offered one left by an earlier cluster on the same port).
      assert.equal(resumed.length, 2);
      assert.equal(resumed[1], true);
      assert.equal(offered.length, 2);
      assert.equal(offered[1], true);
      // The same endpoint, checked against a name its certificate does not carry: no
      // ticket is offered, and the full handshake fails the check.
      const other = kubeAs(cluster.kubeconfig.replace(/https:\/\/[^:/]+:/, "https://10.99.0.1:"));
      try {
        await assert.rejects(other.listNodes(), /not valid for 10\.99\.0\.1/);
      } finally {
        other.close();
      }
      assert.equal(offered.length, 3);
      assert.equal(offered[2], false);
    } finally {
      await cluster.stop();
    }
  });
});
