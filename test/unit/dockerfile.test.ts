import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readDockerfile } from '../../src/core/dockerfile';

describe('readDockerfile: EXPOSE', () => {
  it('reads a single port', () => {
    assert.deepEqual(readDockerfile('FROM node:20\nEXPOSE 3000\n').exposedPorts, [3000]);
  });

  it('reads several TCP ports, with or without a protocol, in order', () => {
    const text = 'FROM node:20\nEXPOSE 8080/tcp 9229\nexpose 3000/TCP\n';
    assert.deepEqual(readDockerfile(text).exposedPorts, [8080, 9229, 3000]);
  });

  it('skips UDP (and SCTP) ports: the function is reached over HTTP', () => {
    assert.deepEqual(readDockerfile('FROM coredns\nEXPOSE 53/udp\nEXPOSE 9153\n').exposedPorts, [9153]);
    assert.deepEqual(readDockerfile('FROM x\nEXPOSE 53/udp 5000/sctp 8080/tcp\n').exposedPorts, [8080]);
    assert.deepEqual(readDockerfile('FROM x\nEXPOSE 53/udp\n').exposedPorts, []);
  });

  it('joins line continuations', () => {
    const text = 'FROM node:20\nEXPOSE 80 \\\n  443/tcp \\\r\n  8443\nCMD ["node"]\n';
    assert.deepEqual(readDockerfile(text).exposedPorts, [80, 443, 8443]);
  });

  it('ignores commented-out EXPOSE lines and out-of-range ports', () => {
    const text = 'FROM node:20\n# EXPOSE 1234\nEXPOSE 0 70000 abc 8080\n';
    assert.deepEqual(readDockerfile(text).exposedPorts, [8080]);
  });

  it('has no ports when there is no EXPOSE', () => {
    assert.deepEqual(readDockerfile('FROM node:20\nCMD ["node", "server.js"]\n').exposedPorts, []);
  });
});

describe('readDockerfile: EXPOSE with variables', () => {
  const port = (text: string) => readDockerfile(text).exposedPorts;

  it('resolves ${PORT} and $PORT from an ARG default in the stage', () => {
    assert.deepEqual(port('FROM node:20\nARG PORT=8081\nEXPOSE ${PORT}\n'), [8081]);
    assert.deepEqual(port('FROM node:20\nARG PORT=8082\nEXPOSE $PORT\n'), [8082]);
  });

  it('resolves from ENV in both its forms, quoted or not, several pairs on one line', () => {
    assert.deepEqual(port('FROM node:20\nENV PORT=8083\nEXPOSE ${PORT}\n'), [8083]);
    assert.deepEqual(port('FROM node:20\nENV PORT 8084\nEXPOSE $PORT\n'), [8084]);
    assert.deepEqual(port('FROM node:20\nENV NODE_ENV=production PORT="8085"\nEXPOSE $PORT/tcp\n'), [8085]);
  });

  it('lets ENV win over an ARG of the same name, and ENV refer to an ARG', () => {
    assert.deepEqual(port('FROM node:20\nARG PORT=1111\nENV PORT=8086\nEXPOSE $PORT\n'), [8086]);
    assert.deepEqual(port('FROM node:20\nARG BASE=8087\nENV PORT=${BASE}\nEXPOSE $PORT\n'), [8087]);
  });

  it('uses the default of ${PORT:-8080} when PORT is unset, and the value when set', () => {
    assert.deepEqual(port('FROM node:20\nEXPOSE ${PORT:-8088}\n'), [8088]);
    assert.deepEqual(port('FROM node:20\nARG PORT\nEXPOSE ${PORT:-8089}\n'), [8089]);
    assert.deepEqual(port('FROM node:20\nENV PORT=9000\nEXPOSE ${PORT:-8089}\n'), [9000]);
  });

  it('reads a variable only after its declaration', () => {
    assert.deepEqual(port('FROM node:20\nEXPOSE $PORT\nARG PORT=8090\n'), []);
  });

  it('takes a global ARG (before the first FROM) into a stage only where the stage re-declares it', () => {
    assert.deepEqual(port('ARG PORT=8091\nFROM node:20\nARG PORT\nEXPOSE $PORT\n'), [8091]);
    assert.deepEqual(port('ARG PORT=8092\nFROM node:20\nEXPOSE $PORT\n'), []);
    assert.deepEqual(port('ARG PORT=8093\nFROM node:20\nARG PORT=9001\nEXPOSE $PORT\n'), [9001]);
  });

  it('leaves a port it cannot resolve out, so the default applies', () => {
    assert.deepEqual(port('FROM node:20\nEXPOSE $UNSET 8094\n'), [8094]);
  });
});

