/**
 * `npm run bench` (also alone: `npm run bench -- fnjson`): how long a hostile fn.json holds the
 * extension host before the function shows as misconfigured. Times the core work discovery does on
 * the extension host for one fn.json (parse, validate, describe the function), no Docker needed:
 * - 60,000 wrongly typed `env` entries written compactly (about 0.85 MB, under the 1 MB cap);
 * - 5,000 nested arrays under one field (deep nesting).
 * Each case runs a few times: the first run (what the host pays the first time it meets the file,
 * before the JIT has warmed up) is judged against the target; the median of all runs is printed beside it.
 */
import * as os from 'node:os';
import { describeFunction } from '../../src/core/functionSpec';

const RUNS = Number(process.env.BENCH_FNJSON_RUNS || 5);
const TARGET_MS = 100;
const DOCKERFILE = 'FROM node:20-bookworm-slim\nEXPOSE 8080\n';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** `{"env":{"E00000":0,…}}`: every value a number where the schema wants a string. */
export function wideEnvFnJson(entries: number): string {
  const pairs = Array.from({ length: entries }, (_, i) => `"E${String(i).padStart(5, '0')}":${i}`);
  return `{"env":{${pairs.join(',')}}}`;
}

/** `{"sync":[[[…]]]}` nested `depth` arrays deep. */
export function deepFnJson(depth: number): string {
  return `{"sync":${'['.repeat(depth)}${']'.repeat(depth)}}`;
}

function time(text: string): { firstMs: number; medianMs: number; problems: number; first: string } {
  const times: number[] = [];
  let problems = 0;
  let first = '';
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const spec = describeFunction({ folder: '/bench/fn', dockerfileText: DOCKERFILE, configText: text });
    times.push(performance.now() - t0);
    problems = spec.problems.length;
    first = spec.problems[0]?.message ?? '(none)';
  }
  return { firstMs: times[0], medianMs: median(times), problems, first };
}

function main(): void {
  // Other work on the machine inflates these figures: the load average says how busy it was.
  const load = os.loadavg()[0].toFixed(1);
  console.log(`fn.json check, ${RUNS} runs each (parse + validate + describe, on the extension host); load average ${load} on ${os.cpus().length} CPUs`);
  const cases: [string, string][] = [
    ['60,000 wrong env entries', wideEnvFnJson(60_000)],
    ['5,000-deep nesting', deepFnJson(5_000)],
  ];
  for (const [label, text] of cases) {
    const size = `${(Buffer.byteLength(text) / 1024 / 1024).toFixed(2)} MB`;
    try {
      const { firstMs, medianMs, problems, first } = time(text);
      const verdict = firstMs < TARGET_MS ? 'met' : 'MISSED';
      console.log(`fnjson ${label} (${size}): first run ${firstMs.toFixed(1)} ms (target < ${TARGET_MS}) ${verdict}, median ${medianMs.toFixed(1)} ms; ${problems} problem(s) listed, first: ${first}`);
    } catch (error) {
      console.log(`fnjson ${label} (${size}): CRASHED (target: a diagnostic, no crash): ${String(error).split('\n')[0]}`);
    }
  }
}

if (require.main === module) main();
