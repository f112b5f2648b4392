"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
const getConfiguration = require("./getConfiguration");

exports.getConfiguration = getConfiguration.getConfiguration;
exports.getConfigurationOutput = getConfiguration.getConfigurationOutput;
