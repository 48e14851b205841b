import * as path from 'node:path';
import { UserFacingError } from '../errors';
import { isInside } from '../insideFolder';

export const DEFAULT_EXPORT_FOLDER = 'deploy';

/**
 * The folder manifests go to: the `localServerless.exportFolder` setting (default `deploy`), relative
 * to the function's folder and inside it. The setting may come from a repository's own settings, so
 * an absolute path or one that climbs out is refused, not followed. (Links are checked at write time.)
 */
export function exportFolderOf(functionFolder: string, setting: string | undefined): string {
  const wanted = setting?.trim() || DEFAULT_EXPORT_FOLDER;
  if (path.isAbsolute(wanted) || path.win32.isAbsolute(wanted)) {
    throw new UserFacingError(`The localServerless.exportFolder setting is "${wanted}", an absolute path: set it to a folder relative to the function's folder, such as "${DEFAULT_EXPORT_FOLDER}".`);
  }
  const folder = path.resolve(functionFolder, wanted);
  if (!isInside(path.resolve(functionFolder), folder)) {
    throw new UserFacingError(`The localServerless.exportFolder setting is "${wanted}", which leads out of the function's folder: set it to a folder inside it, such as "${DEFAULT_EXPORT_FOLDER}".`);
  }
  return folder;
}
