import * as fs from 'node:fs/promises';
import * as path from 'node:path';

/**
 * The file a shell would run for `command` (a bare name such as `kubectl`), found by searching PATH as
 * the shell does, or undefined. Nothing is run. On Windows the PATHEXT extensions are tried (`.EXE`,
 * `.CMD`, …); elsewhere the file must be executable. Empty and relative PATH entries are skipped: they
 * name the current folder, which may be a repository nobody vouched for.
 */
export async function findOnPath(command: string, env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): Promise<string | undefined> {
  const windows = platform === 'win32';
  const pathApi = windows ? path.win32 : path.posix;
  // Windows spells it Path; the environment is case-insensitive there.
  const pathValue = windows ? Object.entries(env).find(([key]) => key.toUpperCase() === 'PATH')?.[1] : env.PATH;
  const extensions = windows ? (env.PATHEXT ?? '.COM;.EXE;.BAT;.CMD').split(';').filter(Boolean) : [''];
  for (const dir of (pathValue ?? '').split(windows ? ';' : ':')) {
    const unquoted = dir.replace(/^"(.*)"$/, '$1');
    if (!unquoted || !pathApi.isAbsolute(unquoted)) continue;
    for (const extension of extensions) {
      const candidate = pathApi.join(unquoted, command + extension);
      if (await isRunnable(candidate, windows)) return candidate;
    }
  }
  return undefined;
}

async function isRunnable(file: string, windows: boolean): Promise<boolean> {
  try {
    if (!(await fs.stat(file)).isFile()) return false;
    if (!windows) await fs.access(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
