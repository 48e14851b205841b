import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_SCALE } from '../../src/core/scaling';
import { DEFAULT_PORT, DEFAULT_TIMEOUT_SECONDS, describeFunction, discoveryExcludeGlob, markDuplicateNames } from '../../src/core/functionSpec';

const ROOT = path.join(path.sep, 'ws');

describe('describeFunction', () => {
  it('defaults everything from the folder and Dockerfile when there is no fn.json', () => {
    const folder = path.join(ROOT, 'hello');
    const spec = describeFunction({ folder, dockerfileText: 'FROM node:20\nEXPOSE 3000\n' });
    assert.equal(spec.name, 'hello');
    assert.equal(spec.folder, folder);
    assert.equal(spec.dockerfile, path.join(folder, 'Dockerfile'));
    assert.equal(spec.runtime, 'node');
    assert.equal(spec.port, 3000);
    assert.equal(spec.portSource, 'EXPOSE');
    assert.deepEqual(spec.scale, DEFAULT_SCALE, 'one instance at most, scaled to zero after 300 s idle');
    assert.deepEqual(spec.invoke, { method: 'POST', path: '/' });
    assert.deepEqual(spec.env, {});
    assert.equal(spec.timeoutSeconds, DEFAULT_TIMEOUT_SECONDS);
    assert.deepEqual(spec.sync, []);
    assert.deepEqual(spec.rebuild, ['Dockerfile']);
    assert.equal(spec.configFile, undefined);
    assert.deepEqual(spec.problems, []);
  });

  it('uses the first EXPOSE port', () => {
    const spec = describeFunction({ folder: path.join(ROOT, 'a'), dockerfileText: 'FROM node:20\nEXPOSE 9000 9229\n' });
    assert.equal(spec.port, 9000);
  });

  it('takes its port from the final stage\'s first TCP EXPOSE, with ARG defaults resolved', () => {
    const dockerfileText = 'FROM node:20 AS builder\nEXPOSE 3000\nRUN npm run build\n'
      + 'FROM node:20-slim\nARG PORT=8081\nEXPOSE 53/udp\nEXPOSE ${PORT}\n';
    assert.equal(describeFunction({ folder: path.join(ROOT, 'a'), dockerfileText }).port, 8081);
  });

  it('falls back to port 8080 without EXPOSE or fn.json port', () => {
    const spec = describeFunction({ folder: path.join(ROOT, 'a'), dockerfileText: 'FROM python:3.11\n' });
    assert.equal(DEFAULT_PORT, 8080);
    assert.equal(spec.port, 8080);
    assert.equal(spec.portSource, 'default', 'neither EXPOSE nor fn.json named it: the function may be a job');
    assert.equal(spec.runtime, 'python');
  });

  it('derives a lowercase, image-safe name from a folder name', () => {
    const spec = describeFunction({ folder: path.join(ROOT, 'My Function'), dockerfileText: 'FROM node:20\n' });
    assert.equal(spec.name, 'my-function');
  });

  it('lets fn.json override the defaults', () => {
    const folder = path.join(ROOT, 'folder-name');
    const configText = JSON.stringify({
      name: 'api',
      port: 5000,
      hostPort: 18080,
      invoke: { method: 'GET', path: '/health' },
      env: { A: '1' },
      envFile: '.env',
      memoryMb: 256,
      cpus: 0.5,
      timeoutSeconds: 5,
      sync: ['**/*.js'],
      rebuild: ['Dockerfile', 'package.json'],
    });
    const spec = describeFunction({ folder, dockerfileText: 'FROM node:20\nEXPOSE 3000\n', configText });
    assert.equal(spec.name, 'api');
    assert.equal(spec.port, 5000);
    assert.equal(spec.portSource, 'fn.json');
    assert.equal(spec.warnings.length, 1, 'hostPort is valid but ignored: a warning');
    assert.match(spec.warnings[0].message, /"hostPort" is ignored: .*gateway/);
    assert.deepEqual(spec.problems, [], 'a warning does not make the function misconfigured');
    assert.deepEqual(spec.invoke, { method: 'GET', path: '/health' });
    assert.deepEqual(spec.env, { A: '1' });
    assert.equal(spec.envFile, '.env');
    assert.equal(spec.memoryMb, 256);
    assert.equal(spec.cpus, 0.5);
    assert.equal(spec.timeoutSeconds, 5);
    assert.deepEqual(spec.sync, ['**/*.js']);
    assert.deepEqual(spec.rebuild, ['Dockerfile', 'package.json']);
    assert.equal(spec.configFile, path.join(folder, 'fn.json'));
    assert.deepEqual(spec.problems, []);
  });

  it('keeps the default method when fn.json sets only the invoke path', () => {
    const spec = describeFunction({ folder: path.join(ROOT, 'a'), dockerfileText: 'FROM node:20\n', configText: '{ "invoke": { "path": "/run" } }' });
    assert.deepEqual(spec.invoke, { method: 'POST', path: '/run' });
  });

  it('marks a function with a broken fn.json as misconfigured and keeps safe defaults', () => {
    const folder = path.join(ROOT, 'broken');
    const spec = describeFunction({ folder, dockerfileText: 'FROM node:20\nEXPOSE 3000\n', configText: '{ "port": "abc" }' });
    assert.equal(spec.problems.length, 1);
    assert.equal(spec.name, 'broken');
    assert.equal(spec.port, 3000);
    assert.equal(spec.portSource, 'EXPOSE', 'an invalid fn.json port is not where the port came from');
    assert.equal(spec.configFile, path.join(folder, 'fn.json'));
  });

  it('says the port came from fn.json when fn.json sets the same port the Dockerfile exposes, and when there is no EXPOSE', () => {
    assert.equal(describeFunction({ folder: path.join(ROOT, 'a'), dockerfileText: 'FROM node:20\nEXPOSE 8080\n', configText: '{ "port": 8080 }' }).portSource, 'fn.json');
    assert.equal(describeFunction({ folder: path.join(ROOT, 'a'), dockerfileText: 'FROM node:20\n', configText: '{ "port": 8080 }' }).portSource, 'fn.json');
  });

  it('counts only TCP EXPOSE lines of the final stage: a UDP-only EXPOSE leaves the default port', () => {
    assert.equal(describeFunction({ folder: path.join(ROOT, 'a'), dockerfileText: 'FROM node:20\nEXPOSE 53/udp\n' }).portSource, 'default');
    assert.equal(describeFunction({ folder: path.join(ROOT, 'a'), dockerfileText: 'FROM node:20 AS build\nEXPOSE 3000\nFROM python:3.11\n' }).portSource, 'default');
  });

  it('marks a function whose fn.json was left unread for its size as misconfigured, saying so on fn.json', () => {
    const folder = path.join(ROOT, 'huge');
    const spec = describeFunction({ folder, dockerfileText: 'FROM node:20\n', oversizedConfigBytes: 5 * 1024 * 1024 });
    assert.equal(spec.configFile, path.join(folder, 'fn.json'));
    assert.equal(spec.problems.length, 1);
    assert.match(spec.problems[0].message, /fn\.json is 5\.0 MB, over the 1 MB limit/);
  });

  it('reports invalid JSON in fn.json as a problem', () => {
    const spec = describeFunction({ folder: path.join(ROOT, 'a'), dockerfileText: 'FROM node:20\n', configText: '{ nope' });
    assert.ok(spec.problems.length > 0);
  });
});

