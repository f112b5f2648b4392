import * as pulumi from "@pulumi/pulumi";

/**
 * The day-two resources: Pulumi dynamic resources whose work lives in the local
 * package `@em-infra/day2`.
 *
 * The provider below is serialized into the state of every resource that uses it,
 * and the dynamic-provider host runs that stored text, not today's code: `delete`
 * runs the text stored at the last create or update. So each method is a shim that
 * `require`s the package by name inside its body, which the serializer keeps as a
 * reference: the state holds a few hundred bytes, and a fix to the package reaches
 * old resources. The host runs plain Node, so the package is JavaScript.
 */

/** Which of the package's providers a shim calls. */
export type Day2Kind = "rollout" | "bootstrapCheck";

/* eslint-disable @typescript-eslint/no-require-imports --
   a literal require by package name inside each method is what keeps the
   serialized provider a reference rather than a copy of the package. */
const rolloutProvider: pulumi.dynamic.ResourceProvider = {
  check: (olds, news) => require("@em-infra/day2").providers.rollout.check(olds, news),
  diff: (id, olds, news) => require("@em-infra/day2").providers.rollout.diff(id, olds, news),
  create: (inputs) => require("@em-infra/day2").providers.rollout.create(inputs),
  update: (id, olds, news) => require("@em-infra/day2").providers.rollout.update(id, olds, news),
  delete: (id, olds) => require("@em-infra/day2").providers.rollout.delete(id, olds),
};

const bootstrapCheckProvider: pulumi.dynamic.ResourceProvider = {
  diff: (id, olds, news) => require("@em-infra/day2").providers.bootstrapCheck.diff(id, olds, news),
  create: (inputs) => require("@em-infra/day2").providers.bootstrapCheck.create(inputs),
  delete: (id, olds) => require("@em-infra/day2").providers.bootstrapCheck.delete(id, olds),
};
/* eslint-enable @typescript-eslint/no-require-imports */

/** A dynamic resource whose provider is one of the package's. */
export class Day2Resource extends pulumi.dynamic.Resource {
  constructor(
    kind: Day2Kind,
    name: string,
    props: Record<string, pulumi.Input<unknown>>,
    opts?: pulumi.CustomResourceOptions,
  ) {
    const provider = kind === "rollout" ? rolloutProvider : bootstrapCheckProvider;
    // `kind` names the provider in state and in the offline engine's record.
    super(provider, name, { kind, ...props }, opts);
  }
}
