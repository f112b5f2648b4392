"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.getConfigurationOutput = exports.getConfiguration = void 0;

const utilities = require("../utilities");

const metadata = utilities.defineMetadata("invoke", {
  token: "talos:machine/getConfiguration:getConfiguration",
  inputs: [
    "clusterEndpoint",
    "clusterName",
    "configPatches",
    "docs",
    "examples",
    "kubernetesVersion",
    "machineSecrets",
    "machineType",
    "talosVersion",
  ],
  requiredInputs: ["clusterEndpoint", "clusterName", "machineSecrets", "machineType"],
  // machineSecrets is not flagged at the top level, but every CA key and token
  // sits inside it.
  secretInputs: ["machineSecrets"],
  outputs: [
    "clusterEndpoint",
    "clusterName",
    "configPatches",
    "docs",
    "examples",
    "id",
    "kubernetesVersion",
    "machineConfiguration",
    "machineSecrets",
    "machineType",
    "talosVersion",
  ],
  secretOutputs: ["machineConfiguration", "machineSecrets"],
});

/** Renders a Talos machine configuration (Promise form; the result is not secret-tracked). */
function getConfiguration(args, opts) {
  return utilities.invokePromise(metadata, args, opts);
}

/** Renders a Talos machine configuration (Output form; the result is secret). */
function getConfigurationOutput(args, opts) {
  return utilities.invokeOutput(metadata, args, opts);
}

getConfiguration.metadata = metadata;
getConfigurationOutput.metadata = metadata;
exports.getConfiguration = getConfiguration;
exports.getConfigurationOutput = getConfigurationOutput;
