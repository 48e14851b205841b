import * as fs from 'node:fs/promises';
import { parseEnvFile } from '../fnConfig';
import { resolveEnvFile } from '../envFile';

/**
 * The KEY names of a function's env file, for an export's header (the Secret must hold them); never
 * its values, which are dropped here. Undefined when the file cannot be read where it is allowed to be
 * (missing, outside the workspace folder after links): the export says to create the Secret all the same.
 */
export async function envFileKeys(folder: string, envFile: string, workspaceFolder: string): Promise<string[] | undefined> {
  const resolved = await resolveEnvFile(folder, envFile, workspaceFolder);
  if (!resolved.ok) return undefined;
  const text = await fs.readFile(resolved.file, 'utf8').catch(() => undefined);
  return text === undefined ? undefined : Object.keys(parseEnvFile(text));
}
