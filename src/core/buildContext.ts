import createIgnore, { type Ignore } from '@balena/dockerignore';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';

/**
 * Lists the files Docker would receive as build context for `folder`, applying its .dockerignore
 * the way Docker does (@balena/dockerignore implements Docker's matching rules). The Dockerfile
 * and .dockerignore are always sent: Docker needs them even when .dockerignore lists them.
 * `neverSend` (the function's env file) is left out whatever .dockerignore says: a `COPY . .`
 * would otherwise bake its secrets into an image layer. Where the file system ignores case (Windows,
 * and macOS by default) `.ENV` in fn.json is the `.env` on disk, so it is compared without case there.
 */
export async function listContextFiles(folder: string, dockerfile = 'Dockerfile', neverSend: readonly string[] = [], options: { caseInsensitive?: boolean } = {}): Promise<string[]> {
  const { matcher, hasNegations } = await loadDockerignore(folder);
  const caseInsensitive = options.caseInsensitive ?? CASE_INSENSITIVE_FILE_SYSTEM;
  const fold = (name: string) => (caseInsensitive ? name.toLowerCase() : name);
  const excluded = new Set(neverSend.map(fold));
  const files: string[] = [];
  async function walk(relativeDir: string): Promise<void> {
    const entries = await fs.readdir(path.join(folder, relativeDir), { withFileTypes: true });
    for (const entry of entries) {
      const relative = relativeDir ? `${relativeDir}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        // An ignored folder can only be skipped whole when no `!pattern` could re-include a file in it.
        if (hasNegations || !matcher.ignores(relative)) await walk(relative);
      } else if ((entry.isFile() || entry.isSymbolicLink()) && !matcher.ignores(relative) && !excluded.has(fold(relative))) {
        files.push(relative);
      }
    }
  }
  await walk('');
  for (const required of [dockerfile, '.dockerignore']) {
    if (!files.includes(required) && (await exists(path.join(folder, required)))) files.push(required);
  }
  return files.sort();
}

/** Windows' file systems, and macOS's by default, take `.ENV` and `.env` for one file. */
const CASE_INSENSITIVE_FILE_SYSTEM = process.platform === 'win32' || process.platform === 'darwin';

export async function loadDockerignore(folder: string): Promise<{ matcher: Ignore; hasNegations: boolean }> {
  const text = await fs.readFile(path.join(folder, '.dockerignore'), 'utf8').catch(() => '');
  return { matcher: createIgnore().add(text), hasNegations: /^\s*!/m.test(text) };
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(() => true, () => false);
}
