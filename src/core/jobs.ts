import type { FunctionSpec } from './functionSpec';

/**
 * One-shot jobs (a CMD that prints and exits, no server). A function whose Dockerfile exposes no
 * port and whose fn.json names none is started as a service like any other; if its container exits
 * (with any code) before it listened, it is a job, not a broken function. A port named anywhere
 * says the author meant a server: such a function exiting early is a crash, not a job.
 */

/** Whether the function may turn out to be a job: neither an EXPOSE line nor fn.json names its port. */
export function mayBeJob(spec: Pick<FunctionSpec, 'portSource'>): boolean {
  return spec.portSource === 'default';
}

export interface JobOutcome {
  exitCode: number;
  durationMs: number;
}

/** A job's last run, for the tree and the channel: "completed in 0.3 s (exit 0)", "failed (exit 3)". */
export function describeJobResult({ exitCode, durationMs }: JobOutcome): string {
  if (exitCode === 0) return `completed in ${formatDuration(durationMs)} (exit 0)`;
  const signal = SIGNAL_EXITS[exitCode];
  return `failed (exit ${exitCode}${signal ? `: ${signal}` : ''})`;
}

/**
 * Exit codes a shell or init reports for a process ended by a signal (128 + its number). 137 is
 * also what an out-of-memory kill under `memoryMb` looks like.
 */
const SIGNAL_EXITS: Record<number, string> = {
  130: 'interrupted, SIGINT',
  137: 'killed, SIGKILL: out of memory, or stopped',
  143: 'terminated, SIGTERM',
};

/** 40 ms, 0.3 s, 9.9 s, 42 s, 2 min 5 s: as precise as a person reads it. */
export function formatDuration(ms: number): string {
  if (ms < 95) return `${Math.max(0, Math.round(ms))} ms`;
  const seconds = ms / 1000;
  if (seconds < 9.95) return `${seconds.toFixed(1)} s`;
  if (seconds < 59.5) return `${Math.round(seconds)} s`;
  const whole = Math.round(seconds);
  const minutes = Math.floor(whole / 60);
  const rest = whole % 60;
  return rest ? `${minutes} min ${rest} s` : `${minutes} min`;
}
