import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { NODE_PRELOAD, PYTHON_SITECUSTOMIZE } from '../../src/core/debug';
import { findFreePort } from '../../src/core/ports';
import { poll } from '../support/poll';

// The helpers Debug Function writes into a container, run for real on this machine: NODE_PRELOAD
// under node (this test's own), PYTHON_SITECUSTOMIZE under the system's python3. Every process is
// started in a group of its own, bounded in time, and killed (group and all) after each test.

const PYTHON = '/usr/bin/python3';
const HOST_DEBUGPY = '/usr/lib/python3/dist-packages/debugpy';
const INSPECTOR_PORT = 9229; // NODE_PRELOAD's own port, written into its text

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

interface Started {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves once it has exited (killed or not). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts a process in a group of its own, killed (with everything it started) after the test, or after `maxMs` at most. */
function start(command: string, args: string[], env: NodeJS.ProcessEnv, maxMs = 20_000): Started {
  const child = spawn(command, args, { env, cwd: os.tmpdir(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('close', (code, signal) => resolve({ code, signal }));
    child.once('error', (error) => {
      stderr += String(error);
      resolve({ code: null, signal: null });
    });
  });
  const killGroup = () => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  const cap = setTimeout(killGroup, maxMs);
  cap.unref();
  cleanups.push(async () => {
    clearTimeout(cap);
    killGroup();
    await exited;
  });
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** Runs a process to its end (killed after `maxMs`). */
async function run(command: string, args: string[], env: NodeJS.ProcessEnv, maxMs = 15_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const started = start(command, args, env, maxMs);
  const { code } = await started.exited;
  return { code, stdout: started.stdout(), stderr: started.stderr() };
}

/** This process's environment without anything that would change how a child node or python starts. */
function baseEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) {
    if (/^(NODE_OPTIONS|NODE_TEST_CONTEXT|LOCAL_SERVERLESS_.*|PYTHON.*)$/.test(name)) delete env[name];
  }
  return { ...env, ...extra };
}

/** Whether nothing listens on the inspector's port (it listens on every address). */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '0.0.0.0', () => server.close(() => resolve(true)));
  });
}

async function inspectorBusy(): Promise<string | false> {
  return !(await portFree(INSPECTOR_PORT)) && `port ${INSPECTOR_PORT} is taken on this machine, and NODE_PRELOAD opens the inspector on that port`;
}

function getJson(url: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { timeout: 5_000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => {
        try {
          resolve(JSON.parse(body));
        } catch (error) {
          reject(error);
        }
      });
    });
    request.on('timeout', () => request.destroy(new Error(`no answer from ${url}`)));
    request.on('error', reject);
  });
}

