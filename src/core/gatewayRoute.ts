import { isIPv6 } from 'node:net';

/**
 * How the gateway reads a request (DESIGN.md "Scaling"): whether its Host may be served at all, which
 * function it is for, and the path that function sees. Pure, so the rules are tested without sockets.
 */

/** A function's route: its name and the path (with query) forwarded to its instances. */
export interface Route {
  name: string;
  path: string;
}

// A host name or an IPv6 literal, then an optional port. Anything else (userinfo, spaces, several
// ports) is not a Host a browser or an HTTP client sends, and is refused.
const HOST_PATTERN = /^(\[[0-9a-f:.]+\]|[a-z0-9_.-]+)(?::\d{1,5})?$/;

/** The lowercased name of a Host header without its port ("Hello.LocalHost:8080" → "hello.localhost"); undefined when malformed or absent. */
export function hostNameOf(hostHeader: string | undefined): string | undefined {
  const match = HOST_PATTERN.exec((hostHeader ?? '').trim().toLowerCase());
  if (!match) return undefined;
  // "localhost." (a fully qualified name) is the same host as "localhost".
  return match[1].endsWith('.') ? match[1].slice(0, -1) : match[1];
}

const LOCALHOST_SUFFIX = '.localhost';

/**
 * Names that can only mean this machine. A web page on another site can point its own name at
 * 127.0.0.1 (DNS rebinding) and then call the gateway from the user's browser, but the browser
 * still sends that site's name as Host: refusing every other name stops it.
 */
export function isLoopbackName(name: string): boolean {
  return name === 'localhost' || name.endsWith(LOCALHOST_SUFFIX) || name === '127.0.0.1' || name === '[::1]';
}

/** Names containers use for the machine they run on (Docker Desktop, Docker's `host-gateway`, Podman). */
const CONTAINER_HOST_NAMES: ReadonlySet<string> = new Set(['host.docker.internal', 'host.containers.internal']);

/** The literal a Host header carries for a listen address: IPv6 in brackets. */
export function hostLiteral(address: string): string {
  return isIPv6(address) ? `[${address.toLowerCase()}]` : address.toLowerCase();
}

/**
 * The Host names a listener serves. On 127.0.0.1: loopback names only. On an extra address (one that
 * containers reach, such as the Docker bridge's gateway): also the names containers call the host
 * by, and the address itself, since an IP literal cannot be rebound.
 */
export function hostRuleFor(address: string): (name: string) => boolean {
  if (address === '127.0.0.1') return isLoopbackName;
  const literal = hostLiteral(address);
  return (name) => isLoopbackName(name) || CONTAINER_HOST_NAMES.has(name) || name === literal;
}

/**
 * `<name>.localhost` routes to `name` with the path kept; any other host routes by the first path
 * segment, which is removed (`/hello/rest?q` → `/rest?q`, `/hello` → `/`). Undefined when the path
 * names no function (`/`).
 */
export function routeOf(hostName: string, url: string): Route | undefined {
  if (hostName.endsWith(LOCALHOST_SUFFIX)) {
    return { name: hostName.slice(0, -LOCALHOST_SUFFIX.length), path: url.startsWith('/') ? url : `/${url}` };
  }
  const match = /^\/([^/?#]+)(.*)$/s.exec(url);
  if (!match) return undefined;
  const rest = match[2];
  return { name: match[1], path: rest.startsWith('/') ? rest : `/${rest}` };
}
