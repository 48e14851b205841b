/**
 * `npm run bench -- scaling` (also part of `npm run bench`): the local gateway against the raw
 * alternatives in the same run.
 *  1. Overhead at a fixed request rate: the Node template through the gateway (in its real worker
 *     thread, dist/gatewayWorker.js) and straight at the instance's published port; latency
 *     percentiles, the gateway's CPU time per request, then the saturated throughput of both.
 *  2. Cold start: a request through the gateway to a function at zero, until its 200, against
 *     `docker run -d` of the same image polled over HTTP until its first 200; samples alternate.
 *  3. The 30-request burst (max 3, concurrency 1, a 200 ms handler) from a warm min-1 state:
 *     wall time against 2.0 s of work plus the start-ups measured in the same run.
 * Speed is measured here only, never asserted in tests. All traffic goes to 127.0.0.1 and to
 * containers made here; every request loop is bounded in count and time; everything made here is
 * removed in `finally`. Run on its own: `npm run build && npx tsc -p . && node out/test/bench/scaling.js`.
 */
import autocannon from 'autocannon';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { FunctionSpec } from '../../src/core/functionSpec';
import { imageTag, LABEL_FUNCTION, LABEL_OWNER } from '../../src/core/names';
import { findFreePort } from '../../src/core/ports';
import type { DockerEngine } from '../../src/engine/dockerEngine';
import { FunctionRegistry } from '../../src/services/functionRegistry';
import type { FunctionRunner } from '../../src/services/functionRunner';
import { startGateway } from '../../src/services/gatewayClient';
import { COLD_START_HEADER, REPLICA_HEADER, type GatewayHandle } from '../../src/services/gatewayTypes';
import { readSpec, realEngine, RecordingSink, scaledFunction, tempWorkspace } from '../integration/fixtures';
import { poll } from '../support/poll';

const ROOT = path.resolve(__dirname, '../../..');
const WORKER_SCRIPT = path.join(ROOT, 'dist/gatewayWorker.js');
/** Part 1: requests per path at the fixed rate, in two rounds (direct, gateway, gateway, direct) so drift hits both. */
const RATE_AMOUNT = Number(process.env.BENCH_RATE_AMOUNT || 3000);
const RATE_PER_SECOND = 200;
const SATURATED_SECONDS = 5;
const SATURATED_CONNECTIONS = 10;
/** Part 2: samples of each kind. */
const COLD_SAMPLES = Number(process.env.BENCH_COLD_SAMPLES || 20);
/** Part 3: bursts. */
const BURSTS = 3;
const BURST_REQUESTS = 30;
const BURST_SLEEP_MS = 200;
const BURST_MAX = 3;
/** A person's poller: an HTTP request every 5 ms, each cut after 250 ms, for at most 30 s. */
const POLL_MS = 5;
const POLL_LIMIT_MS = 30_000;
/** Pause between cold-start samples once everything is gone, so one sample's clean-up does not land in the next. */
const SETTLE_MS = 300;
const BODY = '{"name":"bench"}';
const DOCKER = 'docker';

const execFileAsync = promisify(execFile);
const docker = async (...args: string[]) => (await execFileAsync(DOCKER, args, { encoding: 'utf8' })).stdout.trim();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Nearest-rank percentile. */
function percentile(xs: readonly number[], p: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
const median = (xs: readonly number[]) => percentile(xs, 50);
const met = (ok: boolean) => (ok ? 'met' : 'MISSED');

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  ms: number;
}

/** One POST on a new connection; bounded by `timeoutMs`. Never throws: a failed request is status 0. `ms`: send to the reply's end. */
function post(url: string, timeoutMs: number): Promise<Reply> {
  const started = performance.now();
  return new Promise((resolve) => {
    const done = (status: number, headers: http.IncomingHttpHeaders, body: string) => resolve({ status, headers, body, ms: performance.now() - started });
    const request = http.request(url, { method: 'POST', agent: false, headers: { 'content-type': 'application/json' }, timeout: timeoutMs }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => done(res.statusCode ?? 0, res.headers, text));
      res.on('error', (error) => done(0, {}, String(error)));
    });
    request.on('timeout', () => request.destroy(new Error('timed out')));
    request.on('error', (error) => done(0, {}, String(error)));
    request.end(BODY);
  });
}

