import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { describeFunction } from '../../src/core/functionSpec';
import { describeJobResult, formatDuration, mayBeJob } from '../../src/core/jobs';
import { linePrefixer, TextTail } from '../../src/core/outputText';

const spec = (dockerfileText: string, configText?: string) => describeFunction({ folder: path.join(path.sep, 'ws', 'fn'), dockerfileText, configText });

describe('mayBeJob', () => {
  it('a Dockerfile with no EXPOSE and no fn.json port may be a job', () => {
    assert.equal(mayBeJob(spec('FROM python:3.11-slim\nCMD ["python", "-c", "print(1)"]\n')), true);
    assert.equal(mayBeJob(spec('FROM python:3.11-slim\n', '{ "env": { "A": "1" } }')), true);
  });

  it('a port named by EXPOSE or by fn.json means a server: exiting early is a crash, not a job', () => {
    assert.equal(mayBeJob(spec('FROM node:20\nEXPOSE 3000\n')), false);
    assert.equal(mayBeJob(spec('FROM node:20\n', '{ "port": 8080 }')), false);
  });
});

describe('describeJobResult', () => {
  it('says how long a job that exited 0 took, and the exit code of one that failed', () => {
    assert.equal(describeJobResult({ exitCode: 0, durationMs: 312 }), 'completed in 0.3 s (exit 0)');
    assert.equal(describeJobResult({ exitCode: 3, durationMs: 312 }), 'failed (exit 3)');
    assert.equal(describeJobResult({ exitCode: 1, durationMs: 90_000 }), 'failed (exit 1)');
  });

  it('names the signal behind the usual exit codes of a killed process', () => {
    assert.equal(describeJobResult({ exitCode: 137, durationMs: 5 }), 'failed (exit 137: killed, SIGKILL: out of memory, or stopped)');
    assert.equal(describeJobResult({ exitCode: 143, durationMs: 5 }), 'failed (exit 143: terminated, SIGTERM)');
  });

  it('reads durations as a person would say them', () => {
    assert.deepEqual([0, 42.4, 94, 95, 312, 9_940, 9_960, 42_400, 59_400, 59_600, 125_000, 3_600_000].map(formatDuration),
      ['0 ms', '42 ms', '94 ms', '0.1 s', '0.3 s', '9.9 s', '10 s', '42 s', '59 s', '1 min', '2 min 5 s', '60 min']);
  });
});

describe('linePrefixer', () => {
  it('prefixes every line once, also when a line is split across chunks', () => {
    const prefix = linePrefixer('[job] ');
    const out = ['hel', 'lo\nwor', 'ld\n', '\nlast'].map(prefix).join('');
    assert.equal(out, '[job] hello\n[job] world\n[job] \n[job] last');
  });

  it('leaves text alone with an empty prefix', () => {
    assert.equal(linePrefixer('')('a\nb\n'), 'a\nb\n');
  });
});

describe('TextTail', () => {
  it('keeps everything under its limit', () => {
    const tail = new TextTail(10);
    tail.append('abc');
    tail.append('def');
    assert.equal(tail.toString(), 'abcdef');
    assert.equal(tail.truncated, false);
  });

  it('keeps the last characters of a long output, and says it left some out', () => {
    const tail = new TextTail(10);
    for (let i = 0; i < 100; i++) tail.append(`${i % 10}`);
    assert.equal(tail.toString(), '0123456789');
    assert.equal(tail.truncated, true);
    tail.append('x');
    assert.equal(tail.toString(), '123456789x');
  });
});
