import { CancelledError, isCancellation, UserFacingError } from '../core/errors';
import { DOCKER_HUB, isValidTag, parseRepository, registryOf, splitReference } from '../core/imageReference';
import { RegistryError, type ContainerEngine, type LayerEvent } from '../engine/engine';
import { RegistryLoginRefusedError, type RegistryCredentials } from './registryAuth';

/** What to push where. */
export interface PushTarget {
  /** The local image, as built (the runner's tag). */
  localTag: string;
  /** Where it goes: `<registry>/<path>`, e.g. 127.0.0.1:5001/hello (see core/imageReference.ts pushDestination). */
  repository: string;
  /** The tag: the content digest's first 12 hex digits (core/contentDigest.ts digestTag). */
  tag: string;
  /** Also move `latest` to this image. */
  alsoLatest?: boolean;
  /** Which setting chose `repository`, for messages. Default: the localServerless.registry setting. */
  configuredBy?: string;
}

/** One layer's state during a push: bytes sent so far of its size, while it is being sent. */
export interface LayerProgress {
  id: string;
  /** The engine's words: Preparing, Waiting, Pushing, Pushed, Layer already exists, Mounted from … */
  status: string;
  current: number;
  total: number;
}

export interface PushResult {
  /** `<repository>:<tag>`. */
  reference: string;
  /** The manifest digest the registry holds for it (sha256:…): `<repository>@<digest>` names exactly this image. */
  digest: string;
  /** The registry already had this image under this tag: nothing was sent. */
  skipped: boolean;
}

/**
 * Tags the local image `<repository>:<tag>` and pushes it through the engine with `credentials`,
 * reporting every layer's progress. When the registry already holds this very image under the tag
 * (its manifest digest is one of the local image's repo digests), nothing is sent: an unchanged
 * push costs three short requests. Failures say what to do: the registry refused the login, nothing
 * answers at its address, or the name is not valid (checked before any request). Aborting `signal`
 * closes the push request: CancelledError, saying what that leaves in the registry.
 */
export async function pushImage(engine: ContainerEngine, target: PushTarget, credentials: RegistryCredentials, onProgress: (layers: LayerProgress[]) => void, signal?: AbortSignal): Promise<PushResult> {
  const configuredBy = target.configuredBy ?? 'the localServerless.registry setting';
  const parsed = parseRepository(target.repository);
  if ('problem' in parsed) throw new UserFacingError(`"${target.repository}" (${configuredBy}) is not an image repository: ${parsed.problem}.`);
  if (!isValidTag(target.tag)) throw new UserFacingError(`"${target.tag}" is not an image tag: letters, digits, "_", "." and "-", at most 128, not starting with "." or "-".`);
  const reference = `${target.repository}:${target.tag}`;
  const registry = registryOf(reference);
  try {
    throwIfCancelled(signal, reference);
    await tagLocal(engine, target.localTag, target.repository, target.tag);
    const held = await alreadyHeld(engine, reference, credentials, signal);
    if (held) {
      if (target.alsoLatest) await pushLatest(engine, target, credentials, signal);
      return { reference, digest: held, skipped: true };
    }
    const layers = new Map<string, LayerProgress>();
    const digest = await engine.push(reference, credentials.auth, (event) => {
      layers.set(event.id, nextLayerState(layers.get(event.id), event));
      onProgress([...layers.values()]);
    }, signal);
    if (target.alsoLatest) await pushLatest(engine, target, credentials, signal);
    return { reference, digest, skipped: false };
  } catch (error) {
    if (isCancellation(error) || signal?.aborted) throw new CancelledError(cancelledMessage(reference));
    if (error instanceof RegistryError) throw explain(error, registry, credentials, configuredBy);
    throw error;
  }
}

/** What Cancel leaves: true whenever it comes (the registry writes a tag only with the manifest, last). */
function cancelledMessage(reference: string): string {
  return `Push of ${reference} cancelled: nothing was changed in the registry that a retry would not fix (layers sent so far stay there unreferenced and a retry reuses them; the tag is written only when a push completes).`;
}

