import { constants as fsConstants } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { UserFacingError } from './errors';
import type { PathApi } from './containerPath';
import { assertWritableInside, realPathInside } from './insideFolder';
import { layoutJson } from './invoke';

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
    if (!(await savedEventExists(file))) throw new UserFacingError(`${shown} no longer exists in ${folder}: pick another event.`);
    throw new UserFacingError(`${shown} leads out of the function folder ${folder} through a symbolic link, so it is not read: saved events are read only from inside the folder. Replace the link with a regular file (or a link to one inside the folder) and invoke again.`);
  }
  return fs.readFile(real, 'utf8');
}

const EVENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Why `name` cannot name a saved event (it becomes `events/<name>.json`), or undefined when it can. */
export function eventNameProblem(name: string): string | undefined {
  return EVENT_NAME.test(name.trim()) ? undefined : 'Use letters, digits, ".", "_" and "-" (a file name without .json).';
}

/** Where `events/<name>.json` of the function in `folder` is (`p`: the host's path implementation). */
export function savedEventPath(folder: string, name: string, p: PathApi = path): string {
  return p.join(folder, 'events', `${name.trim()}.json`);
}

export async function savedEventExists(file: string): Promise<boolean> {
  return fs.lstat(file).then(() => true, () => false);
}

/**
 * Writes a payload as a saved event, laid out for reading without changing a value (a big integer
 * stays as typed). Never through a link: the path is checked first, and the write itself refuses
 * to follow a link put in place since (O_NOFOLLOW).
 */
export async function writeSavedEvent(folder: string, file: string, payloadBody: string): Promise<void> {
  await assertWritableInside(folder, file);
  await fs.mkdir(path.dirname(file), { recursive: true });
  const { O_WRONLY, O_CREAT, O_TRUNC, O_NOFOLLOW } = fsConstants;
  await fs.writeFile(file, payloadBody ? `${layoutJson(payloadBody, 'indented')}\n` : '{}\n', { flag: O_WRONLY | O_CREAT | O_TRUNC | (O_NOFOLLOW ?? 0) });
}

/** Where the last payload of each function is kept (VS Code's workspace state fits this). */
export interface KeyValueStore {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): PromiseLike<void>;
}

/** The last payload sent to each function, offered first the next time ("Last payload"). */
export class PayloadHistory {
  private static readonly PREFIX = 'localServerless.lastPayload.';
  constructor(private readonly store: KeyValueStore) {}

  last(functionName: string): string | undefined {
    return this.store.get<string>(PayloadHistory.PREFIX + functionName);
  }

  remember(functionName: string, payloadText: string): PromiseLike<void> {
    return this.store.update(PayloadHistory.PREFIX + functionName, payloadText);
  }
}

/**
 * Deletes a saved event: only `events/<name>.json` directly in the function's events folder, and
 * only where that folder's real path is inside the function folder. A repository may commit
 * `events` as a link to anywhere: deleting through it would remove a file out there. An event file
 * that is itself a link loses the link, never what it points to (unlink does not follow it).
 */
export async function deleteSavedEvent(folder: string, file: string): Promise<void> {
  const eventsDir = path.join(folder, 'events');
  const name = path.basename(file);
  const shown = `events/${name}`;
  if (path.resolve(path.dirname(file)) !== path.resolve(eventsDir) || !name.endsWith('.json')) {
    throw new UserFacingError(`${file} is not a saved event of the function in ${folder}: only files in its events folder are deleted.`);
  }
  const realEvents = await realPathInside(folder, eventsDir);
  if (realEvents === undefined) {
    if (!(await savedEventExists(eventsDir))) throw new UserFacingError(`${shown} no longer exists in ${folder}.`);
    throw new UserFacingError(`The events folder of ${folder} is a symbolic link that leads out of the function folder, so nothing in it is deleted. Replace the link with a real folder and try again.`);
  }
  const target = path.join(realEvents, name);
  const stat = await fs.lstat(target).catch(() => undefined);
  if (!stat) throw new UserFacingError(`${shown} no longer exists in ${folder}.`);
  if (!stat.isFile() && !stat.isSymbolicLink()) throw new UserFacingError(`${shown} in ${folder} is not a file: it is not deleted.`);
  await fs.unlink(target);
}