describe('markDuplicateNames', () => {
  const spec = (folder: string, configText?: string) => describeFunction({ folder: path.join(ROOT, folder), dockerfileText: 'FROM node:20\n', configText });

  it('leaves unique names alone', () => {
    const specs = [spec('a'), spec('b')];
    const marked = markDuplicateNames(specs);
    assert.ok(marked.every((s) => s.problems.length === 0));
  });

  it('gives every function after the first with the same name a problem naming the first', () => {
    const marked = markDuplicateNames([spec('z', '{"name":"same"}'), spec('a', '{"name":"same"}'), spec('m', '{"name":"same"}')]);
    const byFolder = new Map(marked.map((s) => [path.basename(s.folder), s]));
    assert.equal(byFolder.get('a')!.problems.length, 0, 'the first folder in path order keeps the name');
    for (const folder of ['m', 'z']) {
      const problems = byFolder.get(folder)!.problems;
      assert.equal(problems.length, 1);
      assert.match(problems[0].message, /already named "same"/);
      assert.ok(problems[0].message.includes(path.join(ROOT, 'a')));
    }
  });

  it('is independent of the order functions were discovered in', () => {
    const forward = markDuplicateNames([spec('a', '{"name":"x"}'), spec('b', '{"name":"x"}')]);
    const backward = markDuplicateNames([spec('b', '{"name":"x"}'), spec('a', '{"name":"x"}')]);
    assert.deepEqual(forward, backward);
  });

  it('keeps existing problems when adding the duplicate one', () => {
    // Two folders both named "a"; the second also has a broken fn.json.
    const marked = markDuplicateNames([spec(path.join('x', 'a')), spec(path.join('y', 'a'), '{"port":"x"}')]);
    const second = marked.find((s) => s.folder === path.join(ROOT, 'y', 'a'))!;
    assert.equal(second.problems.length, 2);
    assert.match(second.problems[1].message, /already named "a"/);
  });

  it('does not modify the specs it was given', () => {
    const input = [spec('a', '{"name":"x"}'), spec('b', '{"name":"x"}')];
    markDuplicateNames(input);
    assert.ok(input.every((s) => s.problems.length === 0));
  });
});

