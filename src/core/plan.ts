import { LABEL_DIGEST } from './contentDigest';
import type { FunctionSpec } from './functionSpec';
import { imageTag, LABEL_FOLDER, LABEL_FUNCTION, LABEL_KIND, LABEL_OWNER } from './names';

/** What to build: plain data, checked by unit tests and executed by the engine adapter. */
export interface BuildRequest {
  contextDir: string;
  /** Files of the context, relative to contextDir, already filtered by .dockerignore. */
  files: string[];
  dockerfile: string;
  /** The tag carries the workspace id, so Clean Up finds a workspace's images without labels (a LABEL step costs a container per build). */
  tag: string;
  /**
   * Labels the engine sets on the image (the build's `labels`, not a LABEL step in the Dockerfile):
   * with BuildKit they cost no step; the classic builder adds one at the end.
   */
  labels: Record<string, string>;
  /**
   * `host`: the build's RUN steps use the host's network (the build's `networkmode`), for machines
   * whose containers reach the network only through the host. Unset: the engine's default network.
   */
  network?: BuildNetwork;
}

/** The network a build's RUN steps use, besides the engine's default: only the host's. */
export type BuildNetwork = 'host';

/** A container to create: plain data, checked by unit tests and executed by the engine adapter. */
export interface ContainerRequest {
  image: string;
  labels: Record<string, string>;
  env: Record<string, string>;
  init: true;
  memoryBytes?: number;
  nanoCpus?: number;
  /** Container name; the engine picks one when unset. */
  name?: string;
  /**
   * Keep the container's stdin open until the first attach that writes to it closes it (Docker's
   * OpenStdin + StdinOnce): how a job gets its payload. Unset: stdin reads as empty at once.
   */
  stdin?: boolean;
}

/** A service: its port published on 127.0.0.1 at `hostPort`. */
export interface RunRequest extends ContainerRequest {
  containerPort: number;
  hostIp: '127.0.0.1';
  hostPort: number;
  /** A debugged instance: its debugger's port, also published on 127.0.0.1 only. */
  debugPort?: { containerPort: number; hostPort: number };
  /** Host paths mounted read-only (a debugged Python instance's debugpy). */
  readOnlyMounts?: Array<{ source: string; target: string }>;
}

/** A one-shot job: runs to its exit, publishes no port. */
export type JobRequest = ContainerRequest;

export function functionLabels(spec: FunctionSpec, ownerId: string): Record<string, string> {
  return { [LABEL_OWNER]: ownerId, [LABEL_FUNCTION]: spec.name, [LABEL_FOLDER]: spec.folder };
}

/**
 * `contentDigest`: of these files (core/contentDigest.ts), kept on the image to tell whether it is current.
 * `network`: the localServerless.buildNetwork setting; the network is not part of the digest, since the
 * same files make the same image on either network.
 */
export function planBuild(spec: FunctionSpec, ownerId: string, files: string[], contentDigest: string, network?: BuildNetwork): BuildRequest {
  return {
    contextDir: spec.folder,
    files,
    dockerfile: 'Dockerfile',
    tag: imageTag(spec.name, ownerId),
    labels: { [LABEL_DIGEST]: contentDigest },
    ...(network ? { network } : {}),
  };
}

/**
 * `envFileValues` come from the user's env file: they go to the container but must never be
 * logged, so callers log `describeRun` output, not this request.
 */
export function planRun(spec: FunctionSpec, ownerId: string, hostPort: number, envFileValues: Record<string, string> = {}): RunRequest {
  return {
    image: imageTag(spec.name, ownerId),
    labels: functionLabels(spec, ownerId),
    // PORT tells the server where to listen; fn.json env wins over the env file, as on serverless platforms.
    env: { PORT: String(spec.port), ...envFileValues, ...spec.env },
    containerPort: spec.port,
    hostIp: '127.0.0.1',
    hostPort,
    init: true,
    memoryBytes: spec.memoryMb ? spec.memoryMb * 1024 * 1024 : undefined,
    nanoCpus: spec.cpus ? Math.round(spec.cpus * 1e9) : undefined,
  };
}

/**
 * A job run of the function's image: the same labels, env and limits as a service, no port and no
 * PORT variable (nothing listens). `envFileValues` are never logged (see planRun).
 */
export function planJob(spec: FunctionSpec, ownerId: string, envFileValues: Record<string, string> = {}): JobRequest {
  return {
    image: imageTag(spec.name, ownerId),
    labels: { ...functionLabels(spec, ownerId), [LABEL_KIND]: 'job' },
    env: { ...envFileValues, ...spec.env },
    init: true,
    memoryBytes: spec.memoryMb ? spec.memoryMb * 1024 * 1024 : undefined,
    nanoCpus: spec.cpus ? Math.round(spec.cpus * 1e9) : undefined,
  };
}

/** A loggable description of a run: env names only, never values (they may be secrets). */
export function describeRun(request: RunRequest | JobRequest): string {
  const limits = [request.memoryBytes ? `memory ${request.memoryBytes / 1024 / 1024} MiB` : '', request.nanoCpus ? `cpus ${request.nanoCpus / 1e9}` : ''].filter(Boolean);
  const where = 'hostPort' in request ? ` on ${request.hostIp}:${request.hostPort} → ${request.containerPort}` : ' as a job';
  const debug = 'hostPort' in request && request.debugPort ? `, debugger on ${request.hostIp}:${request.debugPort.hostPort} → ${request.debugPort.containerPort}` : '';
  return `run ${request.image}${where}${debug}` +
    (request.stdin ? ', payload on stdin' : '') +
    (Object.keys(request.env).length ? `, env ${Object.keys(request.env).sort().join(', ')}` : '') +
    (limits.length ? `, ${limits.join(', ')}` : '');
}
