/**
 * `npm run bench -- editor` (also part of the full run): the inner loop as a person feels it. In a real
 * VS Code (code-server in Chromium, driven as the end-to-end tests drive it) with the packaged extension,
 * for the Node and Python examples: type a change into the handler, press Ctrl+S, and time until the
 * first reply carrying the new code through the function's gateway URL. In the same run, on the same
 * function: the benchmark writing the file itself (the folder watcher's path); and `docker cp` + `docker
 * restart` of the same function's image. Prints p50/p90 and ratios, and where the time went after Ctrl+S,
 * from the extension's debug log (its "update timings" lines) and the benchmark's own clock.
 * Needs LOCAL_SERVERLESS_VSIX, CODE_SERVER and NODE24_BIN (scripts/bench.sh sets them).
 * All traffic goes to 127.0.0.1; every polling loop is bounded in count and time.
 */
import { execFile } from 'node:child_process';
import { watch as watchFs, writeFileSync, type FSWatcher } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { buildInvokeRequest, sendInvoke } from '../../src/core/invoke';
import { findFreePort } from '../../src/core/ports';
import { epochNow, parseSaveEvent, parseTimings, type UpdateTimings } from '../../src/core/updateTimings';
import { openSession, type Session } from '../e2e/session';
import { poll } from '../support/poll';

const SAMPLES = Number(process.env.BENCH_EDITOR_SAMPLES || 20);
const POLL_MS = 5;
const POLL_LIMIT_MS = 10_000;
/** Between samples: the update and the watcher's late report of the same save are over, and no sample reads as part of a burst. */
const PAUSE_MS = 400;
/** After opening the handler, before the first sample. */
const SETTLE_MS = 3_000;
// Debian's 20.10 client, as in innerLoop.ts.
const DOCKER = '/usr/bin/docker';
const EXTENSION_ID = 'local-serverless.local-serverless';

const execFileAsync = promisify(execFile);
const dockerAsync = async (...args: string[]) => (await execFileAsync(DOCKER, args, { encoding: 'utf8', env: { ...process.env, DOCKER_BUILDKIT: '0' } })).stdout.trim();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Nearest-rank percentile. */
function percentile(xs: readonly number[], p: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
const p50 = (xs: readonly number[]) => percentile(xs, 50);
const p90 = (xs: readonly number[]) => percentile(xs, 90);
const met = (ok: boolean) => (ok ? 'met' : 'MISSED');

interface Example {
  name: 'hello-node' | 'hello-python';
  handler: string;
  /** The example's handler with a first line holding the number the reply carries as "edit" (and no per-request log line). */
  source(edit: number): string;
}

/**
 * The edit is a 4-digit number at the very end of the handler's first line: End, 4 × Backspace, 4 digits,
 * Ctrl+S. No bracket or quote the editor would close by itself, so what is typed is what is saved. The
 * per-request log line is gone: the poll asks every 5 ms, and 200 lines a second into the function's
 * channel would load the very VS Code being measured.
 */
const EXAMPLES: Example[] = [
  {
    name: 'hello-node',
    handler: 'handler.js',
    source: (edit) => `const edit = ${edit}\n// Your function. \`event\` is the parsed JSON body of the request; return any JSON-serialisable value.\n`
      + `exports.handler = async (event, context) => {\n  return { message: \`Hello, \${event.name ?? 'world'}!\`, from: 'hello-node', edit };\n};\n`,
  },
  {
    name: 'hello-python',
    handler: 'handler.py',
    source: (edit) => `EDIT = ${edit}\n# Your function. \`event\` is the parsed JSON body of the request; return any JSON-serialisable value.\n\n\n`
      + `def handler(event, context):\n    return {"message": f"Hello, {event.get('name', 'world')}!", "from": "hello-python", "edit": EDIT}\n`,
  },
];

/** The "edit" number in a reply, or undefined. */
const editIn = (body: string) => /"edit": ?(\d+)/.exec(body)?.[1];

/**
 * Polls `url` until a reply carries `edit`; resolves with the time (ms since the epoch) it came.
 * A request may hang while a container restarts: 250 ms per request bounds that. Bounded in time and count.
 */
async function firstReplyWith(url: string, edit: number | 'any', t0: number): Promise<number> {
  const limit = Math.ceil(POLL_LIMIT_MS / POLL_MS);
  let last = '';
  for (let i = 0; i < limit && epochNow() - t0 < POLL_LIMIT_MS; i++) {
    try {
      const reply = await sendInvoke({ ...buildInvokeRequest(url, { method: 'POST', path: '/' }, '{"name":"bench"}', 0), timeoutMs: 250 });
      last = reply.body;
      if (edit === 'any' ? reply.status === 200 : editIn(reply.body) === String(edit)) return epochNow();
    } catch (error) { last = String(error); /* restarting: try again */ }
    await sleep(POLL_MS);
  }
  throw new Error(`no reply with edit ${edit} from ${url} within ${POLL_LIMIT_MS} ms; last: ${last}`);
}

/** When the handler file is next written, by the benchmark's own inotify watch on its folder (ms since the epoch). */
class WriteClock {
  private readonly watcher: FSWatcher;
  private waiting: ((at: number) => void) | undefined;

  constructor(file: string) {
    this.watcher = watchFs(path.dirname(file), (_event, name) => {
      if (name === path.basename(file) && this.waiting) {
        this.waiting(epochNow());
        this.waiting = undefined;
      }
    });
  }

  /** Resolves at the next write (or with NaN after `limitMs`). */
  next(limitMs = 5_000): Promise<number> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(NaN), limitMs);
      this.waiting = (at) => {
        clearTimeout(timer);
        resolve(at);
      };
    });
  }

  dispose(): void {
    this.watcher.close();
  }
}