/** CPU time (user + system, ms) of threads of this process, from /proc (Linux; 10 ms ticks). */
function threadCpuMs(tids: readonly string[]): number {
  let ticks = 0;
  for (const tid of tids) {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    // Fields after "(comm) ": state is field 3, utime field 14, stime field 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(fields[14 - 3]) + Number(fields[15 - 3]);
  }
  return ticks * 10;
}
const threadIds = () => readdirSync('/proc/self/task');
const processCpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

interface LoadRun {
  latencies: number[];
  non2xx: number;
  errors: number;
  requestsPerSecond: number;
  processCpuMs: number;
  workerCpuMs: number;
}

/**
 * One autocannon run (in this thread), POSTing the bench body. Latencies are each reply's, from the
 * `response` event (hrtime, decimal ms). Bounded: autocannon's own count or duration, and a hard stop
 * at `limitMs`.
 */
function load(url: string, options: Partial<autocannon.Options>, limitMs: number, workerTids: readonly string[]): Promise<LoadRun> {
  return new Promise((resolve, reject) => {
    const latencies: number[] = [];
    let non2xx = 0;
    let errors = 0;
    const cpuBefore = processCpuMs();
    const workerBefore = threadCpuMs(workerTids);
    const started = performance.now();
    const instance = autocannon({
      url,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: BODY,
      timeout: 10,
      sampleInt: 100,
      ...options,
    }, (error: unknown) => {
      clearTimeout(limit);
      if (error) return reject(error instanceof Error ? error : new Error(String(error)));
      resolve({
        latencies,
        non2xx,
        errors,
        // Not autocannon's requests.average: that is per sampleInt, not per second.
        requestsPerSecond: latencies.length / ((performance.now() - started) / 1000),
        processCpuMs: processCpuMs() - cpuBefore,
        workerCpuMs: threadCpuMs(workerTids) - workerBefore,
      });
    });
    const limit = setTimeout(() => instance.stop(), limitMs);
    // At run time autocannon's instance emits (client, statusCode, bytes, responseTime).
    instance.on('response', (_client: unknown, status: number, _bytes: number, responseTimeMs: number) => {
      latencies.push(responseTimeMs);
      if (status < 200 || status > 299) non2xx++;
    });
    instance.on('reqError', () => errors++);
  });
}

function merge(runs: LoadRun[]): LoadRun {
  return {
    latencies: runs.flatMap((r) => r.latencies),
    non2xx: runs.reduce((s, r) => s + r.non2xx, 0),
    errors: runs.reduce((s, r) => s + r.errors, 0),
    requestsPerSecond: runs.reduce((s, r) => s + r.requestsPerSecond, 0) / runs.length,
    processCpuMs: runs.reduce((s, r) => s + r.processCpuMs, 0),
    workerCpuMs: runs.reduce((s, r) => s + r.workerCpuMs, 0),
  };
}

class Bench {
  private readonly sinks = new Map<string, RecordingSink>();
  readonly registry: FunctionRegistry;
  /** Containers made with the docker CLI here. */
  readonly cliContainers = new Set<string>();

  constructor(readonly engine: DockerEngine, readonly ws: Awaited<ReturnType<typeof tempWorkspace>>, gateway: GatewayHandle, readonly workerTids: readonly string[]) {
    this.registry = new FunctionRegistry(engine, ws.ownerId, (name) => this.sink(name), gateway);
  }

  sink(name: string): RecordingSink {
    return this.sinks.get(name) ?? this.sinks.set(name, new RecordingSink()).get(name)!;
  }

  /** Adds the function to the registry (as discovery would) and runs Build and Run. */
  async run(spec: FunctionSpec): Promise<FunctionRunner> {
    this.registry.setSpecs([...this.registry.functions.map((r) => r.spec), spec]);
    const runner = this.registry.get(spec.name)!;
    await runner.buildAndRun();
    return runner;
  }

  containersOf(name: string) {
    return this.engine.list({ [LABEL_OWNER]: this.ws.ownerId, [LABEL_FUNCTION]: name });
  }

  /** Throws with the function's last output lines, for a failure that needs them. */
  fail(name: string, message: string): never {
    throw new Error(`${message}\n--- ${name}'s output, last lines:\n${this.sink(name).text.split('\n').slice(-20).join('\n')}`);
  }
}

