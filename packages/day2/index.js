// @ts-check
/**
 * @em-infra/day2: the clients em-infra's day-two work talks to a running cluster with.
 * The fake cluster they are tested against is `require("@em-infra/day2/fake")`.
 */
"use strict";

const talos = require("./lib/talos");
const kube = require("./lib/kube");
const pve = require("./lib/pve");
const credentials = require("./lib/credentials");
const endpoints = require("./lib/endpoints");
const errors = require("./lib/errors");
const retry = require("./lib/retry");
const tar = require("./lib/tar");
const bootstrapCheck = require("./lib/bootstrapCheck");
const rolloutProvider = require("./rollout/provider");
const rolloutPlan = require("./rollout/plan");
const rolloutStop = require("./rollout/stop");
const snapshots = require("./lib/snapshots");
const recover = require("./lib/recover");
const bootstrapManifests = require("./rollout/manifests");
const stackName = require("./lib/stackName");

module.exports = {
  createTalosClient: talos.createTalosClient,
  TalosClient: talos.TalosClient,
  createKubeClient: kube.createKubeClient,
  KubeClient: kube.KubeClient,
  readKubeconfig: kube.readKubeconfig,
  createPveClient: pve.createPveClient,
  PveClient: pve.PveClient,
  pendingChanges: pve.pendingChanges,
  PVE_PRIVILEGES: pve.REQUIRED_PRIVILEGES,
  talosCredentials: credentials.talosCredentials,
  talosconfigCredentials: credentials.talosconfigCredentials,
  nodeKeyPem: credentials.nodeKeyPem,
  TALOS_API_PORT: endpoints.TALOS_API_PORT,
  parseHostPort: endpoints.parseHostPort,
  formatHostPort: endpoints.formatHostPort,
  checkTalosEndpoints: endpoints.checkTalosEndpoints,
  parseTalosEndpoints: endpoints.parseTalosEndpoints,
  checkKubernetesEndpoint: endpoints.checkKubernetesEndpoint,
  parseKubernetesEndpoint: endpoints.parseKubernetesEndpoint,
  talosDialTarget: endpoints.talosDialTarget,
  Day2Error: errors.Day2Error,
  Day2InputError: errors.Day2InputError,
  redact: errors.redact,
  secretFragments: errors.secretFragments,
  waitFor: retry.waitFor,
  readTarGz: tar.readTarGz,
  createBootstrapCheckProvider: bootstrapCheck.createBootstrapCheckProvider,
  createRolloutProvider: rolloutProvider.createRolloutProvider,
  rolloutLineLogger: rolloutProvider.lineLogger,
  rolloutPlan,
  bootstrapManifests,
  takeSnapshot: snapshots.takeSnapshot,
  snapshotFromCluster: snapshots.snapshotFromCluster,
  listSnapshots: snapshots.listSnapshots,
  pruneSnapshots: snapshots.pruneSnapshots,
  fileSha256: snapshots.fileSha256,
  checkSnapshotFile: snapshots.checkSnapshotFile,
  caFingerprint: snapshots.caFingerprint,
  recoverEtcd: recover.recoverEtcd,
  RecoverError: recover.RecoverError,
  requestStop: rolloutStop.requestStop,
  stackNameProblem: stackName.stackNameProblem,
  runningRollout: rolloutStop.runningRollout,
  // The dynamic providers, each reached by the program's serialized shims as
  // require("@em-infra/day2").providers.<name>.<method>, so fixes reach old state.
  providers: {
    bootstrapCheck: bootstrapCheck.bootstrapCheck,
    /** The rollout dynamic provider with real clients, logging to the console. */
    rollout: rolloutProvider.createRolloutProvider(),
  },
};