describe('NODE_PRELOAD in a real node process', { timeout: 60_000 }, () => {
  function preload(): string {
    const file = path.join(tempDir('ls-preload-'), 'inspect.js');
    fs.writeFileSync(file, NODE_PRELOAD);
    return file;
  }

  const INSPECTOR_MESSAGES = /Debugger listening|Starting inspector|address already in use|inspector did not open/;

  it('opens the inspector on 9229 in a plain node process, and marks the environment with its pid', async (t) => {
    const busy = await inspectorBusy();
    if (busy) return t.skip(busy);
    const script = 'console.log(process.env.LOCAL_SERVERLESS_INSPECTOR === String(process.pid)); setTimeout(() => {}, 10000)';
    const node = start(process.execPath, ['-e', script], baseEnv({ NODE_OPTIONS: `--require ${preload()}` }));
    await poll('the inspector to say it listens', () => /Debugger listening on ws:\/\/0\.0\.0\.0:9229\//.test(node.stderr()), { timeoutMs: 10_000, lastSeen: node.stderr });
    const targets = await getJson(`http://127.0.0.1:${INSPECTOR_PORT}/json/list`);
    assert.ok(Array.isArray(targets) && targets.length === 1, `one debug target: ${JSON.stringify(targets)}`);
    assert.match(String((targets[0] as Record<string, unknown>).webSocketDebuggerUrl), /^ws:\/\/127\.0\.0\.1:9229\//);
    await poll('the script to print', () => node.stdout().trim() !== '', { timeoutMs: 5_000 });
    assert.equal(node.stdout().trim(), 'true');
  });

  it('leaves the inspector closed in a package manager (npm-cli.js, yarn.js, pnpm.cjs, npx, corepack), and does not mark the environment', async () => {
    const dir = tempDir('ls-wrapper-');
    const env = baseEnv({ NODE_OPTIONS: `--require ${preload()}` });
    for (const name of ['npm-cli.js', 'npx-cli.js', 'yarn.js', 'pnpm.cjs', 'corepack', 'npm']) {
      const file = path.join(dir, name);
      fs.writeFileSync(file, 'console.log(String(process.env.LOCAL_SERVERLESS_INSPECTOR)); console.log(require("inspector").url() || "closed");\n');
      const result = await run(process.execPath, [file], env);
      assert.equal(result.code, 0, `${name}: ${result.stderr}`);
      assert.equal(result.stdout, 'undefined\nclosed\n', name);
      assert.doesNotMatch(result.stderr, INSPECTOR_MESSAGES, name);
    }
  });

  it('gives the port to the process a package manager starts (npm start → node server.js)', async (t) => {
    const busy = await inspectorBusy();
    if (busy) return t.skip(busy);
    const dir = tempDir('ls-npmstart-');
    fs.writeFileSync(path.join(dir, 'server.js'), 'console.log(JSON.stringify({ marker: process.env.LOCAL_SERVERLESS_INSPECTOR, pid: String(process.pid), url: require("inspector").url() || null }));\n');
    fs.writeFileSync(path.join(dir, 'npm-cli.js'), [
      'const { spawnSync } = require("child_process");',
      'const server = spawnSync(process.execPath, [require("path").join(__dirname, "server.js")], { encoding: "utf8", timeout: 10000 });',
      'process.stdout.write(server.stdout); process.stderr.write(server.stderr);',
    ].join('\n'));
    const result = await run(process.execPath, [path.join(dir, 'npm-cli.js')], baseEnv({ NODE_OPTIONS: `--require ${preload()}` }));
    assert.equal(result.code, 0, result.stderr);
    const server = JSON.parse(result.stdout) as { marker?: string; pid: string; url: string | null };
    assert.equal(server.marker, server.pid, 'the server process took the inspector');
    assert.match(String(server.url), /^ws:\/\/0\.0\.0\.0:9229\//);
    assert.match(result.stderr, /Debugger listening on ws:\/\/0\.0\.0\.0:9229\//);
  });

  it('does not open it again in a child process of the one that has it', async (t) => {
    const busy = await inspectorBusy();
    if (busy) return t.skip(busy);
    const dir = tempDir('ls-child-');
    fs.writeFileSync(path.join(dir, 'child.js'), 'console.log(JSON.stringify({ marker: process.env.LOCAL_SERVERLESS_INSPECTOR, url: require("inspector").url() || null }));\n');
    fs.writeFileSync(path.join(dir, 'parent.js'), [
      'const { spawnSync } = require("child_process");',
      'const child = spawnSync(process.execPath, [require("path").join(__dirname, "child.js")], { encoding: "utf8", timeout: 10000 });',
      'console.log(JSON.stringify({ pid: String(process.pid), url: require("inspector").url() || null, child: JSON.parse(child.stdout), childStderr: child.stderr }));',
    ].join('\n'));
    const result = await run(process.execPath, [path.join(dir, 'parent.js')], baseEnv({ NODE_OPTIONS: `--require ${preload()}` }));
    assert.equal(result.code, 0, result.stderr);
    const parent = JSON.parse(result.stdout) as { pid: string; url: string | null; child: { marker?: string; url: string | null }; childStderr: string };
    assert.match(String(parent.url), /^ws:\/\/0\.0\.0\.0:9229\//, 'the parent has the inspector');
    assert.equal(parent.child.marker, parent.pid, 'the child sees the parent\'s mark');
    assert.equal(parent.child.url, null, 'the child did not open an inspector');
    assert.doesNotMatch(parent.childStderr, INSPECTOR_MESSAGES, 'the child did not try for the port');
  });
});

describe('PYTHON_SITECUSTOMIZE with the system python3', { timeout: 60_000 }, () => {
  const noPython = !fs.existsSync(PYTHON) && `${PYTHON} is missing`;
  const noDebugpy = noPython || (!fs.existsSync(path.join(HOST_DEBUGPY, '__init__.py')) && `${HOST_DEBUGPY} is missing (apt install python3-debugpy)`);

  /** Our sitecustomize in one folder, and the image's own (it prints "theirs") in another. */
  function folders(): { ours: string; theirs: string } {
    const root = tempDir('ls-sitecustomize-');
    const ours = path.join(root, 'debug');
    const theirs = path.join(root, 'image');
    fs.mkdirSync(ours);
    fs.mkdirSync(theirs);
    fs.writeFileSync(path.join(ours, 'sitecustomize.py'), PYTHON_SITECUSTOMIZE);
    fs.writeFileSync(path.join(theirs, 'sitecustomize.py'), 'print("theirs")\n');
    return { ours, theirs };
  }

  it('without LOCAL_SERVERLESS_DEBUGPY, starts nothing and still runs the image\'s own sitecustomize', { skip: noPython }, async () => {
    const { ours, theirs } = folders();
    const result = await run(PYTHON, ['-c', 'import sys; print("ok")'], baseEnv({ PYTHONPATH: `${ours}:${theirs}` }));
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'theirs\nok\n');
    assert.doesNotMatch(result.stderr, /Error in sitecustomize|Traceback|local-serverless/);
  });

  it('without an image sitecustomize on PYTHONPATH, runs the program with no error', { skip: noPython }, async () => {
    const { ours } = folders();
    const result = await run(PYTHON, ['-c', 'import sys; print("ok")'], baseEnv({ PYTHONPATH: ours }));
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'ok\n');
    assert.doesNotMatch(result.stderr, /Error in sitecustomize|Traceback|local-serverless/);
  });

  it('with LOCAL_SERVERLESS_DEBUGPY, listens with debugpy on that port, hides the variable from the program, and runs theirs too', { skip: noDebugpy }, async () => {
    const { ours, theirs } = folders();
    const port = await findFreePort();
    const program = 'import os, time; print(os.environ.get("LOCAL_SERVERLESS_DEBUGPY"), flush=True); time.sleep(30)';
    // DEBUGPY_DIR (the mount in a container) is not on this machine: debugpy comes from the system's own dist-packages.
    const python = start(PYTHON, ['-c', program], baseEnv({ PYTHONPATH: `${ours}:${theirs}`, LOCAL_SERVERLESS_DEBUGPY: String(port), PYDEVD_DISABLE_FILE_VALIDATION: '1' }));
    const lines = () => python.stdout().split('\n').filter(Boolean);
    // debugpy's adapter is a python process of its own, started with the same PYTHONPATH: the image's
    // sitecustomize runs (and prints) in it too, so "theirs" may come twice.
    const printed = await poll('the program to print', () => lines().find((line) => line !== 'theirs'), { timeoutMs: 15_000, lastSeen: () => `stdout: ${python.stdout()}\nstderr: ${python.stderr()}` });
    assert.equal(printed, 'None', 'the program does not see LOCAL_SERVERLESS_DEBUGPY');
    assert.equal(lines()[0], 'theirs', 'the image\'s sitecustomize ran before the program');

    // The port answers the Debug Adapter Protocol: an initialize request gets its reply.
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      let received = '';
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`no initialize reply from 127.0.0.1:${port} within 5 s; got: ${received}`));
      }, 5_000);
      socket.setEncoding('utf8');
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      socket.once('connect', () => {
        const body = JSON.stringify({ seq: 1, type: 'request', command: 'initialize', arguments: { adapterID: 'local-serverless-test', clientID: 'test' } });
        socket.write(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      });
      socket.on('data', (chunk: string) => {
        received += chunk;
        if (/"command":\s*"initialize"/.test(received) && /"type":\s*"response"/.test(received)) {
          clearTimeout(timer);
          socket.destroy();
          resolve(received);
        }
      });
    });
    assert.match(reply, /"success":\s*true/);
    assert.doesNotMatch(python.stderr(), /debugpy did not start|Error in sitecustomize|Traceback/);
  });

  it('says why on stderr, and still runs the program, when debugpy cannot be imported', { skip: noPython }, async () => {
    const { ours } = folders();
    // A debugpy on PYTHONPATH (ahead of the system's) that fails to import.
    const fakeRoot = tempDir('ls-nodebugpy-');
    fs.mkdirSync(path.join(fakeRoot, 'debugpy'));
    fs.writeFileSync(path.join(fakeRoot, 'debugpy', '__init__.py'), 'raise ImportError("no debugpy here")\n');
    const port = await findFreePort();
    const result = await run(PYTHON, ['-c', 'print("ok")'], baseEnv({ PYTHONPATH: `${ours}:${fakeRoot}`, LOCAL_SERVERLESS_DEBUGPY: String(port) }));
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'ok\n');
    assert.match(result.stderr, /\[local-serverless\] debugpy did not start: no debugpy here/);
  });
});