function throwIfCancelled(signal: AbortSignal | undefined, reference: string): void {
  if (signal?.aborted) throw new CancelledError(cancelledMessage(reference));
}

async function tagLocal(engine: ContainerEngine, localTag: string, repository: string, tag: string): Promise<void> {
  try {
    await engine.tag(localTag, repository, tag);
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) throw new UserFacingError(`There is no image ${localTag} to push: build the function first.`);
    throw error;
  }
}

/**
 * The digest under which the registry already holds the local image as `reference`, or undefined.
 * Asked through the engine (its network, TLS and insecure-registry settings). Any answer short of
 * "yes, this image" (no such tag, another image, a refusal) means push: the push itself then says
 * what is wrong, in the same words as a first push.
 */
async function alreadyHeld(engine: ContainerEngine, reference: string, credentials: RegistryCredentials, signal: AbortSignal | undefined): Promise<string | undefined> {
  const [local, remote] = await Promise.all([
    engine.repoDigests(reference),
    engine.registryDigest(reference, credentials.auth, signal).catch((error: unknown) => {
      if (isCancellation(error)) throw error;
      return undefined;
    }),
  ]);
  if (!remote || !local) return undefined;
  const repository = familiar(splitReference(reference).repository);
  return local.some((entry) => {
    const { repository: entryRepository, digest } = splitReference(entry);
    return digest === remote && familiar(entryRepository) === repository;
  }) ? remote : undefined;
}

/** Docker shows Docker Hub names without `docker.io/` (and official images without `library/`). */
function familiar(repository: string): string {
  return repository.replace(new RegExp(`^${DOCKER_HUB.replace('.', '\\.')}/`), '').replace(/^library\//, '');
}

async function pushLatest(engine: ContainerEngine, target: PushTarget, credentials: RegistryCredentials, signal: AbortSignal | undefined): Promise<void> {
  await tagLocal(engine, target.localTag, target.repository, 'latest');
  const latest = `${target.repository}:latest`;
  if (await alreadyHeld(engine, latest, credentials, signal)) return;
  // Every layer is in the registry by now: this sends the manifest under a second tag.
  await engine.push(latest, credentials.auth, () => undefined, signal);
}

function nextLayerState(previous: LayerProgress | undefined, event: LayerEvent): LayerProgress {
  const total = event.total ?? previous?.total ?? 0;
  // The engine gives bytes only while "Pushing"; "Pushed" means all of them.
  const current = event.status === 'Pushed' ? total : event.current ?? previous?.current ?? 0;
  return { id: event.id, status: event.status, current, total };
}

/** A registry's refusal or absence, in words that say what to do. */
function explain(error: RegistryError, registry: string, credentials: RegistryCredentials, configuredBy: string): Error {
  switch (error.reason) {
    case 'unauthorized': return new RegistryLoginRefusedError(registry, credentials.source, credentials.auth.username, error.detail);
    case 'unreachable': return new UserFacingError(`No registry answers at ${registry} (${error.detail}): start it, or fix ${configuredBy}.`);
    case 'failed': return new UserFacingError(`The registry ${registry} did not take the image: ${error.detail}`);
  }
}

/** Sums the layers' progress for one line: "2 of 5 layers · 12.3 of 40.1 MB". */
export function describePushProgress(layers: readonly LayerProgress[]): { sent: number; total: number; text: string } {
  const sending = layers.filter((l) => l.total > 0);
  const sent = sending.reduce((sum, l) => sum + Math.min(l.current, l.total), 0);
  const total = sending.reduce((sum, l) => sum + l.total, 0);
  const done = layers.filter((l) => l.status === 'Pushed' || l.status === 'Layer already exists' || l.status.startsWith('Mounted from')).length;
  const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
  const text = `${done} of ${layers.length} layer${layers.length === 1 ? '' : 's'}${total ? ` · ${mb(sent)} of ${mb(total)} MB` : ''}`;
  return { sent, total, text };
}
