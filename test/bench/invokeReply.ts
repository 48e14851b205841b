/**
 * `npm run bench`, Invoke part: a 600 MB reply through our sendInvoke path, once as JSON text and once
 * as binary. Prints the client's peak memory growth, how long it took, and what the result view would
 * show (size, type, the cut note). The reply comes from a child process on 127.0.0.1, so the memory
 * measured is the client's alone; each kind runs in a fresh process. Run on its own:
 * `npx tsc -p . && node out/test/bench/invokeReply.js`.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildInvokeRequest, formatBytes, formatInvokeResult, sendInvoke, showsAsJsonc, summarizeInvoke } from '../../src/core/invoke';

const REPLY_MB = Number(process.env.BENCH_REPLY_MB || 600);
const MiB = 1024 * 1024;

/** The child: serves REPLY_MB MiB per request (one 1 MiB chunk written again and again, with back-pressure). */
function serve(): void {
  const item = '{"id":12345678901234567890,"name":"item","price":1.0},';
  const jsonChunk = Buffer.from(item.repeat(Math.floor(MiB / item.length)).padEnd(MiB, ' '));
  const binaryChunk = Buffer.alloc(MiB, 0xa5);
  const server = http.createServer(async (req, res) => {
    const binary = req.url === '/binary';
    const chunk = binary ? binaryChunk : jsonChunk;
    res.writeHead(200, { 'content-type': binary ? 'application/octet-stream' : 'application/json' });
    if (!binary) res.write('[');
    for (let i = 0; i < REPLY_MB && !res.destroyed; i++) {
      if (!res.write(chunk)) await new Promise((resolve) => res.once('drain', resolve));
    }
    res.end(binary ? undefined : '{}]');
  });
  server.listen(0, '127.0.0.1', () => console.log(String((server.address() as AddressInfo).port)));
  process.on('disconnect', () => process.exit(0));
}

async function measure(url: string, kind: 'json' | 'binary'): Promise<void> {
  global.gc?.();
  const before = process.memoryUsage().rss;
  let peak = before;
  const sample = () => (peak = Math.max(peak, process.memoryUsage().rss));
  const sampler = setInterval(sample, 5);
  const t0 = performance.now();
  try {
    const result = await sendInvoke(buildInvokeRequest(url, { method: 'GET', path: `/${kind}` }, '', 120), undefined, sample);
    sample();
    const receivedPeak = peak;
    const shown = formatInvokeResult(result, showsAsJsonc(result));
    sample();
    const ms = performance.now() - t0;
    const mb = (bytes: number) => `${(bytes / MiB).toFixed(0)} MB`;
    console.log(`invoke ${REPLY_MB} MB ${kind} reply: ${(ms / 1000).toFixed(1)} s, peak RSS +${mb(peak - before)} (+${mb(receivedPeak - before)} while receiving; reply received ${formatBytes(result.bodyBytes)}, kept ${formatBytes(Buffer.byteLength(result.body))})`);
    console.log(`  channel line: ${summarizeInvoke(result)}`);
    console.log(`  result view: ${formatBytes(Buffer.byteLength(shown))} of text as ${showsAsJsonc(result) ? 'JSONC' : 'plain text'}; its lines besides the request and headers:`);
    const lines = shown.split('\n');
    const notable = lines.filter((line) => /^(\/\/ )?(\[?showing the first|binary reply:)/.test(line));
    for (const line of notable) console.log(`    ${line}`);
    if (!result.binary) console.log(`    body begins: ${JSON.stringify(lines.slice(lines.indexOf('') + 1, lines.indexOf('') + 5).join('\n'))}`);
  } finally {
    clearInterval(sampler);
  }
}

/** One reply in this process: starts the server child, invokes once, prints the figures. */
async function measureInThisProcess(kind: 'json' | 'binary'): Promise<void> {
  const child = spawn(process.execPath, [__filename, '--serve'], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  try {
    const port = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the reply server did not start within 10 s')), 10_000);
      child.stdout!.once('data', (data: Buffer) => {
        clearTimeout(timer);
        resolve(data.toString().trim());
      });
      child.once('exit', (code) => reject(new Error(`the reply server exited with ${code}`)));
    });
    await measure(`http://127.0.0.1:${port}`, kind);
  } finally {
    child.kill();
  }
}

/** Each kind in a fresh process, so one's leftover heap does not hide or inflate the other's peak. */
function main(): void {
  for (const kind of ['json', 'binary']) {
    const run = spawnSync(process.execPath, ['--expose-gc', __filename, '--measure', kind], { stdio: 'inherit', timeout: 300_000 });
    if (run.status !== 0) throw new Error(`the ${kind} measurement failed (${run.error?.message ?? `exit ${run.status}`})`);
  }
}

const [mode, kind] = process.argv.slice(2);
if (mode === '--serve') serve();
else if (mode === '--measure') {
  measureInThisProcess(kind === 'binary' ? 'binary' : 'json').then(() => process.exit(0), (error) => {
    console.error(error);
    process.exit(1);
  });
} else main();
