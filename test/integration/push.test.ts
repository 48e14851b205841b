import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CancelledError } from '../../src/core/errors';
import { digestTag, LABEL_DIGEST } from '../../src/core/contentDigest';
import { buildInvokeRequest, sendInvoke } from '../../src/core/invoke';
import { LABEL_OWNER } from '../../src/core/names';
import { findFreePort } from '../../src/core/ports';
import type { DockerEngine } from '../../src/engine/dockerEngine';
import { pushImage, type LayerProgress } from '../../src/services/pushImage';
import { RegistryCredentialResolver, RegistryLoginRefusedError, secretKey, type RegistryCredentials, type SecretStore } from '../../src/services/registryAuth';
import { poll } from '../support/poll';
import { ON_PODMAN, realEngine, RecordingSink, scaffold, tempWorkspace, TestGateway } from './fixtures';

/** Set by scripts/setup-registry.sh (scripts/test.sh evals its output). */
const { REGISTRY_OPEN, REGISTRY_AUTH, REGISTRY_USER, REGISTRY_PASSWORD } = process.env;
const SKIP = ON_PODMAN
  ? 'runs against Podman: pushing to a plain-HTTP registry needs it listed as insecure in Podman\'s registries.conf, which this set-up does not write'
  : !REGISTRY_OPEN || !REGISTRY_AUTH || !REGISTRY_USER || !REGISTRY_PASSWORD
    ? 'REGISTRY_OPEN, REGISTRY_AUTH, REGISTRY_USER and REGISTRY_PASSWORD are not set: run scripts/setup-registry.sh and eval its output (scripts/test.sh does)'
    : false;

