import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { listContextFiles } from '../../src/core/buildContext';
import { envFileLocation, resolveEnvFile } from '../../src/core/envFile';

describe('envFile resolves, after following links, to a file inside the workspace folder', () => {
  let tmp: string;
  let workspace: string;
  let fnFolder: string;
  let outside: string;

  before(() => {
    tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'ls-envfile-')));
    workspace = path.join(tmp, 'repo');
    fnFolder = path.join(workspace, 'functions', 'hello');
    outside = path.join(tmp, 'creds');
    fs.mkdirSync(fnFolder, { recursive: true });
    fs.writeFileSync(outside, 'AWS_SECRET_ACCESS_KEY=outside-secret\n');
    fs.writeFileSync(path.join(fnFolder, '.env'), 'A=1\n');
    fs.writeFileSync(path.join(workspace, '.env'), 'SHARED=1\n');
    fs.symlinkSync(outside, path.join(fnFolder, '.env.link-out'));
    fs.symlinkSync(path.join(workspace, '.env'), path.join(fnFolder, '.env.link-in'));
    // A link beside the function's .env, to it: the name fn.json gives is not the file the context holds.
    fs.symlinkSync('.env', path.join(fnFolder, 'config.env'));
    fs.mkdirSync(path.join(fnFolder, 'envdir'));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('a .env beside the function is used', async () => {
    const result = await resolveEnvFile(fnFolder, '.env', workspace);
    assert.deepEqual(result, { ok: true, file: path.join(fnFolder, '.env'), inContext: ['.env'] });
  });

  it('a shared .env at the repository root is used (and is not in the build context)', async () => {
    const result = await resolveEnvFile(fnFolder, '../../.env', workspace);
    assert.deepEqual(result, { ok: true, file: path.join(workspace, '.env'), inContext: [] });
  });

  it('a link that stays in the workspace is followed', async () => {
    const result = await resolveEnvFile(fnFolder, '.env.link-in', workspace);
    assert.deepEqual(result, { ok: true, file: path.join(workspace, '.env'), inContext: ['.env.link-in'] });
  });

  it('a link to a file in the function folder: neither the link nor the file it leads to goes into the build context', async () => {
    const result = await resolveEnvFile(fnFolder, 'config.env', workspace);
    assert.deepEqual(result, { ok: true, file: path.join(fnFolder, '.env'), inContext: ['config.env', '.env'] });
    fs.writeFileSync(path.join(fnFolder, 'Dockerfile'), 'FROM scratch\nCOPY . .\n');
    const files = await listContextFiles(fnFolder, 'Dockerfile', result.ok ? result.inContext : []);
    assert.ok(!files.includes('.env') && !files.includes('config.env'), files.join(', '));
  });

  for (const [what, envFile] of [
    ['an absolute path outside the workspace', () => outside],
    ['a relative path that climbs out', () => path.relative(fnFolder, outside)],
    ['a committed link to a file outside', () => '.env.link-out'],
  ] as const) {
    it(`refuses ${what}, saying what to do`, async () => {
      const result = await resolveEnvFile(fnFolder, envFile(), workspace);
      assert.equal(result.ok, false);
      assert.match(!result.ok ? result.message : '', /outside the workspace folder.*move the file into the workspace/);
      assert.doesNotMatch(!result.ok ? result.message : '', /outside-secret/);
    });
  }

  it('refuses a missing file and a folder', async () => {
    const missing = await resolveEnvFile(fnFolder, '.env.missing', workspace);
    assert.match(!missing.ok ? missing.message : '', /does not exist: create it or remove "envFile"/);
    const folder = await resolveEnvFile(fnFolder, 'envdir', workspace);
    assert.match(!folder.ok ? folder.message : '', /is not a file/);
  });

  it('locates the envFile value in fn.json for the diagnostic', () => {
    const text = '{\n  "name": "hello",\n  "envFile": "../../../creds"\n}';
    const at = envFileLocation(text);
    assert.equal(text.slice(at.offset, at.offset + at.length), '"../../../creds"');
  });

  it('the env file never goes into the build context, even when .dockerignore does not list it', async () => {
    fs.writeFileSync(path.join(fnFolder, 'Dockerfile'), 'FROM scratch\nCOPY . .\n');
    fs.writeFileSync(path.join(fnFolder, 'secrets.env'), 'TOKEN=1\n');
    const files = await listContextFiles(fnFolder, 'Dockerfile', ['secrets.env', '.env']);
    assert.ok(files.includes('Dockerfile'));
    assert.ok(!files.includes('secrets.env') && !files.includes('.env'), files.join(', '));
  });

  it('where the file system ignores case (Windows, macOS), "envFile": ".ENV" is the .env on disk: it stays out of the context', async () => {
    const insensitive = await listContextFiles(fnFolder, 'Dockerfile', ['.ENV', 'Secrets.Env'], { caseInsensitive: true });
    assert.ok(!insensitive.includes('.env') && !insensitive.includes('secrets.env'), insensitive.join(', '));
    // Where case counts (Linux), .ENV and .env are two files: only the one named stays out.
    const sensitive = await listContextFiles(fnFolder, 'Dockerfile', ['.ENV'], { caseInsensitive: false });
    assert.ok(sensitive.includes('.env'), sensitive.join(', '));
  });
});
