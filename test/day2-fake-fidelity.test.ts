/**
 * The fake cluster against upstream: each behaviour listed in packages/day2/fake/FIDELITY.md
 * has its test here, checked against upstream data (test/facts/talos-manifests.json) where
 * there is some. A fake that drifts from what Talos and kube-apiserver serve fails here,
 * before any client test can agree with it.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- the objects are untyped JSON, as the API serves them */
import { strict as assert } from "assert";
import * as YAML from "yaml";
import { FakeCluster } from "../packages/day2/fake";
import { ObjectStore } from "../packages/day2/fake/objects";
import {
  INVENTORY,
  OWNING_INVENTORY,
  TEST_INPUTS,
  applyManifests,
  inventoryKey,
  parseKey,
  renderManifests,
} from "../packages/day2/fake/talos/manifests";
import { machineConfigSpec } from "../packages/day2/fake/talosResources";
import { readFacts } from "../tools/facts";
import type { TalosManifestsFacts } from "../tools/facts/talosManifests";
import { fake, kubeFor, NODES, talosFor, type KubeClient } from "./support/day2";

const GOLDENS = readFacts<TalosManifestsFacts>("talos-manifests").facts.objects;

function store(): ObjectStore {
  return new ObjectStore({
    rolloutMs: () => 0,
    desiredPods: () => 1,
    badImages: () => [],
    rejects: () => [],
  });
}

/** A raw request through the client's connection: every status answered, none thrown. */
function raw(kube: KubeClient, method: string, path: string, body?: unknown, contentType?: string) {
  const k = kube as unknown as {
    request(
      m: string,
      p: string,
      how: { target: string; body?: unknown; contentType?: string; okStatus: number[] },
    ): Promise<{ status: number; body: any }>;
  };
  return k.request(method, path, {
    target: "test",
    body,
    contentType,
    okStatus: [200, 201, 400, 404, 405, 409, 415, 422],
  });
}

const DEPLOYMENT = (image: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", namespace: "default", labels: { app: "web", tier: "front" } },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: "web" } },
    template: {
      metadata: { labels: { app: "web" } },
      spec: {
        containers: [
          {
            name: "web",
            image,
            args: ["--a"],
            env: [{ name: "A", value: "1" }],
            ports: [{ containerPort: 80, protocol: "TCP" }],
            volumeMounts: [{ mountPath: "/data", name: "data" }],
          },
        ],
        volumes: [{ name: "data", emptyDir: {} }],
      },
    },
  },
  ...extra,
});

const managers = (o: any) =>
  (o.metadata.managedFields ?? []).map((m: any) => `${m.manager}/${m.operation}`).sort();