describe('discoveryExcludeGlob', () => {
  /** The comma-separated alternatives inside the `{...}` glob. */
  const alternatives = (glob: string): string[] => {
    assert.ok(glob.startsWith('{') && glob.endsWith('}'), glob);
    return glob.slice(1, -1).split(',');
  };

  it('always leaves out node_modules and .git', () => {
    const parts = alternatives(discoveryExcludeGlob({}, []));
    assert.ok(parts.includes('**/node_modules/**'));
    assert.ok(parts.includes('**/.git/**'));
  });

  it('includes files.exclude entries that are true, not those that are false or conditional', () => {
    const parts = alternatives(discoveryExcludeGlob({ '**/build': true, '**/dist/**': true, '**/keep': false, '**/*.js': { when: '$(basename).ts' } }, []));
    assert.ok(parts.includes('**/build'));
    assert.ok(parts.includes('**/build/**'), 'an excluded folder also excludes what is inside it');
    assert.ok(parts.includes('**/dist/**'));
    assert.ok(!parts.some((p) => p.includes('keep')));
    assert.ok(!parts.some((p) => p.includes('*.js')));
  });

  it('adds the user globs and lists each glob only once', () => {
    const parts = alternatives(discoveryExcludeGlob({ '**/node_modules/**': true }, ['**/fixtures/**', '**/.git/**']));
    assert.ok(parts.includes('**/fixtures/**'));
    assert.equal(new Set(parts).size, parts.length);
  });
});

describe('scale in fn.json', () => {
  const folder = path.join(ROOT, 'scaled');
  it('fills what fn.json leaves out from the defaults', () => {
    const spec = describeFunction({ folder, dockerfileText: 'FROM node:20\n', configText: '{ "scale": { "max": 3, "concurrency": 1 } }' });
    assert.deepEqual(spec.scale, { ...DEFAULT_SCALE, max: 3, concurrency: 1 });
    assert.equal(spec.portSource, 'default');
  });

  it('refuses min above max, on the field, saying what to change', () => {
    const configText = '{\n  "scale": { "min": 2 }\n}';
    const spec = describeFunction({ folder, dockerfileText: 'FROM node:20\n', configText });
    assert.equal(spec.problems.length, 1);
    assert.match(spec.problems[0].message, /scale.min \(2\) is above scale.max \(1, the default\): raise "max" or lower "min"/);
    assert.equal(configText.slice(spec.problems[0].offset, spec.problems[0].offset + spec.problems[0].length), '2');
    assert.deepEqual(spec.problems[0].range?.start, { line: 1, character: 20 });
  });

  it('refuses unknown scale fields and out-of-range values (schema)', () => {
    for (const configText of ['{ "scale": { "maxx": 3 } }', '{ "scale": { "max": 0 } }', '{ "scale": { "idleSeconds": 0 } }', '{ "scale": { "concurrency": -1 } }']) {
      assert.equal(describeFunction({ folder, dockerfileText: 'FROM node:20\n', configText }).problems.length, 1, configText);
    }
  });
});
