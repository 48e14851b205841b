import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isValidTag, parseRepository, pushDestination, registryOf, splitReference } from '../../src/core/imageReference';

function problem(text: string): string {
  const parsed = parseRepository(text);
  assert.ok('problem' in parsed, `${text} should be refused`);
  return parsed.problem;
}

describe('parseRepository', () => {
  it('reads the registry host[:port] and the path, as Docker does', () => {
    assert.deepEqual(parseRepository('registry.example.com/team/hello'), { name: 'registry.example.com/team/hello', registry: 'registry.example.com', path: 'team/hello' });
    assert.deepEqual(parseRepository('127.0.0.1:5001/hello'), { name: '127.0.0.1:5001/hello', registry: '127.0.0.1:5001', path: 'hello' });
    assert.deepEqual(parseRepository('localhost/hello'), { name: 'localhost/hello', registry: 'localhost', path: 'hello' });
    assert.deepEqual(parseRepository('Registry.Example.com:443/a.b/c__d/e--f'), { name: 'Registry.Example.com:443/a.b/c__d/e--f', registry: 'Registry.Example.com:443', path: 'a.b/c__d/e--f' });
  });

  it('sends a name without a registry host to Docker Hub', () => {
    assert.deepEqual(parseRepository('myuser/hello'), { name: 'myuser/hello', registry: 'docker.io', path: 'myuser/hello' });
  });

  it('refuses capitals, other characters and misplaced separators, naming the part', () => {
    assert.match(problem('registry.example.com/Team/hello'), /"Team" has capital letters: repository names are lowercase/);
    assert.match(problem('registry.example.com/team/hel!o'), /"hel!o" may hold only lowercase letters and digits/);
    assert.match(problem('registry.example.com/team/-hello'), /"-hello" may hold only/);
    assert.match(problem('registry.example.com/team/a..b'), /"a..b" may hold only/);
    assert.match(problem('registry.example.com//hello'), /empty part/);
    assert.match(problem('registry.example.com/team/'), /empty part/);
  });

  it('refuses a tag, a digest, a scheme, spaces and an empty value, saying what to write', () => {
    assert.match(problem('registry.example.com/team/hello:v1'), /has a tag \(":v1"\): write the repository alone; Push Image tags with the content digest/);
    assert.match(problem(`registry.example.com/hello@sha256:${'a'.repeat(64)}`), /has a digest/);
    assert.match(problem('https://registry.example.com/hello'), /without a scheme/);
    assert.match(problem('registry.example.com/my hello'), /space/);
    assert.match(problem('  '), /empty/);
    assert.match(problem(`r.io/${'a'.repeat(260)}`), /over Docker's limit of 255/);
  });

  it('refuses a bad registry host or port', () => {
    assert.match(problem('registry_x.example.com/hello'), /registry "registry_x.example.com" is not a host name/);
    assert.match(problem('registry.example.com:99999/hello'), /invalid port \("99999"\)/);
    assert.match(problem('registry.example.com:/hello'), /invalid port/);
    assert.match(problem('127.0.0.1:5001'), /names only a registry: add the repository, e.g. 127.0.0.1:5001\/hello/);
  });
});

describe('isValidTag', () => {
  it('takes Docker tags: a word character, then up to 127 of word characters, "." and "-"', () => {
    for (const tag of ['0123456789ab', 'latest', 'v1.2-rc_3', 'A'.repeat(128)]) assert.ok(isValidTag(tag), tag);
    for (const tag of ['', '-x', '.x', 'a/b', 'a:b', 'A'.repeat(129)]) assert.ok(!isValidTag(tag), tag);
  });
});

describe('pushDestination', () => {
  const setting = { value: 'registry.example.com/team', source: 'user settings' };

  it('takes fn.json "image" first, then the registry setting plus the function name', () => {
    assert.deepEqual(pushDestination('hello', 'other.example.com/x/hello', setting), {
      repository: { name: 'other.example.com/x/hello', registry: 'other.example.com', path: 'x/hello' },
      configuredBy: 'fn.json "image"',
    });
    const fromSetting = pushDestination('hello', undefined, { value: '127.0.0.1:5001/', source: 'user settings' });
    assert.ok(!('problem' in fromSetting));
    assert.equal(fromSetting.repository.name, '127.0.0.1:5001/hello');
    assert.equal(fromSetting.configuredBy, 'the localServerless.registry setting (user settings)');
  });

  it('says what to set when neither is there', () => {
    const result = pushDestination('hello', undefined, undefined);
    assert.ok('problem' in result);
    assert.match(result.problem, /set localServerless.registry \(e.g. registry.example.com\/team\) or "image" in the function's fn.json/);
    assert.ok('problem' in pushDestination('hello', undefined, { value: '  ', source: 'user settings' }));
  });

  it('names the value and where it came from when it is not valid', () => {
    const image = pushDestination('hello', 'Registry.example.com/Team/hello:1', setting);
    assert.ok('problem' in image);
    assert.match(image.problem, /^fn.json "image" \("Registry.example.com\/Team\/hello:1"\) is not an image repository: it has a tag/);
    const fromSetting = pushDestination('hello', undefined, { value: 'https://registry.example.com', source: 'user settings' });
    assert.ok('problem' in fromSetting);
    assert.match(fromSetting.problem, /^the localServerless.registry setting \(user settings\) \("https:\/\/registry.example.com"\) does not make an image repository with hello: write it without a scheme/);
  });

  it('refuses an fn.json image that would be an official Docker Hub image', () => {
    const result = pushDestination('hello', 'hello', setting);
    assert.ok('problem' in result);
    assert.match(result.problem, /official Docker Hub image \(docker.io\/library\/hello\): include the registry/);
  });
});

describe('splitReference and registryOf', () => {
  it('tell a registry port from a tag, and find the registry', () => {
    assert.deepEqual(splitReference('127.0.0.1:5001/hello:0123456789ab'), { repository: '127.0.0.1:5001/hello', tag: '0123456789ab', digest: undefined });
    assert.deepEqual(splitReference('127.0.0.1:5001/hello'), { repository: '127.0.0.1:5001/hello', digest: undefined });
    assert.deepEqual(splitReference('r.io/hello@sha256:ab'), { repository: 'r.io/hello', digest: 'sha256:ab' });
    assert.deepEqual(splitReference('r.io/hello:1@sha256:ab'), { repository: 'r.io/hello', tag: '1', digest: 'sha256:ab' });
    assert.equal(registryOf('127.0.0.1:5001/hello:1'), '127.0.0.1:5001');
    assert.equal(registryOf('localhost/hello'), 'localhost');
    assert.equal(registryOf('myuser/hello:1'), 'docker.io');
    assert.equal(registryOf('hello'), 'docker.io');
  });
});
