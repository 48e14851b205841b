import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { modemOptions, resolveEndpoint, type EndpointInputs } from '../../src/engine/endpoint';

/** Real file reads (from a temp docker config dir) and a chosen set of sockets that "exist". */
function inputs(overrides: Partial<EndpointInputs> & { sockets?: string[] }, home: string): EndpointInputs {
  const sockets = new Set(overrides.sockets ?? []);
  return {
    setting: overrides.setting,
    env: overrides.env ?? {},
    home,
    fileExists: overrides.fileExists ?? ((f) => sockets.has(f)),
    readFile: overrides.readFile ?? ((f) => { try { return fs.readFileSync(f, 'utf8'); } catch { return undefined; } }),
    platform: overrides.platform ?? 'linux',
  };
}

describe('resolveEndpoint', () => {
  let home: string;
  let dockerConfig: string;

  function writeContext(name: string, host: string): void {
    const dir = path.join(dockerConfig, 'contexts', 'meta', createHash('sha256').update(name).digest('hex'));
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'meta.json'), JSON.stringify({ Name: name, Endpoints: { docker: { Host: host, SkipTLSVerify: false } } }));
  }

  before(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'ls-endpoint-'));
    dockerConfig = path.join(home, 'docker-config');
    writeContext('remote', 'tcp://127.0.0.1:2375');
    writeContext('current', 'unix:///tmp/current-context.sock');
  });
  after(() => {
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('uses the setting first, trimmed, over DOCKER_HOST and DOCKER_CONTEXT', () => {
    const endpoint = resolveEndpoint(inputs({ setting: '  tcp://127.0.0.1:9999 ', env: { DOCKER_HOST: 'tcp://127.0.0.1:1', DOCKER_CONTEXT: 'remote', DOCKER_CONFIG: dockerConfig } }, home));
    assert.deepEqual(endpoint, { host: 'tcp://127.0.0.1:9999', source: 'setting localServerless.dockerHost in settings' });
  });

  it('ignores a blank setting', () => {
    const endpoint = resolveEndpoint(inputs({ setting: '   ', env: { DOCKER_HOST: 'tcp://127.0.0.1:1' } }, home));
    assert.equal(endpoint.source, 'DOCKER_HOST');
  });

  it('uses DOCKER_HOST over DOCKER_CONTEXT', () => {
    const endpoint = resolveEndpoint(inputs({ env: { DOCKER_HOST: 'unix:///tmp/x.sock', DOCKER_CONTEXT: 'remote', DOCKER_CONFIG: dockerConfig } }, home));
    assert.deepEqual(endpoint, { host: 'unix:///tmp/x.sock', source: 'DOCKER_HOST' });
  });

  it('reads the DOCKER_CONTEXT endpoint from the docker CLI config, over existing sockets', () => {
    const endpoint = resolveEndpoint(inputs({ env: { DOCKER_CONTEXT: 'remote', DOCKER_CONFIG: dockerConfig }, sockets: ['/var/run/docker.sock'] }, home));
    assert.deepEqual(endpoint, { host: 'tcp://127.0.0.1:2375', source: 'docker context "remote"' });
  });

  it('uses the current context of the docker CLI config when DOCKER_CONTEXT is unset', () => {
    const configDir = path.join(home, 'with-current');
    fs.mkdirSync(configDir, { recursive: true });
    fs.cpSync(path.join(dockerConfig, 'contexts'), path.join(configDir, 'contexts'), { recursive: true });
    fs.writeFileSync(path.join(configDir, 'config.json'), JSON.stringify({ auths: {}, currentContext: 'current' }));
    const endpoint = resolveEndpoint(inputs({ env: { DOCKER_CONFIG: configDir } }, home));
    assert.deepEqual(endpoint, { host: 'unix:///tmp/current-context.sock', source: 'docker context "current"' });
  });

  it('reads ~/.docker when DOCKER_CONFIG is unset', () => {
    const otherHome = path.join(home, 'home2');
    fs.cpSync(dockerConfig, path.join(otherHome, '.docker'), { recursive: true });
    const endpoint = resolveEndpoint(inputs({ env: { DOCKER_CONTEXT: 'remote' } }, otherHome));
    assert.equal(endpoint.host, 'tcp://127.0.0.1:2375');
  });

  it('falls back to sockets for the "default" context or a context it cannot find', () => {
    for (const context of ['default', 'no-such-context']) {
      const endpoint = resolveEndpoint(inputs({ env: { DOCKER_CONTEXT: context, DOCKER_CONFIG: dockerConfig }, sockets: ['/var/run/docker.sock'] }, home));
      assert.deepEqual(endpoint, { host: 'unix:///var/run/docker.sock', source: 'default socket' }, context);
    }
  });

  it('prefers /var/run/docker.sock when it exists', () => {
    const endpoint = resolveEndpoint(inputs({ env: { XDG_RUNTIME_DIR: '/run/user/1000' }, sockets: ['/var/run/docker.sock', '/run/user/1000/podman/podman.sock'] }, home));
    assert.deepEqual(endpoint, { host: 'unix:///var/run/docker.sock', source: 'default socket' });
  });

  it('finds Docker Desktop under the home folder', () => {
    const socket = path.join(home, '.docker/run/docker.sock');
    const endpoint = resolveEndpoint(inputs({ sockets: [socket] }, home));
    assert.deepEqual(endpoint, { host: `unix://${socket}`, source: 'Docker Desktop socket' });
  });

  it('finds the rootless Podman socket under XDG_RUNTIME_DIR when there is no Docker socket', () => {
    const asked: string[] = [];
    const endpoint = resolveEndpoint(inputs({
      env: { XDG_RUNTIME_DIR: '/run/user/1000' },
      fileExists: (f) => { asked.push(f); return f === '/run/user/1000/podman/podman.sock'; },
    }, home));
    assert.deepEqual(endpoint, { host: 'unix:///run/user/1000/podman/podman.sock', source: 'Podman socket' });
    assert.ok(asked.includes('/var/run/docker.sock'), 'the Docker socket was looked for first');
  });

  it('finds the rootful Podman socket', () => {
    const endpoint = resolveEndpoint(inputs({ sockets: ['/run/podman/podman.sock'] }, home));
    assert.deepEqual(endpoint, { host: 'unix:///run/podman/podman.sock', source: 'Podman socket' });
  });

  it('names the default socket when no socket exists, so the error says where it looked', () => {
    const endpoint = resolveEndpoint(inputs({}, home));
    assert.deepEqual(endpoint, { host: 'unix:///var/run/docker.sock', source: 'default socket' });
  });

  it('uses the named pipe on Windows', () => {
    const endpoint = resolveEndpoint(inputs({ platform: 'win32' }, home));
    assert.deepEqual(endpoint, { host: 'npipe:////./pipe/docker_engine', source: 'default pipe' });
  });
});

