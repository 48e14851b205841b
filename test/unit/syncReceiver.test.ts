import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import * as tarStream from 'tar-stream';
import { RECEIVER_NAME, RECEIVER_SCRIPT, RELOADS_FILE, ReceiverUnavailableError, SyncReceiver, type ReceiverStreams } from '../../src/engine/syncReceiver';

/** A tar holding `files` (path → content), as the adapter sends one. */
async function tarOf(files: Record<string, string>): Promise<Buffer> {
  const pack = tarStream.pack();
  for (const [name, content] of Object.entries(files)) pack.entry({ name, mode: 0o644 }, content);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/**
 * The receiver's real script, run by this machine's sh, dd and tar (as an image's would run it), told
 * to signal `target` instead of a container's process 1.
 */
function runScript(target: number, tmpdir: string): { streams: ReceiverStreams; child: ChildProcess } {
  const child = spawn('sh', ['-c', RECEIVER_SCRIPT, RECEIVER_NAME, String(target)], { stdio: ['pipe', 'pipe', 'ignore'], env: { ...process.env, TMPDIR: tmpdir } });
  child.stdout!.setEncoding('utf8');
  return { child, streams: { input: child.stdin!, output: child.stdout! as AsyncIterable<string>, close: () => child.stdin!.end() } };
}

/** Streams whose output is what the test writes to `say`. */
function fakeStreams(): { streams: ReceiverStreams; say: PassThrough; written: string[] } {
  const say = new PassThrough({ encoding: 'utf8' });
  const written: string[] = [];
  const input = new PassThrough();
  input.on('data', (chunk: Buffer) => written.push(chunk.toString('latin1')));
  return { say, written, streams: { input, output: say as AsyncIterable<string>, close: () => say.end() } };
}

describe('the sync receiver (the script as a container runs it)', () => {
  let dir: string;
  let reloads: ChildProcess;
  let hups = 0;

  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ls-receiver-'));
    // Stands in for the function's process: counts the reload signals it gets.
    reloads = spawn(process.execPath, ['-e', "process.on('SIGHUP', () => console.log('hup')); setInterval(() => undefined, 1000)"], { stdio: ['ignore', 'pipe', 'ignore'] });
    reloads.stdout!.on('data', (chunk: Buffer) => { hups += chunk.toString().split('hup').length - 1; });
    await new Promise((r) => setTimeout(r, 300)); // its handler is in place
  });
  after(async () => {
    reloads.kill();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('puts the saved files in place, and only then tells the process to reload', async () => {
    const { streams } = runScript(reloads.pid!, dir);
    const receiver = await SyncReceiver.start(streams, 5_000);
    assert.ok(receiver, 'the receiver says it is ready');
    await receiver.send(await tarOf({ 'handler.js': 'exports.handler = () => 2;\n', 'lib/util.js': 'module.exports = 3;\n' }), dir, 'HUP', 5_000);
    assert.equal(await fs.readFile(path.join(dir, 'handler.js'), 'utf8'), 'exports.handler = () => 2;\n');
    assert.equal(await fs.readFile(path.join(dir, 'lib/util.js'), 'utf8'), 'module.exports = 3;\n');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(hups, 1);
    // Without a signal (an image that restarts instead): files only.
    await receiver.send(await tarOf({ 'handler.js': 'exports.handler = () => 4;\n' }), dir, undefined, 5_000);
    assert.equal(await fs.readFile(path.join(dir, 'handler.js'), 'utf8'), 'exports.handler = () => 4;\n');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(hups, 1);
    receiver.close();
  });

  it('waits for a server that counts its reloads: when the answer comes, the new code serves', async () => {
    const counted = await fs.mkdtemp(path.join(os.tmpdir(), 'ls-receiver-counted-'));
    const countFile = path.join(counted, RELOADS_FILE);
    // As the templates' servers do, but slow: the reload takes 300 ms before the count changes.
    const server = spawn(process.execPath, ['-e', `
      const fs = require('node:fs');
      let reloads = 0;
      fs.writeFileSync(${JSON.stringify(countFile)}, '0\\n');
      process.on('SIGHUP', () => setTimeout(() => fs.writeFileSync(${JSON.stringify(countFile)}, ++reloads + '\\n'), 300));
      console.log('listening');
      setInterval(() => undefined, 1000);`], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      await new Promise((r) => server.stdout!.once('data', r));
      const { streams } = runScript(server.pid!, counted);
      const receiver = (await SyncReceiver.start(streams, 5_000))!;
      const started = performance.now();
      await receiver.send(await tarOf({ 'handler.js': 'new\n' }), counted, 'HUP', 5_000);
      assert.ok(performance.now() - started >= 290, 'answered before the reload was done');
      assert.equal(await fs.readFile(countFile, 'utf8'), '1\n');
      receiver.close();
    } finally {
      server.kill();
      await fs.rm(counted, { recursive: true, force: true });
    }
  });

  it('reports a failed copy in tar\'s words and stays usable: the next save goes through', async () => {
    const { streams } = runScript(reloads.pid!, dir);
    const receiver = (await SyncReceiver.start(streams, 5_000))!;
    const before = hups;
    await assert.rejects(receiver.send(await tarOf({ 'a.js': 'x' }), path.join(dir, 'no such folder'), 'HUP', 5_000), (error: Error) => !(error instanceof ReceiverUnavailableError) && /no such folder/i.test(error.message));
    await receiver.send(await tarOf({ 'a.js': 'after the failure\n' }), dir, 'HUP', 5_000);
    assert.equal(await fs.readFile(path.join(dir, 'a.js'), 'utf8'), 'after the failure\n');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(hups, before + 1, 'no reload for the failed copy, one for the good one');
    receiver.close();
  });

  it('takes saves one at a time, in order: the last one sent is what stays', async () => {
    const { streams } = runScript(reloads.pid!, dir);
    const receiver = (await SyncReceiver.start(streams, 5_000))!;
    const big = 'x'.repeat(300_000); // more than a pipe holds: the second waits its turn
    await Promise.all([
      receiver.send(await tarOf({ 'order.js': `first ${big}` }), dir, undefined, 5_000),
      receiver.send(await tarOf({ 'order.js': 'second\n' }), dir, undefined, 5_000),
    ]);
    assert.equal(await fs.readFile(path.join(dir, 'order.js'), 'utf8'), 'second\n');
    receiver.close();
  });

  it('is not used when the image lacks what it needs, and a closed one says so', async () => {
    const { streams, say } = fakeStreams();
    say.write('unsupported\n');
    say.end();
    assert.equal(await SyncReceiver.start(streams, 1_000), undefined);

    const closes: boolean[] = [];
    const live = fakeStreams();
    live.say.write('ready\n');
    const receiver = (await SyncReceiver.start(live.streams, 1_000, (failed) => closes.push(failed)))!;
    live.say.end(); // its process ended (the container restarted)
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(receiver.closed, true);
    assert.deepEqual(closes, [false], 'an ended receiver may be started again');
    await assert.rejects(receiver.send(Buffer.alloc(512), '/app', 'HUP', 1_000), ReceiverUnavailableError);
  });

  it('gives up on a receiver that does not answer in time, for good', async () => {
    const closes: boolean[] = [];
    const { streams, say, written } = fakeStreams();
    say.write('ready\n');
    const receiver = (await SyncReceiver.start(streams, 1_000, (failed) => closes.push(failed)))!;
    await assert.rejects(receiver.send(Buffer.alloc(512), '/app', 'HUP', 50), ReceiverUnavailableError);
    assert.match(written[0], /^512 HUP \/app\n/);
    assert.deepEqual(closes, [true]);
    assert.equal(receiver.closed, true);
  });
});
