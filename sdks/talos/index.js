"use strict";
// Entry point of the local `@pulumiverse/talos` subset. Module layout follows the
// published SDK so that switching packages needs no code change.
Object.defineProperty(exports, "__esModule", { value: true });

exports.client = require("./client");
exports.cluster = require("./cluster");
exports.imagefactory = require("./imagefactory");
exports.machine = require("./machine");
exports.types = require("./types");
