import type Docker from 'dockerode';
import * as tar from 'tar-fs';
import * as tarStream from 'tar-stream';
import { CancelledError, errorMessage, throwIfAborted } from '../core/errors';
import { registryOf, splitReference } from '../core/imageReference';
import { filesReachedThroughLinks } from '../core/insideFolder';
import { LABEL_DEBUG_PORT } from '../core/names';
import type { BuildRequest, JobRequest, RunRequest } from '../core/plan';
import { BuildOutput } from './buildOutput';
import { EngineUnavailableError, InvalidEngineAddressError, PortInUseError, RegistryError, type ContainerEngine, type ContainerInfo, type EngineEvent, type LayerEvent, type LogChunk, type RegistryAuth } from './engine';
import { modemOptions, remoteEngine, type EngineEndpoint, type RemoteEngine } from './endpoint';
import { RECEIVER_NAME, RECEIVER_SCRIPT, ReceiverUnavailableError, SyncReceiver } from './syncReceiver';

/**
 * dockerode pulls in ssh2, gRPC and protobufjs (~0.2 s to load): load it when the engine is first
 * used, not while VS Code activates the extension.
 */
function loadDockerode(): typeof Docker {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('dockerode') as typeof Docker;
}

/** Short calls (inspect, create, remove…) that take longer than this are treated as a hung engine. */
const REQUEST_TIMEOUT_MS = 20_000;
const PING_TIMEOUT_MS = 3_000;
/** A sync receiver that has not said it is ready by then is not used (its container syncs through the Engine API). */
const RECEIVER_START_TIMEOUT_MS = 5_000;

/**
 * The only place that talks to dockerode. dockerode has no default timeout (a socket that accepts
 * and never answers hangs forever), so every short call carries an AbortSignal with a deadline, and
 * connection failures become EngineUnavailableError naming the endpoint.
 */
export class DockerEngine implements ContainerEngine {
  private client: Docker | undefined;
  private modem: Record<string, unknown> = {};
  endpoint!: string;
  /** The endpoint itself (unix:///var/run/docker.sock, tcp://…), for the clean-up helper. */
  host!: string;
  /** Set when the engine is on another machine, where it publishes ports on its own 127.0.0.1. */
  remote: RemoteEngine | undefined;
  /**
   * BuildKit rebuilds a code-only change several times faster than the classic builder (~0.15 s
   * against ~0.6 s here); classic is the fallback, or the choice with LOCAL_SERVERLESS_BUILDER=classic.
   */
  private builder: 'buildkit' | 'classic' = 'buildkit';
  private invalidAddress: InvalidEngineAddressError | undefined;
  /**
   * Each running container's sync receiver (see syncReceiver.ts), started at its first sync;
   * undefined: its image cannot run one, or one failed, so it syncs through the Engine API.
   */
  private readonly receivers = new Map<string, Promise<SyncReceiver | undefined>>();

  constructor(endpoint: EngineEndpoint) {
    this.connectTo(endpoint);
  }

  /** Points the adapter at another endpoint (the user changed `localServerless.dockerHost`). */
  connectTo(endpoint: EngineEndpoint): void {
    const tls = endpoint.tls ? `, TLS${endpoint.tls.verify ? '' : ' without checking its certificate'} with certificates from ${endpoint.tls.from}` : '';
    this.endpoint = `${endpoint.host} (${endpoint.source}${tls})`;
    this.host = endpoint.host;
    this.remote = remoteEngine(endpoint.host);
    this.closeReceivers();
    this.client = undefined;
    this.invalidAddress = undefined;
    try {
      if (endpoint.problem) throw new Error(endpoint.problem);
      this.modem = modemOptions(endpoint.host, endpoint.tls);
    } catch (error) {
      // A bad address must not stop activation: every request fails with a message naming it instead.
      this.modem = {};
      this.invalidAddress = new InvalidEngineAddressError(this.endpoint, errorMessage(error), endpoint.host, endpoint.source);
    }
    this.builder = process.env.LOCAL_SERVERLESS_BUILDER === 'classic' ? 'classic' : 'buildkit';
  }

  private get docker(): Docker {
    if (this.invalidAddress) throw this.invalidAddress;
    this.client ??= new (loadDockerode())(this.modem as Docker.DockerOptions);
    return this.client;
  }

  private podman: Promise<boolean> | undefined;

