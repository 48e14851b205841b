import { execFile } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { debugpyMountFor, type DebugMount } from '../core/debug';
import { UserFacingError } from '../core/errors';
import { findOnPath } from '../core/findOnPath';

/**
 * Finds a debugpy on this machine to mount into a Python function's container (its image needs no
 * change): the folder the `localServerless.debugpyPath` setting names (machine-scoped: a workspace
 * cannot choose what gets mounted), else the one the Python Debugger extension bundles, else the one a
 * python3 on PATH (or the system's /usr/bin/python3) imports. Nothing from the workspace is run.
 */
export async function locateDebugpy(options: { setting?: string; bundledByExtension?: string }): Promise<{ root: string; mounts: DebugMount[]; from: string }> {
  const candidates: Array<{ folder: string | undefined; from: string }> = [
    { folder: options.setting || undefined, from: 'the localServerless.debugpyPath setting' },
    { folder: options.bundledByExtension, from: 'the Python Debugger extension' },
  ];
  for (const candidate of candidates) {
    if (!candidate.folder) continue;
    const found = await debugpyFolder(candidate.folder);
    if (found) return { ...found, from: candidate.from };
    if (candidate.from.includes('setting')) {
      throw new UserFacingError(`The localServerless.debugpyPath setting names ${candidate.folder}, which holds no debugpy package: set it to the folder that contains the "debugpy" folder (for example /usr/lib/python3/dist-packages), or clear it.`);
    }
  }
  const pythons = [...new Set([await findOnPath('python3'), '/usr/bin/python3'].filter((p): p is string => !!p && path.isAbsolute(p)))];
  for (const python of pythons) {
    const root = await importRoot(python);
    const found = root ? await debugpyFolder(root) : undefined;
    if (found) return { ...found, from: python };
  }
  throw new UserFacingError('Debugging a Python function needs debugpy on this machine (it is mounted into the container, read-only; the image stays as it is). Install it: `sudo apt install python3-debugpy` or `python3 -m pip install debugpy`, or set localServerless.debugpyPath to the folder that contains the "debugpy" folder.');
}

/** The folder holding `debugpy` (given either that folder or the package folder itself), with what to mount. */
async function debugpyFolder(folder: string): Promise<{ root: string; mounts: DebugMount[] } | undefined> {
  for (const root of [folder, path.dirname(folder)]) {
    const init = path.join(root, 'debugpy', '__init__.py');
    if (!(await fs.stat(init).then((s) => s.isFile(), () => false))) continue;
    return { root, mounts: [debugpyMountFor(root)] };
  }
  return undefined;
}

/** Where `python` imports debugpy from (the folder holding the package), or undefined. */
function importRoot(python: string): Promise<string | undefined> {
  const script = 'import debugpy, os; print(os.path.dirname(os.path.dirname(os.path.abspath(debugpy.__file__))))';
  return new Promise((resolve) => {
    execFile(python, ['-E', '-c', script], { timeout: 5_000, cwd: '/' }, (error, stdout) => resolve(error ? undefined : stdout.trim() || undefined));
  });
}
