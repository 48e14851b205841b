import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Disposable } from '../core/emitter';
import type { FunctionRegistry } from './functionRegistry';

/** A process as the helper recognises it: a pid alone can be reused by another process once it exits. */
export interface ProcessIdentity {
  pid: number;
  /** When it started, as the platform tells (see processStartTime); undefined where it cannot be read (Windows): then the pid alone. */
  startTime?: string;
}

/** What the helper process needs to know: passed as one JSON argument. */
export interface ReaperOptions {
  /** The engine endpoint, as `EngineEndpoint.host` (unix:///var/run/docker.sock, tcp://…). */
  engineHost: string;
  /** Containers carrying `local-serverless.owner=<ownerId>` are this VS Code instance's. */
  ownerId: string;
  /** VS Code's process, the extension host's parent: the desktop app, or code-server. */
  vscode: ProcessIdentity;
  /** Names the helper currently in charge of this owner; an older helper that finds another pid there exits. */
  lockFile: string;
}

/**
 * Keeps a small detached helper (dist/reaper.js) beside the extension host while functions run.
 * deactivate() removes the containers when VS Code closes normally; when VS Code goes without
 * deactivating (code-server stopped with Ctrl+C, a crash, a kill), the helper sees VS Code's process
 * gone and removes this owner's containers, so no container is left running and no port stays bound.
 * An extension host that dies alone (VS Code still open) leaves them to the next host to adopt, and
 * that host's helper replaces the old one (one helper per owner: see ReaperOptions.lockFile).
 *
 * dispose() only stops following the registry; the helper itself is stopped by `stopHelper()` once
 * deactivate has removed the containers, since VS Code disposes subscriptions while deactivate runs.
 */
export class OrphanReaper implements Disposable {
  private child: ChildProcess | undefined;
  private readonly subscription: Disposable;

  constructor(
    private readonly script: string,
    private readonly registry: FunctionRegistry,
    private readonly engineHost: () => string,
    /** The extension's global storage folder: the lock file lives there. */
    private readonly stateDir: string,
    private readonly log: (message: string) => void = () => undefined,
    /** VS Code's process. Default: the extension host's parent, identified when the first helper starts (not during activation: on macOS that runs `ps`). */
    private vscode?: ProcessIdentity,
  ) {
    this.subscription = registry.onDidChange(() => {
      if (registry.functions.some((r) => r.state.kind === 'running')) this.ensureHelper();
    });
  }

  /** Starts the helper, or restarts it when the engine endpoint changed since it started. */
  private ensureHelper(): void {
    const lockFile = path.join(this.stateDir, `reaper-${this.registry.ownerId}.json`);
    this.vscode ??= identifyProcess(process.ppid);
    const options: ReaperOptions = { engineHost: this.engineHost(), ownerId: this.registry.ownerId, vscode: this.vscode, lockFile };
    const arg = JSON.stringify(options);
    if (this.child && this.child.exitCode === null && this.child.spawnargs.at(-1) === arg) return;
    this.stopHelper();
    try {
      fs.mkdirSync(this.stateDir, { recursive: true });
    } catch (error) {
      this.log(`container clean-up helper: cannot create ${this.stateDir}: ${(error as Error).message}`);
    }
    // Its own session: Ctrl+C in the terminal that runs code-server signals VS Code's process group, not the helper.
    const child = spawn(process.execPath, [this.script, arg], {
      detached: true,
      windowsHide: true,
      stdio: 'ignore',
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
    });
    child.on('error', (error) => this.log(`container clean-up helper did not start: ${error.message}`));
    child.unref();
    this.child = child;
  }

  /** The containers are gone (deactivate removed them): the helper has nothing left to do. */
  stopHelper(): void {
    if (this.child && this.child.exitCode === null) this.child.kill();
    this.child = undefined;
  }

  dispose(): void {
    this.subscription.dispose();
  }
}

export interface ReapLoop {
  /** VS Code's process is gone (see isSameProcess). */
  isGone: () => boolean;
  /** A newer helper for the same owner has taken over: this one stops. */
  isSuperseded: () => boolean;
  /** Removes the owner's containers; throws while the engine is away. */
  reap: () => Promise<number>;
  intervalMs: number;
  /** While the engine is away: the wait doubles from `firstDelayMs` up to `maxDelayMs`; after `giveUpAfterMs` the last error stands. */
  retry: { firstDelayMs: number; maxDelayMs: number; giveUpAfterMs: number };
}

export type ReapOutcome = { removed: number } | { superseded: true };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The helper's loop: waits until VS Code's process is gone, then removes the owner's containers,
 * trying again while the engine is away. Stops early when a newer helper for the owner took over.
 */
export async function reapWhenGone(loop: ReapLoop): Promise<ReapOutcome> {
  while (!loop.isGone()) {
    if (loop.isSuperseded()) return { superseded: true };
    await sleep(loop.intervalMs);
  }
  const giveUpAt = Date.now() + loop.retry.giveUpAfterMs;
  for (let delay = loop.retry.firstDelayMs; ; delay = Math.min(delay * 2, loop.retry.maxDelayMs)) {
    try {
      return { removed: await loop.reap() };
    } catch (error) {
      if (Date.now() + delay > giveUpAt) throw error;
    }
    await sleep(delay);
    if (loop.isSuperseded()) return { superseded: true };
  }
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Linux: the fields of /proc/<pid>/stat after the program name, which may itself hold spaces and parentheses. */
function linuxStat(pid: number): string[] | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid …": comm ends at the LAST ")".
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

/**
 * When the process started, in a form only compared for equality. Linux: field 22 of
 * /proc/<pid>/stat (clock ticks since boot). macOS and other Unixes: `ps -o lstart=` (to the
 * second). Windows: undefined, so the pid alone decides there.
 */
export function processStartTime(pid: number): string | undefined {
  if (process.platform === 'linux') {
    // Field 3 (state) is the first after the name, so field 22 is at index 19.
    return linuxStat(pid)?.[19];
  }
  if (process.platform === 'win32') return undefined;
  try {
    return execFileSync('ps', ['-o', 'lstart=', '-p', String(pid)], { encoding: 'utf8', timeout: 5_000, stdio: ['ignore', 'pipe', 'ignore'] }).trim() || undefined;
  } catch {
    return undefined;
  }
}

export function identifyProcess(pid: number): ProcessIdentity {
  return { pid, startTime: processStartTime(pid) };
}

/**
 * Whether the process `identity` recorded still runs: its pid exists, is not a zombie (exited, not
 * yet reaped by its parent), and started at the recorded time, so it is not another process that got
 * the pid after VS Code exited.
 */
export function isSameProcess(identity: ProcessIdentity): boolean {
  if (!isProcessAlive(identity.pid)) return false;
  if (process.platform === 'linux' && linuxStat(identity.pid)?.[0] === 'Z') return false;
  if (identity.startTime === undefined) return true;
  const now = processStartTime(identity.pid);
  // Unreadable now: it exited between the two checks.
  return now === undefined ? isProcessAlive(identity.pid) : now === identity.startTime;
}