  /** Whether the engine is Podman's Docker-compatible service (asked once; it says so in its version's components). */
  private isPodman(): Promise<boolean> {
    const version = this.docker.version as unknown as (options: object) => Promise<{ Components?: { Name?: string }[] }>;
    this.podman ??= this.call((abortSignal) => version.call(this.docker, { abortSignal }))
      .then((v) => (v.Components ?? []).some((c) => /podman/i.test(c.Name ?? '')), () => false);
    return this.podman;
  }

  async ping(): Promise<void> {
    const ping = this.docker.ping as unknown as (options: object) => Promise<unknown>;
    await this.call((abortSignal) => ping.call(this.docker, { abortSignal }), PING_TIMEOUT_MS);
  }

  async build(request: BuildRequest, onOutput: (text: string) => void, signal?: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    if (this.builder === 'buildkit') {
      try {
        return await this.buildWith('2', request, onOutput, signal);
      } catch (error) {
        // Engines without BuildKit sessions (Podman's compat API, old Docker) refuse before any output.
        if (!(error instanceof BuildRequestRefused)) throw error;
        this.builder = 'classic';
        onOutput(`BuildKit is not available on this engine (${error.message.replace(/\s+/g, ' ').trim()}); using the classic builder\n`);
      }
    }
    return this.buildWith('1', request, onOutput, signal);
  }

  private async buildWith(version: '1' | '2', request: BuildRequest, onOutput: (text: string) => void, signal?: AbortSignal): Promise<void> {
    // The pack opens context files as soon as it exists. dockerode only pipes it into the request once
    // a BuildKit session is up: when the engine is away or has no sessions, nothing ever reads or closes it.
    // Links in the context go as links (never dereferenced): a link to /usr sends no file of /usr.
    const context = tar.pack(request.contextDir, { entries: request.files, dereference: false });
    try {
      let stream: NodeJS.ReadableStream;
      try {
        stream = await this.docker.buildImage(context as unknown as NodeJS.ReadableStream, {
          t: request.tag,
          dockerfile: request.dockerfile,
          // The Engine API's `labels` (a JSON object in the query): set on the image by either builder.
          labels: request.labels,
          // Both builders take it: the classic one runs RUN steps in host-network containers, BuildKit
          // (Docker's) grants its network.host entitlement for it, as `docker build --network host` does.
          ...(request.network ? { networkmode: request.network } : {}),
          rm: true,
          forcerm: true,
          version,
          abortSignal: signal,
        } as Docker.ImageBuildOptions);
      } catch (error) {
        throwIfAborted(signal);
        const mapped = this.mapError(error);
        if (version === '2' && !(mapped instanceof EngineUnavailableError)) throw new BuildRequestRefused(mapped.message);
        throw mapped;
      }
      await readBuildStream(stream, onOutput, signal);
    } finally {
      context.destroy();
    }
  }

  async create(request: RunRequest | JobRequest): Promise<string> {
    const portKey = 'hostPort' in request ? `${request.containerPort}/tcp` : undefined;
    const debug = 'hostPort' in request ? request.debugPort : undefined;
    const debugKey = debug ? `${debug.containerPort}/tcp` : undefined;
    const mounts = 'hostPort' in request ? request.readOnlyMounts ?? [] : [];
    const container = await this.call((abortSignal) => this.docker.createContainer({
      ...(request.name ? { name: request.name } : {}),
      Image: request.image,
      Labels: request.labels,
      Env: Object.entries(request.env).map(([k, v]) => `${k}=${v}`),
      ...(portKey ? { ExposedPorts: { [portKey]: {}, ...(debugKey ? { [debugKey]: {} } : {}) } } : {}),
      // StdinOnce: when the attach that writes the input closes its side, the process's stdin closes
      // (end of file) and its output keeps flowing; without it Docker would close the output too.
      ...(request.stdin ? { OpenStdin: true, StdinOnce: true, AttachStdin: true } : {}),
      HostConfig: {
        Init: request.init,
        ...('hostPort' in request && portKey ? {
          PortBindings: {
            [portKey]: [{ HostIp: request.hostIp, HostPort: String(request.hostPort) }],
            ...(debug && debugKey ? { [debugKey]: [{ HostIp: request.hostIp, HostPort: String(debug.hostPort) }] } : {}),
          },
        } : {}),
        ...(mounts.length ? { Mounts: mounts.map((m) => ({ Type: 'bind', Source: m.source, Target: m.target, ReadOnly: true })) } : {}),
        Memory: request.memoryBytes,
        NanoCpus: request.nanoCpus,
      },
      abortSignal,
    } as Docker.ContainerCreateOptions));
    return container.id;
  }

