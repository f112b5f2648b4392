"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.getConfigurationOutput = exports.getConfiguration = void 0;

const utilities = require("../utilities");

const metadata = utilities.defineMetadata("invoke", {
  token: "talos:client/getConfiguration:getConfiguration",
  inputs: ["clientConfiguration", "clusterName", "endpoints", "nodes"],
  requiredInputs: ["clientConfiguration", "clusterName"],
  // clientConfiguration carries clientKey although the schema only flags the
  // nested field; talosConfig is flagged by the schema.
  secretInputs: ["clientConfiguration"],
  outputs: ["clientConfiguration", "clusterName", "endpoints", "id", "nodes", "talosConfig"],
  secretOutputs: ["clientConfiguration", "talosConfig"],
});

/** Builds a talosconfig (Promise form; the result is not secret-tracked). */
function getConfiguration(args, opts) {
  return utilities.invokePromise(metadata, args, opts);
}

/** Builds a talosconfig (Output form; the result is secret). */
function getConfigurationOutput(args, opts) {
  return utilities.invokeOutput(metadata, args, opts);
}

getConfiguration.metadata = metadata;
getConfigurationOutput.metadata = metadata;
exports.getConfiguration = getConfiguration;
exports.getConfigurationOutput = getConfigurationOutput;
