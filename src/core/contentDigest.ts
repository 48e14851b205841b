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
 * sha256 of its bytes: a file over 256 KiB is read as a stream, so no big file is held in memory
 * whole (small ones are read in one call, 16 at a time). A symbolic link counts
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
  const files = [...inputs.files].sort(compareBytes);
  // Files are read 16 at a time and their lines joined in order: a stream per file, one after the
  // other, took 190 ms for a context of 569 small files here, against 30 ms.
  const lines = await mapLimited(files, CONCURRENCY, (file) => entryLine(inputs.folder, file));
  for (const line of lines) hash.update(line);
  return hash.digest('hex');
}

/** Files read at once. With SMALL_FILE_BYTES, bounds what the digest holds in memory to 4 MiB. */
const CONCURRENCY = 16;
/** Files up to this size are read in one call; bigger ones are streamed. */
const SMALL_FILE_BYTES = 256 * 1024;

async function entryLine(folder: string, file: string): Promise<string> {
  const full = path.join(folder, file);
  const stat = await fs.lstat(full);
  if (stat.isSymbolicLink()) return `link ${JSON.stringify(file)} ${JSON.stringify(await fs.readlink(full))}\n`;
  const contentHash = stat.size <= SMALL_FILE_BYTES ? createHash('sha256').update(await fs.readFile(full)).digest('hex') : await streamedHash(full);
  return `file ${JSON.stringify(file)} ${stat.mode & 0o111 ? 'x' : '-'} ${contentHash}\n`;
}

/** Runs `work` over `items` with at most `limit` at once; results in the items' order. */
async function mapLimited<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** The image tag for a content digest: its first 12 hex digits, as Docker shortens image ids. */
export function digestTag(digest: string): string {
  return digest.replace(/^sha256:/, '').slice(0, 12);
}

async function streamedHash(file: string): Promise<string> {
  const hash: Hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Byte order of the UTF-8 paths (not the locale's): the same order on every machine. */
function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
