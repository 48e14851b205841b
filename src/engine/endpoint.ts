import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Where to reach the Docker Engine API, and why we chose it (shown when it does not answer). */
export interface EngineEndpoint {
  /** URL-like form: unix:///var/run/docker.sock, tcp://host:2375, ssh://user@host, npipe:////./pipe/docker_engine */
  host: string;
  source: string;
  /** Set when `host` is not an address the engine can be reached at: what is wrong and how to write it. */
  problem?: string;
}

export interface EndpointInputs {
  setting?: string;
  /** Where the setting's value comes from ("user settings", "workspace settings"), for messages. */
  settingSource?: string;
  env: NodeJS.ProcessEnv;
  home: string;
  fileExists: (file: string) => boolean;
  readFile: (file: string) => string | undefined;
  platform: NodeJS.Platform;
}

export function defaultEndpointInputs(setting: string | undefined, settingSource?: string): EndpointInputs {
  return {
    setting,
    settingSource,
    env: process.env,
    home: os.homedir(),
    fileExists: (f) => fs.existsSync(f),
    readFile: (f) => { try { return fs.readFileSync(f, 'utf8'); } catch { return undefined; } },
    platform: process.platform,
  };
}

/**
 * Resolves the engine endpoint the way the docker CLI does, with Podman as a fallback:
 * our setting, DOCKER_HOST, DOCKER_CONTEXT or the CLI's current context, then the first
 * socket that exists among Docker's and Podman's usual ones.
 */
export function resolveEndpoint(inputs: EndpointInputs): EngineEndpoint {
  const checked = (host: string, source: string): EngineEndpoint => {
    const problem = endpointProblem(host);
    return problem ? { host, source, problem } : { host, source };
  };
  if (inputs.setting?.trim()) return checked(inputs.setting.trim(), `setting localServerless.dockerHost in ${inputs.settingSource ?? 'settings'}`);
  if (inputs.env.DOCKER_HOST) return checked(inputs.env.DOCKER_HOST, 'DOCKER_HOST');
  const context = inputs.env.DOCKER_CONTEXT || currentContext(inputs);
  if (context && context !== 'default') {
    const host = contextHost(inputs, context);
    if (host) return { host, source: `docker context "${context}"` };
  }
  if (inputs.platform === 'win32') return { host: 'npipe:////./pipe/docker_engine', source: 'default pipe' };
  const candidates: Array<[string, string]> = [
    ['/var/run/docker.sock', 'default socket'],
    [path.join(inputs.home, '.docker/run/docker.sock'), 'Docker Desktop socket'],
    [path.join(inputs.home, '.rd/docker.sock'), 'Rancher Desktop socket'],
  ];
  if (inputs.env.XDG_RUNTIME_DIR) candidates.push([path.join(inputs.env.XDG_RUNTIME_DIR, 'podman/podman.sock'), 'Podman socket']);
  candidates.push(['/run/podman/podman.sock', 'Podman socket']);
  const found = candidates.find(([socket]) => inputs.fileExists(socket)) ?? candidates[0];
  return { host: `unix://${found[0]}`, source: found[1] };
}

const ADDRESS_FORMS = 'unix:///path/to/docker.sock, tcp://host:2375, ssh://user@host or npipe:////./pipe/docker_engine';

/** Why `host` cannot be an engine address, or undefined when it can. Never throws: a bad value must not stop activation. */
export function endpointProblem(host: string): string | undefined {
  if (/^unix:\/\/\/./.test(host) || /^npipe:\/\/./.test(host)) return undefined;
  let url: URL;
  try {
    url = new URL(host);
  } catch {
    return `"${host}" is not an engine address: write ${ADDRESS_FORMS}`;
  }
  if (!['tcp:', 'http:', 'https:', 'ssh:'].includes(url.protocol)) return `"${host}" uses ${url.protocol.replace(/:$/, '')}://, which no engine speaks: write ${ADDRESS_FORMS}`;
  if (!url.hostname) return `"${host}" names no host: write ${ADDRESS_FORMS}`;
  if (url.port && !(Number(url.port) >= 1 && Number(url.port) <= 65535)) return `"${host}" has no valid port: write ${ADDRESS_FORMS}`;
  return undefined;
}

function currentContext(inputs: EndpointInputs): string | undefined {
  const configDir = inputs.env.DOCKER_CONFIG || path.join(inputs.home, '.docker');
  const text = inputs.readFile(path.join(configDir, 'config.json'));
  if (!text) return undefined;
  try {
    return (JSON.parse(text) as { currentContext?: string }).currentContext;
  } catch {
    return undefined;
  }
}

function contextHost(inputs: EndpointInputs, context: string): string | undefined {
  const configDir = inputs.env.DOCKER_CONFIG || path.join(inputs.home, '.docker');
  // The CLI stores each context's metadata under the SHA-256 of its name.
  const digest = createHash('sha256').update(context).digest('hex');
  const text = inputs.readFile(path.join(configDir, 'contexts', 'meta', digest, 'meta.json'));
  if (!text) return undefined;
  try {
    return (JSON.parse(text) as { Endpoints?: { docker?: { Host?: string } } }).Endpoints?.docker?.Host;
  } catch {
    return undefined;
  }
}

/**
 * dockerode/docker-modem constructor options for an endpoint. Every field is set explicitly:
 * docker-modem fills missing ones from DOCKER_HOST, which would override our setting.
 */
export function modemOptions(host: string): Record<string, unknown> {
  if (host.startsWith('unix://')) return { socketPath: host.slice('unix://'.length), host: undefined, port: undefined, protocol: 'http' };
  if (host.startsWith('npipe://')) {
    return { socketPath: host.slice('npipe://'.length).replace(/\//g, '\\').replace(/^\\\\\\\\/, '\\\\'), host: undefined, port: undefined, protocol: 'http' };
  }
  const url = new URL(host);
  if (url.protocol === 'ssh:') {
    // docker-modem adds the SSH agent only for DOCKER_HOST itself; a setting or context needs it too.
    return { protocol: 'ssh', host: url.hostname, port: Number(url.port) || 22, username: url.username || undefined, socketPath: undefined, sshOptions: { agent: process.env.SSH_AUTH_SOCK } };
  }
  const tls = url.protocol === 'https:' || process.env.DOCKER_TLS_VERIFY === '1';
  return { protocol: tls ? 'https' : 'http', host: url.hostname, port: Number(url.port) || (tls ? 2376 : 2375), socketPath: undefined };
}