describe("the fake kube-apiserver, as upstream", () => {
  let c: FakeCluster;
  let kube: KubeClient;
  before(async () => {
    c = await fake({});
    kube = kubeFor(c);
  });
  after(() => {
    kube.close();
    c.stop();
  });

  it("serves discovery: /api, /apis, and each group version's resources with scope", async () => {
    const api = await raw(kube, "GET", "/api");
    assert.deepEqual([api.body.kind, api.body.versions], ["APIVersions", ["v1"]]);
    const apis = await raw(kube, "GET", "/apis");
    assert.equal(apis.body.kind, "APIGroupList");
    const apps = apis.body.groups.find((g: any) => g.name === "apps");
    assert.deepEqual(apps.preferredVersion, { groupVersion: "apps/v1", version: "v1" });
    const list = await raw(kube, "GET", "/apis/rbac.authorization.k8s.io/v1");
    const cr = list.body.resources.find((r: any) => r.kind === "ClusterRole");
    assert.deepEqual([cr.name, cr.namespaced], ["clusterroles", false]);
    const apps1 = await raw(kube, "GET", "/apis/apps/v1");
    const sts = apps1.body.resources.find((r: any) => r.kind === "StatefulSet");
    assert.deepEqual([sts?.name, sts?.namespaced], ["statefulsets", true]);
  });

  it("decodes names in paths: system%3Acoredns is the ClusterRole system:coredns", async () => {
    const r = await raw(
      kube,
      "GET",
      "/apis/rbac.authorization.k8s.io/v1/clusterroles/system%3Acoredns",
    );
    assert.equal(r.status, 200);
    assert.equal(r.body.metadata.name, "system:coredns");
  });

  it("refuses a ConfigMap key outside [-._a-zA-Z0-9]+ with 422 Invalid, on create, update and apply", async () => {
    const cm = (key: string) => ({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "keys", namespace: "default" },
      data: { [key]: "" },
    });
    const bad = await raw(kube, "POST", "/api/v1/namespaces/default/configmaps", cm("a:b"));
    assert.equal(bad.status, 422);
    assert.equal(bad.body.reason, "Invalid");
    assert.match(bad.body.message, /data\[a:b\]: Invalid value: "a:b": a valid config key/);
    const ok = await raw(kube, "POST", "/api/v1/namespaces/default/configmaps", cm("a__b"));
    assert.equal(ok.status, 201);
    const put = await raw(kube, "PUT", "/api/v1/namespaces/default/configmaps/keys", cm("x:y"));
    assert.equal(put.status, 422);
    const apply = await raw(
      kube,
      "PATCH",
      "/api/v1/namespaces/default/configmaps/keys?fieldManager=t",
      cm("x:y"),
      "application/apply-patch+yaml",
    );
    assert.equal(apply.status, 422);
  });

  it("create is 409 AlreadyExists when the object exists; update is 409 Conflict at a stale resourceVersion; delete then get is 404", async () => {
    const cm = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "crud", namespace: "default" },
      data: { a: "1" },
    };
    const created = await raw(kube, "POST", "/api/v1/namespaces/default/configmaps", cm);
    assert.equal(created.status, 201);
    const again = await raw(kube, "POST", "/api/v1/namespaces/default/configmaps", cm);
    assert.deepEqual([again.status, again.body.reason], [409, "AlreadyExists"]);
    const rv = created.body.metadata.resourceVersion;
    const path = "/api/v1/namespaces/default/configmaps/crud";
    const put = await raw(kube, "PUT", path, {
      ...cm,
      metadata: { ...cm.metadata, resourceVersion: rv },
      data: { a: "2" },
    });
    assert.equal(put.status, 200);
    assert.notEqual(put.body.metadata.resourceVersion, rv);
    const stale = await raw(kube, "PUT", path, {
      ...cm,
      metadata: { ...cm.metadata, resourceVersion: rv },
      data: { a: "3" },
    });
    assert.deepEqual([stale.status, stale.body.reason], [409, "Conflict"]);
    const unconditional = await raw(kube, "PUT", path, { ...cm, data: { b: "4" } });
    assert.equal(unconditional.status, 200);
    assert.deepEqual(unconditional.body.data, { b: "4" }, "an update replaces the whole object");
    assert.equal((await raw(kube, "DELETE", path)).status, 200);
    assert.equal((await raw(kube, "GET", path)).status, 404);
    assert.equal((await raw(kube, "PUT", path, cm)).status, 404, "an update does not create");
  });

  it("dryRun=All answers what an apply would store and stores nothing", async () => {
    const path = "/apis/apps/v1/namespaces/kube-system/deployments/coredns";
    const before = (await raw(kube, "GET", path)).body;
    const live = structuredClone(before);
    delete live.metadata.managedFields;
    delete live.status;
    live.spec.replicas = 5;
    const r = await raw(
      kube,
      "PATCH",
      `${path}?fieldManager=probe&dryRun=All&force=true`,
      live,
      "application/apply-patch+yaml",
    );
    assert.equal(r.status, 200);
    assert.equal(r.body.spec.replicas, 5);
    const after = (await raw(kube, "GET", path)).body;
    assert.equal(after.spec.replicas, 2);
    assert.equal(after.metadata.resourceVersion, before.metadata.resourceVersion);
  });
});