/** Part 1. */
async function overhead(bench: Bench, say: (line: string) => void): Promise<void> {
  const name = 'bench-overhead';
  // The template's handler as it is, on one instance kept running.
  const runner = await bench.run(await readSpec(await scaledFunction(bench.ws.root, name, { min: 1, max: 1 }, 0)));
  const [instance] = runner.instanceList;
  const hostPort = (await bench.engine.inspect(instance.id))?.hostPort;
  if (!hostPort) bench.fail(name, `no published port found for ${instance.label}`);
  const viaGateway = `${runner.url}/`;
  const direct = `http://127.0.0.1:${hostPort}/`;
  const limitMs = (RATE_AMOUNT / RATE_PER_SECOND) * 1000 + 30_000;

  // Warm-up (JIT, keep-alive connections): not counted.
  for (const url of [direct, viaGateway]) await load(url, { connections: 1, amount: 500 }, 30_000, bench.workerTids);

  // autocannon's rate limit lets each connection send its share back to back at the start of every
  // second, then pause: one connection keeps one request in flight, so latency is the path's alone.
  const fixed = { connections: 1, overallRate: RATE_PER_SECOND, amount: Math.round(RATE_AMOUNT / 2) };
  const runs = { direct: [] as LoadRun[], gateway: [] as LoadRun[] };
  for (const kind of ['direct', 'gateway', 'gateway', 'direct'] as const) {
    runs[kind].push(await load(kind === 'direct' ? direct : viaGateway, fixed, limitMs, bench.workerTids));
  }
  const d = merge(runs.direct);
  const g = merge(runs.gateway);
  const p = (run: LoadRun, q: number) => percentile(run.latencies, q);
  const row = (name: string, run: LoadRun) =>
    `  ${name.padEnd(8)} p50 ${p(run, 50).toFixed(2).padStart(6)}  p90 ${p(run, 90).toFixed(2).padStart(6)}  p99 ${p(run, 99).toFixed(2).padStart(6)}  (${run.latencies.length} replies, ${run.non2xx} non-2xx, ${run.errors} errors)`;
  say(`1. gateway overhead: the Node template, ${RATE_PER_SECOND} req/s over 1 connection (autocannon overallRate), ${RATE_AMOUNT} POSTs per path in 2 rounds (direct, gateway, gateway, direct); latency in ms`);
  say(row('direct', d));
  say(row('gateway', g));
  const diff50 = p(g, 50) - p(d, 50);
  say(`  gateway − direct: p50 +${diff50.toFixed(2)} ms (target ≤ +1 ms) ${met(diff50 <= 1)}, p90 +${(p(g, 90) - p(d, 90)).toFixed(2)} ms, p99 +${(p(g, 99) - p(d, 99)).toFixed(2)} ms`);
  // The direct runs took as long with the same count: what the gateway's thread used then is its idle cost (tick, stats).
  const perRequest = (ms: number) => `${((ms / g.latencies.length) * 1000).toFixed(0)} µs`;
  say(`  gateway CPU per request: ${perRequest(g.workerCpuMs - d.workerCpuMs)} on the gateway's worker thread: its CPU time from /proc/self/task/<tid>/stat (10 ms ticks),` +
    ` ${g.workerCpuMs} ms in the gateway runs − ${d.workerCpuMs} ms idle in the direct runs, over ${g.latencies.length} requests`);
  say(`                           ${perRequest(g.processCpuMs - d.processCpuMs)} from the whole bench process: process.cpuUsage() in the gateway runs ${g.processCpuMs.toFixed(0)} ms − in the direct runs ${d.processCpuMs.toFixed(0)} ms` +
    ' (adds the host side: its stats messages and state refreshes)');

  const saturated = { connections: SATURATED_CONNECTIONS, duration: SATURATED_SECONDS };
  const sd = await load(direct, saturated, SATURATED_SECONDS * 1000 + 30_000, bench.workerTids);
  const sg = await load(viaGateway, saturated, SATURATED_SECONDS * 1000 + 30_000, bench.workerTids);
  const sat = (name: string, run: LoadRun) =>
    `  ${name.padEnd(8)} ${run.requestsPerSecond.toFixed(0).padStart(6)} req/s, p50 ${p(run, 50).toFixed(2)} ms (${run.non2xx} non-2xx, ${run.errors} errors)`;
  say(`  saturated throughput, ${SATURATED_CONNECTIONS} connections for ${SATURATED_SECONDS} s, no rate limit (no target; the tool, the gateway and the function share ${os.cpus().length} cores):`);
  say(sat('direct', sd));
  say(`${sat('gateway', sg)}: ${((sg.requestsPerSecond / sd.requestsPerSecond) * 100).toFixed(0)}% of direct, gateway thread CPU ${((sg.workerCpuMs / sg.latencies.length) * 1000).toFixed(0)} µs per request`);
  await runner.stop();
}

