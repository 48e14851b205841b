import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readDockerfile } from '../../src/core/dockerfile';

describe('readDockerfile: EXPOSE', () => {
  it('reads a single port', () => {
    assert.deepEqual(readDockerfile('FROM node:20\nEXPOSE 3000\n').exposedPorts, [3000]);
  });

  it('reads several ports, with or without a protocol, in order', () => {
    const text = 'FROM node:20\nEXPOSE 8080/tcp 9229\nexpose 5353/udp\n';
    assert.deepEqual(readDockerfile(text).exposedPorts, [8080, 9229, 5353]);
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

describe('readDockerfile: base image and runtime', () => {
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
