import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { UserFacingError } from '../../core/errors';
import { actionRefusal } from '../../core/functionStates';
import { realPathInside } from '../../core/insideFolder';
import type { AutoReloadSettings } from '../autoReloadSettings';
import type { FunctionRegistry } from '../../services/functionRegistry';
import type { FunctionRunner } from '../../services/functionRunner';
import { requireTrust, toAbortSignal } from '../commandRunner';
import { FunctionNode } from '../functionsTree';
import type { FunctionOutputChannels } from '../outputChannels';
import { VIEW_ID } from '../ids';
import { resolveFunction } from './pickFunction';
import { askModal, showInfo, withProgressSafe } from '../notify';

/**
 * Builds and (re)starts a function, showing progress where the action started: in the view for a
 * tree action, otherwise as a cancellable notification.
 */
export async function buildAndRunWithProgress(runner: FunctionRunner, channels: FunctionOutputChannels, fromTree: boolean, title = `Building and starting ${runner.spec.name}`): Promise<string> {
  requireTrust();
  runner.assertConfigured(); // before the channel opens: a misconfigured function has nothing to show there
  channels.show(runner.spec.name);
  const location: vscode.ProgressOptions['location'] = fromTree ? { viewId: VIEW_ID } : vscode.ProgressLocation.Notification;
  return withProgressSafe({ location, title, cancellable: !fromTree }, (_progress, token) => runner.buildAndRun(toAbortSignal(token)));
}

export function buildAndRun(registry: FunctionRegistry, channels: FunctionOutputChannels) {
  return async (arg?: unknown): Promise<string> => {
    const runner = await resolveFunction(registry, arg, 'Function to build and run');
    // The tree offers Build and Run only where it works; the palette offers it always.
    const refusal = actionRefusal(runner.spec.name, runner.state.kind, 'buildAndRun');
    if (refusal) throw new UserFacingError(refusal);
    return buildAndRunWithProgress(runner, channels, arg instanceof FunctionNode);
  };
}

export function stop(registry: FunctionRegistry) {
  return async (arg?: unknown): Promise<void> => {
    const runner = await resolveFunction(registry, arg, 'Function to stop');
    const refusal = actionRefusal(runner.spec.name, runner.state.kind, 'stop');
    if (refusal) {
      void showInfo(refusal);
      return;
    }
    await withProgressSafe({ location: { viewId: VIEW_ID }, title: `Stopping ${runner.spec.name}` }, () => runner.stop());
  };
}

export function showLogs(registry: FunctionRegistry, channels: FunctionOutputChannels) {
  return async (arg?: unknown): Promise<void> => {
    const runner = await resolveFunction(registry, arg, 'Function whose logs to show');
    channels.show(runner.spec.name, false);
  };
}

/**
 * Open fn.json: the function's settings, where a misconfigured function is fixed. A function with no
 * fn.json (two folders with one name) gets a new, unsaved one at its place.
 */
export function openConfig(registry: FunctionRegistry) {
  return async (arg?: unknown): Promise<void> => {
    const runner = await resolveFunction(registry, arg, 'Function whose fn.json to open');
    const file = path.join(runner.spec.folder, 'fn.json');
    const exists = await fs.lstat(file).then(() => true, () => false);
    if (exists && !(await realPathInside(runner.spec.folder, file))) {
      throw new UserFacingError(`fn.json of ${runner.spec.name} is a symbolic link that leads out of ${runner.spec.folder}, so it is not opened: replace it with a regular file.`);
    }
    const uri = exists ? vscode.Uri.file(file) : vscode.Uri.file(file).with({ scheme: 'untitled' });
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
  };
}

export function copyUrl(registry: FunctionRegistry) {
  return async (arg?: unknown): Promise<void> => {
    const runner = await resolveFunction(registry, arg, 'Function whose URL to copy');
    const url = await externalUrl(runner);
    await vscode.env.clipboard.writeText(url);
    vscode.window.setStatusBarMessage(`Copied ${url}${offNote(runner)}`, 4000);
  };
}

/** Open in Browser: the function's gateway URL, as this window's browser reaches it. */
export function openInBrowser(registry: FunctionRegistry) {
  return async (arg?: unknown): Promise<void> => {
    const runner = await resolveFunction(registry, arg, 'Function to open in the browser');
    const note = offNote(runner);
    if (note) void showInfo(`${runner.spec.name}${note}.`);
    await vscode.env.openExternal(vscode.Uri.parse(await externalUrl(runner), true));
  };
}

/**
 * The gateway URL as the user's browser reaches it: in a remote window (code-server, SSH,
 * Codespaces) VS Code forwards the port and hands back the address that reaches it from there.
 */
async function externalUrl(runner: FunctionRunner): Promise<string> {
  return (await vscode.env.asExternalUri(vscode.Uri.parse(`${runner.url}/`, true))).toString(true);
}

/** What a request to a function that is off gets, said when its URL is handed out. */
function offNote(runner: FunctionRunner): string {
  const on = ['running', 'scaledToZero', 'building'].includes(runner.state.kind);
  return on ? '' : ` (${runner.spec.name} is not running: requests get a 503 until you run Build and Run)`;
}

export function setAutoReload(registry: FunctionRegistry, settings: AutoReloadSettings, enabled: boolean) {
  return async (arg?: unknown): Promise<void> => {
    const runner = await resolveFunction(registry, arg, `Function to ${enabled ? 'enable' : 'disable'} auto-reload for`);
    await settings.setEnabled(runner.spec.name, enabled);
    vscode.window.setStatusBarMessage(`Auto-reload on save ${enabled ? 'enabled' : 'disabled'} for ${runner.spec.name}`, 3000);
  };
}

/** Clean Up: after a confirmation, removes every container and image tag this workspace made. */
export function cleanUp(registry: FunctionRegistry) {
  return async (): Promise<{ containers: number; images: number } | undefined> => {
    const answer = await askModal(
      'Remove every container and image that Local Serverless made for this workspace?',
      'Running functions stop. Source files are not touched; the next Build and Run rebuilds from scratch.',
      'Remove',
    );
    if (answer !== 'Remove') return undefined;
    const removed = await withProgressSafe({ location: { viewId: VIEW_ID }, title: 'Cleaning up' }, () => registry.cleanUp());
    void showInfo(`Removed ${removed.containers} container(s) and ${removed.images} image tag(s) of this workspace.`);
    return removed;
  };
}
