import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { describeFunction, type FunctionSpec } from '../../src/core/functionSpec';
import { LABEL_WORKSPACE, workspaceId } from '../../src/core/names';
import { loadTemplate, renderTemplate } from '../../src/core/scaffold';
import { DockerEngine } from '../../src/engine/dockerEngine';
import { defaultEndpointInputs, resolveEndpoint } from '../../src/engine/endpoint';
import type { OutputSink } from '../../src/services/functionRunner';

export const TEMPLATES = path.resolve(__dirname, '../../../templates');

export function realEngine(): DockerEngine {
  return new DockerEngine(resolveEndpoint(defaultEndpointInputs(undefined)));
}

/**
 * The tier runs against Podman's Docker-compatible socket too (scripts/test.sh, integration-podman):
 * tests about dockerd itself skip there, saying so.
 */
export const ON_PODMAN = /podman/i.test(resolveEndpoint(defaultEndpointInputs(undefined)).host);

/** A throwaway workspace folder whose containers and images are removed by `cleanup`. */
export async function tempWorkspace(): Promise<{ root: string; wsId: string; cleanup: (engine: DockerEngine) => Promise<void> }> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'ls-it-'));
  const wsId = workspaceId(root);
  return {
    root,
    wsId,
    cleanup: async (engine) => {
      for (const c of await engine.list({ [LABEL_WORKSPACE]: wsId })) await engine.remove(c.id);
      await fs.rm(root, { recursive: true, force: true });
    },
  };
}

/** Writes a function from a real template into the workspace and describes it as discovery would. */
export async function scaffold(root: string, runtime: 'node' | 'python', name: string): Promise<FunctionSpec> {
  const folder = path.join(root, name);
  for (const file of renderTemplate(await loadTemplate(TEMPLATES, runtime), { name, port: 8080 })) {
    await fs.mkdir(path.dirname(path.join(folder, file.relativePath)), { recursive: true });
    await fs.writeFile(path.join(folder, file.relativePath), file.content);
  }
  return readSpec(folder);
}

export async function readSpec(folder: string): Promise<FunctionSpec> {
  const dockerfileText = await fs.readFile(path.join(folder, 'Dockerfile'), 'utf8');
  const configText = await fs.readFile(path.join(folder, 'fn.json'), 'utf8').catch(() => undefined);
  return describeFunction({ folder, dockerfileText, configText });
}

/** Collects what a function writes to its output channel. */
export class RecordingSink implements OutputSink {
  text = '';
  append(text: string): void {
    this.text += text;
  }
  appendLine(text: string): void {
    this.text += text + '\n';
  }
  /** Resolves when `pattern` has appeared, or rejects after `timeoutMs` with what was seen. */
  async waitFor(pattern: RegExp, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(this.text)) {
      if (Date.now() > deadline) throw new Error(`output never matched ${pattern}; got:\n${this.text}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}

/** Polls `probe` every 20 ms until it holds; resolves with the ms it took, rejects after `timeoutMs`. */
export async function until(what: string, probe: () => boolean | Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (!(await probe())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return Date.now() - started;
}
