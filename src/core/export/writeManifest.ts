import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { UserFacingError } from '../errors';
import { assertWritableInside } from '../insideFolder';
import { decideWrite, type WriteDecision } from './stamp';

/**
 * Writing a manifest beside a function without losing anything and without leaving its folder: the
 * target and every folder on the way must stay inside the function's folder once links are followed
 * (a repository can commit `deploy` as a link to anywhere), and a file that is not our unedited output
 * is the caller's to ask about (stamp.ts).
 */

/** What writing `generated` to `target` would do; refuses (UserFacingError) a target reached through a link out of `functionFolder`. */
export async function planManifestWrite(functionFolder: string, target: string, generated: string): Promise<WriteDecision> {
  await assertWritableInside(functionFolder, target);
  const existing = await fs.readFile(target, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    if (error.code === 'EISDIR') throw new UserFacingError(`${path.basename(target)} in ${path.dirname(target)} is a folder, not a file: move it, then export again.`);
    throw error;
  });
  return decideWrite(existing, generated);
}

/**
 * Writes `text` to `target`, creating its folders, after checking again that nothing on the way leads
 * out of `functionFolder`. The file is opened without following a link where the platform can
 * (O_NOFOLLOW), so a link put there after the check fails the write rather than being followed.
 */
export async function writeManifest(functionFolder: string, target: string, text: string): Promise<void> {
  await assertWritableInside(functionFolder, target);
  await fs.mkdir(path.dirname(target), { recursive: true });
  await assertWritableInside(functionFolder, target);
  const { O_WRONLY, O_CREAT, O_TRUNC, O_NOFOLLOW } = fs.constants;
  const handle = await fs.open(target, O_WRONLY | O_CREAT | O_TRUNC | (O_NOFOLLOW ?? 0), 0o644);
  try {
    await handle.writeFile(text, 'utf8');
  } finally {
    await handle.close();
  }
}