  async attach(containerId: string, signal: AbortSignal, sinceUnixSeconds?: number): Promise<AsyncIterable<LogChunk>> {
    const container = this.docker.getContainer(containerId);
    // Attach (before start) misses nothing; after a restart, follow the log from the restart on instead,
    // since attaching with history would replay everything the container ever printed.
    const open = (): Promise<unknown> => sinceUnixSeconds === undefined
      ? container.attach({ stream: true, stdout: true, stderr: true, logs: false, abortSignal: signal } as object)
      : container.logs({ follow: true, stdout: true, stderr: true, since: sinceUnixSeconds, abortSignal: signal } as object);
    const stream = (await this.call(open)) as NodeJS.ReadableStream;
    signal.addEventListener('abort', () => (stream as unknown as { destroy?: () => void }).destroy?.(), { once: true });
    return demuxDockerStream(stream);
  }

  /**
   * A hijacked attach (`Upgrade: tcp`): the raw connection carries stdin one way and the multiplexed
   * output the other. Without the upgrade dockerode writes stdin as an HTTP chunked body, and the
   * chunk framing would reach the process. Half-closing our side (`end`) is end of file for the
   * process (the container has StdinOnce); its output keeps coming until it exits.
   */
  async attachWithInput(containerId: string, input: Uint8Array, signal: AbortSignal): Promise<AsyncIterable<LogChunk>> {
    throwIfAborted(signal);
    // Docker ignores an attach request's body and takes stdin from the upgraded connection; Podman
    // (4.x) takes the body as stdin. So the payload goes where the engine reads it, and nothing else
    // goes in the body (dockerode would send its options there, which Podman would pass to the job).
    const bodyIsStdin = await this.isPodman();
    const dial = (abortSignal: AbortSignal): Promise<unknown> => new Promise((resolve, reject) => this.docker.modem.dial({
      path: `/containers/${containerId}/attach?`,
      method: 'POST',
      abortSignal: signal.aborted ? signal : abortSignal,
      isStream: true,
      hijack: true,
      openStdin: true,
      file: bodyIsStdin ? Buffer.from(input) : Buffer.alloc(0),
      statusCodes: { 200: true, 404: 'no such container', 500: 'server error' },
      options: { stream: true, stdin: true, stdout: true, stderr: true },
    } as never, (error: unknown, stream: unknown) => (error ? reject(error) : resolve(stream))));
    const socket = (await this.call(dial)) as NodeJS.ReadWriteStream & { destroy(): void };
    if (signal.aborted) {
      socket.destroy();
      throw new CancelledError();
    }
    signal.addEventListener('abort', () => socket.destroy(), { once: true });
    // Until the caller reads the output, a write error (the process exited without reading its
    // input) would have no listener and end the extension host; reading the output reports it.
    socket.on('error', () => undefined);
    if (!bodyIsStdin) socket.write(input);
    socket.end();
    return demuxDockerStream(socket);
  }

  async start(containerId: string): Promise<void> {
    try {
      await this.call((abortSignal) => this.docker.getContainer(containerId).start({ abortSignal } as object));
    } catch (error) {
      const message = (error as Error).message;
      const port = /0\.0\.0\.0:(\d+)|127\.0\.0\.1:(\d+)/.exec(message);
      if (/port is already allocated|address already in use/.test(message)) {
        throw new PortInUseError(port ? Number(port[1] ?? port[2]) : undefined, { cause: error });
      }
      throw error;
    }
  }

  async wait(containerId: string, signal?: AbortSignal): Promise<number> {
    throwIfAborted(signal);
    try {
      // No deadline of ours (a job runs as long as it runs): the caller's signal ends the wait.
      const result = await this.docker.getContainer(containerId).wait({ condition: 'not-running', abortSignal: signal } as object) as { StatusCode: number };
      return result.StatusCode;
    } catch (error) {
      if (signal?.aborted) throw new CancelledError();
      throw this.mapError(error);
    }
  }

  async stop(containerId: string, graceSeconds: number): Promise<void> {
    await this.call((abortSignal) => this.docker.getContainer(containerId).stop({ t: graceSeconds, abortSignal } as object)).catch(ignoreGone);
  }

  async remove(containerId: string, graceSeconds = 0): Promise<void> {
    this.closeReceiver(containerId);
    const container = this.docker.getContainer(containerId);
    try {
      if (graceSeconds > 0) await this.call((abortSignal) => container.stop({ t: graceSeconds, abortSignal } as object)).catch(ignoreGone);
      await this.call((abortSignal) => container.remove({ force: true, v: true, abortSignal } as object));
    } catch (error) {
      ignoreGone(error);
    }
  }