describe("the fake's server-side apply, field ownership as managedFields", () => {
  it("an apply removes the fields its manager owned and no longer sends", () => {
    const s = store();
    const how = { manager: "a", apiVersion: "apps/v1" };
    s.apply("Deployment", "default", "web", DEPLOYMENT("web:1"), how);
    const next = DEPLOYMENT("web:1");
    delete (next.metadata.labels as Record<string, string>).tier;
    next.spec.template.spec.containers[0].env = [];
    const [code, out] = s.apply("Deployment", "default", "web", next, how);
    assert.equal(code, 200);
    assert.deepEqual(out.metadata.labels, { app: "web" });
    assert.deepEqual(out.spec.template.spec.containers[0].env, []);
  });

  it("a field another manager owns with another value is a 409 naming it, unless forced; then that manager loses it", () => {
    const s = store();
    s.apply("Deployment", "default", "web", DEPLOYMENT("web:1"), {
      manager: "a",
      apiVersion: "apps/v1",
    });
    const [code, msg] = s.apply("Deployment", "default", "web", DEPLOYMENT("web:2"), {
      manager: "b",
      apiVersion: "apps/v1",
    });
    assert.equal(code, 409);
    assert.match(
      msg,
      /^Apply failed with 1 conflict: conflict with "a": \.spec\.template\.spec\.containers\[name="web"\]\.image$/,
    );
    const [forced, out] = s.apply("Deployment", "default", "web", DEPLOYMENT("web:2"), {
      manager: "b",
      apiVersion: "apps/v1",
      force: true,
    });
    assert.equal(forced, 200);
    assert.equal(out.spec.template.spec.containers[0].image, "web:2");
    const a = out.metadata.managedFields.find((m: any) => m.manager === "a");
    const web = a.fieldsV1["f:spec"]["f:template"]["f:spec"]["f:containers"]['k:{"name":"web"}'];
    assert.equal("f:image" in web, false, "a lost the image");
    assert.ok("f:args" in web, "a keeps what was not taken");
    // The same value sent by two managers is shared, not a conflict.
    const [same] = s.apply("Deployment", "default", "web", DEPLOYMENT("web:2"), {
      manager: "c",
      apiVersion: "apps/v1",
    });
    assert.equal(same, 200);
  });

  it("keyed lists merge by key (containers, env, volumes by name; ports by containerPort and protocol; volumeMounts by mountPath); other lists are atomic", () => {
    const s = store();
    s.apply("Deployment", "default", "web", DEPLOYMENT("web:1"), {
      manager: "a",
      apiVersion: "apps/v1",
    });
    const side = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", namespace: "default" },
      spec: {
        template: {
          spec: {
            containers: [
              {
                name: "web",
                env: [{ name: "B", value: "2" }],
                ports: [{ containerPort: 80, protocol: "UDP" }],
                volumeMounts: [{ mountPath: "/cache", name: "data" }],
              },
              { name: "sidecar", image: "side:1" },
            ],
            volumes: [{ name: "cache", emptyDir: {} }],
          },
        },
      },
    };
    const [code, out] = s.apply("Deployment", "default", "web", side, {
      manager: "b",
      apiVersion: "apps/v1",
    });
    assert.equal(code, 200, String(out));
    const [web, sidecar] = out.spec.template.spec.containers;
    assert.deepEqual(
      [web.env.map((e: any) => e.name), web.ports.map((p: any) => p.protocol), sidecar.name],
      [["A", "B"], ["TCP", "UDP"], "sidecar"],
    );
    assert.deepEqual(
      web.volumeMounts.map((m: any) => m.mountPath),
      ["/data", "/cache"],
    );
    assert.deepEqual(
      out.spec.template.spec.volumes.map((v: any) => v.name),
      ["data", "cache"],
    );
    // args is atomic: another value is a conflict on the whole list.
    const [conflict, msg] = s.apply(
      "Deployment",
      "default",
      "web",
      {
        ...side,
        spec: { template: { spec: { containers: [{ name: "web", args: ["--b"] }] } } },
      },
      { manager: "b", apiVersion: "apps/v1" },
    );
    assert.equal(conflict, 409);
    assert.match(msg, /containers\[name="web"\]\.args$/);
  });

  it("an update (PUT) records its manager as owning what it changed", () => {
    const s = store();
    s.apply("Deployment", "default", "web", DEPLOYMENT("web:1"), {
      manager: "a",
      apiVersion: "apps/v1",
    });
    const live = s.get("Deployment", "default", "web");
    live.spec.replicas = 3;
    const [code, out] = s.update("Deployment", "default", "web", live, {
      manager: "kubectl-edit",
      apiVersion: "apps/v1",
    });
    assert.equal(code, 200);
    assert.deepEqual(managers(out), ["a/Apply", "kubectl-edit/Update"]);
    const edit = out.metadata.managedFields.find((m: any) => m.manager === "kubectl-edit");
    assert.deepEqual(edit.fieldsV1, { "f:spec": { "f:replicas": {} } });
    // a now conflicts on replicas, which it still sends at 2.
    const [code2] = s.apply("Deployment", "default", "web", DEPLOYMENT("web:1"), {
      manager: "a",
      apiVersion: "apps/v1",
    });
    assert.equal(code2, 409);
  });
});

