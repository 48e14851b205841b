import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { envFileLocation, resolveEnvFile } from './envFile';
import { MAX_CONFIG_BYTES, withRanges } from './fnConfig';
import { describeFunction, type FunctionSpec } from './functionSpec';
import { readTextInside } from './insideFolder';

/** package.json, requirements.txt and func.yaml are read only to see the protocol; bigger ones are left unread. */
export const MAX_PROTOCOL_FILE_BYTES = 1024 * 1024;

/**
 * Reads one function from disk: its Dockerfile, its fn.json (left unread when over the size cap:
 * reading it would already hold the extension host), the files that may say its protocol (each
 * size-capped, and never through a link that leads out of the folder), and checks its env file, so
 * every problem is known, on its field, before anything runs. Local files through Node's fs, like every other read
 * and write of ours: following links safely needs lstat and realpath, which VS Code's file-system API lacks.
 */
export async function readFunction(dockerfile: string, workspaceFolder: string): Promise<FunctionSpec> {
  const folder = path.dirname(dockerfile);
  const dockerfileText = await fs.readFile(dockerfile, 'utf8');
  const config = path.join(folder, 'fn.json');
  const size = await fs.stat(config).then((s) => (s.isFile() ? s.size : undefined), () => undefined);
  const [packageJsonText, requirementsText, funcYamlText] = await Promise.all(
    ['package.json', 'requirements.txt', 'func.yaml'].map((name) => readTextInside(folder, path.join(folder, name), MAX_PROTOCOL_FILE_BYTES)));
  const protocolFiles = { packageJsonText, requirementsText, funcYamlText };
  if (size !== undefined && size > MAX_CONFIG_BYTES) return describeFunction({ folder, workspaceFolder, dockerfileText, oversizedConfigBytes: size, ...protocolFiles });
  const configText = size === undefined ? undefined : await fs.readFile(config, 'utf8').catch(() => undefined);
  const spec = describeFunction({ folder, workspaceFolder, dockerfileText, configText, ...protocolFiles });
  if (!spec.envFile || configText === undefined) return spec;
  const envFile = await resolveEnvFile(folder, spec.envFile, workspaceFolder);
  return envFile.ok ? spec : { ...spec, problems: [...spec.problems, ...withRanges(configText, [{ message: envFile.message, ...envFileLocation(configText) }])] };
}