  async inspect(containerId: string): Promise<ContainerInfo | undefined> {
    try {
      const info = await this.call((abortSignal) => this.docker.getContainer(containerId).inspect({ abortSignal } as object));
      // A debugged instance publishes its debugger's port too: the function's port is the other one.
      const debugKey = `${info.Config.Labels?.[LABEL_DEBUG_PORT]}/tcp`;
      const binding = Object.entries(info.HostConfig.PortBindings ?? {}).find(([key]) => key !== debugKey)?.[1] as Array<{ HostPort: string }> | undefined;
      return {
        id: info.Id,
        labels: info.Config.Labels ?? {},
        state: info.State.Status,
        running: info.State.Running,
        exitCode: info.State.Running ? undefined : info.State.ExitCode,
        hostPort: binding?.[0]?.HostPort ? Number(binding[0].HostPort) : undefined,
        workingDir: info.Config.WorkingDir || '/',
        image: info.Config.Image,
        ipAddress: Object.values(info.NetworkSettings?.Networks ?? {}).find((n) => n.IPAddress)?.IPAddress || undefined,
      };
    } catch (error) {
      ignoreGone(error);
      return undefined;
    }
  }

  async list(labels: Record<string, string>): Promise<ContainerInfo[]> {
    const filters = { label: Object.entries(labels).map(([k, v]) => `${k}=${v}`) };
    const containers = await this.call((abortSignal) => this.docker.listContainers({ all: true, filters, abortSignal } as Docker.ContainerListOptions));
    return containers.map((c) => ({
      id: c.Id,
      labels: c.Labels ?? {},
      state: c.State,
      running: c.State === 'running',
      exitCode: c.State === 'running' ? undefined : exitCodeFromStatus(c.Status),
      hostPort: c.Ports.find((p) => p.PublicPort && String(p.PrivatePort) !== c.Labels?.[LABEL_DEBUG_PORT])?.PublicPort,
      image: c.Image,
    }));
  }

  async *events(labels: Record<string, string>, signal: AbortSignal): AsyncIterable<EngineEvent> {
    const filters = { type: ['container'], label: Object.entries(labels).map(([k, v]) => `${k}=${v}`) };
    const stream = (await this.call(() => this.docker.getEvents({ filters, abortSignal: signal } as object))) as NodeJS.ReadableStream;
    signal.addEventListener('abort', () => (stream as unknown as { destroy?: () => void }).destroy?.(), { once: true });
    try {
      for await (const line of jsonLines(stream)) {
        const event = line as { id?: string; time?: number; Action?: string; Actor?: { ID?: string; Attributes?: Record<string, string> } };
        const attributes = event.Actor?.Attributes ?? {};
        const exitCode = attributes.exitCode !== undefined ? Number(attributes.exitCode) : undefined;
        // Podman's compat API says "remove" where Docker says "destroy".
        const action = event.Action === 'remove' ? 'destroy' : event.Action ?? '';
        yield { containerId: event.Actor?.ID ?? event.id ?? '', action, labels: attributes, exitCode, time: event.time };
      }
    } catch (error) {
      if (signal.aborted) return;
      throw this.mapError(error);
    }
  }

  /**
   * Copies `files` (relative to `folder`) into the container. Refuses, sending nothing, when a file
   * is reached through a linked folder that leaves `folder`: its content is not the function's. A
   * file that is itself a link goes as a link (tar-fs lstat's, never dereferencing), as in a build.
   */
  async copyInto(containerId: string, folder: string, files: string[], destination: string): Promise<void> {
    const outside = await filesReachedThroughLinks(folder, files);
    if (outside.length) {
      throw new Error(`not copied: ${outside.join(', ')} ${outside.length === 1 ? 'is' : 'are'} reached through a symbolic link that leaves the function folder`);
    }
    const archive = tar.pack(folder, { entries: files, dereference: false });
    try {
      await this.call((abortSignal) => this.docker.getContainer(containerId).putArchive(archive as unknown as NodeJS.ReadableStream, { path: destination, abortSignal } as object));
    } finally {
      // Closes the files it holds on every path (copied, refused, timed out, engine gone).
      archive.destroy();
    }
  }

