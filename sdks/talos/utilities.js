"use strict";
// Internal helpers shared by every resource and invoke in this package.
//
// Each resource class and invoke function carries a frozen metadata object
// (token, input names, required inputs, secret inputs, output names, secret
// outputs). The code below is driven entirely by that object, and the test
// suite checks the same object against the upstream schema, so what is tested
// is what runs.
//
// Secret rule: a property is secret if the schema flags it `secret: true` OR
// if its type contains a secret field at any depth (e.g. `clientConfiguration`
// holds `clientKey`, `machineSecrets` holds CA keys and the bootstrap token).
// Pulumi can only mark a whole top-level property secret, never a nested
// field, so without the second half a client key would land in the state file
// and in previews in plain text.
Object.defineProperty(exports, "__esModule", { value: true });

const pulumi = require("@pulumi/pulumi");
const pkg = require("./package.json");

/** Provider release this package targets; read from package.json so there is one source. */
const PACKAGE_VERSION = pkg.version;
/** Where the Pulumi CLI downloads the `talos` resource plugin from. */
const PLUGIN_DOWNLOAD_URL = pkg.pulumi.server;

function unique(names) {
  return Array.from(new Set(names));
}

/**
 * Freezes a metadata description so that no caller (or test) can change what the
 * runtime does after load.
 */
function defineMetadata(kind, meta) {
  const frozen = { kind };
  for (const key of ["inputs", "requiredInputs", "secretInputs", "outputs", "secretOutputs"]) {
    frozen[key] = Object.freeze(meta[key].slice());
  }
  frozen.token = meta.token;
  return Object.freeze(frozen);
}

/**
 * Fills in the plugin version and download URL unless the caller chose their own.
 * Without them the engine would look for whatever `talos` plugin happens to be
 * installed instead of fetching the release this package was written against.
 */
function withPluginDefaults(opts) {
  const out = Object.assign({}, opts);
  if (out.version === undefined) {
    out.version = PACKAGE_VERSION;
  }
  if (out.pluginDownloadURL === undefined) {
    out.pluginDownloadURL = PLUGIN_DOWNLOAD_URL;
  }
  return out;
}

function missingPropertyError(meta, what, property) {
  return new Error(`${meta.token}: ${what} is missing required property '${property}'`);
}

function secretOrUndefined(value) {
  return value === undefined || value === null ? undefined : pulumi.secret(value);
}

/**
 * Builds the property bag and options for a CustomResource constructor.
 *
 * - Lookup (`opts.id` set, i.e. `Resource.get`): every state property is passed
 *   through, secret ones wrapped.
 * - Create: required inputs are checked (unless `opts.urn` is set, which means
 *   the engine is rehydrating an existing resource), only known inputs are
 *   copied, secret ones wrapped, and output-only properties are seeded as
 *   `undefined` so the base class creates an Output for each of them.
 *
 * Secret outputs are appended to `additionalSecretOutputs` in both cases.
 */
function prepareResource(meta, name, argsOrState, opts) {
  const options = withPluginDefaults(opts);
  const source = argsOrState || {};
  const props = {};
  const secretInputs = new Set(meta.secretInputs);
  const secretOutputs = new Set(meta.secretOutputs);

  if (options.id) {
    for (const key of meta.outputs) {
      props[key] = secretOutputs.has(key) ? secretOrUndefined(source[key]) : source[key];
    }
  } else {
    if (!options.urn) {
      for (const key of meta.requiredInputs) {
        if (source[key] === undefined) {
          throw missingPropertyError(meta, `resource "${name}"`, key);
        }
      }
    }
    for (const key of meta.inputs) {
      props[key] = secretInputs.has(key) ? secretOrUndefined(source[key]) : source[key];
    }
    for (const key of meta.outputs) {
      if (!(key in props)) {
        props[key] = undefined;
      }
    }
  }

  options.additionalSecretOutputs = unique(
    (options.additionalSecretOutputs || []).concat(meta.secretOutputs),
  );
  return { props, options };
}

function checkInvokeArgs(meta, args) {
  const source = args || {};
  for (const key of meta.requiredInputs) {
    if (source[key] === undefined) {
      throw missingPropertyError(meta, "invoke", key);
    }
  }
  return source;
}

/**
 * Promise form. The runtime strips secretness from plain invokes (it returns bare
 * values), so wrapping inputs here would change nothing; callers that need the
 * result to stay secret must use the Output form.
 */
function invokePromise(meta, args, opts) {
  const source = checkInvokeArgs(meta, args);
  const props = {};
  for (const key of meta.inputs) {
    props[key] = source[key];
  }
  return pulumi.runtime.invoke(meta.token, props, withPluginDefaults(opts));
}

/**
 * Output form. Secret inputs are wrapped, which makes the runtime mark the whole
 * result secret; if the result itself has secret properties it is marked secret
 * explicitly as well, because an invoke result is one Output and its fields
 * cannot be secret one by one.
 */
function invokeOutput(meta, args, opts) {
  const source = checkInvokeArgs(meta, args);
  const secretInputs = new Set(meta.secretInputs);
  const props = {};
  for (const key of meta.inputs) {
    props[key] = secretInputs.has(key) ? secretOrUndefined(source[key]) : source[key];
  }
  const result = pulumi.runtime.invokeOutput(meta.token, props, withPluginDefaults(opts));
  return meta.secretOutputs.length > 0 ? pulumi.secret(result) : result;
}

/** `isInstance` that survives several copies of this package being loaded. */
function isInstanceOf(obj, token) {
  return obj !== undefined && obj !== null && obj.__pulumiType === token;
}

exports.PACKAGE_VERSION = PACKAGE_VERSION;
exports.PLUGIN_DOWNLOAD_URL = PLUGIN_DOWNLOAD_URL;
exports.defineMetadata = defineMetadata;
exports.withPluginDefaults = withPluginDefaults;
exports.prepareResource = prepareResource;
exports.invokePromise = invokePromise;
exports.invokeOutput = invokeOutput;
exports.isInstanceOf = isInstanceOf;