const NONE = (registry: string): RegistryCredentials => ({ registry, auth: {}, source: { kind: 'none' } });
/** A repository path no earlier run used, so the registry holds nothing under it. */
const RUN = `it${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;

class MemorySecrets implements SecretStore {
  readonly values = new Map<string, string>();
  async get(key: string) {
    return this.values.get(key);
  }
  async set(key: string, value: string) {
    this.values.set(key, value);
  }
  async delete(key: string) {
    this.values.delete(key);
  }
}

async function invoke(url: string, body: unknown) {
  return sendInvoke(buildInvokeRequest(url, { method: 'POST', path: '/' }, JSON.stringify(body), 5));
}

/** Each test skips on its own (a skipped suite is not counted as skipped tests): every one says why. */
const bounded = (timeout: number) => ({ timeout, skip: SKIP });

describe('Push Image against real registries (scripts/setup-registry.sh)', () => {
  let engine: DockerEngine;
  let ws: Awaited<ReturnType<typeof tempWorkspace>>;
  let gateway: TestGateway;
  let configDir: string;
  /** Image names this file made: removed at the end. */
  const madeTags = new Set<string>();

  before(async () => {
    if (SKIP) return;
    engine = realEngine();
    await engine.ping();
    ws = await tempWorkspace();
    gateway = await TestGateway.start();
    configDir = await fs.mkdtemp(path.join(os.tmpdir(), 'ls-docker-config-'));
  });
  after(async () => {
    if (SKIP) return;
    await gateway?.close();
    await ws?.cleanup(engine);
    for (const tag of madeTags) await engine.removeImage(tag);
    await fs.rm(configDir, { recursive: true, force: true });
  });

  /** A scaffolded Node function, its runner, and its image prepared as Push Image prepares it. */
  async function scaffolded(name: string) {
    const spec = await scaffold(ws.root, 'node', name);
    const out = new RecordingSink();
    const runner = gateway.runner(spec, engine, ws.ownerId, out);
    return { spec, runner, out };
  }

  async function push(repository: string, localTag: string, digest: string, credentials: RegistryCredentials, onProgress: (layers: LayerProgress[]) => void = () => undefined, signal?: AbortSignal) {
    madeTags.add(`${repository}:${digestTag(digest)}`);
    return pushImage(engine, { localTag, repository, tag: digestTag(digest) }, credentials, onProgress, signal);
  }

  test('a scaffolded function pushed, its tag removed, pulled back by digest into a fresh tag, runs and gives the same reply; unchanged, a second push is skipped in under a second', bounded(120_000), async () => {
    const { runner } = await scaffolded('pushed');
    const url = await runner.buildAndRun();
    const reply = await invoke(url, { name: 'Ada' });
    assert.deepEqual(reply.json, { message: 'Hello, Ada!', from: 'pushed' });

    const image = await runner.prepareImage();
    assert.equal(image.built, false, 'Build and Run built this very content: nothing to build');
    assert.match(image.digest, /^[0-9a-f]{64}$/);
    assert.equal((await engine.imageLabels(image.tag))?.[LABEL_DIGEST], image.digest, 'the image carries its content digest');

    const repository = `${REGISTRY_OPEN}/${RUN}/pushed`;
    const progress: LayerProgress[][] = [];
    const first = await push(repository, image.tag, image.digest, NONE(REGISTRY_OPEN!), (layers) => progress.push(layers));
    assert.equal(first.skipped, false);
    assert.equal(first.reference, `${repository}:${digestTag(image.digest)}`);
    assert.match(first.digest, /^sha256:[0-9a-f]{64}$/);
    assert.ok(progress.length > 0, 'per-layer progress was reported');
    assert.ok(progress.at(-1)!.every((l) => ['Pushed', 'Layer already exists'].includes(l.status) || l.status.startsWith('Mounted from')), JSON.stringify(progress.at(-1)));

    await engine.removeImage(first.reference);
    assert.equal(await engine.repoDigests(first.reference), undefined, 'the pushed tag is gone locally');
    await engine.pull(`${repository}@${first.digest}`, {});
    const fresh = `ls-it-pulled-${RUN}`;
    await engine.tag(`${repository}@${first.digest}`, fresh, 'fresh');
    madeTags.add(`${fresh}:fresh`);
    const hostPort = await findFreePort();
    const id = await engine.create({ image: `${fresh}:fresh`, labels: { [LABEL_OWNER]: ws.ownerId }, env: { PORT: '8080' }, containerPort: 8080, hostIp: '127.0.0.1', hostPort, init: true });
    await engine.start(id);
    const pulledReply = await poll('the pulled image to answer', async () => {
      const result = await invoke(`http://127.0.0.1:${hostPort}`, { name: 'Ada' }).catch(() => undefined);
      return result?.status === 200 ? result : undefined;
    }, { timeoutMs: 20_000 });
    assert.deepEqual(pulledReply.json, reply.json);

    // Unchanged code: what Push Image does again (prepare, then push) sends nothing, at once.
    const started = performance.now();
    const again = await runner.prepareImage();
    const second = await push(repository, again.tag, again.digest, NONE(REGISTRY_OPEN!), () => assert.fail('nothing is sent'));
    const elapsedMs = performance.now() - started;
    assert.deepEqual(second, { reference: first.reference, digest: first.digest, skipped: true });
    assert.ok(elapsedMs < 1_000, `the unchanged push took ${elapsedMs.toFixed(0)} ms`);
    await runner.stop();
  });

  test('after a code change Push Image builds first and sends a new tag, reusing the base layers', bounded(120_000), async () => {
    const { spec, runner, out } = await scaffolded('changed');
    const before = await runner.prepareImage();
    assert.equal(before.built, true, 'never built: built now');
    const repository = `${REGISTRY_OPEN}/${RUN}/changed`;
    const first = await push(repository, before.tag, before.digest, NONE(REGISTRY_OPEN!));
    const handler = path.join(spec.folder, 'handler.js');
    await fs.writeFile(handler, (await fs.readFile(handler, 'utf8')).replace('Hello', 'Hi'));
    const after = await runner.prepareImage();
    assert.equal(after.built, true);
    assert.notEqual(after.digest, before.digest);
    assert.match(out.text, /\[build\] changed: building/, 'the build shows in the function\'s channel');
    let last: LayerProgress[] = [];
    const second = await push(repository, after.tag, after.digest, NONE(REGISTRY_OPEN!), (layers) => (last = layers));
    assert.equal(second.skipped, false);
    assert.notEqual(second.digest, first.digest);
    assert.ok(last.some((l) => l.status === 'Layer already exists'), `the base layers were not sent again: ${JSON.stringify(last)}`);
  });

  test('to the registry with basic auth: the docker config\'s right password works, a wrong one gets the clear message', bounded(120_000), async () => {
    const { runner } = await scaffolded('guarded');
    const image = await runner.prepareImage();
    const repository = `${REGISTRY_AUTH}/${RUN}/guarded`;
    const resolverWith = (password: string) => {
      const auth = Buffer.from(`${REGISTRY_USER}:${password}`).toString('base64');
      return fs.writeFile(path.join(configDir, 'config.json'), JSON.stringify({ auths: { [REGISTRY_AUTH!]: { auth } } }))
        .then(() => new RegistryCredentialResolver({ secrets: new MemorySecrets(), env: { ...process.env, DOCKER_CONFIG: configDir }, ask: () => assert.fail('the docker config has credentials: nobody is asked') }));
    };

    const wrong = await resolverWith('not-the-password');
    await assert.rejects(wrong.withCredentials(REGISTRY_AUTH!, (credentials) => push(repository, image.tag, image.digest, credentials)), (error: Error) => {
      assert.ok(error instanceof RegistryLoginRefusedError, String(error));
      assert.match(error.message, new RegExp(`^The registry refused the credentials for ${REGISTRY_AUTH!.replace(/\./g, '\\.')} \\(user ${REGISTRY_USER}\\): check the user and password \\(from your docker config, ${configDir}/config\\.json: run docker login`));
      assert.ok(!error.message.includes('not-the-password'));
      return true;
    });

    const right = await resolverWith(REGISTRY_PASSWORD!);
    const pushed = await right.withCredentials(REGISTRY_AUTH!, (credentials) => {
      assert.equal(credentials.source.kind, 'dockerConfig');
      return push(repository, image.tag, image.digest, credentials);
    });
    assert.equal(pushed.skipped, false);
    assert.match(pushed.digest, /^sha256:/);
  });

  test('a wrong password kept in the secret storage is dropped, the user asked once, and the right one kept', bounded(120_000), async () => {
    const { runner } = await scaffolded('asked');
    const image = await runner.prepareImage();
    const secrets = new MemorySecrets();
    secrets.values.set(secretKey(REGISTRY_AUTH!), JSON.stringify({ username: REGISTRY_USER, password: 'stale' }));
    const asked: string[] = [];
    const resolver = new RegistryCredentialResolver({
      secrets,
      env: { ...process.env, DOCKER_CONFIG: path.join(configDir, 'none') },
      ask: async (registry) => {
        asked.push(registry);
        return { username: REGISTRY_USER!, password: REGISTRY_PASSWORD! };
      },
    });
    const pushed = await resolver.withCredentials(REGISTRY_AUTH!, (credentials) => push(`${REGISTRY_AUTH}/${RUN}/asked`, image.tag, image.digest, credentials));
    assert.equal(pushed.skipped, false);
    assert.deepEqual(asked, [REGISTRY_AUTH]);
    assert.equal(JSON.parse(secrets.values.get(secretKey(REGISTRY_AUTH!))!).password, REGISTRY_PASSWORD);
  });

  test('no registry at the address: the clear message, at once', bounded(60_000), async () => {
    const { runner } = await scaffolded('nowhere');
    const image = await runner.prepareImage();
    const port = await findFreePort();
    const started = Date.now();
    await assert.rejects(push(`127.0.0.1:${port}/${RUN}/nowhere`, image.tag, image.digest, NONE(`127.0.0.1:${port}`)),
      new RegExp(`^UserFacingError: No registry answers at 127\\.0\\.0\\.1:${port} \\(.*connection refused\\): start it, or fix the localServerless\\.registry setting\\.$`));
    assert.ok(Date.now() - started < 5_000);
  });

  test('cancelled after the first progress line of a fresh image: CancelledError, no tag in the registry, and a retry completes', bounded(120_000), async () => {
    // 32 MiB of fresh random bytes: nothing the registry has, so the push has real work to stop.
    const folder = path.join(ws.root, 'big');
    await fs.mkdir(folder);
    await fs.writeFile(path.join(folder, 'big.bin'), randomBytes(32 * 1024 * 1024));
    await fs.writeFile(path.join(folder, 'Dockerfile'), 'FROM scratch\nCOPY big.bin /\n');
    const localTag = `ls-it-big-${RUN}:dev`;
    madeTags.add(localTag);
    await engine.build({ contextDir: folder, files: ['Dockerfile', 'big.bin'], dockerfile: 'Dockerfile', tag: localTag, labels: {} }, () => undefined);
    const digest = randomBytes(32).toString('hex');
    const repository = `${REGISTRY_OPEN}/${RUN}/big`;
    const reference = `${repository}:${digestTag(digest)}`;

    const controller = new AbortController();
    let events = 0;
    const started = Date.now();
    await assert.rejects(push(repository, localTag, digest, NONE(REGISTRY_OPEN!), () => {
      if (++events === 1) controller.abort();
    }, controller.signal), (error: Error) => {
      assert.ok(error instanceof CancelledError, String(error));
      assert.match(error.message, /cancelled: nothing was changed in the registry that a retry would not fix/);
      return true;
    });
    assert.ok(Date.now() - started < 5_000, `cancelling took ${Date.now() - started} ms`);
    // The engine stops uploading when the request closes: the tag never appears.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    assert.equal(await engine.registryDigest(reference, {}), undefined, 'no tag claimed in the registry');

    const retried = await push(repository, localTag, digest, NONE(REGISTRY_OPEN!));
    assert.equal(retried.skipped, false);
    assert.equal(await engine.registryDigest(reference, {}), retried.digest);
  });
});
