import { watch, type FSWatcher } from 'chokidar';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { loadDockerignore } from '../core/buildContext';
import { containerRelativePath } from '../core/containerPath';
import type { Disposable } from '../core/emitter';
import type { FileChange } from '../core/updatePlan';

/** Folders never watched: they are big, and nothing in them is part of the function's source. */
const ALWAYS_IGNORED = new Set(['.git', 'node_modules', '__pycache__', '.venv']);

export interface FolderWatcher extends Disposable {
  /** Resolves when the initial scan is done and changes are being reported. */
  readonly ready: Promise<void>;
  /**
   * Where `file` (a path VS Code saved) is in the folder as this watcher would report it: relative,
   * with forward slashes, through the folder's real path. Undefined for a file this watcher would not
   * report: outside the folder, ignored, a link itself, or reached through a link that leaves it.
   */
  reportedPath(file: string): Promise<string | undefined>;
}

/**
 * Watches one function's folder (the only place that imports chokidar). Skips `.git`,
 * `node_modules` and what the folder's `.dockerignore` excludes, without descending into them,
 * so a 50,000-file node_modules costs nothing. Never follows a symbolic link: a link is reported
 * as the link itself, so a committed link to `/usr` is not crawled and nothing under it is synced.
 */
export async function watchFolder(functionFolder: string, onChange: (change: FileChange) => void): Promise<FolderWatcher> {
  // Watched by its real path: chokidar, not following links, would watch a linked folder as a file.
  const folder = await fs.realpath(functionFolder);
  const { matcher } = await loadDockerignore(folder);
  const ignored = (absolute: string): boolean => {
    const relative = containerRelativePath(folder, absolute);
    if (!relative) return false;
    if (relative.split('/').some((segment) => ALWAYS_IGNORED.has(segment))) return true;
    // .dockerignore never hides the files that define the function.
    if (relative === 'Dockerfile' || relative === '.dockerignore') return false;
    return matcher.ignores(relative);
  };
  const watcher: FSWatcher = watch(folder, { ignored, ignoreInitial: true, persistent: true, followSymlinks: false });
  // chokidar reports the links it finds in its first scan as added, ignoreInitial or not (it has no
  // initial-scan flag for links it does not follow): nothing before 'ready' is a change.
  let scanned = false;
  const report = (kind: FileChange['kind']) => (absolute: string) => {
    // As the container and the tar entry name it (forward slashes on Windows too: test/unit/windowsPaths.test.ts).
    const relative = containerRelativePath(folder, absolute);
    if (scanned && relative) onChange({ path: relative, kind });
  };
  watcher.on('add', report('add')).on('change', report('change')).on('unlink', report('unlink'));
  const ready = new Promise<void>((resolve) => watcher.once('ready', () => {
    scanned = true;
    resolve();
  }));
  const reportedPath = async (file: string): Promise<string | undefined> => {
    // The watcher sees the real file, never a link: resolve the folder part, keep the name.
    const parent = await fs.realpath(path.dirname(file)).catch(() => undefined);
    if (!parent) return undefined;
    const absolute = path.join(parent, path.basename(file));
    const relative = path.relative(folder, absolute);
    if (!relative || relative.startsWith('..') || path.isAbsolute(relative) || ignored(absolute)) return undefined;
    const stat = await fs.lstat(absolute).catch(() => undefined);
    return stat?.isFile() ? relative.split(path.sep).join('/') : undefined;
  };
  return { ready, reportedPath, dispose: () => void watcher.close() };
}
