import { spawn } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { CancelledError, UserFacingError } from '../core/errors';
import { DOCKER_HUB } from '../core/imageReference';
import { RegistryError, type RegistryAuth } from '../engine/engine';

/** A user name and password, as typed into the login prompt. */
export interface RegistryLogin {
  username: string;
  password: string;
}

/** Where a registry's credentials came from: messages say where to fix them. */
export type CredentialSource =
  | { kind: 'none' }
  | { kind: 'dockerConfig'; file: string }
  | { kind: 'credentialHelper'; program: string }
  | { kind: 'secretStorage' }
  | { kind: 'asked' };

export interface RegistryCredentials {
  registry: string;
  /** What the engine is given (X-Registry-Auth); `{}` when there are none. */
  auth: RegistryAuth;
  source: CredentialSource;
}

/** VS Code's SecretStorage, or anything with its shape (the tests pass a Map). */
export interface SecretStore {
  get(key: string): PromiseLike<string | undefined>;
  set(key: string, value: string): PromiseLike<void>;
  delete(key: string): PromiseLike<void>;
}

export interface RegistryAuthOptions {
  secrets: SecretStore;
  /** Asks the user for a login to `registry`, saying why; undefined when they dismiss it. */
  ask: (registry: string, reason: string) => Promise<RegistryLogin | undefined>;
  /** DOCKER_CONFIG, HOME and PATH (where `docker-credential-*` programs are looked up). Default: process.env. */
  env?: NodeJS.ProcessEnv;
  /** How long a credential helper may take before it is stopped and skipped (default 5 s). */
  helperTimeoutMs?: number;
}

const DEFAULT_HELPER_TIMEOUT_MS = 5_000;
/** How the docker CLI names Docker Hub in config.json and to credential helpers. */
const DOCKER_HUB_SERVER = 'https://index.docker.io/v1/';
const HUB_ALIASES = new Set([DOCKER_HUB, 'index.docker.io', 'registry-1.docker.io']);

/**
 * The registry refused the credentials it was given (or wants some). The message says whose they
 * were and where to fix them; the credentials themselves never appear in it.
 */
export class RegistryLoginRefusedError extends UserFacingError {
  constructor(readonly registry: string, readonly source: CredentialSource, user: string | undefined, readonly reply: string) {
    super(source.kind === 'none'
      ? `The registry ${registry} asks for a login (${reply}): run docker login ${registry}, or push again and enter a user and password when asked.`
      : `The registry refused the credentials for ${registry}${user ? ` (user ${user})` : ''}: check the user and password (${whereKept(source, registry)}).`);
    this.name = 'RegistryLoginRefusedError';
  }
}

function whereKept(source: CredentialSource, registry: string): string {
  switch (source.kind) {
    case 'dockerConfig': return `from your docker config, ${source.file}: run docker login ${registry} to replace them`;
    case 'credentialHelper': return `from ${source.program}, named in your docker config: run docker login ${registry} to replace them`;
    case 'secretStorage': return 'kept in VS Code\'s secret storage: Push Image asks for them again';
    case 'asked': return 'as entered: they were not kept, and Push Image asks again next time';
    case 'none': return 'none were given';
  }
}

/**
 * Finds the credentials for a registry the way the docker CLI does, then in VS Code's secret
 * storage, and asks the user once when the registry refuses what it had (or wants a login and there
 * was none). A login typed in is kept in the secret storage once a push with it succeeded, never in
 * settings or logs; a stored one the registry refuses is deleted before asking again.
 */
export class RegistryCredentialResolver {
  constructor(private readonly options: RegistryAuthOptions) {}

  /** Docker config (credential helpers, then `auths`), then the secret storage, else none. */
  async lookup(registry: string): Promise<RegistryCredentials> {
    const fromDocker = await credentialsFromDockerConfig(registry, this.options.env ?? process.env, this.options.helperTimeoutMs ?? DEFAULT_HELPER_TIMEOUT_MS);
    if (fromDocker) return fromDocker;
    const stored = parseLogin(await this.options.secrets.get(secretKey(registry)));
    if (stored) return withLogin(registry, stored, { kind: 'secretStorage' });
    return { registry, auth: {}, source: { kind: 'none' } };
  }

  /**
   * Runs `attempt` with the registry's credentials. When the registry refuses them (a
   * RegistryLoginRefusedError, or a RegistryError the engine sorted as unauthorized) and they were
   * not the docker config's, asks for a login once and runs `attempt` again with it.
   */
  async withCredentials<T>(registry: string, attempt: (credentials: RegistryCredentials) => Promise<T>): Promise<T> {
    const first = await this.lookup(registry);
    try {
      return await attempt(first);
    } catch (error) {
      if (!isLoginRefusal(error) || first.source.kind === 'dockerConfig' || first.source.kind === 'credentialHelper') throw error;
      if (first.source.kind === 'secretStorage') await this.options.secrets.delete(secretKey(registry));
      const reason = first.source.kind === 'none' ? `${registry} asks for a login` : `${registry} refused the stored login of ${first.auth.username ?? 'its user'}`;
      const login = await this.options.ask(registry, reason);
      if (!login) throw new CancelledError(`no login entered for ${registry}`);
      const result = await attempt(withLogin(registry, login, { kind: 'asked' }));
      await this.options.secrets.set(secretKey(registry), JSON.stringify({ username: login.username, password: login.password }));
      return result;
    }
  }
}

