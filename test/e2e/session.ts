import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser } from 'playwright-core';
import { LABEL_WORKSPACE, workspaceId } from '../../src/core/names';
import { ARTIFACTS, copyExamples, launchChromium, startCodeServer, type CodeServer } from '../harness/codeServer';
import { poll } from '../support/poll';
import { Workbench } from './ui';

/** A code-server with the packaged VSIX installed, open on a fresh copy of examples/ in Chromium. */
export interface Session {
  ui: Workbench;
  workspace: string;
  /** This workspace's containers, asked of the real engine through the docker CLI. */
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
}

export async function openSession(name: string, options: SessionOptions = {}): Promise<Session> {
  const vsix = process.env.LOCAL_SERVERLESS_VSIX;
  assert.ok(vsix && fs.existsSync(vsix), 'LOCAL_SERVERLESS_VSIX names the packaged extension (npm test packages it)');
  const workspace = copyExamples();
  options.prepare?.(workspace);
  const trusted = options.trusted ?? true;
  // Untrusted: no startup prompt to answer; the folder simply opens in Restricted Mode, as after "Don't Trust".
  const server: CodeServer = await startCodeServer({ vsix, trustWorkspaces: trusted, settings: trusted ? {} : { 'security.workspace.trust.startupPrompt': 'never' } });
  const browser: Browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1400, height: 850 } });
  const ui = new Workbench(page, path.join(ARTIFACTS, 'e2e-screenshots', name));
  await page.goto(`${server.baseUrl}/?folder=${encodeURIComponent(workspace)}`);
  await ui.ready();
  const containers = () => execFileSync('docker', ['ps', '-aq', '--filter', `label=${LABEL_WORKSPACE}=${workspaceId(workspace)}`], { encoding: 'utf8' }).split('\n').filter(Boolean);
  return {
    ui,
    workspace,
    containers,
    interruptVsCode: () => server.stop('SIGINT'),
    close: async () => {
      await ui.screenshot('final').catch(() => undefined);
      await browser.close();
      await server.stop();
      for (const id of containers()) execFileSync('docker', ['rm', '-f', id]);
    },
  };
}

export async function until(what: string, probe: () => boolean, timeoutMs = 15_000): Promise<void> {
  await poll(what, probe, { timeoutMs, intervalMs: 100 });
}
