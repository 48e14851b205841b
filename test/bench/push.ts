/**
 * `npm run bench -- push` (also part of `npm run bench`): Push Image against `docker push` of the same
 * kind of image to the same registry (the open one of scripts/setup-registry.sh) in the same run,
 * samples alternating which goes first.
 *  0. Cold: the scaffolded Node function's image to an empty registry (one started for each push,
 *     on a free port with empty storage): every layer is sent, the ~120 MB base image's included.
 *  1. First push to an empty repository: a scaffolded Node function, fresh repository names each
 *     sample. The base image's layers are already in the registry (under other repositories), so the
 *     engine mounts them rather than uploading them again, for ours and the CLI alike; the function's
 *     own layers are sent.
 *  2. A code-only change: the same repository, a new tag; only the changed layer is sent.
 *  3. Fresh bytes: a 16 MiB layer of random bytes nobody has, to a fresh repository: the upload itself.
 *  4. Unchanged code pushed again: ours (prepare the image, then push: what Push Image does) against
 *     the target of 1 s, and `docker push` of an unchanged image for reference.
 * Every measured push gets its own freshly built image (built before the clock starts), so neither
 * side finds layers the other just sent. Ours is pushImage() (tag, the registry check, push); the
 * CLI's is `docker push` alone, its `docker tag` made before the clock starts.
 * Everything made here is removed in `finally`; the registry keeps the blobs (scripts/setup-registry.sh
 * reset empties it).
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { digestTag } from '../../src/core/contentDigest';
import { imageTag } from '../../src/core/names';
import { findFreePort } from '../../src/core/ports';
import type { DockerEngine } from '../../src/engine/dockerEngine';
import { pushImage } from '../../src/services/pushImage';
import type { RegistryCredentials } from '../../src/services/registryAuth';
import { poll } from '../support/poll';
import { realEngine, RecordingSink, scaffold, tempWorkspace, TestGateway } from '../integration/fixtures';

const SAMPLES = Number(process.env.BENCH_PUSH_SAMPLES || 7);
/** Cold pushes send the whole base image (~5 s each): fewer of them. */
const COLD_SAMPLES = Math.min(SAMPLES, 5);
const FRESH_BYTES = 16 * 1024 * 1024;
// Debian's 20.10 client, as the other benches use.
const DOCKER = '/usr/bin/docker';
const REGISTRY = process.env.REGISTRY_OPEN;
const RUN = `bench${Date.now().toString(36)}`;

const execFileAsync = promisify(execFile);
const docker = async (...args: string[]) => (await execFileAsync(DOCKER, args, { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 })).stdout.trim();
const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x: number) => `${x.toFixed(0)} ms`;

interface Side {
  ours: number[];
  cli: number[];
}

/**
 * A reference registry of its own on a free 127.0.0.1 port with empty storage (Debian's
 * docker-registry, installed by scripts/setup-registry.sh); `stop` ends it and deletes its storage.
 */
async function emptyRegistry(): Promise<{ address: string; stop: () => Promise<void> }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ls-bench-registry-'));
  const address = `127.0.0.1:${await findFreePort()}`;
  await fs.writeFile(path.join(dir, 'config.yml'), `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${dir}/data\nhttp:\n  addr: ${address}\n  secret: bench\n`);
  const child = spawn('docker-registry', ['serve', path.join(dir, 'config.yml')], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
    await fs.rm(dir, { recursive: true, force: true });
  };
  try {
    await poll(`a registry at ${address}`, async () => (await fetch(`http://${address}/v2/`).catch(() => undefined))?.status === 200, { timeoutMs: 10_000, intervalMs: 20 });
  } catch (error) {
    await stop();
    throw error;
  }
  return { address, stop };
}

