/**
 * Entry of dist/reaper.js, the detached helper that OrphanReaper starts: when VS Code's process goes
 * away without the extension's deactivate having run, removes this owner's containers (and no other
 * VS Code instance's). One helper per owner: it claims the owner's lock file at start and exits
 * once a newer helper has claimed it.
 */
import * as fs from 'node:fs';
import { LABEL_OWNER } from './core/names';
import { DockerEngine } from './engine/dockerEngine';
import { defaultEndpointInputs, endpointForHost } from './engine/endpoint';
import { isSameProcess, reapWhenGone, type ReaperOptions } from './services/orphanReaper';

function claim(lockFile: string, ownerId: string): void {
  // Written whole, then renamed over the old one, so a reader never sees half a file.
  const temporary = `${lockFile}.${process.pid}`;
  fs.writeFileSync(temporary, JSON.stringify({ pid: process.pid, ownerId }));
  fs.renameSync(temporary, lockFile);
}

function holder(lockFile: string): number | undefined {
  try {
    return (JSON.parse(fs.readFileSync(lockFile, 'utf8')) as { pid?: number }).pid;
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '') as ReaperOptions;
  const engine = new DockerEngine(endpointForHost(options.engineHost, defaultEndpointInputs(undefined)));
  claim(options.lockFile, options.ownerId);
  try {
    await reapWhenGone({
      isGone: () => !isSameProcess(options.vscode),
      // A missing or unreadable file takes nothing over: only another helper's pid there does.
      isSuperseded: () => (holder(options.lockFile) ?? process.pid) !== process.pid,
      intervalMs: 500,
      // An engine restarting takes seconds; one that stays away an hour is not coming back for these containers.
      retry: { firstDelayMs: 500, maxDelayMs: 5_000, giveUpAfterMs: 60 * 60_000 },
      reap: async () => {
        const containers = await engine.list({ [LABEL_OWNER]: options.ownerId });
        await Promise.all(containers.map((c) => engine.remove(c.id)));
        return containers.length;
      },
    });
  } finally {
    if (holder(options.lockFile) === process.pid) fs.rmSync(options.lockFile, { force: true });
  }
}

main().then(() => process.exit(0), () => process.exit(1));
