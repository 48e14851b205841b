import { createHash } from 'node:crypto';
import * as path from 'node:path';

/** Labels that let us find a workspace's containers again after a reload or a crash. */
export const LABEL_WORKSPACE = 'local-serverless.workspace';
export const LABEL_FUNCTION = 'local-serverless.function';
export const LABEL_FOLDER = 'local-serverless.folder';

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

/** A short stable id for a workspace folder path: the same folder gives the same id across reloads. */
export function workspaceId(workspacePath: string): string {
  return createHash('sha256').update(path.resolve(workspacePath)).digest('hex').slice(0, 12);
}

/** Docker image names allow only lowercase [a-z0-9._-] components. */
export function imageTag(functionName: string, wsId: string): string {
  const safe = functionName.toLowerCase()
    .replace(/[^a-z0-9._-]/g, '-')
    // Docker allows one separator between alphanumerics ("__" and runs of "-" too): collapse the rest.
    .replace(/[._-]*[._-](?=[._-])|^[._-]+|[._-]+$/g, (run) => (/^-+$/.test(run) ? run : ''))
    .replace(/^[._-]+|[._-]+$/g, '') || 'fn';
  return `local-serverless/${safe}-${wsId}:dev`;
}
