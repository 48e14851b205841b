import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { listContextFiles } from '../../src/core/buildContext';

describe('listContextFiles', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ls-context-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  async function write(files: Record<string, string>): Promise<void> {
    for (const [relative, content] of Object.entries(files)) {
      await fs.mkdir(path.dirname(path.join(dir, relative)), { recursive: true });
      await fs.writeFile(path.join(dir, relative), content);
    }
  }

  const SOURCES = {
    'Dockerfile': 'FROM node:20\n',
    'handler.js': 'module.exports = {};\n',
    'server.js': '',
    'lib/util.js': '',
    'debug.log': 'noise',
    'lib/trace.log': 'noise',
    'keep.log': 'wanted',
    'node_modules/dep/index.js': '',
    'node_modules/dep/package.json': '{}',
  };

  it('sends every file, sorted and with forward slashes, when there is no .dockerignore', async () => {
    await write({ 'Dockerfile': 'FROM node:20\n', 'b.js': '', 'a/z.js': '', 'a/b/c.txt': '' });
    assert.deepEqual(await listContextFiles(dir), ['Dockerfile', 'a/b/c.txt', 'a/z.js', 'b.js']);
  });

  it('leaves out what .dockerignore lists, but always sends the Dockerfile and .dockerignore', async () => {
    await write({ ...SOURCES, '.dockerignore': 'node_modules\n*.log\n**/*.log\nDockerfile\n.dockerignore\n' });
    assert.deepEqual(await listContextFiles(dir), ['.dockerignore', 'Dockerfile', 'handler.js', 'lib/util.js', 'server.js']);
  });

  it('matches "*.log" only at the top level, as Docker does', async () => {
    await write({ ...SOURCES, '.dockerignore': 'node_modules\n*.log\n' });
    const files = await listContextFiles(dir);
    assert.ok(!files.includes('debug.log'));
    assert.ok(!files.includes('keep.log'));
    assert.ok(files.includes('lib/trace.log'));
    assert.ok(!files.some((f) => f.startsWith('node_modules/')));
  });

  it('re-includes a file named by a "!" negation', async () => {
    await write({ ...SOURCES, '.dockerignore': 'node_modules\n*.log\n!keep.log\n' });
    const files = await listContextFiles(dir);
    assert.ok(files.includes('keep.log'));
    assert.ok(!files.includes('debug.log'));
    assert.ok(!files.some((f) => f.startsWith('node_modules/')));
  });

  it('re-includes a file inside an ignored folder when a negation names it', async () => {
    await write({ ...SOURCES, '.dockerignore': 'node_modules\n!node_modules/dep/package.json\n' });
    const files = await listContextFiles(dir);
    assert.ok(files.includes('node_modules/dep/package.json'));
    assert.ok(!files.includes('node_modules/dep/index.js'));
  });

  it('always sends a Dockerfile with another name when it is the one used', async () => {
    await write({ 'Dockerfile.dev': 'FROM node:20\n', 'app.js': '', '.dockerignore': 'Dockerfile*\n' });
    assert.deepEqual(await listContextFiles(dir, 'Dockerfile.dev'), ['.dockerignore', 'Dockerfile.dev', 'app.js']);
  });

  it('sends a link to a folder outside (here /usr) as the link itself, never what is under it', async () => {
    await write({ 'Dockerfile': 'FROM node:20\n', 'app.js': '' });
    await fs.symlink('/usr', path.join(dir, 'usr'));
    assert.deepEqual(await listContextFiles(dir), ['Dockerfile', 'app.js', 'usr']);
  });
});