async function main(): Promise<void> {
  if (!REGISTRY) throw new Error('REGISTRY_OPEN is not set: run through `npm run bench -- push`, which starts the registries (scripts/setup-registry.sh)');
  const engine = realEngine();
  await engine.ping();
  const ws = await tempWorkspace();
  const gateway = await TestGateway.start();
  const madeTags = new Set<string>();
  const none: RegistryCredentials = { registry: REGISTRY, auth: {}, source: { kind: 'none' } };
  const rows: string[] = [];
  const say = (line: string) => {
    rows.push(line);
    console.log(line);
  };
  try {
    const spec = await scaffold(ws.root, 'node', 'pushbench');
    madeTags.add(imageTag(spec.name, ws.ownerId));
    const runner = gateway.runner(spec, engine, ws.ownerId, new RecordingSink());
    const handler = path.join(spec.folder, 'handler.js');
    const original = await fs.readFile(handler, 'utf8');
    let edits = 0;
    /** A code change, built (untimed): a new image whose top layer nobody has sent yet. */
    const freshImage = async () => {
      await fs.writeFile(handler, `${original}// edit ${RUN} ${++edits}\n`);
      const image = await runner.prepareImage();
      if (!image.built) throw new Error('a code change did not build a new image');
      return image;
    };
    await freshImage(); // the first build (base image, npm steps) stays out of every figure

    const ours = async (localTag: string, repository: string, tag: string) => {
      madeTags.add(`${repository}:${tag}`);
      const started = performance.now();
      const result = await pushImage(engine, { localTag, repository, tag }, none, () => undefined);
      const elapsed = performance.now() - started;
      if (result.skipped) throw new Error(`${repository}:${tag} was skipped: the sample measures nothing`);
      return elapsed;
    };
    const cli = async (localTag: string, repository: string, tag: string) => {
      madeTags.add(`${repository}:${tag}`);
      await docker('tag', localTag, `${repository}:${tag}`);
      const started = performance.now();
      await docker('push', `${repository}:${tag}`);
      return performance.now() - started;
    };

    /** Runs `samples` pairs, alternating which side goes first; each push gets its own fresh image from `prepare`. */
    const pairs = async (label: string, prepare: (side: 'ours' | 'cli', sample: number) => Promise<{ localTag: string; repository: string; tag: string }>) => {
      const side: Side = { ours: [], cli: [] };
      for (let sample = 0; sample < SAMPLES; sample++) {
        const order: Array<'ours' | 'cli'> = sample % 2 === 0 ? ['ours', 'cli'] : ['cli', 'ours'];
        for (const who of order) {
          const { localTag, repository, tag } = await prepare(who, sample);
          side[who].push(await (who === 'ours' ? ours : cli)(localTag, repository, tag));
        }
      }
      const ratio = median(side.ours) / median(side.cli);
      say(`${label}: Push Image median ${ms(median(side.ours))} (min ${ms(Math.min(...side.ours))}, max ${ms(Math.max(...side.ours))}); docker push median ${ms(median(side.cli))} (min ${ms(Math.min(...side.cli))}, max ${ms(Math.max(...side.cli))}); ratio ${ratio.toFixed(2)}x ${ratio <= 1.1 ? '(target <= 1.1x met)' : '(target <= 1.1x MISSED)'}`);
    };

    console.log(`Push Image vs docker push, ${SAMPLES} samples each (${COLD_SAMPLES} cold), registry ${REGISTRY} (docker-registry 2.8 on 127.0.0.1), engine ${engine.endpoint}`);
    const scaffolded = await runner.prepareImage();
    const cold: Side = { ours: [], cli: [] };
    for (let sample = 0; sample < COLD_SAMPLES; sample++) {
      for (const who of sample % 2 === 0 ? ['ours', 'cli'] as const : ['cli', 'ours'] as const) {
        const registry = await emptyRegistry();
        try {
          const repository = `${registry.address}/${RUN}/hello`;
          cold[who].push(await (who === 'ours' ? ours : cli)(scaffolded.tag, repository, digestTag(scaffolded.digest)));
        } finally {
          await registry.stop();
        }
      }
    }
    const coldRatio = median(cold.ours) / median(cold.cli);
    say(`0. cold: the scaffolded function to an empty registry (every layer sent, the base image's too): Push Image median ${ms(median(cold.ours))} (min ${ms(Math.min(...cold.ours))}, max ${ms(Math.max(...cold.ours))}); docker push median ${ms(median(cold.cli))} (min ${ms(Math.min(...cold.cli))}, max ${ms(Math.max(...cold.cli))}); ratio ${coldRatio.toFixed(2)}x ${coldRatio <= 1.1 ? '(target <= 1.1x met)' : '(target <= 1.1x MISSED)'}`);
    await pairs('1. first push to an empty repository (scaffolded Node function; base layers mounted, its own layers sent)', async (who, sample) => {
      const image = await freshImage();
      return { localTag: image.tag, repository: `${REGISTRY}/${RUN}/first-${who}-${sample}`, tag: digestTag(image.digest) };
    });
    await pairs('2. code-only change (same repository, new tag: the changed layer sent)', async (who) => {
      const image = await freshImage();
      return { localTag: image.tag, repository: `${REGISTRY}/${RUN}/change-${who}`, tag: digestTag(image.digest) };
    });
    const bigFolder = path.join(ws.root, 'fresh-bytes');
    await fs.mkdir(bigFolder);
    await fs.writeFile(path.join(bigFolder, 'Dockerfile'), 'FROM scratch\nCOPY blob.bin /\n');
    await pairs(`3. fresh bytes (one ${FRESH_BYTES / 1024 / 1024} MiB random layer to a new repository)`, async (who, sample) => {
      await fs.writeFile(path.join(bigFolder, 'blob.bin'), randomBytes(FRESH_BYTES));
      const localTag = `ls-bench-fresh-${RUN}:${who}${sample}`;
      madeTags.add(localTag);
      await engine.build({ contextDir: bigFolder, files: ['Dockerfile', 'blob.bin'], dockerfile: 'Dockerfile', tag: localTag, labels: {} }, () => undefined);
      return { localTag, repository: `${REGISTRY}/${RUN}/fresh-${who}-${sample}`, tag: 'v1' };
    });

    // 4. Unchanged: push the current image once, then again and again.
    const current = await runner.prepareImage();
    const repository = `${REGISTRY}/${RUN}/unchanged`;
    const tag = digestTag(current.digest);
    madeTags.add(`${repository}:${tag}`);
    await pushImage(engine, { localTag: current.tag, repository, tag }, none, () => undefined);
    const again: number[] = [];
    const cliAgain: number[] = [];
    for (let sample = 0; sample < SAMPLES; sample++) {
      const started = performance.now();
      const image = await runner.prepareImage();
      const result = await pushImage(engine, { localTag: image.tag, repository, tag: digestTag(image.digest) }, none, () => undefined);
      again.push(performance.now() - started);
      if (!result.skipped || image.built) throw new Error('an unchanged push was not skipped');
      const cliStarted = performance.now();
      await docker('push', `${repository}:${tag}`);
      cliAgain.push(performance.now() - cliStarted);
    }
    say(`4. unchanged code pushed again: Push Image (prepare + push, nothing sent) median ${ms(median(again))}, max ${ms(Math.max(...again))} ${Math.max(...again) < 1000 ? '(target < 1 s met)' : '(target < 1 s MISSED)'}; docker push of the unchanged image median ${ms(median(cliAgain))}`);
    console.log('\nsummary');
    for (const row of rows) console.log(`  ${row}`);
  } finally {
    await gateway.close();
    await ws.cleanup(engine);
    await removeTags(engine, madeTags);
  }
}

async function removeTags(engine: DockerEngine, tags: Set<string>): Promise<void> {
  for (const tag of tags) await engine.removeImage(tag);
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
