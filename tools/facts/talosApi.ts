/**
 * Facts from the Talos machine API protos (v1.13.3): every service and method with its
 * request and response types and streaming, every message's fields (number, type,
 * repeated or map, oneof) and every enum's values, for the packages `machine`,
 * `common` and `google.rpc`. packages/day2/proto declares a subset by hand; a test
 * checks that subset against these facts, so a clone without ../shared still runs it.
 */
import * as path from "path";
import * as protobuf from "protobufjs";
import type { FactsSource } from "./types";

/** The upstream folder, relative to ../shared/upstream. */
const DIR = "talos-api-v1.13.3";

/** The packages whose definitions are recorded. */
export const TALOS_API_PACKAGES = ["machine", "common", "google.rpc"] as const;

/** A method as `Request -> Response`, each prefixed `stream ` when streamed. */
export type MethodFact = string;
/** A field as `<number> [repeated |map<k,v> ]<type>[ oneof <name>]`. */
export type FieldFact = string;

/** What the talos-api facts file holds. */
export interface TalosApiFacts {
  /** `package.Service` -> method -> {@link MethodFact}. */
  readonly services: Readonly<Record<string, Readonly<Record<string, MethodFact>>>>;
  /** `package.Message` (nested with dots) -> field name (as in the .proto) -> {@link FieldFact}. */
  readonly messages: Readonly<Record<string, Readonly<Record<string, FieldFact>>>>;
  /** `package.Enum` -> value name -> number. */
  readonly enums: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

/**
 * Loads .proto files into a protobufjs root, resolving their imports with `resolve`
 * (google/protobuf/* come from protobufjs's bundled copies).
 */
export function loadProtoRoot(
  files: readonly string[],
  resolve: (importPath: string) => string,
): protobuf.Root {
  const bundled = path.join(path.dirname(require.resolve("protobufjs/package.json")));
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => {
    if (target.startsWith("google/protobuf/")) return path.join(bundled, target);
    return path.isAbsolute(target) ? target : resolve(target);
  };
  root.loadSync(
    files.map((f) => resolve(f)),
    { keepCase: true },
  );
  root.resolveAll();
  return root;
}

function fullName(o: protobuf.ReflectionObject): string {
  return o.fullName.replace(/^\./, "");
}

function typeName(field: protobuf.Field): string {
  return field.resolvedType === null ? field.type : fullName(field.resolvedType);
}

/**
 * The facts of every definition of `root` in the given packages (by default the Talos
 * machine API's). A nested package (`cosi.resource.meta`) counts only when listed.
 */
export function protoFacts(
  root: protobuf.Root,
  packages: readonly string[] = TALOS_API_PACKAGES,
): TalosApiFacts {
  const inPackages = (name: string): boolean =>
    packages.some((p) => name.slice(0, name.lastIndexOf(".")) === p) ||
    packages.some((p) => name.startsWith(`${p}.`) && /^[A-Z]/.test(name.slice(p.length + 1)));
  const services: Record<string, Record<string, MethodFact>> = {};
  const messages: Record<string, Record<string, FieldFact>> = {};
  const enums: Record<string, Record<string, number>> = {};
  const visit = (ns: protobuf.NamespaceBase): void => {
    for (const o of ns.nestedArray) {
      const name = fullName(o);
      if (o instanceof protobuf.Service) {
        if (inPackages(name)) {
          const methods: Record<string, MethodFact> = {};
          for (const m of o.methodsArray) {
            m.resolve();
            const req = fullName(m.resolvedRequestType as protobuf.Type);
            const res = fullName(m.resolvedResponseType as protobuf.Type);
            methods[m.name] =
              `${m.requestStream === true ? "stream " : ""}${req} -> ${m.responseStream === true ? "stream " : ""}${res}`;
          }
          services[name] = methods;
        }
      } else if (o instanceof protobuf.Type) {
        if (inPackages(name)) {
          const fields: Record<string, FieldFact> = {};
          for (const f of o.fieldsArray) {
            const type =
              f instanceof protobuf.MapField
                ? `map<${f.keyType},${typeName(f)}>`
                : `${f.repeated ? "repeated " : ""}${typeName(f)}`;
            const oneof = f.partOf === null ? "" : ` oneof ${f.partOf.name}`;
            fields[f.name] = `${f.id} ${type}${oneof}`;
          }
          messages[name] = fields;
        }
        visit(o);
      } else if (o instanceof protobuf.Enum) {
        if (inPackages(name)) enums[name] = { ...o.values };
      } else if (o instanceof protobuf.Namespace) {
        visit(o);
      }
    }
  };
  visit(root);
  const sorted = <T>(r: Record<string, T>): Record<string, T> =>
    Object.fromEntries(Object.entries(r).sort(([a], [b]) => a.localeCompare(b)));
  return { services: sorted(services), messages: sorted(messages), enums: sorted(enums) };
}

/** The upstream files read, relative to ../shared/upstream. */
const FILES = [
  `${DIR}/machine/machine.proto`,
  `${DIR}/machine/lifecycle.proto`,
  `${DIR}/machine/image.proto`,
  `${DIR}/common/common.proto`,
  `${DIR}/vendor/google/rpc/status.proto`,
];

/** The Talos machine API facts source. */
export const talosApiFacts: FactsSource = {
  name: "talos-api",
  origin:
    "github.com/siderolabs/talos api/ at tag v1.13.3 (commit befeda7cb3b8a771a965e0f944b13d80b8151a95)",
  files: FILES,
  extract(upstreamDir: string): TalosApiFacts {
    const base = path.join(upstreamDir, DIR);
    const resolve = (p: string): string =>
      p.startsWith("google/rpc/") ? path.join(base, "vendor", p) : path.join(base, p);
    return protoFacts(
      loadProtoRoot(
        ["machine/machine.proto", "machine/lifecycle.proto", "machine/image.proto"],
        resolve,
      ),
    );
  },
};
