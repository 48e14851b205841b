import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { describeFunction, type FunctionSpec } from '../../src/core/functionSpec';
import { imageTag, LABEL_FOLDER, LABEL_FUNCTION, LABEL_KIND, LABEL_OWNER, LEGACY_LABEL_WORKSPACE, ownerId } from '../../src/core/names';
import { describeRun, planBuild, planJob, planRun } from '../../src/core/plan';

const FOLDER = path.join(path.sep, 'ws', 'hello');
const WS = ownerId({ folder: path.join(path.sep, 'ws'), uriScheme: 'vscode', remoteName: '', globalStoragePath: '/storage', host: '' });

function spec(config: object = {}): FunctionSpec {
  const result = describeFunction({ folder: FOLDER, dockerfileText: 'FROM node:20\nEXPOSE 3000\n', configText: JSON.stringify(config) });
  assert.deepEqual(result.problems, []);
  return result;
}

describe('planRun', () => {
  it('publishes the container port on 127.0.0.1 only, at the chosen host port', () => {
    const run = planRun(spec(), WS, 49152);
    assert.equal(run.hostIp, '127.0.0.1');
    assert.equal(run.hostPort, 49152);
    assert.equal(run.containerPort, 3000);
  });

  it('runs with an init process so signals reach the server and zombies are reaped', () => {
    assert.equal(planRun(spec(), WS, 49152).init, true);
  });

  it('runs the image built for this function and workspace', () => {
    assert.equal(planRun(spec(), WS, 49152).image, imageTag('hello', WS));
  });

  it('labels the container with its owner (this VS Code instance and folder), function and folder', () => {
    const { labels } = planRun(spec(), WS, 49152);
    assert.equal(labels[LABEL_OWNER], WS);
    assert.equal(labels[LABEL_FUNCTION], 'hello');
    assert.equal(labels[LABEL_FOLDER], FOLDER);
    assert.ok('local-serverless.owner' in labels);
    assert.ok('local-serverless.function' in labels);
  });

  it('leaves out the folder-only label of older versions: an older version on the same folder never adopts or removes it', () => {
    const { labels } = planRun(spec(), WS, 49152);
    assert.equal(LEGACY_LABEL_WORKSPACE, 'local-serverless.workspace');
    assert.ok(!(LEGACY_LABEL_WORKSPACE in labels));
  });

  it('tells the server its port through PORT', () => {
    assert.equal(planRun(spec({ port: 5000 }), WS, 49152).env.PORT, '5000');
  });

  it('converts memoryMb to bytes and cpus to nano-CPUs', () => {
    const run = planRun(spec({ memoryMb: 256, cpus: 0.5 }), WS, 49152);
    assert.equal(run.memoryBytes, 256 * 1024 * 1024);
    assert.equal(run.nanoCpus, 500_000_000);
  });

  it('sets no limits when fn.json sets none', () => {
    const run = planRun(spec(), WS, 49152);
    assert.equal(run.memoryBytes, undefined);
    assert.equal(run.nanoCpus, undefined);
  });

  it('passes env file values to the container, with fn.json env taking precedence', () => {
    const run = planRun(spec({ env: { SHARED: 'from-fn-json', PLAIN: 'p' } }), WS, 49152, { API_KEY: 's3cr3t-value', SHARED: 'from-env-file' });
    assert.equal(run.env.API_KEY, 's3cr3t-value');
    assert.equal(run.env.SHARED, 'from-fn-json');
    assert.equal(run.env.PLAIN, 'p');
  });
});

describe('describeRun', () => {
  it('names env variables but never prints their values', () => {
    const secret = 's3cr3t-value-0123456789';
    const run = planRun(spec({ env: { GREETING: 'visible-but-still-not-logged' } }), WS, 49152, { API_KEY: secret });
    assert.equal(run.env.API_KEY, secret);
    const text = describeRun(run);
    assert.ok(!text.includes(secret), text);
    assert.ok(!text.includes('visible-but-still-not-logged'), text);
    assert.match(text, /\bAPI_KEY\b/);
    assert.match(text, /\bGREETING\b/);
    assert.match(text, /\bPORT\b/);
  });

  it('says where the function is published and its limits', () => {
    const text = describeRun(planRun(spec({ memoryMb: 128, cpus: 1.5 }), WS, 49152));
    assert.ok(text.includes('127.0.0.1:49152'));
    assert.ok(text.includes('3000'));
    assert.ok(text.includes('memory 128 MiB'));
    assert.ok(text.includes('cpus 1.5'));
    assert.ok(!text.includes('\n'));
  });
});

describe('planJob', () => {
  it('runs the function\'s image with its labels, marked as a job, and publishes no port', () => {
    const job = planJob(spec(), WS);
    assert.equal(job.image, imageTag('hello', WS));
    assert.equal(job.labels[LABEL_OWNER], WS);
    assert.equal(job.labels[LABEL_FUNCTION], 'hello');
    assert.equal(job.labels[LABEL_KIND], 'job');
    assert.ok(!('hostPort' in job) && !('containerPort' in job));
    assert.equal(job.init, true);
  });

  it('passes the env file and fn.json env (fn.json wins) and the limits, but no PORT: nothing listens', () => {
    const job = planJob(spec({ env: { SHARED: 'fn', PLAIN: 'p' }, memoryMb: 64, cpus: 0.25 }), WS, { API_KEY: 'k', SHARED: 'file' });
    assert.deepEqual(job.env, { API_KEY: 'k', SHARED: 'fn', PLAIN: 'p' });
    assert.equal(job.memoryBytes, 64 * 1024 * 1024);
    assert.equal(job.nanoCpus, 250_000_000);
  });

  it('is described as a job, naming env variables without their values', () => {
    const text = describeRun({ ...planJob(spec(), WS, { API_KEY: 's3cr3t' }), stdin: true });
    assert.match(text, /as a job, payload on stdin, env API_KEY$/);
    assert.ok(!text.includes('s3cr3t'));
  });
});

describe('planBuild', () => {
  it('builds the function folder with its Dockerfile, tagged with the function and workspace', () => {
    const build = planBuild(spec(), WS, ['Dockerfile', 'handler.js'], 'ab'.repeat(32));
    assert.equal(build.contextDir, FOLDER);
    assert.equal(build.dockerfile, 'Dockerfile');
    assert.deepEqual(build.files, ['Dockerfile', 'handler.js']);
    assert.equal(build.tag, imageTag('hello', WS));
    assert.ok(build.tag.includes(WS), 'the tag alone finds the workspace\'s images');
  });

  it('labels the image with the content digest of its context', () => {
    assert.deepEqual(planBuild(spec(), WS, ['Dockerfile'], 'ab'.repeat(32)).labels, { 'local-serverless.digest': 'ab'.repeat(32) });
  });

  it("builds in the host's network only when asked, without changing the content digest label", () => {
    const host = planBuild(spec(), WS, ['Dockerfile'], 'ab'.repeat(32), 'host');
    assert.equal(host.network, 'host');
    assert.deepEqual(host.labels, planBuild(spec(), WS, ['Dockerfile'], 'ab'.repeat(32)).labels);
    assert.equal('network' in planBuild(spec(), WS, ['Dockerfile'], 'ab'.repeat(32)), false, 'the engine default: no networkmode at all');
  });
});
