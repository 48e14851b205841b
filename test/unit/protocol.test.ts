import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseFnConfig } from '../../src/core/fnConfig';
import { describeFunction, type FunctionSources } from '../../src/core/functionSpec';
import { describeProtocol, takesCloudEvents } from '../../src/core/protocol';
import { MAX_PROTOCOL_FILE_BYTES, readFunction } from '../../src/core/readFunction';

const FOLDER = path.join(path.sep, 'ws', 'fn');
const NODE_DOCKERFILE = 'FROM node:20-bookworm-slim\nWORKDIR /app\nCOPY . .\nCMD ["npm", "start"]\n';
const FF_PACKAGE = JSON.stringify({ dependencies: { '@google-cloud/functions-framework': '^3.4.0' } });

function protocolOf(sources: Partial<FunctionSources>) {
  return describeFunction({ folder: FOLDER, dockerfileText: NODE_DOCKERFILE, ...sources }).protocol;
}

describe('fn.json "protocol" and "signatureType"', () => {
  it('accepts the three protocols and the three signature types', () => {
    for (const protocol of ['http', 'cloudevents', 'functions-framework']) {
      assert.deepEqual(parseFnConfig(JSON.stringify({ protocol })), { config: { protocol }, problems: [] });
    }
    for (const signatureType of ['http', 'event', 'cloudevent']) {
      assert.deepEqual(parseFnConfig(JSON.stringify({ protocol: 'functions-framework', signatureType })), { config: { protocol: 'functions-framework', signatureType }, problems: [] });
    }
  });

  it('refuses an unknown protocol or signature type on its value', () => {
    const text = '{ "protocol": "grpc" }';
    const { problems } = parseFnConfig(text);
    assert.equal(problems.length, 1);
    assert.equal(text.slice(problems[0].offset, problems[0].offset + problems[0].length), '"grpc"');
    assert.match(problems[0].message, /"protocol" must be equal to one of the allowed values/);
    assert.equal(parseFnConfig('{ "protocol": "functions-framework", "signatureType": "cloudevents" }').problems.length, 1);
  });

  it('warns on "signatureType" without "protocol": "functions-framework", on the key, and ignores it', () => {
    for (const text of ['{ "signatureType": "cloudevent" }', '{ "protocol": "http", "signatureType": "cloudevent" }']) {
      const parsed = parseFnConfig(text);
      assert.deepEqual(parsed.problems, [], 'a warning: the function still runs');
      assert.equal(parsed.warnings?.length, 1);
      const warning = parsed.warnings![0];
      assert.equal(text.slice(warning.offset, warning.offset + warning.length), '"signatureType"');
      assert.match(warning.message, /"signatureType" is ignored with .*Add "protocol": "functions-framework", or remove "signatureType"/);
      const spec = describeFunction({ folder: FOLDER, dockerfileText: NODE_DOCKERFILE, configText: text });
      assert.equal(spec.protocol.kind, 'http');
      assert.equal(spec.protocol.signatureType, undefined);
      assert.equal(takesCloudEvents(spec.protocol), false);
    }
    assert.equal(parseFnConfig('{ "protocol": "functions-framework", "signatureType": "event" }').warnings, undefined);
  });
});