  /**
   * Copies `files` into a running container and then sends `reloadSignal` to its main process, in one
   * round trip through the container's sync receiver; through copyInto and signal when the image
   * cannot run one. Refuses files reached through a link that leaves `folder`, as copyInto does.
   */
  async syncInto(containerId: string, folder: string, files: string[], destination: string, reloadSignal?: string): Promise<void> {
    const receiver = await this.receiverFor(containerId);
    if (receiver) {
      const outside = await filesReachedThroughLinks(folder, files);
      if (outside.length) throw new Error(`not copied: ${outside.join(', ')} ${outside.length === 1 ? 'is' : 'are'} reached through a symbolic link that leaves the function folder`);
      const archive = await packFiles(folder, files);
      try {
        await receiver.send(archive, destination, reloadSignal?.replace(/^SIG/, ''), REQUEST_TIMEOUT_MS);
        return;
      } catch (error) {
        // Not asked (or out of step): the Engine API does it all again; tar's or kill's own failure is the user's to see.
        if (!(error instanceof ReceiverUnavailableError)) throw error;
      }
    }
    await this.copyInto(containerId, folder, files, destination);
    if (reloadSignal) await this.signal(containerId, reloadSignal);
  }

  prepareSync(containerId: string): void {
    if (!this.invalidAddress && !this.receivers.has(containerId)) void this.openReceiver(containerId);
  }

  private receiverFor(containerId: string): Promise<SyncReceiver | undefined> {
    return this.receivers.get(containerId) ?? this.openReceiver(containerId);
  }

  /**
   * Starts the receiver as root (it writes where the image's root wrote, as the Engine API's copy does,
   * whatever USER the image runs as). Its exec ends with the container's process (a restart, an exit):
   * the next sync starts another. One that fails is not tried again for that container.
   */
  private openReceiver(containerId: string): Promise<SyncReceiver | undefined> {
    const opening = (async () => {
      // Podman 4.3: a test process holding receivers' connections did not exit after their containers
      // were removed (seen here, not yet understood): Podman syncs through the Engine API, as before.
      if (await this.isPodman()) return undefined;
      // Bounds only the start: the connection itself stays open for the container's life.
      const deadline = new AbortController();
      const timer = setTimeout(() => deadline.abort(), RECEIVER_START_TIMEOUT_MS);
      try {
        const exec = await this.docker.getContainer(containerId).exec({
          Cmd: ['sh', '-c', RECEIVER_SCRIPT, RECEIVER_NAME], AttachStdin: true, AttachStdout: true, AttachStderr: true, User: '0', abortSignal: deadline.signal,
        } as Docker.ExecCreateOptions);
        const socket = await exec.start({ hijack: true, stdin: true, abortSignal: deadline.signal } as Docker.ExecStartOptions) as NodeJS.ReadWriteStream & { destroy(): void };
        // A write after the process ended would otherwise be an unhandled error; the ended output tells the receiver.
        socket.on('error', () => undefined);
        const output = (async function* () {
          for await (const chunk of demuxDockerStream(socket)) if (chunk.stream === 'stdout') yield chunk.text;
        })();
        return await SyncReceiver.start({ input: socket, output, close: () => { socket.end(); socket.destroy(); } }, RECEIVER_START_TIMEOUT_MS, (failed) => {
          if (this.receivers.get(containerId) !== opening) return;
          if (failed) this.receivers.set(containerId, Promise.resolve(undefined));
          else this.receivers.delete(containerId);
        });
      } catch {
        return undefined;
      } finally {
        clearTimeout(timer);
      }
    })();
    this.receivers.set(containerId, opening);
    return opening;
  }

  private closeReceiver(containerId: string): void {
    const receiver = this.receivers.get(containerId);
    this.receivers.delete(containerId);
    void receiver?.then((r) => r?.close());
  }

  private closeReceivers(): void {
    for (const id of [...this.receivers.keys()]) this.closeReceiver(id);
  }

  async signal(containerId: string, signal: string): Promise<void> {
    await this.call((abortSignal) => this.docker.getContainer(containerId).kill({ signal, abortSignal } as object));
  }

  async restart(containerId: string): Promise<void> {
    await this.call((abortSignal) => this.docker.getContainer(containerId).restart({ t: 2, abortSignal } as object));
  }

