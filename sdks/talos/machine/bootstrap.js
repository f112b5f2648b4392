"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.Bootstrap = void 0;

const pulumi = require("@pulumi/pulumi");
const utilities = require("../utilities");

const metadata = utilities.defineMetadata("resource", {
  token: "talos:machine/bootstrap:Bootstrap",
  inputs: ["clientConfiguration", "clientConfigurationWo", "endpoint", "node", "timeouts"],
  requiredInputs: ["node"],
  // clientConfiguration is secret because it carries clientKey (the schema does
  // not flag it); clientConfigurationWo is flagged secret by the schema.
  secretInputs: ["clientConfiguration", "clientConfigurationWo"],
  outputs: ["clientConfiguration", "clientConfigurationWo", "endpoint", "node", "timeouts"],
  secretOutputs: ["clientConfiguration", "clientConfigurationWo"],
});

/** Bootstraps etcd on one control-plane node of a Talos cluster. */
class Bootstrap extends pulumi.CustomResource {
  /** Looks up an existing Bootstrap resource by provider ID. */
  static get(name, id, state, opts) {
    return new Bootstrap(name, state, Object.assign({}, opts, { id }));
  }

  /** True if `obj` is a Bootstrap resource, even one from another copy of this package. */
  static isInstance(obj) {
    return utilities.isInstanceOf(obj, Bootstrap.__pulumiType);
  }

  constructor(name, argsOrState, opts) {
    const { props, options } = utilities.prepareResource(metadata, name, argsOrState, opts);
    super(Bootstrap.__pulumiType, name, props, options);
  }
}
exports.Bootstrap = Bootstrap;
Bootstrap.__pulumiType = metadata.token;
Bootstrap.metadata = metadata;
