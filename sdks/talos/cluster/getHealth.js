"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.getHealthOutput = exports.getHealth = void 0;

const utilities = require("../utilities");

const metadata = utilities.defineMetadata("invoke", {
  token: "talos:cluster/getHealth:getHealth",
  inputs: [
    "clientConfiguration",
    "controlPlaneNodes",
    "endpoints",
    "skipKubernetesChecks",
    "timeouts",
    "workerNodes",
  ],
  requiredInputs: ["clientConfiguration", "controlPlaneNodes", "endpoints"],
  // The credentials carry clientKey (flagged only on the nested field) and the
  // provider echoes them back in the result.
  secretInputs: ["clientConfiguration"],
  outputs: [
    "clientConfiguration",
    "controlPlaneNodes",
    "endpoints",
    "id",
    "skipKubernetesChecks",
    "timeouts",
    "workerNodes",
  ],
  secretOutputs: ["clientConfiguration"],
});

/** Waits until the cluster is healthy (Promise form; the result is not secret-tracked). */
function getHealth(args, opts) {
  return utilities.invokePromise(metadata, args, opts);
}

/** Waits until the cluster is healthy (Output form; the result is secret). */
function getHealthOutput(args, opts) {
  return utilities.invokeOutput(metadata, args, opts);
}

getHealth.metadata = metadata;
getHealthOutput.metadata = metadata;
exports.getHealth = getHealth;
exports.getHealthOutput = getHealthOutput;
