import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { identifyProcess, isProcessAlive, isSameProcess, processStartTime, reapWhenGone, type ReapLoop } from '../../src/services/orphanReaper';

const linuxOnly = process.platform === 'linux' ? false : 'reads /proc: Linux only';

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r()));
}

function loop(overrides: Partial<ReapLoop>): ReapLoop {
  return {
    isGone: () => true,
    isSuperseded: () => false,
    reap: async () => 0,
    intervalMs: 1,
    retry: { firstDelayMs: 1, maxDelayMs: 4, giveUpAfterMs: 5_000 },
    ...overrides,
  };
}

describe('reapWhenGone (the clean-up helper\'s loop)', () => {
  it('waits while VS Code\'s process lives, then removes the containers once', async () => {
    let checks = 0;
    let reaps = 0;
    const outcome = await reapWhenGone(loop({
      isGone: () => ++checks >= 4,
      reap: async () => { reaps++; return 2; },
    }));
    assert.equal(checks, 4, 'checked until the process was gone');
    assert.equal(reaps, 1);
    assert.deepEqual(outcome, { removed: 2 });
  });

  it('keeps trying while the engine is away, waiting longer each time up to a cap, and removes them once it is back', async () => {
    const attempts: number[] = [];
    const outcome = await reapWhenGone(loop({
      reap: async () => {
        attempts.push(Date.now());
        if (attempts.length < 5) throw new Error('connect ENOENT /var/run/docker.sock');
        return 1;
      },
      retry: { firstDelayMs: 20, maxDelayMs: 60, giveUpAfterMs: 5_000 },
    }));
    assert.deepEqual(outcome, { removed: 1 });
    assert.equal(attempts.length, 5);
    const gaps = attempts.slice(1).map((t, i) => t - attempts[i]);
    assert.ok(gaps[0] >= 18 && gaps[1] >= 38, `backs off: ${gaps}`);
    assert.ok(gaps[3] < 150, `the wait is capped: ${gaps}`);
  });

  it('gives up with the engine\'s error once the engine has been away too long', async () => {
    await assert.rejects(
      reapWhenGone(loop({ reap: async () => { throw new Error('connect ENOENT /var/run/docker.sock'); }, retry: { firstDelayMs: 5, maxDelayMs: 10, giveUpAfterMs: 60 } })),
      /ENOENT/,
    );
  });

  it('stops without removing anything once a newer helper for the same owner has taken over', async () => {
    let reaps = 0;
    let checks = 0;
    const outcome = await reapWhenGone(loop({
      isGone: () => false,
      isSuperseded: () => ++checks > 2,
      reap: async () => { reaps++; return 1; },
    }));
    assert.deepEqual(outcome, { superseded: true });
    assert.equal(reaps, 0);
  });
});

describe('telling VS Code\'s process from another that got its pid', () => {
  it('tells a live process from a gone one', () => {
    assert.equal(isProcessAlive(process.pid), true);
    assert.equal(isProcessAlive(2 ** 22 + 12345), false);
  });

  it('a running process is itself; with another start time (its pid reused) it is not; once it exits it is gone', { skip: linuxOnly }, async () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      const identity = identifyProcess(child.pid!);
      assert.match(identity.startTime ?? '', /^\d+$/, 'clock ticks since boot');
      assert.equal(isSameProcess(identity), true);
      const reused = { pid: child.pid!, startTime: String(Number(identity.startTime) - 1) };
      assert.equal(isSameProcess(reused), false, 'same pid, different start: another process');
    } finally {
      child.kill('SIGKILL');
      await exited(child);
    }
    assert.equal(isSameProcess(identifyProcess(child.pid!)), false);
  });

  it('start times tell apart processes started a moment apart', { skip: linuxOnly }, async () => {
    const first = spawn('sleep', ['30'], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 100));
    const second = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      const a = Number(processStartTime(first.pid!));
      const b = Number(processStartTime(second.pid!));
      assert.ok(b > a, `${b} > ${a}`);
    } finally {
      first.kill('SIGKILL');
      second.kill('SIGKILL');
      await Promise.all([exited(first), exited(second)]);
    }
  });

  it('reads the start time right when the program name holds spaces and parentheses', { skip: linuxOnly }, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ls-stat-'));
    const oddName = path.join(dir, 'a) b 1 (c');
    fs.copyFileSync('/bin/sleep', oddName);
    fs.chmodSync(oddName, 0o755);
    const odd = spawn(oddName, ['30'], { stdio: 'ignore' });
    const plain = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      const oddStart = Number(processStartTime(odd.pid!));
      const plainStart = Number(processStartTime(plain.pid!));
      assert.ok(Number.isInteger(oddStart) && Math.abs(oddStart - plainStart) < 100, `started together: ${oddStart} vs ${plainStart}`);
    } finally {
      odd.kill('SIGKILL');
      plain.kill('SIGKILL');
      await Promise.all([exited(odd), exited(plain)]);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a process that exited but was not yet reaped by its parent (a zombie) counts as gone', { skip: linuxOnly }, async () => {
    // sh forks a short sleep, then becomes a long sleep that never waits for it: the short one stays a zombie.
    const parent = spawn('sh', ['-c', 'sleep 0.1 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const zombiePid = Number(await new Promise<string>((r) => parent.stdout!.once('data', (d: Buffer) => r(d.toString()))));
      const identity = identifyProcess(zombiePid);
      assert.equal(isSameProcess(identity), true, 'alive at first');
      await new Promise((r) => setTimeout(r, 400));
      assert.equal(isProcessAlive(zombiePid), true, 'its pid still answers signals');
      assert.equal(isSameProcess(identity), false, 'but it is gone');
    } finally {
      parent.kill('SIGKILL');
      await exited(parent);
    }
  });
});