describe("the fake Talos node's bootstrap manifests, as Talos v1.13.9 renders them", () => {
  const DOC = {
    cluster: {
      network: { podSubnets: ["10.244.0.0/16"], serviceSubnets: ["10.96.0.0/12"] },
      coreDNS: { image: "registry.k8s.io/coredns/coredns:v1.14.6" },
      proxy: { image: "registry.k8s.io/kube-proxy:v1.36.0" },
    },
  };

  it("renders Talos's manifest ids, each object a golden with the node's values in", () => {
    const m = renderManifests(DOC, "v1.13.9", "v1.36.0");
    // manifest_test.go at v1.13.9 (lines 70-79), with CoreDNS, Flannel and kube-proxy on.
    assert.deepEqual(Object.keys(m), [
      "00-kubelet-bootstrapping-token",
      "01-csr-approver-role-binding",
      "01-csr-node-bootstrap",
      "01-csr-renewal-role-binding",
      "05-flannel",
      "10-kube-proxy",
      "11-core-dns",
      "11-core-dns-svc",
      "11-kube-config-in-cluster",
      "11-talos-node-rbac-template",
    ]);
    const coredns = m["11-core-dns"].find((o) => o.kind === "Deployment");
    const back = structuredClone(coredns) as any;
    back.spec.template.spec.containers[0].image = TEST_INPUTS.coreDNSImage;
    assert.deepEqual(back, GOLDENS["coredns-deployment"]);
    assert.equal(coredns.spec.template.spec.containers[0].image, DOC.cluster.coreDNS.image);
    assert.equal(m["11-core-dns"][1].metadata.name, "system:coredns");
    assert.deepEqual(m["11-core-dns"][1], GOLDENS["coredns-cluster-role"]);
    const proxy = m["10-kube-proxy"][0].spec.template.spec.containers[0];
    assert.deepEqual(proxy.command, [
      "/usr/local/bin/kube-proxy",
      "--cluster-cidr=10.244.0.0/16",
      "--conntrack-max-per-core=0",
      "--hostname-override=$(NODE_NAME)",
      "--kubeconfig=/etc/kubernetes/kubeconfig",
      "--proxy-mode=nftables",
    ]);
    const flannelCfg = m["05-flannel"].find((o) => o.kind === "ConfigMap");
    assert.match(flannelCfg.data["net-conf.json"], /"Network": "10\.244\.0\.0\/16"/);
    assert.deepEqual(m["11-core-dns-svc"][0].spec.clusterIPs, ["10.96.0.10"]);
    const off = renderManifests(
      { cluster: { coreDNS: { disabled: true }, proxy: { disabled: true } } },
      "v1.13.9",
      "v1.36.0",
    );
    assert.equal("11-core-dns" in off || "10-kube-proxy" in off, false);
  });

  it("cli-utils object references: RBAC names transcode : as __, parsing turns every __ back", () => {
    assert.equal(
      inventoryKey({
        namespace: "",
        name: "system:coredns",
        group: "rbac.authorization.k8s.io",
        kind: "ClusterRole",
      }),
      "_system__coredns_rbac.authorization.k8s.io_ClusterRole",
    );
    assert.equal(
      inventoryKey({ namespace: "kube-system", name: "a:b", group: "", kind: "ConfigMap" }),
      "kube-system_a:b__ConfigMap",
    );
    assert.deepEqual(parseKey("_system__coredns_rbac.authorization.k8s.io_ClusterRole"), {
      namespace: "",
      name: "system:coredns",
      group: "rbac.authorization.k8s.io",
      kind: "ClusterRole",
    });
    assert.deepEqual(parseKey("kube-system_coredns_apps_Deployment"), {
      namespace: "kube-system",
      name: "coredns",
      group: "apps",
      kind: "Deployment",
    });
  });

  it("creates what is missing by apply as talos with the owning-inventory annotation, and writes the inventory by Create then Update", () => {
    const s = store();
    const m = renderManifests(DOC, "v1.13.9", "v1.36.0");
    const created = applyManifests(s, m, () => {});
    const all = Object.values(m).flat();
    assert.equal(created.length, all.length);
    const inv = s.get("ConfigMap", INVENTORY.namespace, INVENTORY.name);
    assert.ok("_system__coredns_rbac.authorization.k8s.io_ClusterRole" in inv.data);
    assert.ok("kube-system_coredns_apps_Deployment" in inv.data);
    assert.equal(Object.keys(inv.data).length, all.length);
    assert.ok(Object.values(inv.data).every((v) => v === ""));
    assert.deepEqual(managers(inv), ["machined/Update"]);
    const ds = s.get("DaemonSet", "kube-system", "kube-flannel");
    assert.equal(ds.metadata.annotations[OWNING_INVENTORY], INVENTORY.name);
    assert.deepEqual(managers(ds), ["talos/Apply"]);
  });

  it("never touches what the inventory lists, backfills what exists, and refuses another inventory's object", () => {
    const s = store();
    s.create(
      "ServiceAccount",
      "kube-system",
      { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "coredns" } },
      { manager: "kubectl", apiVersion: "v1" },
    );
    const m = renderManifests(DOC, "v1.13.9", "v1.36.0");
    m["99-foreign"] = [
      {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: {
          name: "foreign",
          namespace: "default",
          annotations: { [OWNING_INVENTORY]: "x" },
        },
      },
    ];
    const lines: string[] = [];
    applyManifests(s, m, (l) => lines.push(l));
    const sa = s.get("ServiceAccount", "kube-system", "coredns");
    assert.equal(sa.metadata.annotations, undefined, "backfilled, not applied");
    const inv = () => s.get("ConfigMap", INVENTORY.namespace, INVENTORY.name).data;
    assert.ok("kube-system_coredns__ServiceAccount" in inv());
    assert.equal(s.get("ConfigMap", "default", "foreign"), undefined);
    assert.ok(lines.some((l) => /foreign inventory annotation on ConfigMap\/foreign/.test(l)));
    // A new release renders a new image: an object the inventory lists is left alone.
    const next = renderManifests(
      { cluster: { ...DOC.cluster, coreDNS: { image: "registry.k8s.io/coredns/coredns:v9" } } },
      "v1.13.9",
      "v1.36.0",
    );
    applyManifests(s, next, () => {});
    const dep = s.get("Deployment", "kube-system", "coredns");
    assert.equal(dep.spec.template.spec.containers[0].image, DOC.cluster.coreDNS.image);
  });

  it("starts a cluster like the last of the same manifests from a copy of its objects, made at the present time", async () => {
    // A rejection no other test names: the first cluster applies its bootstrap afresh.
    const faults = { rejectObjects: [`ConfigMap/default/none-${process.pid}-${Date.now()}`] };
    const options = { nodes: NODES, faults, rolloutMs: 200 };
    interface Shown {
      kind: string;
      metadata: { name: string; creationTimestamp: string; managedFields: { time: string }[] };
    }
    const objectsOf = (c: FakeCluster): Shown[] => {
      const store = c.kube.objects;
      return [...store.objects.keys()].map((key) => {
        const [kind, ns, name] = key.split("/");
        return store.get(kind, ns, name) as Shown;
      });
    };
    const timesOf = (objects: Shown[]) =>
      objects.flatMap((o) => [
        o.metadata.creationTimestamp,
        ...o.metadata.managedFields.map((f) => f.time),
      ]);
    /** Without the times each write stamps. */
    const timeless = (objects: Shown[]) =>
      objects.map((o) => {
        const { creationTimestamp: _c, managedFields, ...metadata } = o.metadata;
        return {
          ...o,
          metadata: { ...metadata, managedFields: managedFields.map(({ time: _t, ...f }) => f) },
        };
      });

    const first = new FakeCluster(options);
    const firstAtStart = objectsOf(first);
    assert.ok(firstAtStart.some((o) => o.kind === "DaemonSet" && o.metadata.name === "kube-proxy"));
    // Past the first cluster's rollouts: its workloads are available by now.
    await new Promise((r) => setTimeout(r, 250));
    const started = Date.now();
    const second = new FakeCluster(options);
    // The same objects, and the same status as the first had when it started: its
    // rollouts start now.
    assert.deepEqual(timeless(objectsOf(second)), timeless(firstAtStart));
    assert.notDeepEqual(timeless(objectsOf(first)), timeless(firstAtStart));
    for (const t of timesOf(objectsOf(second)))
      assert.ok(Date.parse(t) >= started, `${t} is before ${new Date(started).toISOString()}`);
    assert.deepEqual(timesOf(objectsOf(first)), timesOf(firstAtStart));

    // Each cluster has its own copy: what one writes, no other sees.
    const [code] = second.kube.objects.apply(
      "ConfigMap",
      "kube-system",
      "coredns",
      {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "coredns", namespace: "kube-system" },
        data: { Corefile: "." },
      },
      { manager: "test", apiVersion: "v1", force: true },
    );
    assert.equal(code, 200);
    second.kube.objects.delete("DaemonSet", "kube-system", "kube-proxy");
    const third = new FakeCluster(options);
    assert.deepEqual(timeless(objectsOf(third)), timeless(firstAtStart));
  });
});

