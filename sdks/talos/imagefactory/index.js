"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
const getUrls = require("./getUrls");
const schematic = require("./schematic");

exports.getUrls = getUrls.getUrls;
exports.getUrlsOutput = getUrls.getUrlsOutput;
exports.Schematic = schematic.Schematic;
