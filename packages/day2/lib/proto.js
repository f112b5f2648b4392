// @ts-check
/**
 * Loads em-infra's own minimal Talos API and COSI protos (../proto) once per process.
 * `longs: String` because etcd member ids are uint64 and do not fit a JS number.
 */
"use strict";

const path = require("node:path");
const grpc = require("@grpc/grpc-js");
const protoLoader = require("@grpc/proto-loader");

/** Where the .proto files live. */
const PROTO_DIR = path.resolve(__dirname, "..", "proto");

/** The files that declare the services. */
const PROTO_FILES = [
  "machine/machine.proto",
  "machine/lifecycle.proto",
  "machine/image.proto",
  "cosi/v1alpha1/state.proto",
];

/** Loader options shared by the client and the fake server. */
const LOADER_OPTIONS = Object.freeze({
  includeDirs: [PROTO_DIR],
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
});

/**
 * @typedef {object} TalosServices
 * @property {grpc.ServiceClientConstructor} MachineService
 * @property {grpc.ServiceClientConstructor} LifecycleService
 * @property {grpc.ServiceClientConstructor} ImageService
 * @property {grpc.ServiceClientConstructor} State COSI's `cosi.resource.State`: Talos's resource API.
 */

/** @type {TalosServices | undefined} */
let services;

/** @returns {TalosServices} */
function talosServices() {
  if (services === undefined) {
    const definition = protoLoader.loadSync(PROTO_FILES, { ...LOADER_OPTIONS });
    const machine = /** @type {Record<string, grpc.ServiceClientConstructor>} */ (
      /** @type {Record<string, unknown>} */ (grpc.loadPackageDefinition(definition)).machine
    );
    services = {
      MachineService: machine.MachineService,
      LifecycleService: machine.LifecycleService,
      ImageService: machine.ImageService,
      State: /** @type {any} */ (grpc.loadPackageDefinition(definition)).cosi.resource.State,
    };
  }
  return services;
}

module.exports = { PROTO_DIR, PROTO_FILES, LOADER_OPTIONS, talosServices };