describe('readDockerfile: multi-stage builds', () => {
  const port = (text: string) => readDockerfile(text).exposedPorts;

  it('counts only EXPOSE in the final stage', () => {
    const text = 'FROM node:20 AS builder\nEXPOSE 3000\nRUN npm run build\nFROM node:20-slim\nCOPY --from=builder /app /app\nEXPOSE 8095\n';
    assert.deepEqual(port(text), [8095]);
  });

  it('has no port from an earlier stage when the final stage exposes none', () => {
    assert.deepEqual(port('FROM node:20 AS builder\nEXPOSE 3000\nFROM gcr.io/distroless/nodejs20\nCMD ["server.js"]\n'), []);
  });

  it('does not carry ARG or ENV from an earlier stage into an unrelated one', () => {
    assert.deepEqual(port('FROM node:20 AS builder\nENV PORT=3000\nARG P=3001\nFROM node:20\nEXPOSE $PORT $P\n'), []);
  });

  it('inherits EXPOSE and ENV from the stage the final stage is built FROM, as the image does', () => {
    assert.deepEqual(port('FROM node:20 AS base\nEXPOSE 8096\nFROM base\nCMD ["node"]\n'), [8096]);
    assert.deepEqual(port('FROM node:20 AS Base\nENV PORT=8097\nFROM base AS final\nEXPOSE $PORT\n'), [8097]);
  });
});

describe('readDockerfile: base image and runtime', () => {
  it('resolves a base image named by a global ARG', () => {
    const facts = readDockerfile('ARG BASE=python:3.12-slim\nFROM ${BASE}\n');
    assert.equal(facts.baseImage, 'python:3.12-slim');
    assert.equal(facts.runtime, 'python');
  });

  it('follows a final stage built FROM an earlier stage to that stage\'s image', () => {
    const facts = readDockerfile('FROM node:20 AS base\nRUN npm ci\nFROM base\n');
    assert.equal(facts.baseImage, 'node:20');
    assert.equal(facts.runtime, 'node');
  });

  it('uses the last FROM of a multi-stage build', () => {
    const text = 'FROM node:20 AS build\nRUN npm ci\nFROM python:3.11-slim\nCOPY --from=build /app /app\n';
    const facts = readDockerfile(text);
    assert.equal(facts.baseImage, 'python:3.11-slim');
    assert.equal(facts.runtime, 'python');
  });

  it('skips --platform and similar flags on FROM', () => {
    const facts = readDockerfile('FROM --platform=linux/amd64 node:20\n');
    assert.equal(facts.baseImage, 'node:20');
    assert.equal(facts.runtime, 'node');
  });

  const cases: Array<[string, string]> = [
    ['node:20-bookworm-slim', 'node'],
    ['node', 'node'],
    ['docker.io/library/node:20@sha256:abcdef', 'node'],
    ['public.ecr.aws/lambda/nodejs:20', 'node'],
    ['oven/bun:1', 'node'],
    ['python:3.11-slim', 'python'],
    ['PYTHON:3.12', 'python'],
    ['public.ecr.aws/lambda/python:3.12', 'python'],
    ['alpine', 'other'],
    ['alpine:3.20', 'other'],
    ['golang:1.22', 'other'],
    ['mycompany/base-image:1', 'other'],
  ];
  for (const [image, runtime] of cases) {
    it(`detects ${image} as ${runtime}`, () => {
      assert.equal(readDockerfile(`FROM ${image}\n`).runtime, runtime);
    });
  }

  it('reads a lowercase "from" instruction', () => {
    assert.equal(readDockerfile('from node:20\n').runtime, 'node');
  });

  it('is runtime "other" with no base image when there is no FROM', () => {
    const facts = readDockerfile('# empty\n');
    assert.equal(facts.baseImage, undefined);
    assert.equal(facts.runtime, 'other');
  });
});
