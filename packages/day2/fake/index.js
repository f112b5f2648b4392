// @ts-check
/**
 * The fake cluster, for tests and benchmarks only: `require("@em-infra/day2/fake")`.
 */
"use strict";

const { FakeCluster, startFakeCluster } = require("./cluster");
const { CallLog } = require("./callLog");
const { imageTag } = require("./talosNode");
const { FakePve, startFakePve } = require("./pve");

module.exports = { FakeCluster, startFakeCluster, CallLog, imageTag, FakePve, startFakePve };
