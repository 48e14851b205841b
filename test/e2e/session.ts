import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser } from 'playwright-core';
import { LABEL_FOLDER, LABEL_FUNCTION, LABEL_OWNER } from '../../src/core/names';
import { ARTIFACTS, copyExamples, launchChromium, startCodeServer, type CodeServer } from '../harness/codeServer';
import { poll } from '../support/poll';
import { Workbench } from './ui';

/** A code-server with the packaged VSIX installed, open on a fresh copy of examples/ in Chromium. */
export interface Session {
  ui: Workbench;
  workspace: string;
  /** code-server's user data folder: its logs/ hold each extension's log file. */
  userDataDir: string;
  /** Containers of functions in this folder, made by any VS Code instance, asked of the real engine through the docker CLI. */
  containers(): string[];
  /** Stops code-server as its user would, with Ctrl+C (SIGINT to its process group). */
  interruptVsCode(): Promise<void>;
  close(): Promise<void>;
}

export interface SessionOptions {
  /** false: VS Code asks for workspace trust, so the folder opens in Restricted Mode. Default true. */
  trusted?: boolean;
  /** Changes the copied workspace before VS Code opens it (a hostile repository, say). */
  prepare?: (workspace: string) => void;
  /** Opens this folder instead of a fresh copy of examples/: a second VS Code instance on the same folder. */
  workspace?: string;
  /** Remote (machine) settings, as a person sets them in the Settings editor's Remote tab before opening the folder (see CodeServerOptions). */
  machineSettings?: Record<string, unknown>;
  /** Opens a window with no folder at all (workspace is then only where the session's containers would be looked for). */
  noFolder?: boolean;
  /** User settings beside the test defaults. */
  settings?: Record<string, unknown>;
  /** The browser window's size; default 1400×850. */
  viewport?: { width: number; height: number };
  /**
   * Log levels of the window, as VS Code for the web reads them from the page's `payload`:
   * "local-serverless.local-serverless:debug" writes that extension's debug lines to its log file.
   */
  logLevels?: string[];
}

export async function openSession(name: string, options: SessionOptions = {}): Promise<Session> {
  const vsix = process.env.LOCAL_SERVERLESS_VSIX;
  assert.ok(vsix && fs.existsSync(vsix), 'LOCAL_SERVERLESS_VSIX names the packaged extension (npm test packages it)');
  const workspace = options.workspace ?? copyExamples();
  options.prepare?.(workspace);
  const trusted = options.trusted ?? true;
  // Untrusted: no startup prompt to answer; the folder simply opens in Restricted Mode, as after "Don't Trust".
  const server: CodeServer = await startCodeServer({ vsix, trustWorkspaces: trusted, settings: { ...options.settings, ...(trusted ? {} : { 'security.workspace.trust.startupPrompt': 'never' }) }, machineSettings: options.machineSettings });
  const browser: Browser = await launchChromium();
  const page = await browser.newPage({ viewport: options.viewport ?? { width: 1400, height: 850 } });
  const ui = new Workbench(page, path.join(ARTIFACTS, 'e2e-screenshots', name));
  const payload = options.logLevels?.length ? `payload=${encodeURIComponent(JSON.stringify([['logLevel', options.logLevels.join(',')]]))}` : '';
  const query = [options.noFolder ? '' : `folder=${encodeURIComponent(workspace)}`, payload].filter(Boolean).join('&');
  await page.goto(`${server.baseUrl}/${query ? `?${query}` : ''}`);
  await ui.ready();
  const containers = () => containersOfFolder(workspace);
  return {
    ui,
    workspace,
    userDataDir: server.userDataDir,
    containers,
    interruptVsCode: () => server.stop('SIGINT'),
    close: async () => {
      await ui.screenshot('final').catch(() => undefined);
      await browser.close();
      await server.stop();
      // VS Code's own clean-up may be removing them already ("removal … already in progress"): then wait for it.
      for (const id of containers()) {
        try { execFileSync('docker', ['rm', '-f', id], { stdio: 'pipe' }); } catch { /* being removed, or gone */ }
      }
      await until('this workspace\'s containers to be gone', () => containers().length === 0, 15_000);
    },
  };
}

/** Ids of the containers of functions under `folder`, whichever VS Code instance made them. */
export function containersOfFolder(folder: string): string[] {
  const listing = execFileSync('docker', ['ps', '-a', '--no-trunc', '--filter', `label=${LABEL_FUNCTION}`, '--format', `{{.ID}}\t{{.Label "${LABEL_FOLDER}"}}`], { encoding: 'utf8' });
  return listing.split('\n').filter(Boolean).map((line) => line.split('\t')).filter(([, fnFolder]) => fnFolder?.startsWith(folder + path.sep)).map(([id]) => id.slice(0, 12));
}

/** Ids of the running containers carrying one VS Code instance's owner label. */
export function runningContainersOfOwner(owner: string): string[] {
  return execFileSync('docker', ['ps', '-q', '--filter', `label=${LABEL_OWNER}=${owner}`], { encoding: 'utf8' }).split('\n').filter(Boolean);
}

export async function until(what: string, probe: () => boolean, timeoutMs = 15_000): Promise<void> {
  await poll(what, probe, { timeoutMs, intervalMs: 100 });
}