describe('the protocol of a function', () => {
  it('is plain HTTP by default', () => {
    assert.deepEqual(protocolOf({}), { kind: 'http', source: 'default' });
  });

  it('takes fn.json\'s protocol over anything the folder says', () => {
    const sources = { packageJsonText: FF_PACKAGE, funcYamlText: 'invoke: cloudevent\n' };
    assert.deepEqual(protocolOf({ ...sources, configText: '{ "protocol": "http" }' }), { kind: 'http', source: 'fn.json' });
    assert.deepEqual(protocolOf({ configText: '{ "protocol": "cloudevents" }' }), { kind: 'cloudevents', source: 'fn.json' });
    assert.deepEqual(protocolOf({ configText: '{ "protocol": "functions-framework", "signatureType": "event" }', dockerfileText: 'FROM node:20\nCMD npx functions-framework --signature-type=cloudevent\n' }),
      { kind: 'functions-framework', source: 'fn.json', signatureType: 'event', signatureTypeSource: 'fn.json' });
  });

  it('with fn.json\'s functions-framework and no signatureType, reads the signature type where the Functions Framework would', () => {
    const protocol = protocolOf({ configText: '{ "protocol": "functions-framework", "env": { "FUNCTION_SIGNATURE_TYPE": "cloudevent" } }' });
    assert.deepEqual(protocol, { kind: 'functions-framework', source: 'fn.json', signatureType: 'cloudevent', signatureTypeSource: 'fn.json env FUNCTION_SIGNATURE_TYPE=cloudevent' });
    assert.equal(takesCloudEvents(protocol), true);
  });

  it('is the Functions Framework, signature http by default, with its dependency in package.json', () => {
    assert.deepEqual(protocolOf({ packageJsonText: FF_PACKAGE }), {
      kind: 'functions-framework', source: 'package.json dependency @google-cloud/functions-framework', signatureType: 'http', signatureTypeSource: "the Functions Framework's default",
    });
    assert.equal(protocolOf({ packageJsonText: JSON.stringify({ devDependencies: { '@google-cloud/functions-framework': '^3' } }) }).source, 'package.json devDependency @google-cloud/functions-framework');
    assert.equal(protocolOf({ packageJsonText: JSON.stringify({ dependencies: { express: '^4' }, description: '@google-cloud/functions-framework' }) }).kind, 'http', 'only a dependency counts');
    assert.equal(protocolOf({ packageJsonText: '{ not json' }).kind, 'http');
  });

  it('is the Functions Framework with functions-framework in requirements.txt, however pip would spell it', () => {
    for (const line of ['functions-framework==3.5.0', 'Functions_Framework>=3', 'functions.framework[extra] ; python_version >= "3.8"', '  functions-framework  # the server']) {
      assert.deepEqual(protocolOf({ requirementsText: `flask==3.0.0\n${line}\n` }).source, 'requirements.txt functions-framework', line);
    }
    for (const text of ['# functions-framework\nflask\n', 'functions-framework-extras==1\n', '-r functions-framework.txt\n']) {
      assert.equal(protocolOf({ requirementsText: text }).kind, 'http', text);
    }
  });

  it('takes the signature type from --signature-type in package.json\'s scripts, "start" first', () => {
    const packageJsonText = JSON.stringify({
      scripts: { dev: 'functions-framework --target=hello --signature-type=event', start: 'functions-framework --target=hello --signature-type cloudevent' },
      dependencies: { '@google-cloud/functions-framework': '^3' },
    });
    const protocol = protocolOf({ packageJsonText });
    assert.equal(protocol.signatureType, 'cloudevent');
    assert.equal(protocol.signatureTypeSource, 'package.json script "start" --signature-type cloudevent');
    assert.equal(takesCloudEvents(protocol), true);
  });

  it('takes the signature type from the Dockerfile\'s CMD or ENTRYPOINT, exec or shell form, before package.json\'s scripts', () => {
    const packageJsonText = JSON.stringify({ scripts: { start: 'functions-framework --signature-type=http' }, dependencies: { '@google-cloud/functions-framework': '^3' } });
    const exec = protocolOf({ packageJsonText, dockerfileText: 'FROM node:20\nCMD ["npx", "functions-framework", "--target=hello", "--signature-type", "cloudevent"]\n' });
    assert.equal(exec.signatureType, 'cloudevent');
    assert.equal(exec.signatureTypeSource, 'Dockerfile CMD/ENTRYPOINT --signature-type cloudevent');
    const shell = protocolOf({ requirementsText: 'functions-framework\n', dockerfileText: 'FROM python:3.11-slim\nENTRYPOINT exec functions-framework --target=hello --signature-type=event\n' });
    assert.equal(shell.signatureType, 'event');
    const earlierStage = protocolOf({ packageJsonText, dockerfileText: 'FROM node:20 AS build\nCMD ["x", "--signature-type=cloudevent"]\nFROM node:20-slim\nCMD ["npm", "start"]\n' });
    assert.equal(earlierStage.signatureType, 'http', 'a CMD of a stage the image is not built from is not what runs');
  });

  it('takes FUNCTION_SIGNATURE_TYPE from fn.json\'s env over the Dockerfile\'s ENV, and a flag over both', () => {
    const dockerfileText = 'FROM node:20\nENV FUNCTION_SIGNATURE_TYPE=event\nCMD ["npm", "start"]\n';
    assert.deepEqual(protocolOf({ packageJsonText: FF_PACKAGE, dockerfileText }), {
      kind: 'functions-framework', source: 'package.json dependency @google-cloud/functions-framework', signatureType: 'event', signatureTypeSource: 'Dockerfile ENV FUNCTION_SIGNATURE_TYPE=event',
    });
    const configText = '{ "env": { "FUNCTION_SIGNATURE_TYPE": "cloudevent" } }';
    assert.equal(protocolOf({ packageJsonText: FF_PACKAGE, dockerfileText, configText }).signatureType, 'cloudevent');
    const flagged = 'FROM node:20\nENV FUNCTION_SIGNATURE_TYPE=cloudevent\nCMD ["npx", "functions-framework", "--signature-type=http"]\n';
    assert.equal(protocolOf({ packageJsonText: FF_PACKAGE, dockerfileText: flagged, configText }).signatureType, 'http');
    assert.equal(protocolOf({ packageJsonText: FF_PACKAGE, dockerfileText: 'FROM node:20\nENV FUNCTION_SIGNATURE_TYPE=typed\n' }).signatureType, 'http', 'a value we do not know is not taken');
  });

  it('reads a Knative func.yaml\'s invoke: cloudevent as CloudEvents, invoke: http as HTTP, ahead of a dependency', () => {
    assert.deepEqual(protocolOf({ funcYamlText: 'specVersion: 0.36.0\nname: hello\nruntime: node\ninvoke: cloudevent\n' }), { kind: 'cloudevents', source: 'func.yaml invoke: cloudevent' });
    assert.deepEqual(protocolOf({ funcYamlText: 'name: hello\ninvoke: http\n', packageJsonText: FF_PACKAGE }), { kind: 'http', source: 'func.yaml invoke: http' });
    assert.equal(protocolOf({ funcYamlText: 'name: hello\nruntime: node\n', packageJsonText: FF_PACKAGE }).kind, 'functions-framework', 'a func.yaml that does not say leaves it to the rest');
    assert.equal(protocolOf({ funcYamlText: 'invoke: [unclosed\n' }).kind, 'http', 'an unreadable func.yaml says nothing');
  });

  it('says nothing from the folder when fn.json is misconfigured, beyond the defaults', () => {
    assert.equal(protocolOf({ configText: '{ "protocol": "cloudevents", "port": "x" }' }).kind, 'http');
  });
});

