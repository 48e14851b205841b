import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { buildInvokeRequest, sendInvoke } from '../../src/core/invoke';
import { LABEL_OWNER } from '../../src/core/names';
import { DockerEngine } from '../../src/engine/dockerEngine';
import { defaultEndpointInputs, resolveEndpoint } from '../../src/engine/endpoint';
import { EngineUnavailableError } from '../../src/engine/engine';
import { ON_PODMAN, RecordingSink, scaffold, tempWorkspace, TestGateway } from './fixtures';

/** Every function in this file is reached through a real gateway, as in VS Code. */
let gateway: TestGateway;
before(async () => {
  gateway = await TestGateway.start();
});
after(() => gateway.close());

/**
 * The dockerd that scripts/setup-docker.sh starts also listens on tcp://127.0.0.1:2376 with
 * --tlsverify, and leaves the client's certificates (a DOCKER_CERT_PATH) in its cache folder.
 */
const TLS_HOST = 'tcp://127.0.0.1:2376';
const CACHE = process.env.LOCAL_SERVERLESS_CACHE || path.join(os.homedir(), '.cache/local-serverless');
const CLIENT_CERTS = path.join(CACHE, 'tls', 'client');

/** An engine resolved as the extension would, from the environment the docker CLI reads. */
function engineWith(env: NodeJS.ProcessEnv): DockerEngine {
  const inputs = defaultEndpointInputs(undefined);
  return new DockerEngine(resolveEndpoint({ ...inputs, env: { DOCKER_HOST: TLS_HOST, ...env } }));
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.setTimeout(1000, () => { socket.destroy(); resolve(false); });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

describe('the engine over TCP with TLS (--tlsverify on 127.0.0.1:2376)', () => {
  let unavailable: string | undefined;
  let engine: DockerEngine;
  let ws: Awaited<ReturnType<typeof tempWorkspace>>;
  let scratch: string;

  before(async () => {
    if (ON_PODMAN) {
      unavailable = "runs against Podman: the TLS listener is dockerd's, tested in the integration stage";
      return;
    }
    if (!fs.existsSync(path.join(CLIENT_CERTS, 'key.pem')) || !(await listening(2376))) {
      unavailable = `no TLS listener on ${TLS_HOST} with client certificates in ${CLIENT_CERTS}: the running dockerd was started without it, not by this version of scripts/setup-docker.sh (which adds it: scripts/setup-docker.sh down, then scripts/setup-docker.sh)`;
      return;
    }
    engine = engineWith({ DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: CLIENT_CERTS });
    ws = await tempWorkspace();
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'ls-tls-'));
  });
  after(async () => {
    if (unavailable) return;
    await ws.cleanup(engine);
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  function skipWhenUnavailable(t: TestContext): boolean {
    if (!unavailable) return false;
    t.skip(unavailable);
    return true;
  }

  test('with DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH, a function builds, runs, answers and logs through the TLS engine', async (t) => {
    if (skipWhenUnavailable(t)) return;
    assert.match(engine.endpoint, /^tcp:\/\/127\.0\.0\.1:2376 \(DOCKER_HOST, TLS with certificates from DOCKER_CERT_PATH=/);
    await engine.ping();
    const spec = await scaffold(ws.root, 'node', 'over-tls');
    const out = new RecordingSink();
    const runner = gateway.runner(spec, engine, ws.ownerId, out);
    const url = await runner.buildAndRun();
    const reply = await sendInvoke(buildInvokeRequest(url, { method: 'POST', path: '/' }, JSON.stringify({ name: 'TLS' }), 5));
    assert.equal(reply.status, 200);
    assert.deepEqual(reply.json, { message: 'Hello, TLS!', from: 'over-tls' });
    await out.waitFor(/over-tls: POST \//);
    assert.equal((await engine.list({ [LABEL_OWNER]: ws.ownerId })).length, 1);
    await runner.stop();
    assert.deepEqual(await engine.list({ [LABEL_OWNER]: ws.ownerId }), [], 'stopped and removed over TLS');
  });

  test('without a client certificate the engine refuses, and the message says what to set', async (t) => {
    if (skipWhenUnavailable(t)) return;
    const caOnly = path.join(scratch, 'ca-only');
    fs.mkdirSync(caOnly);
    fs.copyFileSync(path.join(CLIENT_CERTS, 'ca.pem'), path.join(caOnly, 'ca.pem'));
    const started = Date.now();
    await assert.rejects(engineWith({ DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: caOnly }).ping(), (error: Error) => {
      assert.ok(error instanceof EngineUnavailableError, `${error.name}: ${error.message}`);
      assert.match(error.message, /refused the connection: it requires a client certificate it trusts: set DOCKER_CERT_PATH/);
      assert.match(error.message, /tcp:\/\/127\.0\.0\.1:2376/);
      return true;
    });
    assert.ok(Date.now() - started < 2_000, 'refused at once, not after a timeout');
  });

  test('without TLS settings the port is named as a TLS one, and the message says to turn TLS on', async (t) => {
    if (skipWhenUnavailable(t)) return;
    await assert.rejects(engineWith({}).ping(), (error: Error) => {
      assert.ok(error instanceof EngineUnavailableError, `${error.name}: ${error.message}`);
      assert.match(error.message, /refused the connection: it speaks TLS on this port: set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH/);
      return true;
    });
  });

  test("with another CA in DOCKER_CERT_PATH the engine's certificate is not accepted, and the message says why", async (t) => {
    if (skipWhenUnavailable(t)) return;
    const wrong = path.join(scratch, 'wrong-ca');
    fs.mkdirSync(wrong);
    // The client certificate itself is no CA: the engine's certificate cannot be checked against it.
    fs.copyFileSync(path.join(CLIENT_CERTS, 'cert.pem'), path.join(wrong, 'ca.pem'));
    for (const file of ['cert.pem', 'key.pem']) fs.copyFileSync(path.join(CLIENT_CERTS, file), path.join(wrong, file));
    await assert.rejects(engineWith({ DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: wrong }).ping(), (error: Error) => {
      assert.match(error.message, /its TLS certificate was not accepted \([A-Z_]+\): set DOCKER_CERT_PATH to the folder whose ca\.pem is the CA/);
      return true;
    });
  });
});
