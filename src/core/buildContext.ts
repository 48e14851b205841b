import createIgnore, { type Ignore } from '@balena/dockerignore';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';

/**
 * Lists the files Docker would receive as build context for `folder`, applying its .dockerignore
 * the way Docker does (@balena/dockerignore implements Docker's matching rules). The Dockerfile
 * and .dockerignore are always sent: Docker needs them even when .dockerignore lists them.
 * `neverSend` (the function's env file) is left out whatever .dockerignore says: a `COPY . .`
 * would otherwise bake its secrets into an image layer.
 */
export async function listContextFiles(folder: string, dockerfile = 'Dockerfile', neverSend: readonly string[] = []): Promise<string[]> {
  const { matcher, hasNegations } = await loadDockerignore(folder);
  const files: string[] = [];
  async function walk(relativeDir: string): Promise<void> {
    const entries = await fs.readdir(path.join(folder, relativeDir), { withFileTypes: true });
    for (const entry of entries) {
      const relative = relativeDir ? `${relativeDir}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        // An ignored folder can only be skipped whole when no `!pattern` could re-include a file in it.
        if (hasNegations || !matcher.ignores(relative)) await walk(relative);
      } else if ((entry.isFile() || entry.isSymbolicLink()) && !matcher.ignores(relative) && !neverSend.includes(relative)) {
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

export async function loadDockerignore(folder: string): Promise<{ matcher: Ignore; hasNegations: boolean }> {
  const text = await fs.readFile(path.join(folder, '.dockerignore'), 'utf8').catch(() => '');
  return { matcher: createIgnore().add(text), hasNegations: /^\s*!/m.test(text) };
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(() => true, () => false);
}
