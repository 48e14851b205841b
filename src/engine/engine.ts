import type { BuildRequest, JobRequest, RunRequest } from '../core/plan';
import type { RemoteEngine } from './endpoint';

/** The one interface to a container engine; `dockerEngine.ts` is its only adapter. */
export interface ContainerEngine {
  /** Where the engine is expected, for messages: "unix:///var/run/docker.sock (default socket)". */
  readonly endpoint: string;
  /** Set when the engine is on another machine: ports are published on 127.0.0.1 of that machine, not this one. */
  readonly remote?: RemoteEngine;
  /** Resolves when the engine answers within a short timeout; throws EngineUnavailableError otherwise. */
  ping(): Promise<void>;
  /** Builds an image, streaming output. Throws BuildFailedError on a failed step, CancelledError on abort. */
  build(request: BuildRequest, onOutput: (text: string) => void, signal?: AbortSignal): Promise<void>;
  /** Creates a service's container (its port published) or a job's (none); returns its id. */
  create(request: RunRequest | JobRequest): Promise<string>;
  /** Output the container prints from now on (attach before start to miss nothing), until it stops or `signal` aborts. */
  attach(containerId: string, signal: AbortSignal, sinceUnixSeconds?: number): Promise<AsyncIterable<LogChunk>>;
  /**
   * Like `attach` before start, and also writes `input` to the container's stdin, then closes it, so
   * the process reads `input` and then end of file. The container must be created with `stdin: true`.
   */
  attachWithInput(containerId: string, input: Uint8Array, signal: AbortSignal): Promise<AsyncIterable<LogChunk>>;
  start(containerId: string): Promise<void>;
  /**
   * Resolves with the exit code once the container is not running: at once when it has already
   * exited. Call it after `start` (before, a created container counts as not running). No time
   * limit: a job runs as long as it runs; `signal` ends the wait (CancelledError).
   */
  wait(containerId: string, signal?: AbortSignal): Promise<number>;
  /** Stops (SIGTERM, then SIGKILL after `graceSeconds`) and keeps the container, so `start` can bring it back; a missing or stopped one is not an error. */
  stop(containerId: string, graceSeconds: number): Promise<void>;
  /** Stops (SIGTERM, then SIGKILL after `graceSeconds`) and removes; a missing container is not an error. */
  remove(containerId: string, graceSeconds?: number): Promise<void>;
  inspect(containerId: string): Promise<ContainerInfo | undefined>;
  list(labels: Record<string, string>): Promise<ContainerInfo[]>;
  /** Container events for containers carrying `labels`, until `signal` aborts. */
  events(labels: Record<string, string>, signal: AbortSignal): AsyncIterable<EngineEvent>;
  /** Copies files (relative to `folder`) into the container's `destination` directory. */
  copyInto(containerId: string, folder: string, files: string[], destination: string): Promise<void>;
  /**
   * Copies files into a running container's `destination`, then sends it `reloadSignal` when given: in
   * one round trip to a receiver kept running in the container where its image allows, else as
   * copyInto and signal. Throws, naming them, for files reached through a link that leaves `folder`.
   */
  syncInto(containerId: string, folder: string, files: string[], destination: string, reloadSignal?: string): Promise<void>;
  /** Readies a running container for syncInto in the background, so its first sync is as fast as the next ones. */
  prepareSync(containerId: string): void;
  signal(containerId: string, signal: string): Promise<void>;
  restart(containerId: string): Promise<void>;
  /** Writes files (absolute container paths, parent folders made as needed) into a created container, before it starts. */
  putFiles(containerId: string, files: Array<{ path: string; content: string }>): Promise<void>;
  /** The image's own environment (its ENV lines and its base image's), or undefined when the image does not exist. */
  imageEnv(tag: string): Promise<Record<string, string> | undefined>;
  /** Image labels, or undefined when the image does not exist. */
  imageLabels(tag: string): Promise<Record<string, string> | undefined>;
  /** Tags of the images matching a reference pattern such as "local-serverless/*-0123abcd"; may include their other tags. */
  listImageTags(reference: string): Promise<string[]>;
  removeImage(tag: string): Promise<void>;
  /** Gives image `source` the name `repository:tag` as well. */
  tag(source: string, repository: string, tag: string): Promise<void>;
  /**
   * Pushes `reference` (repository:tag) to its registry with `auth`, reporting each layer's progress
   * line. Resolves with the manifest digest the registry stored (sha256:…). Throws RegistryError when
   * the registry refuses or cannot be reached, CancelledError when `signal` aborts (the request is
   * closed, which stops the engine's upload).
   */
  push(reference: string, auth: RegistryAuth, onProgress: (layer: LayerEvent) => void, signal?: AbortSignal): Promise<string>;
  /** Pulls `reference` (repository:tag or repository@sha256:…). Throws RegistryError or CancelledError as `push` does. */
  pull(reference: string, auth: RegistryAuth, signal?: AbortSignal): Promise<void>;
  /** The image's `repository@sha256:…` names (set by a push or a pull), or undefined when the image does not exist. */
  repoDigests(image: string): Promise<string[] | undefined>;
  /**
   * The manifest digest the registry holds for `reference`, asked by the engine (its network, its TLS
   * and insecure-registry settings, `auth`); undefined when the registry has no such tag. Throws
   * RegistryError when the registry refuses or cannot be reached.
   */
  registryDigest(reference: string, auth: RegistryAuth, signal?: AbortSignal): Promise<string | undefined>;
  dispose(): void;
}