describe('modemOptions', () => {
  /** What docker-modem (dockerode's transport) really connects to with these options, with DOCKER_HOST set elsewhere. */
  function modemFor(host: string, env: Record<string, string | undefined> = {}): { socketPath?: string; host?: string; port?: number | string; protocol?: string; sshOptions?: { agent?: string } } {
    const saved = { DOCKER_HOST: process.env.DOCKER_HOST, DOCKER_TLS_VERIFY: process.env.DOCKER_TLS_VERIFY };
    Object.assign(process.env, { DOCKER_HOST: 'tcp://10.0.0.5:2375' });
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const Modem = require('docker-modem');
      return new Modem(modemOptions(host));
    } finally {
      for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
    }
  }

  it('connects to a unix socket by path, even when DOCKER_HOST names another engine', () => {
    const modem = modemFor('unix:///var/run/docker.sock');
    assert.equal(modem.socketPath, '/var/run/docker.sock');
    assert.equal(modem.host, undefined);
  });

  it('connects over http to a tcp host, with the port given or 2375', () => {
    for (const [url, port] of [['tcp://127.0.0.1:2375', 2375], ['tcp://127.0.0.1:12345', 12345], ['tcp://127.0.0.1', 2375]] as const) {
      const modem = modemFor(url, { DOCKER_TLS_VERIFY: undefined });
      assert.equal(modem.protocol, 'http');
      assert.equal(modem.host, '127.0.0.1');
      assert.equal(Number(modem.port), port);
      assert.equal(modem.socketPath, undefined);
    }
  });

  it('connects over ssh with the user, host, port and the SSH agent', () => {
    const options = modemOptions('ssh://me@build-box:2222');
    assert.equal(options.protocol, 'ssh');
    assert.equal(options.host, 'build-box');
    assert.equal(options.port, 2222);
    assert.equal(options.username, 'me');
    assert.deepEqual(options.sshOptions, { agent: process.env.SSH_AUTH_SOCK });
    assert.equal(modemOptions('ssh://build-box').port, 22);
  });

  it('turns an npipe URL into a Windows pipe path', () => {
    assert.equal(modemOptions('npipe:////./pipe/docker_engine').socketPath, '\\\\.\\pipe\\docker_engine');
  });
});

describe('a dockerHost value that is not an engine address', () => {
  const home = os.tmpdir();
  for (const value of ['docker.example.com', 'http//127.0.0.1:2375', 'ftp://127.0.0.1', 'tcp://', 'tcp://127.0.0.1:99999']) {
    it(`"${value}" is reported with where it is set, and the adapter is still built without dialling`, async () => {
      const { DockerEngine } = await import('../../src/engine/dockerEngine');
      const { InvalidEngineAddressError } = await import('../../src/engine/engine');
      const endpoint = resolveEndpoint({ ...inputs({ setting: value }, home), settingSource: 'folder settings (.vscode/settings.json)' });
      assert.ok(endpoint.problem, `a problem for ${value}`);
      const engine = new DockerEngine(endpoint); // must not throw: a bad value never stops activation
      await assert.rejects(engine.ping(), (error: Error) => {
        assert.ok(error instanceof InvalidEngineAddressError);
        assert.match(error.message, new RegExp(`"${value.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}"`));
        assert.match(error.message, /localServerless\.dockerHost in folder settings \(\.vscode\/settings\.json\)/);
        assert.match(error.message, /unix:\/\/\/.*tcp:\/\/host:2375/, 'says how to write one');
        return true;
      });
    });
  }

  it('accepts the forms the docker CLI takes', () => {
    for (const value of ['unix:///var/run/docker.sock', 'tcp://127.0.0.1:2375', 'tcp://docker.example.com', 'ssh://me@build-box', 'https://127.0.0.1:2376', 'npipe:////./pipe/docker_engine']) {
      assert.equal(resolveEndpoint(inputs({ setting: value }, home)).problem, undefined, value);
    }
  });

  it('a bad DOCKER_HOST is reported the same way', () => {
    assert.match(resolveEndpoint(inputs({ env: { DOCKER_HOST: 'localhost:2375' } }, home)).problem ?? '', /"localhost:2375"/);
  });
});
