import { Emitter, type Disposable } from '../core/emitter';

/** What Push Image last sent for a function. */
export interface PushedImage {
  /** `127.0.0.1:5001/hello`. */
  repository: string;
  /** The content digest tag: `0123456789ab`. */
  tag: string;
  /** The manifest digest the registry stored: `sha256:…`. */
  digest: string;
  /** Unix milliseconds. */
  pushedAt: number;
}

/** VS Code's Memento (workspaceState), or anything with its shape. */
export interface StateStore {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): PromiseLike<void>;
}

const KEY = 'localServerless.pushedImages';

/**
 * The last image pushed per function, kept in the workspace's state so it outlives a reload: the
 * tree shows its digest, and exports run exactly that image (`referenceFor`).
 */
export class PushedImages implements Disposable {
  private readonly changeEmitter = new Emitter<string>();
  /** Fires with the function's name when its pushed image changed. */
  readonly onDidChange = this.changeEmitter.event;

  constructor(private readonly state: StateStore) {}

  get(name: string): PushedImage | undefined {
    const image = this.all()[name];
    return image && typeof image.repository === 'string' && typeof image.digest === 'string' ? image : undefined;
  }

  /** `<repository>:<tag>@<digest>`: the tag for people, the digest pins the very image pushed. */
  referenceFor(name: string): string | undefined {
    const image = this.get(name);
    return image ? pinnedReference(image) : undefined;
  }

  async record(name: string, image: PushedImage): Promise<void> {
    await this.state.update(KEY, { ...this.all(), [name]: image });
    this.changeEmitter.fire(name);
  }

  private all(): Record<string, PushedImage> {
    const value = this.state.get<Record<string, PushedImage>>(KEY);
    return value && typeof value === 'object' ? value : {};
  }

  dispose(): void {
    this.changeEmitter.dispose();
  }
}

export function pinnedReference(image: Pick<PushedImage, 'repository' | 'tag' | 'digest'>): string {
  return `${image.repository}:${image.tag}@${image.digest}`;
}

/** `sha256:` and the first 12 hex digits, as the tree shows a digest. */
export function shortDigest(digest: string): string {
  return digest.replace(/^(sha256:[0-9a-f]{12})[0-9a-f]*$/, '$1');
}
