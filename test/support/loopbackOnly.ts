/**
 * A guard for the day-two tests: from the moment this module loads, any TCP connection
 * to an address other than loopback throws instead of leaving the machine. The fake
 * cluster hands out inventory IPs (10.x) in certificates and kubeconfigs; a client
 * that ignored an endpoint override would dial one. This turns that bug into a test
 * failure rather than network traffic.
 */
import * as net from "net";

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+|localhost)$/;

/** The host a `connect` call names, if any (unix socket paths have none). */
function hostOf(args: unknown[]): string | undefined {
  const [first, second] = args;
  if (Array.isArray(first)) return hostOf(first as unknown[]);
  if (first !== null && typeof first === "object") {
    const o = first as { host?: unknown; path?: unknown };
    if (typeof o.path === "string") return undefined;
    return typeof o.host === "string" ? o.host : "localhost";
  }
  if (typeof first === "number" || (typeof first === "string" && /^\d+$/.test(first))) {
    return typeof second === "string" ? second : "localhost";
  }
  return undefined;
}

const GUARDED = Symbol.for("em-infra.loopbackOnly");
const proto = net.Socket.prototype as net.Socket & { [GUARDED]?: true };
if (proto[GUARDED] !== true) {
  const original = proto.connect;
  proto.connect = function (this: net.Socket, ...args: unknown[]) {
    const host = hostOf(args);
    if (host !== undefined && !LOOPBACK.test(host)) {
      throw new Error(
        `test tried to connect to ${host}: only loopback is allowed in day-two tests`,
      );
    }
    return (original as (...a: unknown[]) => net.Socket).apply(this, args);
  } as typeof proto.connect;
  proto[GUARDED] = true;
}

/** Whether `host` passes the guard (for the guard's own test). */
export function allowedHost(host: string): boolean {
  return LOOPBACK.test(host);
}
