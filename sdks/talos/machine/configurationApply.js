"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.ConfigurationApply = void 0;

const pulumi = require("@pulumi/pulumi");
const utilities = require("../utilities");

const metadata = utilities.defineMetadata("resource", {
  token: "talos:machine/configurationApply:ConfigurationApply",
  inputs: [
    "applyMode",
    "clientConfiguration",
    "clientConfigurationWo",
    "configPatches",
    "endpoint",
    "machineConfigurationInput",
    "machineConfigurationInputWo",
    "node",
    "onDestroy",
    "timeouts",
  ],
  requiredInputs: ["node"],
  // clientConfiguration: not flagged in the schema, but it carries clientKey.
  // The other three are flagged secret by the schema itself.
  secretInputs: [
    "clientConfiguration",
    "clientConfigurationWo",
    "machineConfigurationInput",
    "machineConfigurationInputWo",
  ],
  outputs: [
    "applyMode",
    "clientConfiguration",
    "clientConfigurationWo",
    "configPatches",
    "endpoint",
    "machineConfiguration",
    "machineConfigurationHash",
    "machineConfigurationInput",
    "machineConfigurationInputWo",
    "node",
    "onDestroy",
    "resolvedApplyMode",
    "timeouts",
  ],
  secretOutputs: [
    "clientConfiguration",
    "clientConfigurationWo",
    "machineConfiguration",
    "machineConfigurationInput",
    "machineConfigurationInputWo",
  ],
});

/** Applies a machine configuration to a Talos node through the Talos API. */
class ConfigurationApply extends pulumi.CustomResource {
  /** Looks up an existing ConfigurationApply resource by provider ID. */
  static get(name, id, state, opts) {
    return new ConfigurationApply(name, state, Object.assign({}, opts, { id }));
  }

  /** True if `obj` is a ConfigurationApply resource, even one from another copy of this package. */
  static isInstance(obj) {
    return utilities.isInstanceOf(obj, ConfigurationApply.__pulumiType);
  }

  constructor(name, argsOrState, opts) {
    const { props, options } = utilities.prepareResource(metadata, name, argsOrState, opts);
    super(ConfigurationApply.__pulumiType, name, props, options);
  }
}
exports.ConfigurationApply = ConfigurationApply;
ConfigurationApply.__pulumiType = metadata.token;
ConfigurationApply.metadata = metadata;
