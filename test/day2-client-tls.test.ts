/**
 * Certificates only to verified servers (issue 31): the Talos and Kubernetes clients
 * speak TLS 1.3 only, so a server that fails verification never receives the client
 * certificate, and `identity()`, which does not verify, sends none at all. Each is
 * pointed at an impostor on 127.0.0.1 that asks for a client certificate and records
 * whether one arrived.
 */
import "./support/loopbackOnly";
import { strict as assert } from "assert";
import * as tls from "tls";
import type { AddressInfo } from "net";
import * as day2 from "../packages/day2";
import * as certs from "../packages/day2/fake/certs";
import type { FakeCluster } from "../packages/day2/fake";
import { fake, FAST, NODES } from "./support/day2";

/** A TLS server with a certificate the cluster's CAs did not issue, asking for a client's. */
interface Impostor {
  readonly endpoint: string;
  /** Each handshake the impostor saw end: whether a client certificate came with it. */
  readonly seen: { clientCert: boolean; protocol: string | null }[];
  /** Resolves once `n` connections have ended, however they ended. */
  ended(n: number): Promise<void>;
  close(): Promise<void>;
}

async function impostor(opts: { maxVersion?: tls.SecureVersion } = {}): Promise<Impostor> {
  // A certificate for the node's inventory IP and loopback, from another authority.
  const { cert, key } = certs.maintenanceServerCert(NODES[0].ip);
  const seen: Impostor["seen"] = [];
  let ends = 0;
  const waiters: { n: number; resolve: () => void }[] = [];
  const ended = () => {
    ends++;
    for (const w of waiters.filter((x) => x.n <= ends)) w.resolve();
  };
  const server = tls.createServer({
    cert,
    key,
    requestCert: true,
    rejectUnauthorized: false,
    ALPNProtocols: ["h2", "http/1.1"],
    ...(opts.maxVersion ? { maxVersion: opts.maxVersion } : {}),
  });
  server.on("secureConnection", (s) => {
    seen.push({ clientCert: s.getPeerCertificate()?.raw !== undefined, protocol: s.getProtocol() });
    s.on("error", () => undefined);
    s.on("close", ended);
    s.destroy();
  });
  server.on("tlsClientError", () => {
    seen.push({ clientCert: false, protocol: null });
    ended();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `127.0.0.1:${port}`,
    seen,
    ended: (n) =>
      new Promise<void>((resolve) => {
        if (ends >= n) resolve();
        else waiters.push({ n, resolve });
      }),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe("day2 clients send their certificate only to verified servers (TLS 1.3)", function () {
  this.timeout(20000);
  let cluster: FakeCluster;
  let imp: Impostor;
  before(async () => {
    cluster = await fake();
  });
  after(async () => {
    await cluster.stop();
  });
  beforeEach(async () => {
    imp = await impostor();
  });
  afterEach(async () => {
    await imp.close();
  });

  const talosAt = (endpoint: string) =>
    day2.createTalosClient({
      credentials: day2.talosconfigCredentials(cluster.talosconfig).credentials,
      nodes: [{ name: NODES[0].name, ip: NODES[0].ip }],
      endpoints: { [NODES[0].name]: endpoint },
      ...FAST,
      retry: { attempts: 1, baseMs: 5, maxMs: 5 },
    });

  it("the impostor does see a client certificate when a client sends one (the probe works)", async () => {
    const talos = day2.talosconfigCredentials(cluster.talosconfig).credentials;
    const [host, port] = imp.endpoint.split(":");
    await new Promise<void>((resolve) => {
      const s = tls.connect({
        host,
        port: Number(port),
        cert: talos.cert,
        key: talos.key,
        rejectUnauthorized: false,
      });
      s.on("secureConnect", () => s.end());
      s.on("error", () => undefined);
      s.on("close", () => resolve());
    });
    await imp.ended(1);
    assert.deepEqual(imp.seen, [{ clientCert: true, protocol: "TLSv1.3" }]);
  });

  it("the Talos client fails verification and the impostor receives no certificate", async () => {
    const client = talosAt(imp.endpoint);
    try {
      await assert.rejects(client.version(NODES[0].name), /certificate|UNAVAILABLE|TLS/i);
    } finally {
      client.close();
    }
    await imp.ended(1);
    assert.ok(imp.seen.length >= 1);
    assert.deepEqual(
      imp.seen.filter((s) => s.clientCert),
      [],
    );
  });

  it("the Kubernetes client fails verification and the impostor receives no certificate", async () => {
    const kube = day2.createKubeClient({
      kubeconfig: cluster.kubeconfig,
      endpoint: imp.endpoint,
      ...FAST,
      retry: { attempts: 1, baseMs: 5, maxMs: 5 },
    });
    try {
      await assert.rejects(kube.listNodes(), /certificate|TLS|verify/i);
    } finally {
      kube.close();
    }
    await imp.ended(1);
    assert.deepEqual(
      imp.seen.filter((s) => s.clientCert),
      [],
    );
    assert.ok(imp.seen.length >= 1);
  });

  it("identity() judges the impostor without sending a certificate; it still knows the real node", async () => {
    const client = talosAt(imp.endpoint);
    try {
      const found = await client.identity(NODES[0].name);
      assert.equal(found.answer, "other", found.detail);
    } finally {
      client.close();
    }
    await imp.ended(1);
    // identity() closes as soon as it has the server's certificate, so the impostor may
    // not see the handshake end; a certificate it never sees either way.
    assert.deepEqual(
      imp.seen.filter((s) => s.clientCert),
      [],
    );
    const real = talosAt(cluster.endpoints[NODES[0].name]);
    try {
      assert.equal((await real.identity(NODES[0].name)).answer, "cluster");
    } finally {
      real.close();
    }
  });

  // Over TLS 1.2 a client sends its certificate, in the clear, before it has the
  // server's Finished: each client without minVersion TLSv1.3 fails its case here.
  describe("a server that offers only TLS 1.2 is refused before any certificate is sent", () => {
    let old: Impostor;
    beforeEach(async () => {
      old = await impostor({ maxVersion: "TLSv1.2" });
    });
    afterEach(async () => {
      await old.close();
    });
    const nothingSent = async () => {
      await old.ended(1);
      assert.deepEqual(
        old.seen.filter((s) => s.clientCert || s.protocol !== null),
        [],
      );
    };

    it("by the Talos client", async () => {
      const client = talosAt(old.endpoint);
      try {
        await assert.rejects(client.version(NODES[0].name));
      } finally {
        client.close();
      }
      await nothingSent();
    });

    it("by the Kubernetes client", async () => {
      const kube = day2.createKubeClient({
        kubeconfig: cluster.kubeconfig,
        endpoint: old.endpoint,
        ...FAST,
        retry: { attempts: 1, baseMs: 5, maxMs: 5 },
      });
      try {
        await assert.rejects(kube.listNodes());
      } finally {
        kube.close();
      }
      await nothingSent();
    });

    it("by identity(), which answers down", async () => {
      const client = talosAt(old.endpoint);
      try {
        assert.equal((await client.identity(NODES[0].name)).answer, "down");
      } finally {
        client.close();
      }
      await nothingSent();
    });
  });
});