/**
 * Credentials for one registry in the Engine API's form (the X-Registry-Auth header); `{}` for none.
 * Never logged: the adapter puts them in a header, never in a URL or a message.
 */
export interface RegistryAuth {
  username?: string;
  password?: string;
  /** A token the registry's login handed out (credential helpers say so with the user name `<token>`). */
  identitytoken?: string;
  serveraddress?: string;
}

/** One progress line of a push or pull about one layer: "Pushing" with bytes, "Pushed", "Layer already exists". */
export interface LayerEvent {
  id: string;
  status: string;
  current?: number;
  total?: number;
}

/**
 * A registry refused a push, pull or question, or could not be reached. `reason` sorts what the
 * engine said: the registry wants (other) credentials, nothing answers there, or anything else.
 */
export class RegistryError extends Error {
  constructor(readonly registry: string, readonly reason: 'unauthorized' | 'unreachable' | 'failed', readonly detail: string) {
    super(`${registry}: ${detail}`);
    this.name = 'RegistryError';
  }
}

export interface LogChunk {
  /**
   * Which of the container's streams the text came from. The function's channel shows both alike
   * (as `docker logs` does), so FunctionRunner does not read it today; it stays so a caller can tell
   * them apart, and the demultiplexer decodes each stream separately by it.
   */
  stream: 'stdout' | 'stderr';
  text: string;
}

export interface ContainerInfo {
  id: string;
  labels: Record<string, string>;
  state: string;
  running: boolean;
  exitCode?: number;
  hostPort?: number;
  workingDir?: string;
  image: string;
  /** The container's address on its network while it runs (inspect only): used to tell when its server listens, never to send it requests. */
  ipAddress?: string;
}

export interface EngineEvent {
  containerId: string;
  action: string;
  labels: Record<string, string>;
  exitCode?: number;
  /** Unix seconds. */
  time?: number;
}

/**
 * The engine did not answer, or refused us: says where we looked and what happened. What the user
 * should do about it is the UI's to say (see ui/engineAdvice.ts), keyed by `reason`.
 */
export class EngineUnavailableError extends Error {
  constructor(
    readonly endpoint: string,
    readonly problem: string,
    readonly reason: 'unreachable' | 'refused' | 'invalidAddress' = 'unreachable',
    message = `No Docker engine answered at ${endpoint} (${problem}).`,
  ) {
    super(message);
    this.name = 'EngineUnavailableError';
  }
}

/** The configured address is not one an engine can be reached at: nothing was dialled. */
export class InvalidEngineAddressError extends EngineUnavailableError {
  constructor(endpoint: string, problem: string, readonly address: string, readonly source: string) {
    super(endpoint, problem, 'invalidAddress', `The Docker engine address from ${source} cannot be used: ${problem}.`);
    this.name = 'InvalidEngineAddressError';
  }
}

/** The host port a container is to be published on is taken by another program. */
export class PortInUseError extends Error {
  constructor(readonly port: number | undefined, options?: ErrorOptions) {
    super(`Port ${port ?? '?'} on 127.0.0.1 is already in use by another program.`, options);
    this.name = 'PortInUseError';
  }
}

export class BuildFailedError extends Error {
  constructor(readonly step: string | undefined, readonly reason: string, readonly stepOutput: string) {
    super(step ? `Build failed at "${step}": ${reason}` : `Build failed: ${reason}`);
    this.name = 'BuildFailedError';
  }
}