  async putFiles(containerId: string, files: Array<{ path: string; content: string }>): Promise<void> {
    const archive = tarStream.pack();
    const folders = new Set<string>();
    for (const file of files) {
      const parts = file.path.split('/').filter(Boolean);
      for (let i = 1; i < parts.length; i++) {
        const folder = parts.slice(0, i).join('/');
        if (folders.has(folder)) continue;
        folders.add(folder);
        archive.entry({ name: `${folder}/`, type: 'directory', mode: 0o755 });
      }
      archive.entry({ name: parts.join('/'), mode: 0o644 }, file.content);
    }
    archive.finalize();
    await this.call((abortSignal) => this.docker.getContainer(containerId).putArchive(archive as unknown as NodeJS.ReadableStream, { path: '/', abortSignal } as object));
  }

  async imageEnv(tag: string): Promise<Record<string, string> | undefined> {
    try {
      const info = await this.call((abortSignal) => this.docker.getImage(tag).inspect({ abortSignal } as object));
      return Object.fromEntries((info.Config?.Env ?? []).map((entry) => {
        const equals = entry.indexOf('=');
        return equals < 0 ? [entry, ''] : [entry.slice(0, equals), entry.slice(equals + 1)];
      }));
    } catch (error) {
      ignoreGone(error);
      return undefined;
    }
  }

  async imageLabels(tag: string): Promise<Record<string, string> | undefined> {
    try {
      const info = await this.call((abortSignal) => this.docker.getImage(tag).inspect({ abortSignal } as object));
      return info.Config?.Labels ?? {};
    } catch (error) {
      ignoreGone(error);
      return undefined;
    }
  }

  async listImageTags(reference: string): Promise<string[]> {
    const images = await this.call((abortSignal) => this.docker.listImages({ filters: { reference: [reference] }, abortSignal } as object));
    // Podman names images in full (docker.io/local-serverless/x:dev); Docker in the familiar form we tag with.
    return images.flatMap((image) => image.RepoTags ?? []).map((tag) => tag.replace(/^docker\.io\/(library\/)?/, ''));
  }

  async removeImage(tag: string): Promise<void> {
    await this.call((abortSignal) => this.docker.getImage(tag).remove({ force: true, abortSignal } as object)).catch(ignoreGone);
  }

  async tag(source: string, repository: string, tag: string): Promise<void> {
    await this.call((abortSignal) => this.docker.getImage(source).tag({ repo: repository, tag, abortSignal } as Docker.ImageTagOptions));
  }

  async push(reference: string, auth: RegistryAuth, onProgress: (layer: LayerEvent) => void, signal?: AbortSignal): Promise<string> {
    throwIfAborted(signal);
    const { repository, tag } = splitReference(reference);
    const registry = registryOf(reference);
    let digest: string | undefined;
    // No deadline of ours: a big layer takes as long as it takes; the caller's signal ends it.
    await this.registryStream(registry, signal, () => this.docker.getImage(repository).push({ tag, authconfig: auth, abortSignal: signal } as object), (line) => {
      if (line.aux?.Digest) digest = line.aux.Digest;
      else if (line.id && line.status) onProgress({ id: line.id, status: line.status, current: line.progressDetail?.current, total: line.progressDetail?.total });
    });
    if (!digest) throw new RegistryError(registry, 'failed', `the engine finished pushing ${reference} without saying which digest the registry stored`);
    return digest;
  }

  async pull(reference: string, auth: RegistryAuth, signal?: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    await this.registryStream(registryOf(reference), signal, () => this.docker.createImage(auth as Docker.AuthConfig, { fromImage: reference, abortSignal: signal } as object), () => undefined);
  }

  async repoDigests(image: string): Promise<string[] | undefined> {
    try {
      const info = await this.call((abortSignal) => this.docker.getImage(image).inspect({ abortSignal } as object));
      return info.RepoDigests ?? [];
    } catch (error) {
      ignoreGone(error);
      return undefined;
    }
  }

  async registryDigest(reference: string, auth: RegistryAuth, signal?: AbortSignal): Promise<string | undefined> {
    throwIfAborted(signal);
    const registry = registryOf(reference);
    const inspect = (abortSignal: AbortSignal): Promise<{ Descriptor?: { digest?: string } }> => new Promise((resolve, reject) => this.docker.modem.dial({
      path: `/distribution/${reference}/json`,
      method: 'GET',
      authconfig: auth,
      abortSignal: signal ? AbortSignal.any([signal, abortSignal]) : abortSignal,
      statusCodes: { 200: true, 401: 'unauthorized', 403: 'forbidden', 404: 'not found', 500: 'server error' },
    } as never, (error: unknown, data: unknown) => (error ? reject(error) : resolve(data as { Descriptor?: { digest?: string } }))));
    try {
      return (await this.call(inspect)).Descriptor?.digest;
    } catch (error) {
      throwIfAborted(signal);
      // No such tag (or repository) in the registry, or an engine without this endpoint: nothing to compare with.
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw error instanceof EngineUnavailableError ? error : registryError(registry, error);
    }
  }

