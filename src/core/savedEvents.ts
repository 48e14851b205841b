import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { UserFacingError } from './errors';
import { realPathInside } from './insideFolder';

/**
 * Saved payloads: `events/*.json` in the function's folder. A repository may commit an event file,
 * or the events folder itself, as a link to somewhere else on the machine; those are never read.
 */

/** The saved events of the function in `folder` (absolute paths, sorted), leaving out links whose real path leaves the folder. */
export async function listSavedEvents(folder: string): Promise<string[]> {
  const eventsDir = path.join(folder, 'events');
  if (!(await realPathInside(folder, eventsDir))) return [];
  const names = (await fs.readdir(eventsDir).catch(() => [] as string[])).filter((f) => f.endsWith('.json')).sort();
  const inside = await Promise.all(names.map(async (name) => (await realPathInside(folder, path.join(eventsDir, name))) !== undefined));
  return names.filter((_, i) => inside[i]).map((name) => path.join(eventsDir, name));
}

/** Reads a saved event, refusing one whose real path (links followed) leaves the function folder. */
export async function readSavedEvent(folder: string, file: string): Promise<string> {
  const real = await realPathInside(folder, file);
  if (real === undefined) {
    const shown = path.relative(folder, file).split(path.sep).join('/');
    const exists = await fs.lstat(file).then(() => true, () => false);
    if (!exists) throw new UserFacingError(`${shown} no longer exists in ${folder}: pick another event.`);
    throw new UserFacingError(`${shown} leads out of the function folder ${folder} through a symbolic link, so it is not read: saved events are read only from inside the folder. Replace the link with a regular file (or a link to one inside the folder) and invoke again.`);
  }
  return fs.readFile(real, 'utf8');
}
