import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { modemOptions, remoteEngine, remotePublishNotice, resolveEndpoint, type EndpointInputs } from '../../src/engine/endpoint';

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

describe('TLS to a tcp engine, as the docker CLI does it', () => {
  let home: string;
  let certs: string;
  const pem = (what: string) => `-----BEGIN ${what}-----\n${Buffer.from(what).toString('base64')}\n-----END ${what}-----\n`;

  function writeCerts(dir: string, files: Record<string, string>): void {
    fs.mkdirSync(dir, { recursive: true });
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  }
  function writeContext(name: string, host: string, skipTlsVerify: boolean, tlsFiles?: Record<string, string>): void {
    const digest = createHash('sha256').update(name).digest('hex');
    writeCerts(path.join(home, '.docker', 'contexts', 'meta', digest), { 'meta.json': JSON.stringify({ Name: name, Endpoints: { docker: { Host: host, SkipTLSVerify: skipTlsVerify } } }) });
    if (tlsFiles) writeCerts(path.join(home, '.docker', 'contexts', 'tls', digest, 'docker'), tlsFiles);
  }

  before(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'ls-tls-'));
    certs = path.join(home, 'certs');
    writeCerts(certs, { 'ca.pem': pem('CA'), 'cert.pem': pem('CERTIFICATE'), 'key.pem': pem('PRIVATE KEY') });
    writeCerts(path.join(home, '.docker'), { 'ca.pem': pem('HOME CA'), 'cert.pem': pem('HOME CERT'), 'key.pem': pem('HOME KEY') });
    writeContext('secure', 'tcp://127.0.0.1:2376', false, { 'ca.pem': pem('CTX CA'), 'cert.pem': pem('CTX CERT'), 'key.pem': pem('CTX KEY') });
    writeContext('insecure', 'tcp://127.0.0.1:2376', true, { 'cert.pem': pem('CTX CERT'), 'key.pem': pem('CTX KEY') });
    writeContext('plain', 'tcp://127.0.0.1:2375', false);
    // docker-modem reads a DOCKER_CERT_PATH of the process by itself (split-ca wants a CERTIFICATE block).
    writeCerts(path.join(home, 'stray'), { 'ca.pem': '-----BEGIN CERTIFICATE-----\nU1RSQVk=\n-----END CERTIFICATE-----\n', 'cert.pem': 'STRAY', 'key.pem': 'STRAY' });
  });
  after(() => fs.rmSync(home, { recursive: true, force: true }));

  /** The docker-modem the adapter would build for this environment, with a stray DOCKER_HOST/DOCKER_CERT_PATH in the process. */
  function modemFor(env: NodeJS.ProcessEnv): { protocol?: string; port?: number | string; ca?: unknown; cert?: unknown; key?: unknown; agent?: { options?: { rejectUnauthorized?: boolean } } } {
    const endpoint = resolveEndpoint(inputs({ env }, home));
    assert.equal(endpoint.problem, undefined);
    const saved = { DOCKER_HOST: process.env.DOCKER_HOST, DOCKER_CERT_PATH: process.env.DOCKER_CERT_PATH };
    Object.assign(process.env, { DOCKER_HOST: 'tcp://10.0.0.5:2375', DOCKER_CERT_PATH: path.join(home, 'stray') });
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const Modem = require('docker-modem');
      return new Modem(modemOptions(endpoint.host, endpoint.tls));
    } finally {
      for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
    }
  }

  for (const value of ['1', 'true', 'yes']) {
    it(`DOCKER_TLS_VERIFY=${value} means TLS with the engine's certificate checked, using DOCKER_CERT_PATH's files`, () => {
      const modem = modemFor({ DOCKER_HOST: 'tcp://127.0.0.1', DOCKER_TLS_VERIFY: value, DOCKER_CERT_PATH: certs });
      assert.equal(modem.protocol, 'https');
      assert.equal(Number(modem.port), 2376, 'the TLS port when none is given');
      assert.equal(String(modem.ca), pem('CA'));
      assert.equal(String(modem.cert), pem('CERTIFICATE'));
      assert.equal(String(modem.key), pem('PRIVATE KEY'));
      assert.equal(modem.agent, undefined, 'the certificate is checked');
    });
  }

  it('an empty or unset DOCKER_TLS_VERIFY means plain HTTP, even with DOCKER_CERT_PATH in the process', () => {
    for (const env of [{ DOCKER_HOST: 'tcp://127.0.0.1:2375', DOCKER_TLS_VERIFY: '' }, { DOCKER_HOST: 'tcp://127.0.0.1:2375' }]) {
      const modem = modemFor(env);
      assert.equal(modem.protocol, 'http');
      assert.equal(modem.ca, undefined);
      assert.equal(modem.cert, undefined);
    }
  });

  it('reads ~/.docker when DOCKER_CERT_PATH is unset, and applies to the dockerHost setting too', () => {
    const endpoint = resolveEndpoint(inputs({ setting: 'tcp://127.0.0.1:2376', env: { DOCKER_TLS_VERIFY: '1' } }, home));
    assert.equal(endpoint.tls?.ca, pem('HOME CA'));
    assert.equal(endpoint.tls?.key, pem('HOME KEY'));
    assert.equal(endpoint.tls?.from, path.join(home, '.docker'));
  });

  it('DOCKER_TLS alone means TLS without checking the certificate', () => {
    const modem = modemFor({ DOCKER_HOST: 'tcp://127.0.0.1:2376', DOCKER_TLS: '1', DOCKER_CERT_PATH: certs });
    assert.equal(modem.protocol, 'https');
    assert.equal(modem.agent?.options?.rejectUnauthorized, false);
    assert.equal(String(modem.cert), pem('CERTIFICATE'), 'the client certificate is still sent');
  });

  it('DOCKER_TLS_VERIFY with no readable ca.pem is a problem naming the file, and nothing is dialled', () => {
    const endpoint = resolveEndpoint(inputs({ env: { DOCKER_HOST: 'tcp://127.0.0.1:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: path.join(home, 'nowhere') } }, home));
    assert.match(endpoint.problem ?? '', new RegExp(`${path.join(home, 'nowhere', 'ca.pem').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} cannot be read: set DOCKER_CERT_PATH`));
  });

  it('a unix socket takes no TLS, whatever the environment says', () => {
    const endpoint = resolveEndpoint(inputs({ env: { DOCKER_HOST: 'unix:///var/run/docker.sock', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certs } }, home));
    assert.equal(endpoint.tls, undefined);
  });

  it("uses a docker context's TLS material, checking the certificate unless the context skips it", () => {
    const secure = modemFor({ DOCKER_CONTEXT: 'secure' });
    assert.equal(secure.protocol, 'https');
    assert.equal(String(secure.ca), pem('CTX CA'));
    assert.equal(String(secure.cert), pem('CTX CERT'));
    assert.equal(String(secure.key), pem('CTX KEY'));
    assert.equal(secure.agent, undefined);
    const insecure = modemFor({ DOCKER_CONTEXT: 'insecure' });
    assert.equal(insecure.protocol, 'https');
    assert.equal(insecure.agent?.options?.rejectUnauthorized, false, 'SkipTLSVerify: the certificate is not checked');
    assert.equal(String(insecure.cert), pem('CTX CERT'));
    assert.equal(modemFor({ DOCKER_CONTEXT: 'plain' }).protocol, 'http', 'a context without TLS files speaks plain HTTP');
  });

  it('the engine description says TLS is used and where its certificates come from', async () => {
    const { DockerEngine } = await import('../../src/engine/dockerEngine');
    const engine = new DockerEngine(resolveEndpoint(inputs({ env: { DOCKER_HOST: 'tcp://127.0.0.1:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certs } }, home)));
    assert.equal(engine.endpoint, `tcp://127.0.0.1:2376 (DOCKER_HOST, TLS with certificates from DOCKER_CERT_PATH=${certs})`);
  });
});

describe('an engine on another machine (unverified here: no remote engine can be reached)', () => {
  it('is recognised from tcp://, https:// and ssh:// addresses that are not this machine', () => {
    assert.deepEqual(remoteEngine('tcp://build-box.example:2376', []), { hostname: 'build-box.example', sshTarget: 'build-box.example' });
    assert.deepEqual(remoteEngine('https://10.20.30.40:2376', []), { hostname: '10.20.30.40', sshTarget: '10.20.30.40' });
    assert.deepEqual(remoteEngine('ssh://me@build-box:2222', []), { hostname: 'build-box', sshTarget: '-p 2222 me@build-box' });
    assert.deepEqual(remoteEngine('ssh://me@build-box', []), { hostname: 'build-box', sshTarget: 'me@build-box' });
  });

  it('is not claimed for sockets, loopback, localhost or an address of this machine', () => {
    for (const host of ['unix:///var/run/docker.sock', 'npipe:////./pipe/docker_engine', 'tcp://127.0.0.1:2376', 'tcp://127.1.2.3:2375', 'tcp://localhost:2375', 'tcp://[::1]:2375', 'ssh://me@localhost', 'tcp://10.1.2.3:2375', 'tcp://MyBox:2375']) {
      assert.equal(remoteEngine(host, ['10.1.2.3', 'mybox']), undefined, host);
    }
  });

  it('the message says where the function is published and how to reach it from here', () => {
    const message = remotePublishNotice({ hostname: 'build-box', sshTarget: '-p 2222 me@build-box' }, 41234);
    assert.match(message, /published on 127\.0\.0\.1 of build-box \(this one on port 41234\)/);
    assert.match(message, /which this machine cannot reach directly/);
    assert.match(message, /ssh -N -L 41234:127\.0\.0\.1:41234 -p 2222 me@build-box/, 'a tunnel command that can be pasted');
    assert.doesNotMatch(message, /fn\.json/, "the engine layer says what is so; the runner adds what to do in fn.json");
    assert.match(message, /or use a Docker engine on this machine/);
  });

  it('the adapter reports the remote machine, and none for the local socket', async () => {
    const { DockerEngine } = await import('../../src/engine/dockerEngine');
    assert.equal(new DockerEngine({ host: 'tcp://build-box.invalid:2376', source: 'DOCKER_HOST' }).remote?.hostname, 'build-box.invalid');
    assert.equal(new DockerEngine({ host: 'unix:///var/run/docker.sock', source: 'default socket' }).remote, undefined);
  });
});
