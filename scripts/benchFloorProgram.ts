/**
 * A program for `npm run bench` only: the floor the project is measured against. It
 * registers the resources and makes the function calls a run of the real program
 * recorded (EM_INFRA_BENCH_FLOOR names that record): the same types, names, parents,
 * inputs (secret where they were), options and dependencies, in the same order, each
 * input waiting for the resources it waited for (so the chain to the kubeconfig is as
 * long), with no logic of its own: no inventory, no model, no configuration rendered.
 * What the project takes beyond this floor is what its own code costs.
 */
import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";
import { isSecretWrapper } from "../tools/offline/secretSig";
import type { RunRecord } from "../tools/offline/engine";

const record = JSON.parse(fs.readFileSync(process.env.EM_INFRA_BENCH_FLOOR ?? "", "utf8")) as Pick<
  RunRecord,
  "resources" | "invokes"
>;

/** A recorded input as the program passed it: a secret wrapper becomes a secret again. */
function revive(v: unknown): unknown {
  if (isSecretWrapper(v)) return pulumi.secret(revive((v as { value: unknown }).value));
  if (Array.isArray(v)) return v.map(revive);
  if (v !== null && typeof v === "object")
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, revive(x)]));
  return v;
}

/** A custom resource of any type, as recorded. */
class Floor extends pulumi.CustomResource {}

/** A component of any type, as recorded: it registers no outputs, as ours register none. */
class FloorComponent extends pulumi.ComponentResource {
  constructor(type: string, name: string, opts: pulumi.ComponentResourceOptions) {
    super(type, name, {}, opts);
    this.registerOutputs({});
  }
}

const byUrn = new Map<string, pulumi.Resource>();

/**
 * A recorded value that resolves once the resources it depended on are done (a custom
 * resource's id, a component's registration), as the project's inputs wait for outputs.
 */
function after(urns: readonly string[], v: unknown): pulumi.Input<unknown> {
  const waits = urns.flatMap((u) => {
    const dep = byUrn.get(u);
    if (dep === undefined) return [];
    return [pulumi.CustomResource.isInstance(dep) ? dep.id : dep.urn];
  });
  return waits.length === 0 ? revive(v) : pulumi.all(waits).apply(() => revive(v));
}
for (const r of record.resources) {
  if (r.type === "pulumi:pulumi:Stack") continue;
  const opts: pulumi.CustomResourceOptions = {
    parent: byUrn.get(r.parent),
    dependsOn: r.dependencies.flatMap((u) => byUrn.get(u) ?? []),
    protect: r.protect,
    ignoreChanges: [...r.ignoreChanges],
    ...(r.custom
      ? {
          version: r.version || undefined,
          pluginDownloadURL: r.pluginDownloadURL || undefined,
          additionalSecretOutputs: [...r.additionalSecretOutputs],
          ...(r.customTimeouts ? { customTimeouts: r.customTimeouts } : {}),
        }
      : {}),
  };
  const inputs = Object.fromEntries(
    Object.entries(r.inputs).map(([k, v]) => [k, after(r.propertyDependencies[k] ?? [], v)]),
  );
  byUrn.set(
    r.urn,
    r.custom ? new Floor(r.type, r.name, inputs, opts) : new FloorComponent(r.type, r.name, opts),
  );
}
for (const i of record.invokes)
  void pulumi.runtime.invokeOutput(i.token, revive(i.args) as pulumi.Inputs, {
    dependsOn: i.dependencies.flatMap((u) => byUrn.get(u) ?? []),
    version: i.version || undefined,
    pluginDownloadURL: i.pluginDownloadURL || undefined,
  });