describe('describeProtocol', () => {
  it('tags only what is not plain HTTP, and says where the protocol came from', () => {
    assert.deepEqual(describeProtocol({ kind: 'http', source: 'default' }), { summary: 'Protocol: HTTP (the default: nothing in the folder says otherwise). Invoke sends the payload as a JSON POST.' });
    const cloudEvents = describeProtocol({ kind: 'cloudevents', source: 'func.yaml invoke: cloudevent' });
    assert.equal(cloudEvents.tag, 'CloudEvents');
    assert.match(cloudEvents.summary, /^Protocol: CloudEvents \(from func\.yaml invoke: cloudevent\)\. Invoke sends a CloudEvent: binary mode/);
    const ff = describeProtocol({ kind: 'functions-framework', source: 'package.json dependency @google-cloud/functions-framework', signatureType: 'cloudevent', signatureTypeSource: 'Dockerfile ENV FUNCTION_SIGNATURE_TYPE=cloudevent' });
    assert.equal(ff.tag, 'FF cloudevent');
    assert.match(ff.summary, /^Protocol: Functions Framework, signature type cloudevent \(from package\.json dependency @google-cloud\/functions-framework; signature type from Dockerfile ENV FUNCTION_SIGNATURE_TYPE=cloudevent\)\. Invoke sends a CloudEvent/);
    assert.equal(describeProtocol({ kind: 'functions-framework', source: 'fn.json', signatureType: 'event', signatureTypeSource: 'fn.json' }).summary,
      'Protocol: Functions Framework, signature type event (from fn.json). Invoke sends the payload as a JSON POST.');
  });
});

describe('readFunction reads the files that say the protocol', () => {
  let base: string;
  let fn: string;
  before(async () => {
    base = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'ls-protocol-')));
    fn = path.join(base, 'workspace', 'hello');
    await fs.mkdir(fn, { recursive: true });
    await fs.mkdir(path.join(base, 'outside'));
    await fs.writeFile(path.join(fn, 'Dockerfile'), NODE_DOCKERFILE);
  });
  after(async () => {
    await fs.rm(base, { recursive: true, force: true });
  });
  const read = () => readFunction(path.join(fn, 'Dockerfile'), path.dirname(fn));

  it('detects the Functions Framework from package.json and its signature from func.yaml-less scripts', async () => {
    await fs.writeFile(path.join(fn, 'package.json'), JSON.stringify({ scripts: { start: 'functions-framework --signature-type=cloudevent' }, dependencies: { '@google-cloud/functions-framework': '^3' } }));
    const { protocol } = await read();
    assert.equal(protocol.kind, 'functions-framework');
    assert.equal(protocol.signatureType, 'cloudevent');
    await fs.rm(path.join(fn, 'package.json'));
  });

  it('reads func.yaml', async () => {
    await fs.writeFile(path.join(fn, 'func.yaml'), 'invoke: cloudevent\n');
    assert.equal((await read()).protocol.kind, 'cloudevents');
    await fs.rm(path.join(fn, 'func.yaml'));
  });

  it('does not read through a link that leads out of the folder, nor a file over the size cap', async () => {
    await fs.writeFile(path.join(base, 'outside', 'requirements.txt'), 'functions-framework\n');
    await fs.symlink(path.join(base, 'outside', 'requirements.txt'), path.join(fn, 'requirements.txt'));
    assert.equal((await read()).protocol.kind, 'http');
    await fs.rm(path.join(fn, 'requirements.txt'));
    await fs.writeFile(path.join(fn, 'requirements.txt'), `functions-framework\n${'#'.repeat(MAX_PROTOCOL_FILE_BYTES)}\n`);
    assert.equal((await read()).protocol.kind, 'http');
    await fs.writeFile(path.join(fn, 'requirements.txt'), 'functions-framework\n');
    assert.equal((await read()).protocol.kind, 'functions-framework', 'the same file, small, is read');
    await fs.rm(path.join(fn, 'requirements.txt'));
  });
});
