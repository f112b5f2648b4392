"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
const bootstrap = require("./bootstrap");
const configurationApply = require("./configurationApply");
const getConfiguration = require("./getConfiguration");
const secrets = require("./secrets");

exports.Bootstrap = bootstrap.Bootstrap;
exports.ConfigurationApply = configurationApply.ConfigurationApply;
exports.getConfiguration = getConfiguration.getConfiguration;
exports.getConfigurationOutput = getConfiguration.getConfigurationOutput;
exports.Secrets = secrets.Secrets;
