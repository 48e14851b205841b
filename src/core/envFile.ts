import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { findNodeAtLocation, parseTree } from 'jsonc-parser';
import { containerRelativePath, type PathApi } from './containerPath';
import { isInside } from './insideFolder';

export type EnvFileResolution =
  /**
   * `file`: the real path to read. `inContext`: what must stay out of the build context, as the
   * context names it (relative to the function folder, forward slashes): the path as named and, when
   * that is a link, the file it leads to, each when it lies in the function folder.
   */
  | { ok: true; file: string; inContext: string[] }
  | { ok: false; message: string };

/** The env file as named in fn.json, as the build context names it; undefined when it is not in the function folder. `p`: the host's path implementation. */
export function envFileInContext(folder: string, envFile: string, p: PathApi = path): string | undefined {
  return containerRelativePath(folder, p.resolve(folder, envFile), p);
}

/**
 * Where a function's `envFile` really is. It must be a file inside the workspace folder once every
 * link is followed (a shared `.env` at the repository root is a common layout): a repository
 * nobody vouched for must not make us read `~/.aws/credentials` into a container.
 */
export async function resolveEnvFile(folder: string, envFile: string, workspaceFolder: string): Promise<EnvFileResolution> {
  const named = path.resolve(folder, envFile);
  const real = await fs.realpath(named).catch(() => undefined);
  if (!real) return { ok: false, message: `The env file "${envFile}" does not exist: create it or remove "envFile" from fn.json.` };
  const root = await fs.realpath(workspaceFolder).catch(() => path.resolve(workspaceFolder));
  if (!isInside(root, real)) {
    return { ok: false, message: `The env file "${envFile}" is outside the workspace folder (after following links): move the file into the workspace and point "envFile" at it.` };
  }
  if (!(await fs.stat(real)).isFile()) return { ok: false, message: `The env file "${envFile}" is not a file: point "envFile" at a KEY=VALUE file.` };
  // A link in the folder to a file in the folder: the context would hold that file's content under its own name.
  const realFolder = await fs.realpath(folder).catch(() => path.resolve(folder));
  const inContext = [envFileInContext(folder, envFile), containerRelativePath(realFolder, real)].filter((f): f is string => f !== undefined);
  return { ok: true, file: real, inContext: [...new Set(inContext)] };
}

/** The `envFile` value's place in fn.json, for a diagnostic on the field (the whole file when not found). */
export function envFileLocation(configText: string): { offset: number; length: number } {
  const root = parseTree(configText, [], { allowTrailingComma: true });
  const node = root && findNodeAtLocation(root, ['envFile']);
  return node ? { offset: node.offset, length: node.length } : { offset: 0, length: 0 };
}