  /**
   * Runs a push or pull: opens the stream, reads its JSON lines, and turns the error line the engine
   * ends a failed one with into a RegistryError. Aborting `signal` closes the request.
   */
  private async registryStream(registry: string, signal: AbortSignal | undefined, open: () => Promise<unknown>, onLine: (line: RegistryStreamLine) => void): Promise<void> {
    let stream: NodeJS.ReadableStream & { destroy?: () => void };
    try {
      stream = (await open()) as NodeJS.ReadableStream;
    } catch (error) {
      throwIfAborted(signal);
      const mapped = this.mapError(error);
      throw mapped instanceof EngineUnavailableError ? mapped : registryError(registry, mapped);
    }
    const onAbort = () => stream.destroy?.();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for await (const value of jsonLines(stream)) {
        const line = value as RegistryStreamLine;
        if (line.error || line.errorDetail) throw registryError(registry, new Error(line.errorDetail?.message ?? line.error));
        onLine(line);
      }
    } catch (error) {
      throwIfAborted(signal);
      throw error instanceof RegistryError ? error : this.mapError(error);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    throwIfAborted(signal);
  }

  dispose(): void {
    // dockerode keeps no pooled sockets of its own; the sync receivers' connections are ours.
    this.closeReceivers();
  }

  /** Runs a short request with a deadline and maps connection failures to EngineUnavailableError. */
  private async call<T>(request: (abortSignal: AbortSignal) => Promise<T>, timeoutMs = REQUEST_TIMEOUT_MS): Promise<T> {
    const abortSignal = AbortSignal.timeout(timeoutMs);
    try {
      return await request(abortSignal);
    } catch (error) {
      if (abortSignal.aborted) throw new EngineUnavailableError(this.endpoint, `no answer within ${timeoutMs / 1000} s`);
      throw this.mapError(error);
    }
  }

  private mapError(error: unknown): Error {
    const e = error as Error & { code?: string; statusCode?: number; json?: { message?: string } | string };
    const tlsProblem = tlsRefusal(e);
    if (tlsProblem) return new EngineUnavailableError(this.endpoint, tlsProblem, 'refused', `The Docker engine at ${this.endpoint} refused the connection: ${tlsProblem}.`);
    if (e.code && ['ENOENT', 'ECONNREFUSED', 'EACCES', 'EPERM', 'ECONNRESET', 'EHOSTUNREACH', 'ETIMEDOUT', 'ENOTFOUND'].includes(e.code)) {
      const cause = e.code === 'EACCES' || e.code === 'EPERM' ? 'permission denied: is your user in the docker group?' : e.code;
      return new EngineUnavailableError(this.endpoint, cause);
    }
    if (e.statusCode && typeof e.json === 'object' && e.json?.message) return Object.assign(new Error(e.json.message), { statusCode: e.statusCode });
    return e instanceof Error ? e : new Error(String(error));
  }
}

class BuildRequestRefused extends Error {}

/** A line of a push or pull stream. */
interface RegistryStreamLine {
  id?: string;
  status?: string;
  progressDetail?: { current?: number; total?: number };
  aux?: { Tag?: string; Digest?: string; Size?: number };
  error?: string;
  errorDetail?: { message?: string };
}

/**
 * Sorts what the engine said about a registry: it wants (other) credentials, or nothing answers at
 * that address (dockerd says so in Go's words: dial tcp …: connect: connection refused), or else.
 */
export function registryError(registry: string, error: unknown): RegistryError {
  const detail = errorMessage(error).trim();
  if (/no basic auth credentials|unauthorized|authentication required|incorrect username or password|denied|\b401\b/i.test(detail)) return new RegistryError(registry, 'unauthorized', detail);
  if (/connection refused|no such host|i\/o timeout|network is unreachable|no route to host|connection reset|TLS handshake timeout|dial tcp|server misbehaving/i.test(detail)) return new RegistryError(registry, 'unreachable', detail);
  return new RegistryError(registry, 'failed', detail);
}

