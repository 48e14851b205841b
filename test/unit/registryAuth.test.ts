import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { CancelledError } from '../../src/core/errors';
import { RegistryError } from '../../src/engine/engine';
import { credentialsFromDockerConfig, RegistryCredentialResolver, RegistryLoginRefusedError, secretKey, type RegistryCredentials, type RegistryLogin } from '../../src/services/registryAuth';

const REGISTRY = 'registry.example.com:5000';
const basic = (user: string, pass: string) => Buffer.from(`${user}:${pass}`).toString('base64');

/** A secret store in memory that records what was done to it. */
class MemorySecrets {
  readonly values = new Map<string, string>();
  readonly deleted: string[] = [];
  async get(key: string) {
    return this.values.get(key);
  }
  async set(key: string, value: string) {
    this.values.set(key, value);
  }
  async delete(key: string) {
    this.deleted.push(key);
    this.values.delete(key);
  }
}

describe('registry credentials', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ls-auth-'));
    await fs.mkdir(path.join(dir, 'config'));
    await fs.mkdir(path.join(dir, 'bin'));
    // Only the temp folders: nothing of the user's own docker config or helpers is read.
    env = { DOCKER_CONFIG: path.join(dir, 'config'), HOME: path.join(dir, 'home'), PATH: `${path.join(dir, 'bin')}:/usr/bin:/bin` };
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  const writeConfig = (config: object) => fs.writeFile(path.join(dir, 'config', 'config.json'), JSON.stringify(config));

  /** A real `docker-credential-<name>` program on PATH: a shell script that runs `body` with the server it was asked about in $server. */
  async function helper(name: string, body: string): Promise<void> {
    const file = path.join(dir, 'bin', `docker-credential-${name}`);
    await fs.writeFile(file, `#!/bin/sh\n[ "$1" = get ] || exit 3\nread -r server\n${body}\n`);
    await fs.chmod(file, 0o755);
  }

  describe('from the docker config', () => {
    it('reads an auths entry (base64 user:password), keyed by host or by URL', async () => {
      await writeConfig({ auths: { [`https://${REGISTRY}/v1/`]: { auth: basic('alice', 'pa:ss') } } });
      assert.deepEqual(await credentialsFromDockerConfig(REGISTRY, env), {
        registry: REGISTRY,
        auth: { username: 'alice', password: 'pa:ss', serveraddress: REGISTRY },
        source: { kind: 'dockerConfig', file: path.join(dir, 'config', 'config.json') },
      });
      assert.equal(await credentialsFromDockerConfig('other.example.com', env), undefined);
    });

    it('finds Docker Hub under the CLI\'s https://index.docker.io/v1/ key', async () => {
      await writeConfig({ auths: { 'https://index.docker.io/v1/': { auth: basic('bob', 'x') } } });
      assert.deepEqual((await credentialsFromDockerConfig('docker.io', env))?.auth, { username: 'bob', password: 'x', serveraddress: 'https://index.docker.io/v1/' });
    });

    it('reads ~/.docker/config.json when DOCKER_CONFIG is not set', async () => {
      await fs.mkdir(path.join(dir, 'home', '.docker'), { recursive: true });
      await fs.writeFile(path.join(dir, 'home', '.docker', 'config.json'), JSON.stringify({ auths: { [REGISTRY]: { auth: basic('carol', 'y') } } }));
      assert.equal((await credentialsFromDockerConfig(REGISTRY, { ...env, DOCKER_CONFIG: undefined }))?.auth.username, 'carol');
    });

    it('asks the credential helper named in credHelpers, with the registry on its stdin', async () => {
      await helper('test', 'printf \'{"ServerURL":"%s","Username":"helper-%s","Secret":"s3cret"}\' "$server" "$server"');
      await writeConfig({ credHelpers: { [REGISTRY]: 'test' }, auths: { [REGISTRY]: { auth: basic('file', 'file') } } });
      assert.deepEqual(await credentialsFromDockerConfig(REGISTRY, env), {
        registry: REGISTRY,
        auth: { username: `helper-${REGISTRY}`, password: 's3cret', serveraddress: REGISTRY },
        source: { kind: 'credentialHelper', program: 'docker-credential-test' },
      });
    });

    it('takes an identity token from a helper that answers with the user <token>', async () => {
      await helper('test', 'echo \'{"Username":"<token>","Secret":"tok"}\'');
      await writeConfig({ credsStore: 'test' });
      assert.deepEqual((await credentialsFromDockerConfig(REGISTRY, env))?.auth, { identitytoken: 'tok', serveraddress: REGISTRY });
    });

    it('falls through to auths when the credsStore helper has nothing, is not installed, or hangs', async () => {
      await helper('empty', 'echo "credentials not found in native keychain"; exit 1');
      await helper('slow', 'exec sleep 30');
      for (const credsStore of ['empty', 'not-installed', 'slow']) {
        await writeConfig({ credsStore, auths: { [REGISTRY]: { auth: basic('dave', 'z') } } });
        const started = Date.now();
        const found = await credentialsFromDockerConfig(REGISTRY, env, 300);
        assert.equal(found?.auth.username, 'dave', credsStore);
        assert.ok(Date.now() - started < 3_000, `${credsStore}: took ${Date.now() - started} ms`);
      }
    });

    it('has none when the file is missing or is not JSON', async () => {
      assert.equal(await credentialsFromDockerConfig(REGISTRY, env), undefined);
      await fs.writeFile(path.join(dir, 'config', 'config.json'), '{ not json');
      assert.equal(await credentialsFromDockerConfig(REGISTRY, env), undefined);
    });
  });

  describe('asking once, and the secret storage', () => {
    const refused = () => new RegistryError(REGISTRY, 'unauthorized', 'unauthorized: authentication required');

    /** A resolver whose prompt answers from `answers` in turn and counts the questions. */
    function resolver(secrets: MemorySecrets, answers: Array<RegistryLogin | undefined>) {
      const asked: string[] = [];
      const resolve = new RegistryCredentialResolver({ secrets, env, helperTimeoutMs: 300, ask: async (registry, reason) => {
        asked.push(`${registry}: ${reason}`);
        return answers.shift();
      } });
      return { resolve, asked };
    }

    /** A push stand-in: accepts only `good`'s password. */
    const pushAccepting = (good: string, seen: RegistryCredentials[]) => async (credentials: RegistryCredentials) => {
      seen.push(credentials);
      if (credentials.auth.password !== good) throw refused();
      return 'pushed';
    };

    it('tries without credentials first, asks when the registry wants a login, and keeps the login once it worked', async () => {
      const secrets = new MemorySecrets();
      const { resolve, asked } = resolver(secrets, [{ username: 'tester', password: 'right' }]);
      const seen: RegistryCredentials[] = [];
      assert.equal(await resolve.withCredentials(REGISTRY, pushAccepting('right', seen)), 'pushed');
      assert.deepEqual(seen.map((c) => c.source.kind), ['none', 'asked']);
      assert.deepEqual(asked, [`${REGISTRY}: ${REGISTRY} asks for a login`]);
      assert.deepEqual(JSON.parse(secrets.values.get(secretKey(REGISTRY))!), { username: 'tester', password: 'right' });

      // Next time the stored login is used, and nobody is asked.
      const again = resolver(secrets, []);
      assert.equal(await again.resolve.withCredentials(REGISTRY, pushAccepting('right', seen)), 'pushed');
      assert.equal(seen.at(-1)?.source.kind, 'secretStorage');
      assert.deepEqual(again.asked, []);
    });

    it('deletes a stored login the registry refuses and asks once more', async () => {
      const secrets = new MemorySecrets();
      secrets.values.set(secretKey(REGISTRY), JSON.stringify({ username: 'tester', password: 'old' }));
      const { resolve, asked } = resolver(secrets, [{ username: 'tester', password: 'new' }]);
      const seen: RegistryCredentials[] = [];
      assert.equal(await resolve.withCredentials(REGISTRY, pushAccepting('new', seen)), 'pushed');
      assert.deepEqual(secrets.deleted, [secretKey(REGISTRY)]);
      assert.match(asked[0], /refused the stored login of tester/);
      assert.equal(JSON.parse(secrets.values.get(secretKey(REGISTRY))!).password, 'new');
    });

    it('keeps nothing and asks no more than once when the login entered is refused too', async () => {
      const secrets = new MemorySecrets();
      const { resolve, asked } = resolver(secrets, [{ username: 'tester', password: 'wrong' }, { username: 'tester', password: 'right' }]);
      const attempt = async (credentials: RegistryCredentials) => {
        if (credentials.auth.password !== 'right') throw new RegistryLoginRefusedError(REGISTRY, credentials.source, credentials.auth.username, 'unauthorized');
        return 'pushed';
      };
      await assert.rejects(resolve.withCredentials(REGISTRY, attempt), (error: Error) => {
        assert.ok(error instanceof RegistryLoginRefusedError);
        assert.equal(error.message, `The registry refused the credentials for ${REGISTRY} (user tester): check the user and password (as entered: they were not kept, and Push Image asks again next time).`);
        assert.ok(!error.message.includes('wrong'), 'the password never appears');
        return true;
      });
      assert.equal(asked.length, 1);
      assert.equal(secrets.values.size, 0);
    });

    it('does not ask over the docker config\'s credentials: the message says to fix them there', async () => {
      await writeConfig({ auths: { [REGISTRY]: { auth: basic('alice', 'stale') } } });
      const { resolve, asked } = resolver(new MemorySecrets(), [{ username: 'x', password: 'y' }]);
      await assert.rejects(resolve.withCredentials(REGISTRY, async (c) => {
        throw new RegistryLoginRefusedError(REGISTRY, c.source, c.auth.username, 'unauthorized');
      }), /refused the credentials for registry\.example\.com:5000 \(user alice\): check the user and password \(from your docker config, .*config\.json: run docker login registry\.example\.com:5000 to replace them\)/);
      assert.deepEqual(asked, []);
    });

    it('is cancelled, silently, when the user dismisses the prompt; other failures pass through', async () => {
      const { resolve } = resolver(new MemorySecrets(), [undefined]);
      await assert.rejects(resolve.withCredentials(REGISTRY, async () => {
        throw refused();
      }), CancelledError);
      const other = resolver(new MemorySecrets(), []);
      await assert.rejects(other.resolve.withCredentials(REGISTRY, async () => {
        throw new RegistryError(REGISTRY, 'unreachable', 'connection refused');
      }), /connection refused/);
      assert.deepEqual(other.asked, []);
    });
  });
});
