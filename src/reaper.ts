/**
 * Entry of dist/reaper.js, the detached helper that OrphanReaper starts: when VS Code's process goes
 * away without the extension's deactivate having run, removes the workspace's containers.
 */
import { LABEL_WORKSPACE } from './core/names';
import { DockerEngine } from './engine/dockerEngine';
import { defaultEndpointInputs, endpointForHost } from './engine/endpoint';
import { isProcessAlive, reapWhenGone, type ReaperOptions } from './services/orphanReaper';

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '') as ReaperOptions;
  const engine = new DockerEngine(endpointForHost(options.engineHost, defaultEndpointInputs(undefined)));
  await reapWhenGone(options.vscodePid, {
    isAlive: isProcessAlive,
    intervalMs: 500,
    reap: async () => {
      const containers = await engine.list({ [LABEL_WORKSPACE]: options.wsId });
      await Promise.all(containers.map((c) => engine.remove(c.id)));
      return containers.length;
    },
  });
}

main().then(() => process.exit(0), () => process.exit(1));
