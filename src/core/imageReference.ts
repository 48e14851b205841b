/**
 * Image references as Docker reads them (the distribution/reference grammar), checked before any
 * request: a name the engine would refuse gets a message that says which character or part is wrong
 * and where the value came from.
 */

/** A repository to push to: `registry.example.com/team/hello`, `127.0.0.1:5001/hello`, `myuser/hello`. */
export interface Repository {
  /** As written (familiar form for Docker Hub): what is tagged and pushed. */
  name: string;
  /** The registry's host[:port]; `docker.io` when the name has none. */
  registry: string;
  /** The path inside the registry: `team/hello`. */
  path: string;
}

/** Docker Hub, where a name without a registry host goes. */
export const DOCKER_HUB = 'docker.io';

const MAX_NAME_LENGTH = 255;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN_COMPONENT = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/**
 * Reads a repository name (no tag, no digest). Returns why it is not one, in words that say what
 * to write instead, or the repository.
 */
export function parseRepository(text: string): Repository | { problem: string } {
  const name = text.trim();
  if (!name) return { problem: 'it is empty' };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(name)) return { problem: 'write it without a scheme (no http:// or https://), e.g. registry.example.com/team/hello' };
  if (/\s/.test(name)) return { problem: 'it contains a space' };
  if (name.includes('@')) return { problem: 'it has a digest (@sha256:…): write the repository alone; Push Image tags with the content digest' };
  if (name.length > MAX_NAME_LENGTH) return { problem: `it is ${name.length} characters long, over Docker's limit of ${MAX_NAME_LENGTH}` };
  const parts = name.split('/');
  const last = parts[parts.length - 1];
  if (parts.length === 1 && /:\d+$/.test(name)) return { problem: `it names only a registry: add the repository, e.g. ${name}/hello` };
  if (last.includes(':')) return { problem: `it has a tag (":${last.slice(last.indexOf(':') + 1)}"): write the repository alone; Push Image tags with the content digest` };
  // Docker's rule: the first part names a registry when it has a dot or a port, or is localhost.
  const hasRegistry = parts.length > 1 && (/[.:]/.test(parts[0]) || parts[0] === 'localhost');
  const registry = hasRegistry ? parts[0] : DOCKER_HUB;
  if (hasRegistry) {
    const problem = registryProblem(registry);
    if (problem) return { problem };
  }
  const pathParts = hasRegistry ? parts.slice(1) : parts;
  for (const part of pathParts) {
    if (!part) return { problem: 'it has an empty part (two slashes in a row, or a slash at either end)' };
    if (PATH_COMPONENT.test(part)) continue;
    if (PATH_COMPONENT.test(part.toLowerCase())) return { problem: `"${part}" has capital letters: repository names are lowercase` };
    return { problem: `"${part}" may hold only lowercase letters and digits, joined by single ".", "_", "__" or runs of "-" (not at the start or end)` };
  }
  return { name, registry, path: pathParts.join('/') };
}

function registryProblem(host: string): string | undefined {
  const colon = host.lastIndexOf(':');
  const domain = colon >= 0 ? host.slice(0, colon) : host;
  if (colon >= 0) {
    const port = host.slice(colon + 1);
    if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) return `the registry "${host}" has an invalid port ("${port}")`;
  }
  if (!domain.split('.').every((c) => DOMAIN_COMPONENT.test(c))) return `the registry "${host}" is not a host name or address (letters, digits, "-" and ".", then an optional :port)`;
  return undefined;
}

export function isValidTag(tag: string): boolean {
  return TAG.test(tag);
}

/** Where Push Image sends a function's image, and which setting chose it (for messages). */
export interface PushDestination {
  repository: Repository;
  /** `fn.json "image"` or `the localServerless.registry setting (user settings)`. */
  configuredBy: string;
}

/**
 * fn.json's "image" when set; otherwise the registry setting (a registry and optional path, such as
 * registry.example.com/team) plus the function's name. Returns a problem, saying what to set or fix,
 * when neither gives a valid repository.
 */
export function pushDestination(functionName: string, image: string | undefined, registrySetting: { value: string; source: string } | undefined): PushDestination | { problem: string } {
  if (image !== undefined) {
    const configuredBy = 'fn.json "image"';
    const parsed = parseRepository(image);
    if ('problem' in parsed) return { problem: `${configuredBy} ("${image}") is not an image repository: ${parsed.problem}.` };
    if (parsed.registry === DOCKER_HUB && !parsed.path.includes('/')) {
      return { problem: `${configuredBy} ("${image}") would name an official Docker Hub image (docker.io/library/${parsed.path}): include the registry, e.g. registry.example.com/team/${parsed.path}, or your Docker Hub user, e.g. myuser/${parsed.path}.` };
    }
    return { repository: parsed, configuredBy };
  }
  const prefix = registrySetting?.value.trim().replace(/\/+$/, '');
  if (!prefix) {
    return { problem: `Push Image does not know where to send ${functionName}: set localServerless.registry (e.g. registry.example.com/team) or "image" in the function's fn.json (e.g. registry.example.com/team/${functionName}).` };
  }
  const configuredBy = `the localServerless.registry setting (${registrySetting!.source})`;
  const parsed = parseRepository(`${prefix}/${functionName}`);
  if ('problem' in parsed) return { problem: `${configuredBy} ("${registrySetting!.value}") does not make an image repository with ${functionName}: ${parsed.problem}.` };
  return { repository: parsed, configuredBy };
}

/** Splits `repository[:tag][@digest]`; a colon before the last slash is a registry's port, not a tag. */
export function splitReference(reference: string): { repository: string; tag?: string; digest?: string } {
  const at = reference.indexOf('@');
  const rest = at >= 0 ? reference.slice(0, at) : reference;
  const digest = at >= 0 ? reference.slice(at + 1) : undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) return { repository: rest.slice(0, colon), tag: rest.slice(colon + 1), digest };
  return { repository: rest, digest };
}

/** The registry host[:port] a repository or reference lives in (`docker.io` for none), by Docker's rule. */
export function registryOf(reference: string): string {
  const { repository } = splitReference(reference);
  const first = repository.split('/')[0];
  return repository.includes('/') && (/[.:]/.test(first) || first === 'localhost') ? first : DOCKER_HUB;
}