describe("the fake Talos node's COSI and releases, as Talos serves them", () => {
  it("MachineConfig: yaml_spec is a YAML string of the documents, annotated talos.dev/yaml-spec, proto_spec MachineConfigSpec.yaml_marshalled", async () => {
    const text =
      "version: v1alpha1\nmachine:\n  type: worker\n---\napiVersion: v1alpha1\nkind: X\n";
    const [yaml, extra] = machineConfigSpec(text);
    assert.equal(typeof YAML.parse(yaml), "string");
    assert.equal(YAML.parse(yaml), text);
    assert.match(yaml, /^\|/);
    assert.deepEqual(extra.annotations, { "talos.dev/yaml-spec": "1" });
    assert.equal(extra.proto[0], 0x0a, "field 1, length-delimited");
    assert.equal(extra.proto.subarray(2).toString("utf8"), text);
    const c = await fake({});
    const talos = talosFor(c);
    try {
      const r = await talos.resource("cp-1", {
        namespace: "config",
        type: "MachineConfigs.config.talos.dev",
        id: "v1alpha1",
      });
      assert.equal(r?.annotations["talos.dev/yaml-spec"], "1");
      assert.equal(YAML.parse(r?.yaml ?? ""), c.node("cp-1").config);
    } finally {
      talos.close();
      c.stop();
    }
  });

  it("a node before v1.13 has no ImageService and pulls through MachineService.ImagePull; v1.12's manifest controller keeps no inventory", async () => {
    const c = await fake({ faults: { legacyOnly: ["cp-1", "w-1"] } });
    const talos = talosFor(c);
    try {
      const call = (node: string) =>
        (
          talos as unknown as {
            call(n: string, s: string, m: string, req: unknown, how: unknown): Promise<unknown>;
          }
        ).call(node, "image", "Pull", { imageRef: "registry.example/a:1" }, { stream: true });
      assert.equal(c.node("w-1").version, "v1.12.9");
      await assert.rejects(call("w-1"), /UNIMPLEMENTED/);
      await call("w-2");
      await talos.pullImage("w-1", "registry.example/b:1", { namespace: "cri" });
      assert.deepEqual(c.node("w-1").pulled, [
        { ref: "registry.example/b:1", namespace: "NS_CRI" },
      ]);
      assert.equal(c.kube.objects.get("ConfigMap", INVENTORY.namespace, INVENTORY.name), undefined);
      const role = c.kube.objects.get("ClusterRole", "", "system:coredns");
      assert.deepEqual(managers(role), ["talos/Update"], "created by POST, field manager talos");
      assert.equal(role.metadata.annotations?.[OWNING_INVENTORY], undefined);
    } finally {
      talos.close();
      c.stop();
    }
  });
});