/** Part 2. */
async function coldStart(bench: Bench, say: (line: string) => void): Promise<void> {
  const name = 'bench-cold';
  const folder = await scaledFunction(bench.ws.root, name, { min: 0, max: 1, idleSeconds: 1 }, 0);
  const runner = await bench.run(await readSpec(folder));
  const tag = imageTag(name, bench.ws.ownerId);
  const atZero = async () => {
    await poll(`${name} scaled to zero with no container`, async () => runner.state.kind === 'scaledToZero' && (await bench.containersOf(name)).length === 0, { timeoutMs: 20_000, intervalMs: 20 })
      .catch((error: Error) => bench.fail(name, error.message));
    await sleep(SETTLE_MS);
  };

  const ours: number[] = [];
  const held: number[] = [];
  const raw: number[] = [];
  const oursSample = async () => {
    await atZero();
    const reply = await post(`${runner.url}/`, 30_000);
    if (reply.status !== 200) bench.fail(name, `cold request through the gateway: ${reply.status} ${reply.body}`);
    ours.push(reply.ms);
    held.push(Number(reply.headers[COLD_START_HEADER] ?? NaN));
  };
  const rawSample = async () => {
    const port = await findFreePort();
    const url = `http://127.0.0.1:${port}/`;
    const started = performance.now();
    const id = await docker('run', '-d', '--init', '--label', `${LABEL_OWNER}=${bench.ws.ownerId}`, '-p', `127.0.0.1:${port}:8080`, tag);
    bench.cliContainers.add(id);
    let answered = false;
    const limit = Math.ceil(POLL_LIMIT_MS / POLL_MS);
    for (let i = 0; i < limit && performance.now() - started < POLL_LIMIT_MS; i++) {
      if ((await post(url, 250)).status === 200) {
        answered = true;
        break;
      }
      await sleep(POLL_MS);
    }
    const ms = performance.now() - started;
    await docker('rm', '-f', id);
    bench.cliContainers.delete(id);
    if (!answered) throw new Error(`docker run of ${tag}: no 200 on ${url} within ${POLL_LIMIT_MS} ms`);
    raw.push(ms);
    await sleep(SETTLE_MS);
  };
  for (let i = 0; i < COLD_SAMPLES; i++) {
    await oursSample();
    await rawSample();
  }
  await runner.stop();

  const client = await docker('version', '--format', '{{.Client.Version}}');
  say(`2. cold start, ${COLD_SAMPLES} samples each, alternating, ms from send to the first 200`);
  say(`  ours     p50 ${median(ours).toFixed(0).padStart(5)}  p90 ${percentile(ours, 90).toFixed(0).padStart(5)}   one POST through the gateway to a function at zero (scale min 0, max 1, idleSeconds 1; state scaledToZero, no container left)`);
  say(`           of which held for the start (${COLD_START_HEADER}): p50 ${median(held).toFixed(0)}  p90 ${percentile(held, 90).toFixed(0)}`);
  say(`  raw CLI  p50 ${median(raw).toFixed(0).padStart(5)}  p90 ${percentile(raw, 90).toFixed(0).padStart(5)}   docker run -d --init -p 127.0.0.1:<free port>:8080 of the same image (CLI ${client}), then an HTTP POST every ${POLL_MS} ms until the first 200; removed after (untimed)`);
  const ratio = median(ours) / median(raw);
  say(`  ratio of p50s ${ratio.toFixed(3)} (target ≤ 1.10) ${met(ratio <= 1.1)}`);
}

