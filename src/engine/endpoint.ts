import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';

/** Where to reach the Docker Engine API, and why we chose it (shown when it does not answer). */
export interface EngineEndpoint {
  /** URL-like form: unix:///var/run/docker.sock, tcp://host:2375, ssh://user@host, npipe:////./pipe/docker_engine */
  host: string;
  source: string;
  /** Set when `host` is not an address the engine can be reached at: what is wrong and how to write it. */
  problem?: string;
  /** TLS for a tcp:// host, as the docker CLI would use it (DOCKER_TLS_VERIFY, DOCKER_CERT_PATH, or the context's). */
  tls?: EndpointTls;
}

/** TLS material, read from files when the endpoint is resolved (PEM text). */
export interface EndpointTls {
  /** Check the engine's certificate (against `ca` when given). False for DOCKER_TLS without DOCKER_TLS_VERIFY, or a context's SkipTLSVerify. */
  verify: boolean;
  ca?: string;
  cert?: string;
  key?: string;
  /** Where the material came from, for messages: "DOCKER_CERT_PATH=/certs", "docker context \"prod\"". */
  from: string;
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
  // An address given directly takes TLS from the environment, as `docker -H` does.
  const checked = (host: string, source: string): EngineEndpoint => {
    const problem = endpointProblem(host);
    if (problem) return { host, source, problem };
    return withTls({ host, source }, isTcp(host) ? envTls(inputs) : undefined);
  };
  if (inputs.setting?.trim()) return checked(inputs.setting.trim(), `setting localServerless.dockerHost in ${inputs.settingSource ?? 'settings'}`);
  if (inputs.env.DOCKER_HOST) return checked(inputs.env.DOCKER_HOST, 'DOCKER_HOST');
  const context = inputs.env.DOCKER_CONTEXT || currentContext(inputs);
  if (context && context !== 'default') {
    const endpoint = contextEndpoint(inputs, context);
    if (endpoint) {
      const source = `docker context "${context}"`;
      return withTls({ host: endpoint.host, source }, isTcp(endpoint.host) ? contextTls(inputs, context, endpoint.skipTlsVerify) : undefined);
    }
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

/**
 * The endpoint for an address chosen earlier (the clean-up helper gets only the address): with the
 * TLS material the same resolution gives it (a context's), else the environment's, as for a setting.
 */
export function endpointForHost(host: string, inputs: EndpointInputs): EngineEndpoint {
  const resolved = resolveEndpoint({ ...inputs, setting: undefined });
  return resolved.host === host ? resolved : resolveEndpoint({ ...inputs, setting: host, settingSource: 'the extension' });
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

function contextEndpoint(inputs: EndpointInputs, context: string): { host: string; skipTlsVerify: boolean } | undefined {
  const text = inputs.readFile(path.join(contextDir(inputs, 'meta', context), 'meta.json'));
  if (!text) return undefined;
  try {
    const docker = (JSON.parse(text) as { Endpoints?: { docker?: { Host?: string; SkipTLSVerify?: boolean } } }).Endpoints?.docker;
    return docker?.Host ? { host: docker.Host, skipTlsVerify: docker.SkipTLSVerify === true } : undefined;
  } catch {
    return undefined;
  }
}

/** The CLI stores each context under the SHA-256 of its name: metadata in contexts/meta, TLS files in contexts/tls. */
function contextDir(inputs: EndpointInputs, kind: 'meta' | 'tls', context: string): string {
  const configDir = inputs.env.DOCKER_CONFIG || path.join(inputs.home, '.docker');
  return path.join(configDir, 'contexts', kind, createHash('sha256').update(context).digest('hex'));
}

function isTcp(host: string): boolean {
  return /^(tcp|https?):\/\//.test(host);
}

function withTls(endpoint: EngineEndpoint, tls: EndpointTls | { problem: string } | undefined): EngineEndpoint {
  if (!tls) return endpoint;
  if ('problem' in tls) return { ...endpoint, problem: tls.problem };
  return { ...endpoint, tls };
}

/**
 * The docker CLI's rule: DOCKER_TLS_VERIFY set to anything non-empty means TLS with the engine's
 * certificate checked against ca.pem; DOCKER_TLS alone means TLS without that check. The files are
 * ca.pem, cert.pem and key.pem in DOCKER_CERT_PATH, else ~/.docker. https:// also means TLS.
 */
function envTls(inputs: EndpointInputs): EndpointTls | { problem: string } | undefined {
  const verify = Boolean(inputs.env.DOCKER_TLS_VERIFY);
  if (!verify && !inputs.env.DOCKER_TLS) return undefined;
  const certPath = inputs.env.DOCKER_CERT_PATH || path.join(inputs.home, '.docker');
  const from = inputs.env.DOCKER_CERT_PATH ? `DOCKER_CERT_PATH=${certPath}` : certPath;
  const read = (name: string) => inputs.readFile(path.join(certPath, name));
  const tls: EndpointTls = { verify, ca: verify ? read('ca.pem') : undefined, cert: read('cert.pem'), key: read('key.pem'), from };
  if (verify && !tls.ca) {
    return { problem: `DOCKER_TLS_VERIFY is set, but ${path.join(certPath, 'ca.pem')} cannot be read: set DOCKER_CERT_PATH to the folder holding ca.pem, cert.pem and key.pem` };
  }
  if (Boolean(tls.cert) !== Boolean(tls.key)) {
    return { problem: `${certPath} holds ${tls.cert ? 'cert.pem but no key.pem' : 'key.pem but no cert.pem'}: a client certificate needs both` };
  }
  return tls;
}

/** A context's TLS material (`docker context create --docker "host=…,ca=…,cert=…,key=…"` copies it there). */
function contextTls(inputs: EndpointInputs, context: string, skipTlsVerify: boolean): EndpointTls | undefined {
  const dir = path.join(contextDir(inputs, 'tls', context), 'docker');
  const read = (name: string) => inputs.readFile(path.join(dir, name));
  const tls: EndpointTls = { verify: !skipTlsVerify, ca: read('ca.pem'), cert: read('cert.pem'), key: read('key.pem'), from: `docker context "${context}"` };
  // The CLI speaks TLS to a context's tcp host when the context holds TLS files or skips verification.
  return tls.ca || tls.cert || tls.key || skipTlsVerify ? tls : undefined;
}

/**
 * dockerode/docker-modem constructor options for an endpoint. Every field is set explicitly:
 * docker-modem fills missing ones from DOCKER_HOST and DOCKER_CERT_PATH, which would override ours.
 */
export function modemOptions(host: string, tls?: EndpointTls): Record<string, unknown> {
  const noTls = { ca: undefined, cert: undefined, key: undefined };
  if (host.startsWith('unix://')) return { socketPath: host.slice('unix://'.length), host: undefined, port: undefined, protocol: 'http', ...noTls };
  if (host.startsWith('npipe://')) {
    return { socketPath: host.slice('npipe://'.length).replace(/\//g, '\\').replace(/^\\\\\\\\/, '\\\\'), host: undefined, port: undefined, protocol: 'http', ...noTls };
  }
  const url = new URL(host);
  if (url.protocol === 'ssh:') {
    // docker-modem adds the SSH agent only for DOCKER_HOST itself; a setting or context needs it too.
    return { protocol: 'ssh', host: url.hostname, port: Number(url.port) || 22, username: url.username || undefined, socketPath: undefined, sshOptions: { agent: process.env.SSH_AUTH_SOCK }, ...noTls };
  }
  const useTls = url.protocol === 'https:' || tls !== undefined;
  const options: Record<string, unknown> = {
    protocol: useTls ? 'https' : 'http', host: url.hostname, port: Number(url.port) || (useTls ? 2376 : 2375), socketPath: undefined,
    ca: tls?.ca, cert: tls?.cert, key: tls?.key,
  };
  // docker-modem has no option for an unchecked certificate; an agent carries it to every request.
  if (tls && !tls.verify) options.agent = new https.Agent({ rejectUnauthorized: false, keepAlive: false });
  return options;
}

/** The engine's machine when it is not this one: containers publish their ports on 127.0.0.1 of that machine. */
export interface RemoteEngine {
  /** The machine's name or address, as written in the endpoint. */
  hostname: string;
  /** Arguments naming that machine to ssh: "build-box", "-p 2222 me@build-box". */
  sshTarget: string;
}

/** The engine's machine when the endpoint (tcp://, https://, ssh://) names another host; undefined for this machine. */
export function remoteEngine(host: string, localAddresses: readonly string[] = thisMachine()): RemoteEngine | undefined {
  if (!/^(tcp|https?|ssh):\/\//.test(host)) return undefined;
  let url: URL;
  try {
    url = new URL(host);
  } catch {
    return undefined;
  }
  const hostname = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (!hostname || hostname === 'localhost' || hostname.endsWith('.localhost') || /^127\./.test(hostname) || hostname === '::1' || hostname === '0.0.0.0') return undefined;
  if (localAddresses.some((address) => address.toLowerCase() === hostname)) return undefined;
  const user = url.protocol === 'ssh:' && url.username ? `${decodeURIComponent(url.username)}@` : '';
  const port = url.protocol === 'ssh:' && url.port && url.port !== '22' ? `-p ${url.port} ` : '';
  return { hostname, sshTarget: `${port}${user}${hostname}` };
}

/** This machine's names and addresses: an engine reached through one of them is local. */
function thisMachine(): string[] {
  const addresses = Object.values(os.networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address));
  return [os.hostname(), ...addresses];
}

/**
 * What a person needs to know when the engine is on another machine: where the function is
 * published, and how this machine can reach it. Not verified against a real remote engine here.
 */
export function remotePublishNotice(remote: RemoteEngine, port: number): string {
  return `The Docker engine runs on ${remote.hostname}, so functions are published on 127.0.0.1 of ${remote.hostname} (this one on port ${port}), `
    + `which this machine cannot reach directly. To reach it at http://127.0.0.1:${port} from here, open a tunnel: `
    + `ssh -N -L ${port}:127.0.0.1:${port} ${remote.sshTarget}; or use a Docker engine on this machine.`;
}