describe("the fake's workload controllers: the status fields kstatus reads (cli-utils v1.2.0 core.go)", () => {
  // The rollout time is a knob: a huge one holds a rollout in its middle, 0 finishes it.
  let rolloutMs = 0;
  const workloads = () =>
    new ObjectStore({
      rolloutMs: () => rolloutMs,
      desiredPods: () => 3,
      badImages: () => [],
      rejects: () => [],
    });
  const how = { manager: "a", apiVersion: "apps/v1" };
  const cond = (o: any, type: string) =>
    o.status.conditions.find((c: any) => c.type === type) as { status: string; reason: string };

  it("a Deployment's new generation is observed at once, and its old replicas stay counted in status.replicas until the new ones are available", () => {
    const s = workloads();
    rolloutMs = 0;
    s.apply("Deployment", "default", "web", DEPLOYMENT("web:1"), how);
    rolloutMs = 1e9;
    s.apply("Deployment", "default", "web", DEPLOYMENT("web:2"), how);
    const mid = s.get("Deployment", "default", "web");
    assert.equal(mid.metadata.generation, 2);
    assert.equal(mid.status.observedGeneration, 2);
    assert.deepEqual(
      [mid.status.replicas, mid.status.updatedReplicas, mid.status.availableReplicas],
      [4, 2, 2],
      "2 new replicas surged next to 2 old ones still available",
    );
    assert.equal(cond(mid, "Progressing").reason, "ReplicaSetUpdated");
    rolloutMs = 0;
    const done = s.get("Deployment", "default", "web");
    assert.deepEqual(
      [done.status.replicas, done.status.updatedReplicas, done.status.readyReplicas],
      [2, 2, 2],
    );
    assert.deepEqual(
      [cond(done, "Progressing").reason, cond(done, "Available").status],
      ["NewReplicaSetAvailable", "True"],
    );
    // A change outside the pod template starts no new pods: scaled after the rollout
    // finished, every replica is there at once however slow a rollout would be.
    const scaled = s.get("Deployment", "default", "web");
    scaled.spec.replicas = 3;
    s.update("Deployment", "default", "web", scaled, { manager: "b", apiVersion: "apps/v1" });
    rolloutMs = 1e9;
    const after = s.get("Deployment", "default", "web");
    assert.equal(after.metadata.generation, 3);
    assert.deepEqual([after.status.replicas, after.status.availableReplicas], [3, 3]);
  });

  it("a DaemonSet's nodes keep old pods (updatedNumberScheduled behind) until the new ones are ready", () => {
    const s = workloads();
    const ds = (image: string) => ({
      apiVersion: "apps/v1",
      kind: "DaemonSet",
      metadata: { name: "agent", namespace: "kube-system" },
      spec: { template: { spec: { containers: [{ name: "a", image }] } } },
    });
    rolloutMs = 0;
    s.apply("DaemonSet", "kube-system", "agent", ds("a:1"), how);
    rolloutMs = 1e9;
    s.apply("DaemonSet", "kube-system", "agent", ds("a:2"), how);
    const mid = s.get("DaemonSet", "kube-system", "agent").status;
    assert.deepEqual(
      [mid.observedGeneration, mid.desiredNumberScheduled, mid.updatedNumberScheduled],
      [2, 3, 0],
    );
    rolloutMs = 0;
    const done = s.get("DaemonSet", "kube-system", "agent").status;
    assert.deepEqual(
      [done.updatedNumberScheduled, done.numberAvailable, done.numberReady],
      [3, 3, 3],
    );
  });

  it("a StatefulSet's currentRevision stays the old one, a pod at a time replaced, until every pod runs updateRevision", () => {
    const s = workloads();
    const sts = (image: string) => ({
      apiVersion: "apps/v1",
      kind: "StatefulSet",
      metadata: { name: "db", namespace: "default" },
      spec: {
        replicas: 3,
        serviceName: "db",
        selector: { matchLabels: { app: "db" } },
        template: {
          metadata: { labels: { app: "db" } },
          spec: { containers: [{ name: "db", image }] },
        },
      },
    });
    rolloutMs = 0;
    s.apply("StatefulSet", "default", "db", sts("db:1"), how);
    const first = s.get("StatefulSet", "default", "db").status;
    assert.equal(first.currentRevision, first.updateRevision);
    assert.match(first.updateRevision, /^db-[0-9a-f]+$/);
    rolloutMs = 1e9;
    s.apply("StatefulSet", "default", "db", sts("db:2"), how);
    const mid = s.get("StatefulSet", "default", "db").status;
    assert.equal(mid.observedGeneration, 2);
    assert.equal(mid.currentRevision, first.updateRevision);
    assert.notEqual(mid.updateRevision, first.updateRevision);
    assert.deepEqual(
      [mid.replicas, mid.readyReplicas, mid.currentReplicas, mid.updatedReplicas],
      [3, 2, 2, 1],
    );
    rolloutMs = 0;
    const done = s.get("StatefulSet", "default", "db").status;
    assert.equal(done.currentRevision, mid.updateRevision);
    assert.deepEqual([done.readyReplicas, done.currentReplicas, done.updatedReplicas], [3, 3, 3]);
  });
});
