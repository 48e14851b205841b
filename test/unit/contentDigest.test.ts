import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { listContextFiles } from '../../src/core/buildContext';
import { contentDigest, digestTag } from '../../src/core/contentDigest';

describe('contentDigest', () => {
  let root: string;

  beforeEach(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'ls-digest-'));
  });
  afterEach(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  const SOURCES = {
    'Dockerfile': 'FROM node:20-bookworm-slim\nCOPY . .\n',
    '.dockerignore': 'node_modules\n*.log\n',
    'handler.js': 'exports.handler = async () => ({ ok: true });\n',
    'lib/util.js': 'module.exports = 1;\n',
  };

  async function folder(name: string, files: Record<string, string> = SOURCES): Promise<string> {
    const dir = path.join(root, name);
    for (const [relative, content] of Object.entries(files)) {
      await fs.mkdir(path.dirname(path.join(dir, relative)), { recursive: true });
      await fs.writeFile(path.join(dir, relative), content);
    }
    return dir;
  }

  /** The digest of a folder's build context, as a build sees it (after .dockerignore). */
  async function digestOf(dir: string, buildArgs?: Record<string, string>): Promise<string> {
    return contentDigest({ folder: dir, files: await listContextFiles(dir), dockerfile: 'Dockerfile', buildArgs });
  }

  it('is the same for the same content, wherever the folder is', async () => {
    const a = await digestOf(await folder('a'));
    const b = await digestOf(await folder('elsewhere/b'));
    assert.match(a, /^[0-9a-f]{64}$/);
    assert.equal(a, b);
    assert.equal(await digestOf(path.join(root, 'a')), a, 'and again for the same folder');
  });

  it('changes with any byte of any file', async () => {
    const before = await digestOf(await folder('a'));
    await fs.writeFile(path.join(root, 'a', 'lib/util.js'), 'module.exports = 2;\n');
    assert.notEqual(await digestOf(path.join(root, 'a')), before);
  });

  it('changes with the last byte of a file big enough to be streamed', async () => {
    const dir = await folder('a');
    const big = Buffer.alloc(1024 * 1024, 1);
    await fs.writeFile(path.join(dir, 'big.bin'), big);
    const before = await digestOf(dir);
    big[big.length - 1] = 2;
    await fs.writeFile(path.join(dir, 'big.bin'), big);
    assert.notEqual(await digestOf(dir), before);
    assert.equal(await digestOf(await folder('b', { ...SOURCES, 'big.bin': big.toString('latin1') })), await digestOf(dir), 'the same bytes elsewhere: the same digest');
  });

  it('changes when a file is renamed, added or removed', async () => {
    const dir = await folder('a');
    const before = await digestOf(dir);
    await fs.rename(path.join(dir, 'lib/util.js'), path.join(dir, 'lib/utils.js'));
    const renamed = await digestOf(dir);
    assert.notEqual(renamed, before);
    await fs.writeFile(path.join(dir, 'empty.txt'), '');
    assert.notEqual(await digestOf(dir), renamed, 'an empty file counts');
  });

  it('does not count a file that .dockerignore leaves out of the context', async () => {
    const dir = await folder('a');
    const before = await digestOf(dir);
    await fs.writeFile(path.join(dir, 'debug.log'), 'noise');
    await fs.mkdir(path.join(dir, 'node_modules/dep'), { recursive: true });
    await fs.writeFile(path.join(dir, 'node_modules/dep/index.js'), 'x');
    assert.equal(await digestOf(dir), before);
  });

  it('does not mix up where one file ends and the next begins', async () => {
    const one = await digestOf(await folder('one', { 'Dockerfile': 'FROM x\n', 'a': 'bc', 'b': '' }));
    const two = await digestOf(await folder('two', { 'Dockerfile': 'FROM x\n', 'a': 'b', 'b': 'c' }));
    assert.notEqual(one, two);
  });

  it('counts the executable bit, and a symbolic link by its target', async () => {
    const dir = await folder('a');
    const before = await digestOf(dir);
    await fs.chmod(path.join(dir, 'handler.js'), 0o755);
    const executable = await digestOf(dir);
    assert.notEqual(executable, before);
    await fs.chmod(path.join(dir, 'handler.js'), 0o600);
    assert.equal(await digestOf(dir), before, 'read and write bits follow the umask and do not count');
    await fs.symlink('handler.js', path.join(dir, 'link.js'));
    const linked = await digestOf(dir);
    await fs.rm(path.join(dir, 'link.js'));
    await fs.symlink('lib/util.js', path.join(dir, 'link.js'));
    assert.notEqual(await digestOf(dir), linked);
  });

  it('counts the Dockerfile path and the build args', async () => {
    const dir = await folder('a');
    const files = await listContextFiles(dir);
    const plain = await contentDigest({ folder: dir, files, dockerfile: 'Dockerfile' });
    assert.equal(await contentDigest({ folder: dir, files, dockerfile: 'Dockerfile', buildArgs: {} }), plain);
    assert.notEqual(await contentDigest({ folder: dir, files, dockerfile: 'lib/util.js' }), plain);
    const args = await contentDigest({ folder: dir, files, dockerfile: 'Dockerfile', buildArgs: { A: '1', B: '2' } });
    assert.notEqual(args, plain);
    assert.equal(await contentDigest({ folder: dir, files, dockerfile: 'Dockerfile', buildArgs: { B: '2', A: '1' } }), args, 'in any order');
  });

  it('gives a 12-digit tag', () => {
    assert.equal(digestTag('0123456789abcdef'.repeat(4)), '0123456789ab');
    assert.equal(digestTag(`sha256:${'f'.repeat(64)}`), 'ffffffffffff');
  });
});
