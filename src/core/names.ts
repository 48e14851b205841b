import { createHash } from 'node:crypto';
import * as path from 'node:path';

/**
 * Labels that let a VS Code instance find its containers again after a reload or a crash.
 * `owner` names the instance and folder (see ownerId): adoption, Clean Up and the clean-up helper
 * go by it, so two instances on one engine never touch each other's containers.
 */
export const LABEL_OWNER = 'local-serverless.owner';
/**
 * What versions before the owner label put on containers: the folder's id alone (workspaceId).
 * Only read, to find such containers and say they are left alone; never written, so an older
 * version on the same folder never mistakes our containers for its own.
 */
export const LEGACY_LABEL_WORKSPACE = 'local-serverless.workspace';
export const LABEL_FUNCTION = 'local-serverless.function';
export const LABEL_FOLDER = 'local-serverless.folder';
/** Which instance of its function a container is (`hello-2`): the tree, the log prefix and the replica header show it. */
export const LABEL_INSTANCE = 'local-serverless.instance';
/**
 * `job` on a one-shot job's container. Its container lives only while the job runs; should one be
 * found after a crash or a reload, the label tells it from a service's instance, which is adopted.
 */
export const LABEL_KIND = 'local-serverless.kind';
/** On a debugged instance: the container port its debugger listens on (published beside the function's port). */
export const LABEL_DEBUG_PORT = 'local-serverless.debug-port';

// Docker's rule for a name component (separators only between alphanumerics), at most 63 characters.
const NAME_PATTERN = /^(?=.{1,63}$)[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;

/**
 * Returns why `name` cannot name a function folder (and its image), or undefined when it can.
 * Docker image names are lowercase, so function names are too.
 */
export function validateFunctionName(name: string): string | undefined {
  const trimmed = name.trim();
  if (!trimmed) return 'Enter a name, e.g. "hello".';
  if (trimmed.includes('/') || trimmed.includes('\\') || trimmed === '.' || trimmed === '..') {
    return 'A function name is a single folder name: no slashes and no "." or "..".';
  }
  if (!NAME_PATTERN.test(trimmed)) {
    return 'Use lowercase letters and digits, joined by single ".", "_" or "-" (not at the start or end), at most 63 characters.';
  }
  return undefined;
}

/** Resolves `name` under `root`, refusing anything that would land outside it. */
export function resolveInside(root: string, name: string): string {
  const target = path.resolve(root, name);
  const relative = path.relative(root, target);
  if (!relative || relative.startsWith('..') || path.isAbsolute(relative)) {
    throw new Error(`"${name}" is outside the workspace folder ${root}.`);
  }
  return target;
}

/** The folder-only id of older versions (their label and image tags): the same folder gives the same id. */
export function workspaceId(workspacePath: string): string {
  return createHash('sha256').update(path.resolve(workspacePath)).digest('hex').slice(0, 12);
}

/** What tells one VS Code instance on a folder from another on the same engine. */
export interface OwnerParts {
  /** The workspace file or first folder. */
  folder: string;
  /** `vscode.env.uriScheme`: vscode, vscode-insiders, code-oss (code-server), … */
  uriScheme: string;
  /** `vscode.env.remoteName`, or '' for a local window. */
  remoteName: string;
  /** The extension's global storage folder: differs per user-data-dir (Stable, Insiders, each code-server). */
  globalStoragePath: string;
  /** The extension host's machine where a remote window runs (two dev containers with the same path differ only here), else ''. */
  host: string;
}

/**
 * A short id for one VS Code instance's view of one folder: stable across reloads of that instance
 * (so its containers are adopted), different for another instance on the same folder.
 */
export function ownerId(parts: OwnerParts): string {
  const key = JSON.stringify(['owner', path.resolve(parts.folder), parts.uriScheme, parts.remoteName, path.resolve(parts.globalStoragePath), parts.host]);
  return createHash('sha256').update(key).digest('hex').slice(0, 12);
}

/** Docker image names allow only lowercase [a-z0-9._-] components. The owner id keeps instances' images apart. */
export function imageTag(functionName: string, ownerId: string): string {
  const safe = functionName.toLowerCase()
    .replace(/[^a-z0-9._-]/g, '-')
    // Docker allows one separator between alphanumerics ("__" and runs of "-" too): collapse the rest.
    .replace(/[._-]*[._-](?=[._-])|^[._-]+|[._-]+$/g, (run) => (/^-+$/.test(run) ? run : ''))
    .replace(/^[._-]+|[._-]+$/g, '') || 'fn';
  return `local-serverless/${safe}-${ownerId}:dev`;
}
