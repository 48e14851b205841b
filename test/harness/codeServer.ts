import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { poll } from '../support/poll';

/**
 * Runs a real VS Code (code-server) on 127.0.0.1 for tests, with its own user data and
 * extensions folders. Paths come from scripts/setup-vscode.sh (CODE_SERVER, NODE24_BIN).
 */
export interface CodeServer {
  baseUrl: string;
  userDataDir: string;
  logFile: string;
  /** Signals code-server's whole process group (SIGINT is what Ctrl+C in its terminal sends) and waits for it to exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export const REPO_ROOT = path.resolve(__dirname, '../../..');
export const ARTIFACTS = path.join(REPO_ROOT, '.test-artifacts');

export interface CodeServerOptions {
  /** A VSIX to install into a fresh extensions folder before starting. */
  vsix?: string;
  /** Extra settings for the user settings.json. */
  settings?: Record<string, unknown>;
  /**
   * Settings for the remote (machine) settings.json: what the Settings editor's "Remote" tab writes.
   * The workbench in the browser is a remote window of code-server's server, so VS Code reads a
   * machine-scoped setting from here and ignores it in the user settings.json (there it shows
   * "This setting cannot be applied in this window").
   */
  machineSettings?: Record<string, unknown>;
  trustWorkspaces?: boolean;
}

function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests through "npm test" (scripts/test.sh sets it from scripts/setup-vscode.sh).`);
  return value;
}

export async function startCodeServer(options: CodeServerOptions = {}): Promise<CodeServer> {
  const codeServer = requireEnv('CODE_SERVER');
  const node24 = requireEnv('NODE24_BIN');
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ls-vscode-'));
  const userDataDir = path.join(runDir, 'user-data');
  const extensionsDir = path.join(runDir, 'extensions');
  fs.mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  fs.mkdirSync(extensionsDir, { recursive: true });
  fs.writeFileSync(path.join(userDataDir, 'User', 'settings.json'), JSON.stringify({
    'workbench.startupEditor': 'none',
    // A walkthrough opening by itself when the extension is installed would take the focus from a test's quick pick.
    'workbench.welcomePage.walkthroughs.openOnInstall': false,
    'chat.disableAIFeatures': true,
    'telemetry.telemetryLevel': 'off',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'workbench.enableExperiments': false,
    'workbench.tips.enabled': false,
    'workbench.secondarySideBar.defaultVisibility': 'hidden',
    ...options.settings,
  }, null, 2));
  if (options.machineSettings) {
    fs.mkdirSync(path.join(userDataDir, 'Machine'), { recursive: true });
    fs.writeFileSync(path.join(userDataDir, 'Machine', 'settings.json'), JSON.stringify(options.machineSettings, null, 2));
  }
  const env = { ...process.env, PATH: `${node24}:${process.env.PATH}`, XDG_CONFIG_HOME: path.join(runDir, 'xdg-config'), XDG_DATA_HOME: path.join(runDir, 'xdg-data') };
  if (options.vsix) {
    const install = spawnSync(codeServer, ['--user-data-dir', userDataDir, '--extensions-dir', extensionsDir, '--install-extension', options.vsix], { env, encoding: 'utf8', timeout: 120_000 });
    if (install.status !== 0) throw new Error(`installing ${options.vsix} failed:\n${install.stdout}\n${install.stderr}`);
  }
  const port = await freePort();
  const logFile = path.join(runDir, 'code-server.log');
  const log = fs.openSync(logFile, 'a');
  const args = ['--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--disable-telemetry', '--disable-update-check',
    '--disable-getting-started-override', '--ignore-last-opened', '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir,
    '--vscode-option', 'enable-smoke-test-driver'];
  if (options.trustWorkspaces ?? true) args.push('--disable-workspace-trust');
  // Its own process group, so stopping it also stops the extension hosts and watchers it spawned.
  const child: ChildProcess = spawn(codeServer, args, { env, detached: true, stdio: ['ignore', log, log] });
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitForHealth(baseUrl, child, logFile);
  return {
    baseUrl,
    userDataDir,
    logFile,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      try { process.kill(-child.pid!, signal); } catch { /* already gone */ }
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* already gone */ }
      fs.closeSync(log);
    },
  };
}

async function waitForHealth(baseUrl: string, child: ChildProcess, logFile: string): Promise<void> {
  await poll(`code-server to answer on ${baseUrl}`, async () => {
    if (child.exitCode !== null) throw new Error(`code-server exited with ${child.exitCode}:\n${fs.readFileSync(logFile, 'utf8')}`);
    return fetch(`${baseUrl}/healthz`).then((r) => r.ok, () => false);
  }, { timeoutMs: 60_000, intervalMs: 100 });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    // Without the background-networking flags Chromium keeps dialling hosts this machine cannot reach.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}

/** Copies `examples/` to a fresh folder so tests can scaffold and edit without touching the repo. */
export function copyExamples(): string {
  const target = fs.mkdtempSync(path.join(os.tmpdir(), 'ls-workspace-'));
  fs.cpSync(path.join(REPO_ROOT, 'examples'), target, { recursive: true });
  return target;
}
