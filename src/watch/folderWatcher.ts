import { watch, type FSWatcher } from 'chokidar';
import * as path from 'node:path';
import { loadDockerignore } from '../core/buildContext';
import type { Disposable } from '../core/emitter';
import type { FileChange } from '../core/updatePlan';

/** Folders never watched: they are big, and nothing in them is part of the function's source. */
const ALWAYS_IGNORED = new Set(['.git', 'node_modules', '__pycache__', '.venv']);

export interface FolderWatcher extends Disposable {
  /** Resolves when the initial scan is done and changes are being reported. */
  readonly ready: Promise<void>;
}

/**
 * Watches one function's folder (the only place that imports chokidar). Skips `.git`,
 * `node_modules` and what the folder's `.dockerignore` excludes, without descending into them,
 * so a 50,000-file node_modules costs nothing.
 */
export async function watchFolder(folder: string, onChange: (change: FileChange) => void): Promise<FolderWatcher> {
  const { matcher } = await loadDockerignore(folder);
  const ignored = (absolute: string): boolean => {
    const relative = path.relative(folder, absolute).split(path.sep).join('/');
    if (!relative || relative.startsWith('..')) return false;
    if (relative.split('/').some((segment) => ALWAYS_IGNORED.has(segment))) return true;
    // .dockerignore never hides the files that define the function.
    if (relative === 'Dockerfile' || relative === '.dockerignore') return false;
    return matcher.ignores(relative);
  };
  const watcher: FSWatcher = watch(folder, { ignored, ignoreInitial: true, persistent: true });
  const report = (kind: FileChange['kind']) => (absolute: string) => {
    onChange({ path: path.relative(folder, absolute).split(path.sep).join('/'), kind });
  };
  watcher.on('add', report('add')).on('change', report('change')).on('unlink', report('unlink'));
  const ready = new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  return { ready, dispose: () => void watcher.close() };
}
