"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.getUrlsOutput = exports.getUrls = void 0;

const utilities = require("../utilities");

const metadata = utilities.defineMetadata("invoke", {
  token: "talos:imageFactory/getUrls:getUrls",
  inputs: ["architecture", "platform", "sbc", "schematicId", "talosVersion"],
  requiredInputs: ["schematicId", "talosVersion"],
  secretInputs: [],
  outputs: ["architecture", "id", "platform", "sbc", "schematicId", "talosVersion", "urls"],
  secretOutputs: [],
});

/** Computes Image Factory URLs for a schematic (Promise form). */
function getUrls(args, opts) {
  return utilities.invokePromise(metadata, args, opts);
}

/** Computes Image Factory URLs for a schematic (Output form). */
function getUrlsOutput(args, opts) {
  return utilities.invokeOutput(metadata, args, opts);
}

getUrls.metadata = metadata;
getUrlsOutput.metadata = metadata;
exports.getUrls = getUrls;
exports.getUrlsOutput = getUrlsOutput;
