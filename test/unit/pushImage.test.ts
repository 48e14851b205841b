import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CancelledError, UserFacingError } from '../../src/core/errors';
import { RegistryError, type ContainerEngine, type LayerEvent, type RegistryAuth } from '../../src/engine/engine';
import { describePushProgress, pushImage, type LayerProgress } from '../../src/services/pushImage';
import { RegistryLoginRefusedError, type RegistryCredentials } from '../../src/services/registryAuth';

const DIGEST = `sha256:${'d'.repeat(64)}`;
const NONE: RegistryCredentials = { registry: '127.0.0.1:5001', auth: {}, source: { kind: 'none' } };

/** The engine calls a push makes, recorded; what the registry answers is set per test. */
class FakeEngine {
  calls: string[] = [];
  registryHolds: string | undefined;
  repoDigestsOf: string[] = [];
  pushLines: LayerEvent[] = [];
  pushFails: Error | undefined;

  async tag(source: string, repository: string, tag: string) {
    this.calls.push(`tag ${source} ${repository}:${tag}`);
  }
  async repoDigests(image: string) {
    this.calls.push(`repoDigests ${image}`);
    return this.repoDigestsOf;
  }
  async registryDigest(reference: string, _auth: RegistryAuth) {
    this.calls.push(`registryDigest ${reference}`);
    return this.registryHolds;
  }
  async push(reference: string, _auth: RegistryAuth, onProgress: (layer: LayerEvent) => void, signal?: AbortSignal) {
    this.calls.push(`push ${reference}`);
    for (const line of this.pushLines) {
      if (signal?.aborted) throw new CancelledError();
      onProgress(line);
    }
    if (this.pushFails) throw this.pushFails;
    return DIGEST;
  }
}

const asEngine = (fake: FakeEngine) => fake as unknown as ContainerEngine;
const TARGET = { localTag: 'local-serverless/hello-0123:dev', repository: '127.0.0.1:5001/hello', tag: '0123456789ab' };