/** The extension's log file in this session: its debug lines carry each update's timings. */
function extensionLog(session: Session): Promise<string> {
  const logs = path.join(session.userDataDir, 'logs');
  return poll(`the log of ${EXTENSION_ID} under ${logs}`, async () => {
    for (const stamp of (await fs.readdir(logs).catch(() => [])).sort().reverse()) {
      for (const host of ['exthost1', 'exthost2']) {
        const file = path.join(logs, stamp, host, EXTENSION_ID, 'Local Serverless.log');
        if (await fs.stat(file).then(() => true, () => false)) return file;
      }
    }
    return undefined;
  }, { timeoutMs: 30_000, intervalMs: 200 });
}

/**
 * The timings the extension logged for an update of `name` first seen after `after`, and when VS Code's
 * save event for `file` came after `after` (bounded wait: the log is written asynchronously).
 */
async function timingsAfter(logFile: string, name: string, after: number, file?: string): Promise<{ timings?: UpdateTimings; saveEvent?: number }> {
  let found: { timings?: UpdateTimings; saveEvent?: number } = {};
  for (let i = 0, waitedForSaveEvent = 0; i < 60 && waitedForSaveEvent < 20; i++) {
    const lines = (await fs.readFile(logFile, 'utf8')).split('\n');
    const timings = lines.map(parseTimings).find((t) => t?.name === name && t.timings.seen >= after)?.timings;
    const saveEvent = file ? lines.map(parseSaveEvent).find((e) => e?.file === file && e.at >= after)?.at : undefined;
    found = { timings, saveEvent };
    if (timings && (!file || saveEvent)) break;
    // A build that does not log save events: the timings alone, after a second.
    if (timings) waitedForSaveEvent++;
    await sleep(50);
  }
  return found;
}

interface Sample {
  /** Ctrl+S or the write (ms since the epoch). */
  t0: number;
  /** To the first reply with the new code. */
  total: number;
  /** To the file's change on disk, seen by the benchmark's own watch. */
  written: number;
  timings?: UpdateTimings;
  /** When VS Code's save event reached the extension (ms since the epoch; editor samples only). */
  saveEvent?: number;
}

/** The figures and breakdown for one example. */
interface Result {
  editor: Sample[];
  fileWrite: Sample[];
  cpRestart: number[];
}