export function isLoginRefusal(error: unknown): boolean {
  return error instanceof RegistryLoginRefusedError || (error instanceof RegistryError && error.reason === 'unauthorized');
}

/** The secret storage key of a registry's login (the extension's own storage: no other extension reads it). */
export function secretKey(registry: string): string {
  return `registry-login:${registry}`;
}

function parseLogin(text: string | undefined): RegistryLogin | undefined {
  if (!text) return undefined;
  try {
    const value = JSON.parse(text) as Partial<RegistryLogin>;
    return typeof value.username === 'string' && typeof value.password === 'string' ? { username: value.username, password: value.password } : undefined;
  } catch {
    return undefined;
  }
}

function withLogin(registry: string, login: RegistryLogin, source: CredentialSource): RegistryCredentials {
  return { registry, auth: { username: login.username, password: login.password, serveraddress: serverAddress(registry) }, source };
}

/** The name the docker CLI gives a registry in config.json and to credential helpers. */
function serverAddress(registry: string): string {
  return HUB_ALIASES.has(registry) ? DOCKER_HUB_SERVER : registry;
}

/** A config.json key as a host[:port]: "https://registry.example.com/v1/" → "registry.example.com" (the CLI's ConvertToHostname). */
function hostOfKey(key: string): string {
  return key.replace(/^[a-z]+:\/\//i, '').split('/')[0];
}

function sameRegistry(key: string, registry: string): boolean {
  const host = hostOfKey(key);
  return host === registry || (HUB_ALIASES.has(registry) && HUB_ALIASES.has(host));
}

interface DockerConfigFile {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
}

/** `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`. */
export function dockerConfigFile(env: NodeJS.ProcessEnv): string {
  return path.join(env.DOCKER_CONFIG || path.join(env.HOME || os.homedir(), '.docker'), 'config.json');
}

/**
 * The registry's credentials from the user's docker config, as `docker push` would use them: the
 * credential helper named for it in `credHelpers`, else the `credsStore` one, else the `auths`
 * entry. A helper that is not installed, fails or takes too long is skipped.
 */
export async function credentialsFromDockerConfig(registry: string, env: NodeJS.ProcessEnv, helperTimeoutMs = DEFAULT_HELPER_TIMEOUT_MS): Promise<RegistryCredentials | undefined> {
  const file = dockerConfigFile(env);
  let config: DockerConfigFile;
  try {
    config = JSON.parse(await fs.readFile(file, 'utf8')) as DockerConfigFile;
  } catch {
    return undefined; // none, unreadable or not JSON: as if there were none (docker itself would complain)
  }
  const helperEntry = Object.entries(config.credHelpers ?? {}).find(([key]) => sameRegistry(key, registry));
  for (const helper of [helperEntry?.[1], config.credsStore]) {
    if (!helper || !/^[A-Za-z0-9._-]+$/.test(helper)) continue;
    const program = `docker-credential-${helper}`;
    const found = await runCredentialHelper(program, serverAddress(registry), env, helperTimeoutMs);
    if (!found) continue;
    const auth: RegistryAuth = found.Username === '<token>'
      ? { identitytoken: found.Secret, serveraddress: serverAddress(registry) }
      : { username: found.Username, password: found.Secret, serveraddress: serverAddress(registry) };
    return { registry, auth, source: { kind: 'credentialHelper', program } };
  }
  const entry = Object.entries(config.auths ?? {}).find(([key]) => sameRegistry(key, registry))?.[1];
  if (!entry) return undefined;
  const source: CredentialSource = { kind: 'dockerConfig', file };
  if (entry.identitytoken) return { registry, auth: { identitytoken: entry.identitytoken, serveraddress: serverAddress(registry) }, source };
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) return { registry, auth: { username: decoded.slice(0, colon), password: decoded.slice(colon + 1), serveraddress: serverAddress(registry) }, source };
  }
  if (entry.username && entry.password) return { registry, auth: { username: entry.username, password: entry.password, serveraddress: serverAddress(registry) }, source };
  return undefined;
}

interface HelperAnswer {
  Username: string;
  Secret: string;
}

/**
 * `docker-credential-<helper> get` with the server on stdin, as the docker CLI runs it. Undefined
 * when the program is missing, says it has nothing for the server, answers something else, or is
 * still running after `timeoutMs` (then it is killed): the next source is tried.
 */
function runCredentialHelper(program: string, server: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<HelperAnswer | undefined> {
  return new Promise((resolve) => {
    const child = spawn(program, ['get'], { env, stdio: ['pipe', 'pipe', 'ignore'] });
    let output = '';
    let settled = false;
    const settle = (answer: HelperAnswer | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(answer);
    };
    // Answer at the deadline without waiting for the pipe to close: a child of the helper may hold it open.
    const stop = () => {
      child.kill('SIGKILL');
      child.stdout.destroy();
      settle(undefined);
    };
    const timer = setTimeout(stop, timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      output += text;
      if (output.length > 64 * 1024) stop();
    });
    child.stdin.on('error', () => undefined); // a helper that exits without reading
    child.on('error', () => settle(undefined)); // not installed
    child.on('close', (code) => {
      if (code !== 0) return settle(undefined);
      try {
        const answer = JSON.parse(output) as Partial<HelperAnswer>;
        settle(typeof answer.Username === 'string' && typeof answer.Secret === 'string' && answer.Secret ? { Username: answer.Username, Secret: answer.Secret } : undefined);
      } catch {
        settle(undefined);
      }
    });
    child.stdin.end(server);
  });
}
