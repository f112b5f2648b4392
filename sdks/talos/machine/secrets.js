"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.Secrets = void 0;

const pulumi = require("@pulumi/pulumi");
const utilities = require("../utilities");

const metadata = utilities.defineMetadata("resource", {
  token: "talos:machine/secrets:Secrets",
  inputs: ["talosVersion"],
  requiredInputs: [],
  secretInputs: [],
  outputs: ["clientConfiguration", "machineSecrets", "talosVersion"],
  // Neither is flagged secret at the top level in the schema, but both hold
  // private keys (clientKey; every CA key, the bootstrap and trustd tokens).
  secretOutputs: ["clientConfiguration", "machineSecrets"],
});

/** Generates the secrets bundle (CAs, keys, tokens) of a Talos cluster. */
class Secrets extends pulumi.CustomResource {
  /** Looks up an existing Secrets resource by provider ID. */
  static get(name, id, state, opts) {
    return new Secrets(name, state, Object.assign({}, opts, { id }));
  }

  /** True if `obj` is a Secrets resource, even one from another copy of this package. */
  static isInstance(obj) {
    return utilities.isInstanceOf(obj, Secrets.__pulumiType);
  }

  constructor(name, argsOrState, opts) {
    const { props, options } = utilities.prepareResource(metadata, name, argsOrState, opts);
    super(Secrets.__pulumiType, name, props, options);
  }
}
exports.Secrets = Secrets;
Secrets.__pulumiType = metadata.token;
Secrets.metadata = metadata;