async function measureExample(session: Session, example: Example, logFile: string, nextEdit: () => number): Promise<Result> {
  const { ui } = session;
  const folder = path.join(session.workspace, example.name);
  const file = path.join(folder, example.handler);
  await ui.ensureRunning(example.name);
  const row = await ui.treeRow(new RegExp(`${example.name}.*running at`)).innerText();
  const url = /running at (http:\/\/127\.0\.0\.1:\d+\/[^/\s]+)/.exec(row)?.[1];
  if (!url) throw new Error(`no URL in the row of ${example.name}: ${row}`);
  await ui.openFile(`${example.name}/${example.handler}`);
  // A person reads and types for a while before saving: VS Code's language support for the file starts meanwhile.
  await sleep(SETTLE_MS);
  const clock = new WriteClock(file);
  const result: Result = { editor: [], fileWrite: [], cpRestart: [] };
  try {
    // Ctrl+S in the editor.
    const editor = ui.page.locator('.editor-group-container.active .monaco-editor .view-lines').first();
    for (let i = 0; i < SAMPLES; i++) {
      const edit = nextEdit();
      await editor.click();
      await ui.page.keyboard.press('Control+Home');
      await ui.page.keyboard.press('End');
      for (let k = 0; k < 4; k++) await ui.page.keyboard.press('Backspace');
      await ui.page.keyboard.type(String(edit));
      const written = clock.next();
      const t0 = epochNow();
      await ui.page.keyboard.press('Control+S');
      // No reply can carry the edit before it is on disk: polling starts then, so the poll's own load
      // (a request every 5 ms) does not slow VS Code's save.
      const writtenAt = await written;
      const replied = await firstReplyWith(url, edit, t0);
      result.editor.push({ t0, total: replied - t0, written: writtenAt - t0, ...await timingsAfter(logFile, example.name, t0, file) });
      await sleep(PAUSE_MS);
    }
    // The benchmark writing the file itself (VS Code reloads the open, unmodified editor from disk).
    for (let i = 0; i < SAMPLES; i++) {
      const edit = nextEdit();
      const written = clock.next();
      const t0 = epochNow();
      await fs.writeFile(file, example.source(edit));
      const replied = await firstReplyWith(url, edit, t0);
      result.fileWrite.push({ t0, total: replied - t0, written: (await written) - t0, ...await timingsAfter(logFile, example.name, t0) });
      await sleep(PAUSE_MS);
    }
  } finally {
    clock.dispose();
  }
  result.cpRestart = await cpRestart(example, folder, nextEdit);
  return result;
}

/** `docker cp` + `docker restart` of the same function's image in its own container, the edit written by the benchmark. */
async function cpRestart(example: Example, folder: string, nextEdit: () => number): Promise<number[]> {
  const tag = `local-serverless/bench-editor-${example.name}:cli`;
  await dockerAsync('build', '-q', '-t', tag, folder);
  const port = await findFreePort();
  const container = await dockerAsync('run', '-d', '--init', '--label', 'local-serverless.bench=editor', '-p', `127.0.0.1:${port}:8080`, tag);
  const file = path.join(folder, example.handler);
  const times: number[] = [];
  try {
    // Serving first: a copy landing while the server starts would be loaded without any restart.
    await firstReplyWith(`http://127.0.0.1:${port}`, 'any', epochNow());
    for (let i = 0; i < SAMPLES; i++) {
      const edit = nextEdit();
      const t0 = epochNow();
      await fs.writeFile(file, example.source(edit));
      const replied = firstReplyWith(`http://127.0.0.1:${port}`, edit, t0);
      await dockerAsync('cp', file, `${container}:/app/${example.handler}`);
      await dockerAsync('restart', container);
      times.push((await replied) - t0);
    }
  } finally {
    await dockerAsync('rm', '-f', container).catch(() => undefined);
  }
  return times;
}

const fmt = (ms: number) => (Number.isFinite(ms) ? ms.toFixed(0) : '?');

/**
 * Where the time went: the median of each step, from Ctrl+S (or the write) to the file on disk, to the
 * extension seeing it (save event or watcher), to the update starting (the quiet time), to the files in
 * every instance, to the reload signal sent, to the first reply with the new code.
 */
