"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.Kubeconfig = void 0;

const pulumi = require("@pulumi/pulumi");
const utilities = require("../utilities");

const metadata = utilities.defineMetadata("resource", {
  token: "talos:cluster/kubeconfig:Kubeconfig",
  inputs: ["certificateRenewalDuration", "clientConfiguration", "endpoint", "node", "timeouts"],
  requiredInputs: ["clientConfiguration", "node"],
  // clientConfiguration carries the Talos clientKey; the schema flags only the
  // nested field.
  secretInputs: ["clientConfiguration"],
  outputs: [
    "certificateRenewalDuration",
    "clientConfiguration",
    "endpoint",
    "kubeconfigRaw",
    "kubernetesClientConfiguration",
    "node",
    "timeouts",
  ],
  // kubeconfigRaw is flagged by the schema; kubernetesClientConfiguration holds
  // the Kubernetes admin key, clientConfiguration the Talos one.
  secretOutputs: ["clientConfiguration", "kubeconfigRaw", "kubernetesClientConfiguration"],
});

/** Fetches an admin kubeconfig from a bootstrapped Talos control-plane node. */
class Kubeconfig extends pulumi.CustomResource {
  /** Looks up an existing Kubeconfig resource by provider ID. */
  static get(name, id, state, opts) {
    return new Kubeconfig(name, state, Object.assign({}, opts, { id }));
  }

  /** True if `obj` is a Kubeconfig resource, even one from another copy of this package. */
  static isInstance(obj) {
    return utilities.isInstanceOf(obj, Kubeconfig.__pulumiType);
  }

  constructor(name, argsOrState, opts) {
    const { props, options } = utilities.prepareResource(metadata, name, argsOrState, opts);
    super(Kubeconfig.__pulumiType, name, props, options);
  }
}
exports.Kubeconfig = Kubeconfig;
Kubeconfig.__pulumiType = metadata.token;
Kubeconfig.metadata = metadata;
