/**
 * packages/day2/lib/memoByText.js: what the client parses once per text. A caller that
 * edits what it got must not change what the next caller gets. And
 * packages/day2/lib/tlsContext.js: one TLS context per set of credentials.
 */
import { strict as assert } from "assert";
import { v1alpha1 } from "../packages/day2/lib/machineConfig";
import { memoByText } from "../packages/day2/lib/memoByText";
import { clientContext } from "../packages/day2/lib/tlsContext";
import {
  kubernetesAuthority,
  kubernetesClientCert,
  talosAuthority,
} from "../packages/day2/fake/certs";

describe("day2: derived once per text", function () {
  it("derives a text once, and gives each caller its own copy", function () {
    let calls = 0;
    const derive = memoByText(4, (text: string) => {
      calls++;
      return { words: text.split(" ") };
    });
    const first = derive("a b");
    first.words.push("edited");
    assert.deepEqual(derive("a b"), { words: ["a", "b"] });
    assert.equal(calls, 1);
  });

  it("keeps the last `limit` texts, and none whose derivation threw", function () {
    const seen: string[] = [];
    const derive = memoByText(2, (text: string) => {
      seen.push(text);
      if (text === "bad") throw new Error("cannot derive");
      return text.length;
    });
    derive("a");
    derive("b");
    derive("c"); // "a" is dropped
    derive("b");
    derive("a");
    assert.deepEqual(seen, ["a", "b", "c", "a"]);
    assert.throws(() => derive("bad"), /cannot derive/);
    assert.throws(() => derive("bad"), /cannot derive/);
    assert.deepEqual(seen.slice(4), ["bad", "bad"]);
  });

  it("v1alpha1: a caller's edit does not reach the next reader of the same configuration", function () {
    const config = "version: v1alpha1\nmachine:\n  type: worker\n---\nkind: HostnameConfig\n";
    const doc = v1alpha1(config);
    doc.machine.type = "controlplane";
    assert.equal(v1alpha1(config).machine.type, "worker");
  });
});

describe("day2: one TLS context per credentials in a process", function () {
  it("gives clients with the same CA, certificate and key the same context; a key that does not load throws", function () {
    const ca = kubernetesAuthority();
    const client = kubernetesClientCert();
    const creds = { ca: ca.caCert, cert: client.cert, key: client.key };
    const a = clientContext(creds);
    assert.equal(clientContext({ ...creds }), a);
    assert.notEqual(clientContext({ ...creds, ca: talosAuthority().caCert }), a);
    const broken = { ...creds, key: client.key.replace(/\n[A-Za-z0-9+/=]{10}/, "\nAAAAAAAAAA") };
    assert.throws(() => clientContext(broken));
  });
});