function breakdown(samples: Sample[]): string {
  const timed = samples.filter((s): s is Sample & { timings: UpdateTimings } => s.timings !== undefined);
  if (!timed.length) return 'no timings in the extension log (is its log level Debug?)';
  const step = (f: (s: Sample & { timings: UpdateTimings }) => number) => fmt(p50(timed.map(f)));
  const atOnce = timed.filter((s) => s.timings.startedBy === 'complete').length;
  return [
    `on disk ${step((s) => s.written)}`,
    `seen by the extension +${step((s) => s.timings.seen - s.t0 - s.written)}`,
    `update started +${step((s) => s.timings.started - s.timings.seen)} (${atOnce}/${timed.length} at once, the write known complete)`,
    `copied +${step((s) => (s.timings.copied ?? NaN) - s.timings.started)}`,
    `reload signal answered +${step((s) => (s.timings.reloaded ?? NaN) - (s.timings.copied ?? NaN))}`,
    `first new reply +${step((s) => s.total - ((s.timings.reloaded ?? NaN) - s.t0))}`,
  ].join(', ') + ` (medians of each step, ms; ${timed.length}/${samples.length} samples logged)`
    + (samples.some((s) => s.saveEvent) ? `; VS Code's save event came +${fmt(p50(samples.filter((s) => s.saveEvent).map((s) => s.saveEvent! - s.t0 - s.written)))} after the file was on disk` : '');
}

async function main(): Promise<void> {
  const say = (line: string) => console.log(line);
  let edit = 1000;
  const nextEdit = () => ++edit;
  const session = await openSession('bench-editor', {
    logLevels: [`${EXTENSION_ID}:debug`],
    prepare: (workspace) => {
      for (const example of EXAMPLES) writeFileSync(path.join(workspace, example.name, example.handler), example.source(1000));
    },
  });
  try {
    await session.ui.showFunctionsView();
    const logFile = await extensionLog(session);
    if (process.env.BENCH_DEBUG) console.log(`log: ${logFile}`);
    say(`editor path: Ctrl+S in VS Code (code-server in Chromium) → first reply with the new code through the gateway, ${SAMPLES} samples each, ms; load average ${(await fs.readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ')}`);
    for (const example of EXAMPLES) {
      const r = await measureExample(session, example, logFile, nextEdit);
      if (process.env.BENCH_DEBUG) {
        console.log(JSON.stringify({ editor: r.editor.map((s) => Math.round(s.total)), fileWrite: r.fileWrite.map((s) => Math.round(s.total)), cpRestart: r.cpRestart.map(Math.round) }));
        for (const s of r.editor.slice(0, 3)) console.log(`  sample: total ${fmt(s.total)}: ${breakdown([s])}`);
      }
      const editor = r.editor.map((s) => s.total);
      const write = r.fileWrite.map((s) => s.total);
      const cp = r.cpRestart;
      say(`${example.name.padEnd(12)} Ctrl+S p50 ${fmt(p50(editor))} p90 ${fmt(p90(editor))} | file write p50 ${fmt(p50(write))} p90 ${fmt(p90(write))} | docker cp+restart p50 ${fmt(p50(cp))} p90 ${fmt(p90(cp))}`);
      say(`${''.padEnd(12)} ratios to docker cp+restart (p50): Ctrl+S ${(p50(editor) / p50(cp)).toFixed(2)} (target ≤ 0.30) ${met(p50(editor) <= 0.3 * p50(cp))}, file write ${(p50(write) / p50(cp)).toFixed(2)}; file write ≤ 50 ms ${met(p50(write) <= 50)}`);
      say(`${''.padEnd(12)} after Ctrl+S: ${breakdown(r.editor)}`);
      say(`${''.padEnd(12)} after a write: ${breakdown(r.fileWrite)}`);
    }
  } finally {
    await session.close();
  }
}

if (require.main === module) {
  main().then(() => process.exit(0), (error) => {
    console.error(error);
    process.exit(1);
  });
}
