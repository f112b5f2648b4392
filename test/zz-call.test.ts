import { fake, talosFor } from "./support/day2";
describe("zz call cost", function () {
  it("measures", async function () {
    this.timeout(60000);
    const c = await fake();
    const t = talosFor(c);
    try {
      const node = c.nodes[0].name;
      await t.version(node);
      for (let k = 0; k < 2; k++) {
        const c0 = process.cpuUsage(); const t0 = Date.now();
        for (let i = 0; i < 500; i++) await t.version(node);
        const d = process.cpuUsage(c0); console.log("version: cpu ms/call", ((d.user + d.system) / 1000 / 500).toFixed(3), "wall", ((Date.now() - t0) / 500).toFixed(3));
      }
      const c0 = process.cpuUsage(); const t0 = Date.now();
      for (let i = 0; i < 300; i++) { t.forget(node); await t.version(node); }
      const d = process.cpuUsage(c0); console.log("reconnect+version: cpu ms/call", ((d.user + d.system) / 1000 / 300).toFixed(3), "wall", ((Date.now() - t0) / 300).toFixed(3));
    } finally { t.close(); c.stop(); }
  });
});