/** Part 3. */
async function burst(bench: Bench, say: (line: string) => void): Promise<void> {
  const name = 'bench-burst';
  const folder = await scaledFunction(bench.ws.root, name, { min: 1, max: BURST_MAX, concurrency: 1, idleSeconds: 2 }, BURST_SLEEP_MS);
  const runner = await bench.run(await readSpec(folder));
  const workSeconds = (BURST_REQUESTS * BURST_SLEEP_MS) / BURST_MAX / 1000;
  const atMin = async () => {
    await poll(`${name} back to min (1 instance)`, async () => runner.instanceList.length === 1 && runner.instanceList[0].state === 'ready' && (await bench.containersOf(name)).length === 1, { timeoutMs: 30_000, intervalMs: 50 })
      .catch((error: Error) => bench.fail(name, error.message));
    await sleep(SETTLE_MS);
  };
  // The one instance at min has served before: warm.
  await atMin();
  if ((await post(`${runner.url}/`, 20_000)).status !== 200) bench.fail(name, 'the warm-up request failed');

  say(`3. burst: ${BURST_REQUESTS} parallel POSTs through the gateway, handler sleeps ${BURST_SLEEP_MS} ms, scale min 1, max ${BURST_MAX}, concurrency 1, from a warm min-1 state`);
  say(`   ideal = ${workSeconds.toFixed(1)} s of work (${BURST_REQUESTS} × ${BURST_SLEEP_MS} ms / ${BURST_MAX}) + the longest start-up in that run; a new instance's start-up is the smallest`);
  say(`   ${COLD_START_HEADER} among the replies it served (its first request's wait; later ones there also carry the header, counting their queueing)`);
  const ratios: number[] = [];
  for (let run = 1; run <= BURSTS; run++) {
    await atMin();
    const started = performance.now();
    const replies = await Promise.all(Array.from({ length: BURST_REQUESTS }, () => post(`${runner.url}/`, 20_000)));
    const wallMs = performance.now() - started;
    const failed = replies.filter((r) => r.status !== 200);
    const startups = new Map<string, number>();
    for (const reply of replies) {
      const replica = String(reply.headers[REPLICA_HEADER]);
      const header = reply.headers[COLD_START_HEADER];
      if (header !== undefined) startups.set(replica, Math.min(startups.get(replica) ?? Infinity, Number(header)));
    }
    const coldReplies = replies.filter((r) => r.headers[COLD_START_HEADER] !== undefined).length;
    const replicas = new Set(replies.map((r) => r.headers[REPLICA_HEADER])).size;
    const longest = Math.max(0, ...startups.values());
    const ratio = wallMs / (workSeconds * 1000 + longest);
    // For reference: each instance works from when it was ready, so 6 s of work ends at 2.0 s + Σ start-ups / 3.
    const conserving = workSeconds * 1000 + [...startups.values()].reduce((s, v) => s + v, 0) / BURST_MAX;
    ratios.push(ratio);
    const starts = [...startups].map(([replica, ms]) => `${replica} ${ms} ms`).join(', ') || 'none';
    say(`  run ${run}: wall ${(wallMs / 1000).toFixed(2)} s, ${failed.length} failed, ${replicas} instances; start-ups ${starts} (${coldReplies} replies carried the header);` +
      ` ratio ${ratio.toFixed(2)} = ${(wallMs / 1000).toFixed(2)} / (${workSeconds.toFixed(1)} + ${(longest / 1000).toFixed(2)}); against 2.0 + Σ start-ups/3 = ${(conserving / 1000).toFixed(2)} s: ${(wallMs / conserving).toFixed(2)}`);
    if (failed.length) say(`    failed: ${failed.slice(0, 3).map((r) => `${r.status} ${r.body}`).join(' | ')}`);
  }
  say(`  median ratio ${median(ratios).toFixed(3)} (target ≤ 1.15) ${met(median(ratios) <= 1.15)}`);
  await runner.stop();
}

async function main(): Promise<void> {
  if (!existsSync(WORKER_SCRIPT)) throw new Error(`${WORKER_SCRIPT} is missing: run npm run build first (scripts/bench.sh does)`);
  const engine = realEngine();
  await engine.ping();
  const ws = await tempWorkspace();
  let gateway: GatewayHandle | undefined;
  let bench: Bench | undefined;
  const say = (line: string) => console.log(line);
  try {
    const threadsBefore = new Set(threadIds());
    gateway = await startGateway({ workerScript: WORKER_SCRIPT });
    // The thread the worker started (libuv's pool was already up: tempWorkspace used the file system).
    const workerTids = threadIds().filter((tid) => !threadsBefore.has(tid));
    bench = new Bench(engine, ws, gateway, workerTids);
    await bench.registry.connect();
    say(`scaling bench: gateway in a worker thread (${WORKER_SCRIPT.slice(ROOT.length + 1)}, ${workerTids.length} new thread${workerTids.length === 1 ? '' : 's'}), Node ${process.version}`);
    await overhead(bench, say);
    await coldStart(bench, say);
    await burst(bench, say);
  } finally {
    // Each step runs even when one before it failed: nothing made here is left behind.
    await bench?.registry.disposeAsync().catch((error: unknown) => console.error(error));
    await gateway?.close().catch((error: unknown) => console.error(error));
    for (const id of bench?.cliContainers ?? []) await docker('rm', '-f', id).catch(() => undefined);
    await ws.cleanup(engine);
  }
}

if (require.main === module) {
  main().then(() => process.exit(0), (error) => {
    console.error(error);
    process.exit(1);
  });
}