describe('pushImage', () => {
  it('tags the local image and pushes it, reporting each layer and returning the stored digest', async () => {
    const engine = new FakeEngine();
    engine.pushLines = [
      { id: 'a', status: 'Preparing' },
      { id: 'b', status: 'Preparing' },
      { id: 'a', status: 'Pushing', current: 100, total: 1000 },
      { id: 'b', status: 'Layer already exists' },
      { id: 'a', status: 'Pushed' },
    ];
    const seen: LayerProgress[][] = [];
    const result = await pushImage(asEngine(engine), TARGET, NONE, (layers) => seen.push(layers));
    assert.deepEqual(result, { reference: '127.0.0.1:5001/hello:0123456789ab', digest: DIGEST, skipped: false });
    assert.deepEqual(engine.calls, [
      'tag local-serverless/hello-0123:dev 127.0.0.1:5001/hello:0123456789ab',
      'repoDigests 127.0.0.1:5001/hello:0123456789ab',
      'registryDigest 127.0.0.1:5001/hello:0123456789ab',
      'push 127.0.0.1:5001/hello:0123456789ab',
    ]);
    assert.equal(seen.length, 5);
    assert.deepEqual(seen.at(-1), [{ id: 'a', status: 'Pushed', current: 1000, total: 1000 }, { id: 'b', status: 'Layer already exists', current: 0, total: 0 }]);
  });

  it('sends nothing when the registry already holds this image under the tag', async () => {
    const engine = new FakeEngine();
    engine.registryHolds = DIGEST;
    engine.repoDigestsOf = ['127.0.0.1:5001/other@sha256:0000', `127.0.0.1:5001/hello@${DIGEST}`];
    const result = await pushImage(asEngine(engine), TARGET, NONE, () => assert.fail('no progress'));
    assert.deepEqual(result, { reference: '127.0.0.1:5001/hello:0123456789ab', digest: DIGEST, skipped: true });
    assert.ok(!engine.calls.some((c) => c.startsWith('push')));
  });

  it('pushes when the registry holds another image under the tag', async () => {
    const engine = new FakeEngine();
    engine.registryHolds = `sha256:${'e'.repeat(64)}`;
    engine.repoDigestsOf = [`127.0.0.1:5001/hello@${DIGEST}`];
    assert.equal((await pushImage(asEngine(engine), TARGET, NONE, () => undefined)).skipped, false);
  });

  it('also moves latest when asked', async () => {
    const engine = new FakeEngine();
    await pushImage(asEngine(engine), { ...TARGET, alsoLatest: true }, NONE, () => undefined);
    assert.deepEqual(engine.calls.filter((c) => c.startsWith('push') || c.startsWith('tag')).slice(-2), ['tag local-serverless/hello-0123:dev 127.0.0.1:5001/hello:latest', 'push 127.0.0.1:5001/hello:latest']);
  });

  it('refuses a name that is not a valid repository before any request', async () => {
    const engine = new FakeEngine();
    await assert.rejects(pushImage(asEngine(engine), { ...TARGET, repository: '127.0.0.1:5001/Hello', configuredBy: 'fn.json "image"' }, NONE, () => undefined),
      (error: Error) => error instanceof UserFacingError && /^"127.0.0.1:5001\/Hello" \(fn.json "image"\) is not an image repository: "Hello" has capital letters/.test(error.message));
    await assert.rejects(pushImage(asEngine(engine), { ...TARGET, tag: '-bad' }, NONE, () => undefined), /is not an image tag/);
    assert.deepEqual(engine.calls, []);
  });

  it('says the registry refused the credentials, and where they came from', async () => {
    const engine = new FakeEngine();
    engine.pushFails = new RegistryError('127.0.0.1:5002', 'unauthorized', 'unauthorized: authentication required');
    const credentials: RegistryCredentials = { registry: '127.0.0.1:5002', auth: { username: 'tester', password: 'wrong' }, source: { kind: 'secretStorage' } };
    await assert.rejects(pushImage(asEngine(engine), { ...TARGET, repository: '127.0.0.1:5002/hello' }, credentials, () => undefined), (error: Error) => {
      assert.ok(error instanceof RegistryLoginRefusedError);
      assert.equal(error.message, 'The registry refused the credentials for 127.0.0.1:5002 (user tester): check the user and password (kept in VS Code\'s secret storage: Push Image asks for them again).');
      return true;
    });
  });

  it('says no registry answers, and which setting to fix', async () => {
    const engine = new FakeEngine();
    engine.pushFails = new RegistryError('127.0.0.1:5009', 'unreachable', 'dial tcp 127.0.0.1:5009: connect: connection refused');
    await assert.rejects(pushImage(asEngine(engine), { ...TARGET, repository: '127.0.0.1:5009/hello' }, NONE, () => undefined),
      /^UserFacingError: No registry answers at 127.0.0.1:5009 \(dial tcp 127.0.0.1:5009: connect: connection refused\): start it, or fix the localServerless.registry setting\.$/);
  });

  it('is cancelled when the signal aborts, saying what that leaves in the registry', async () => {
    const engine = new FakeEngine();
    const controller = new AbortController();
    engine.pushLines = [{ id: 'a', status: 'Preparing' }, { id: 'a', status: 'Pushing', current: 1, total: 2 }];
    await assert.rejects(pushImage(asEngine(engine), TARGET, NONE, () => controller.abort(), controller.signal), (error: Error) => {
      assert.ok(error instanceof CancelledError);
      assert.match(error.message, /^Push of 127.0.0.1:5001\/hello:0123456789ab cancelled: nothing was changed in the registry that a retry would not fix/);
      return true;
    });
  });
});

describe('describePushProgress', () => {
  it('sums the bytes of the layers being sent and counts the finished ones', () => {
    const layers: LayerProgress[] = [
      { id: 'a', status: 'Pushing', current: 2_000_000, total: 10_000_000 },
      { id: 'b', status: 'Pushed', current: 5_000_000, total: 5_000_000 },
      { id: 'c', status: 'Layer already exists', current: 0, total: 0 },
    ];
    assert.deepEqual(describePushProgress(layers), { sent: 7_000_000, total: 15_000_000, text: '2 of 3 layers · 7.0 of 15.0 MB' });
    assert.equal(describePushProgress([]).text, '0 of 0 layers');
  });
});
