"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.Schematic = void 0;

const pulumi = require("@pulumi/pulumi");
const utilities = require("../utilities");

// Note the token's module is `imageFactory` (camel case) while the JavaScript
// namespace is `imagefactory`, as in the published package.
const metadata = utilities.defineMetadata("resource", {
  token: "talos:imageFactory/schematic:Schematic",
  inputs: ["schematic"],
  requiredInputs: [],
  secretInputs: [],
  outputs: ["schematic"],
  secretOutputs: [],
});

/** Registers an Image Factory schematic; the resource ID is the schematic ID. */
class Schematic extends pulumi.CustomResource {
  /** Looks up an existing Schematic resource by schematic ID. */
  static get(name, id, state, opts) {
    return new Schematic(name, state, Object.assign({}, opts, { id }));
  }

  /** True if `obj` is a Schematic resource, even one from another copy of this package. */
  static isInstance(obj) {
    return utilities.isInstanceOf(obj, Schematic.__pulumiType);
  }

  constructor(name, argsOrState, opts) {
    const { props, options } = utilities.prepareResource(metadata, name, argsOrState, opts);
    super(Schematic.__pulumiType, name, props, options);
  }
}
exports.Schematic = Schematic;
Schematic.__pulumiType = metadata.token;
Schematic.metadata = metadata;
