import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';

/** Image label holding the content digest the image was built from (set at build time, see planBuild). */
export const LABEL_DIGEST = 'local-serverless.digest';

/** What a build is made of: the same context files the engine receives, its Dockerfile and build args. */
export interface DigestInputs {
  /** The build context folder. */
  folder: string;
  /** Context files relative to `folder`, after .dockerignore (listContextFiles). */
  files: readonly string[];
  /** The Dockerfile's path relative to `folder`. */
  dockerfile: string;
  /** Build args (none today; they change what is built, so they count). */
  buildArgs?: Readonly<Record<string, string>>;
}

/**
 * One sha256 (64 hex digits) over what a build receives: the Dockerfile path, the build args, and
 * for every context file (in byte order of its path) its path, whether it is executable, and the
 * sha256 of its bytes, read as a stream so no file is held in memory whole. A symbolic link counts
 * as its target path, since the build context carries it as a link, never dereferenced.
 *
 * Each file's own hash is fixed-length and each path is JSON-quoted on its own line, so two
 * different contexts cannot run together into the same input. Only the executable bit of the mode
 * counts: other bits follow the umask of whoever checked the code out, and git keeps only that one.
 */
export async function contentDigest(inputs: DigestInputs): Promise<string> {
  const hash = createHash('sha256');
  hash.update('local-serverless content digest 1\n');
  hash.update(`dockerfile ${JSON.stringify(inputs.dockerfile)}\n`);
  const args = Object.entries(inputs.buildArgs ?? {}).sort(([a], [b]) => compareBytes(a, b));
  hash.update(`buildargs ${JSON.stringify(args)}\n`);
  for (const file of [...inputs.files].sort(compareBytes)) {
    const full = path.join(inputs.folder, file);
    const stat = await fs.lstat(full);
    if (stat.isSymbolicLink()) {
      hash.update(`link ${JSON.stringify(file)} ${JSON.stringify(await fs.readlink(full))}\n`);
    } else {
      hash.update(`file ${JSON.stringify(file)} ${stat.mode & 0o111 ? 'x' : '-'} ${await fileHash(full)}\n`);
    }
  }
  return hash.digest('hex');
}

/** The image tag for a content digest: its first 12 hex digits, as Docker shortens image ids. */
export function digestTag(digest: string): string {
  return digest.replace(/^sha256:/, '').slice(0, 12);
}

async function fileHash(file: string): Promise<string> {
  const hash: Hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Byte order of the UTF-8 paths (not the locale's): the same order on every machine. */
function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