/** What went wrong in TLS between us and the engine, in words that say what to do; undefined for other errors. */
export function tlsRefusal(error: { code?: string; statusCode?: number; message?: string; json?: unknown }): string | undefined {
  const code = error.code ?? '';
  if (/^ERR_SSL_.*(CERTIFICATE_REQUIRED|BAD_CERTIFICATE|UNKNOWN_CA|CERTIFICATE_UNKNOWN)/.test(code)) {
    return 'it requires a client certificate it trusts: set DOCKER_CERT_PATH to the folder holding cert.pem and key.pem signed by the engine\'s CA (and ca.pem), with DOCKER_TLS_VERIFY=1';
  }
  if (['SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED', 'ERR_TLS_CERT_ALTNAME_INVALID'].includes(code)) {
    return `its TLS certificate was not accepted (${code}): set DOCKER_CERT_PATH to the folder whose ca.pem is the CA that signed the engine's certificate`;
  }
  // Go's TLS listener answers a plain HTTP request with this 400 reply.
  if (error.statusCode === 400 && /HTTP request to an HTTPS server/i.test(`${typeof error.json === 'string' ? error.json : ''} ${error.message ?? ''}`)) {
    return 'it speaks TLS on this port: set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH to the folder holding ca.pem, cert.pem and key.pem';
  }
  return undefined;
}

/** A tar of `files` (relative to `folder`) in memory, links as links (as copyInto sends them). */
async function packFiles(folder: string, files: string[]): Promise<Buffer> {
  const archive = tar.pack(folder, { entries: files, dereference: false });
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of archive as AsyncIterable<Buffer>) chunks.push(chunk);
  } finally {
    archive.destroy();
  }
  return Buffer.concat(chunks);
}

function ignoreGone(error: unknown): void {
  const status = (error as { statusCode?: number }).statusCode;
  if (status === 404 || status === 304 || status === 409 && /already in progress/.test((error as Error).message)) return;
  throw error;
}

function exitCodeFromStatus(status: string): number | undefined {
  const match = /Exited \((-?\d+)\)/.exec(status);
  return match ? Number(match[1]) : undefined;
}

/** Reads a build's JSON stream through BuildOutput; resolves when the build succeeded. */
export async function readBuildStream(stream: NodeJS.ReadableStream, onOutput: (text: string) => void, signal?: AbortSignal): Promise<void> {
  const output = new BuildOutput(onOutput);
  try {
    for await (const message of jsonLines(stream)) output.accept(message as Parameters<BuildOutput['accept']>[0]);
  } catch (error) {
    throwIfAborted(signal);
    throw error;
  }
  throwIfAborted(signal);
}

/** Parses a stream of newline-separated JSON objects (build output, events). */
export async function* jsonLines(stream: NodeJS.ReadableStream): AsyncIterable<unknown> {
  let buffer = '';
  // A multi-byte character can straddle two chunks: decode as a stream.
  const decoder = new TextDecoder('utf-8');
  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    buffer += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline).trim();
      buffer = buffer.slice(newline + 1);
      if (line) yield JSON.parse(line);
    }
  }
  if (buffer.trim()) yield JSON.parse(buffer);
}

/**
 * Splits Docker's multiplexed stdout/stderr stream (non-TTY containers): each frame is an 8-byte
 * header (stream type, 3 zero bytes, big-endian length) followed by the payload. Frames follow the
 * program's writes, which may end inside a multi-byte character: each stream has its own streaming
 * decoder, so the character's bytes are joined across frames (and across the other stream's frames).
 */
export async function* demuxDockerStream(stream: NodeJS.ReadableStream): AsyncIterable<LogChunk> {
  const decoders = { stdout: new TextDecoder('utf-8'), stderr: new TextDecoder('utf-8') };
  let pending: Buffer = Buffer.alloc(0);
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      while (pending.length >= 8) {
        const size = pending.readUInt32BE(4);
        if (pending.length < 8 + size) break;
        const name = pending[0] === 2 ? 'stderr' : 'stdout';
        const text = decoders[name].decode(pending.subarray(8, 8 + size), { stream: true });
        if (text) yield { stream: name, text };
        pending = pending.subarray(8 + size);
      }
    }
  } catch (error) {
    // A destroyed stream (container gone, or we stopped listening) simply ends the log.
    if ((error as { code?: string }).code !== 'ERR_STREAM_PREMATURE_CLOSE' && (error as Error).name !== 'AbortError') throw error;
  }
  // A character cut off by the end of the output shows as U+FFFD rather than vanishing.
  for (const name of ['stdout', 'stderr'] as const) {
    const rest = decoders[name].decode();
    if (rest) yield { stream: name, text: rest };
  }
}
