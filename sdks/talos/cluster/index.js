"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
const getHealth = require("./getHealth");
const kubeconfig = require("./kubeconfig");

exports.getHealth = getHealth.getHealth;
exports.getHealthOutput = getHealth.getHealthOutput;
exports.Kubeconfig = kubeconfig.Kubeconfig;
