import type { Stats } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { relativeIsInside, type PathApi } from './containerPath';
import { UserFacingError } from './errors';

/**
 * Keeping reads and writes inside a folder when the folder may hold symbolic links: a repository
 * can commit a link to `/usr`, `~/.ssh` or anywhere else, and following it would read or write
 * there. Paths are compared after resolving links (real paths), so a folder that is itself reached
 * through a link (a workspace under a linked home directory) still works.
 */

/**
 * Whether `candidate` is `root` itself or lies below it (lexically: pass real paths to compare real
 * locations). `p`: the host's path implementation (path.win32 in tests of Windows paths).
 */
export function isInside(root: string, candidate: string, p: PathApi = path): boolean {
  const relative = p.relative(root, candidate);
  return relative === '' || relativeIsInside(relative, p);
}

/** The real path of `file` when it exists and its real path stays inside `root`'s; else undefined. */
export async function realPathInside(root: string, file: string): Promise<string | undefined> {
  const [realRoot, real] = await Promise.all([fs.realpath(root), fs.realpath(file).catch(() => undefined)]);
  return real !== undefined && isInside(realRoot, real) ? real : undefined;
}

/**
 * The text of `file` when it is a regular file (links followed) whose real path stays inside
 * `root`'s and that holds at most `maxBytes`; else undefined (missing, a link leading out, too big).
 * For files that are only looked at: a repository may link them anywhere on the machine.
 */
export async function readTextInside(root: string, file: string, maxBytes: number): Promise<string | undefined> {
  const real = await realPathInside(root, file).catch(() => undefined);
  if (real === undefined) return undefined;
  const stat = await fs.stat(real).catch(() => undefined);
  if (!stat?.isFile() || stat.size > maxBytes) return undefined;
  return fs.readFile(real, 'utf8').catch(() => undefined);
}

/**
 * Refuses (with a message saying what to do) to write `target` when it is a symbolic link, or when
 * reaching it follows a link out of `root`: the deepest part of the path that exists is resolved
 * and must stay inside `root`. A link inside `root` that points elsewhere inside it is fine.
 * Call it right before writing: it cannot stop a link created after it ran.
 */
export async function assertWritableInside(root: string, target: string): Promise<void> {
  const shown = (p: string) => path.relative(root, p).split(path.sep).join('/') || '.';
  if (!isInside(path.resolve(root), path.resolve(target))) {
    throw new UserFacingError(`${target} is outside ${root}: Local Serverless only writes inside it.`);
  }
  const targetStat = await lstatOrUndefined(target);
  if (targetStat?.isSymbolicLink()) {
    throw new UserFacingError(`${shown(target)} is a symbolic link (to ${await fs.readlink(target)}): Local Serverless does not write through links. Delete the link (or replace it with a regular file) and try again.`);
  }
  // The deepest part of the path that exists (as anything, a dangling link included).
  let existing = path.resolve(target);
  while (!(await lstatOrUndefined(existing))) existing = path.dirname(existing);
  const realRoot = await fs.realpath(root);
  const resolved = await fs.realpath(existing).catch(() => undefined);
  if (resolved !== undefined && isInside(realRoot, resolved)) return;
  const link = await firstLinkBetween(path.resolve(root), existing);
  const where = link ? `, because ${shown(link)} is a symbolic link to ${await fs.readlink(link)}` : '';
  const destination = resolved ? ` (to ${path.join(resolved, path.relative(existing, target))})` : '';
  throw new UserFacingError(`${shown(target)} would be written outside ${root}${destination}${where}. Local Serverless does not write through links that leave the folder: Remove the link (or replace it with a real folder) and try again.`);
}

/**
 * Of `files` (relative to `folder`, forward slashes), those reached through a linked folder whose
 * real path leaves `folder`: copying them would send content from outside. A file that is itself a
 * link is not named: it is copied as a link (never read through), as `docker build` does.
 */
export async function filesReachedThroughLinks(folder: string, files: string[]): Promise<string[]> {
  const realFolder = await fs.realpath(folder);
  const outside: string[] = [];
  for (const file of files) {
    let parent = path.dirname(path.resolve(folder, file));
    while (!(await lstatOrUndefined(parent)) && isInside(path.resolve(folder), parent)) parent = path.dirname(parent);
    const realParent = await fs.realpath(parent).catch(() => undefined);
    if (realParent === undefined || !isInside(realFolder, realParent)) outside.push(file);
  }
  return outside;
}

/** The first symbolic link on the way from `root` (exclusive) down to `target` (inclusive). */
async function firstLinkBetween(root: string, target: string): Promise<string | undefined> {
  let current = root;
  for (const segment of path.relative(root, target).split(path.sep).filter(Boolean)) {
    current = path.join(current, segment);
    if ((await lstatOrUndefined(current))?.isSymbolicLink()) return current;
  }
  return undefined;
}

async function lstatOrUndefined(file: string): Promise<Stats | undefined> {
  try {
    return await fs.lstat(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
}
