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
export async function buildAndRunWithProgress(runner: FunctionRunner, channels: FunctionOutputChannels, fromTree: boolean, title = vscode.l10n.t('Building and starting {0}', runner.spec.name)): Promise<string> {
  requireTrust();
  runner.assertConfigured(); // before the channel opens: a misconfigured function has nothing to show there
  channels.show(runner.spec.name);
  const location: vscode.ProgressOptions['location'] = fromTree ? { viewId: VIEW_ID } : vscode.ProgressLocation.Notification;
  return withProgressSafe({ location, title, cancellable: !fromTree }, (_progress, token) => runner.buildAndRun(toAbortSignal(token)));
}

export function buildAndRun(registry: FunctionRegistry, channels: FunctionOutputChannels) {
  return async (arg?: unknown): Promise<string> => {
    const runner = await resolveFunction(registry, arg, vscode.l10n.t('Function to build and run'));
    // The tree offers Build and Run only where it works; the palette offers it always. Refusals are the core's (English).
    const refusal = actionRefusal(runner.spec.name, runner.state.kind, 'buildAndRun');
    if (refusal) throw new UserFacingError(refusal);
    return buildAndRunWithProgress(runner, channels, arg instanceof FunctionNode);
  };
}

export function stop(registry: FunctionRegistry) {
  return async (arg?: unknown): Promise<void> => {
    const runner = await resolveFunction(registry, arg, vscode.l10n.t('Function to stop'));
    const refusal = actionRefusal(runner.spec.name, runner.state.kind, 'stop');
    if (refusal) {
      void showInfo(refusal);
      return;
    }
    await withProgressSafe({ location: { viewId: VIEW_ID }, title: vscode.l10n.t('Stopping {0}', runner.spec.name) }, () => runner.stop());
  };
}

export function showLogs(registry: FunctionRegistry, channels: FunctionOutputChannels) {
  return async (arg?: unknown): Promise<void> => {
    const runner = await resolveFunction(registry, arg, vscode.l10n.t('Function whose logs to show'));
    channels.show(runner.spec.name, false);
  };
}

/**
 * Open fn.json: the function's settings, where a misconfigured function is fixed. A function with no
 * fn.json (two folders with one name) gets a new, unsaved one at its place.
 */
export function openConfig(registry: FunctionRegistry) {
  return async (arg?: unknown): Promise<void> => {
    const runner = await resolveFunction(registry, arg, vscode.l10n.t('Function whose fn.json to open'));
    const file = path.join(runner.spec.folder, 'fn.json');
    const exists = await fs.lstat(file).then(() => true, () => false);
    if (exists && !(await realPathInside(runner.spec.folder, file))) {
      throw new UserFacingError(vscode.l10n.t('fn.json of {0} is a symbolic link that leads out of {1}, so it is not opened: replace it with a regular file.', runner.spec.name, runner.spec.folder));
    }
    const uri = exists ? vscode.Uri.file(file) : vscode.Uri.file(file).with({ scheme: 'untitled' });
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
  };
}

export function copyUrl(registry: FunctionRegistry) {
  return async (arg?: unknown): Promise<void> => {
    const runner = await resolveFunction(registry, arg, vscode.l10n.t('Function whose URL to copy'));
    const url = await externalUrl(runner);
    await vscode.env.clipboard.writeText(url);
    vscode.window.setStatusBarMessage(isOn(runner) ? vscode.l10n.t('Copied {0}', url) : vscode.l10n.t('Copied {0} ({1} is not running: requests get a 503 until you run Build and Run)', url, runner.spec.name), 4000);
  };
}

/** Open in Browser: the function's gateway URL, as this window's browser reaches it. */
export function openInBrowser(registry: FunctionRegistry) {
  return async (arg?: unknown): Promise<void> => {
    const runner = await resolveFunction(registry, arg, vscode.l10n.t('Function to open in the browser'));
    if (!isOn(runner)) void showInfo(vscode.l10n.t('{0} ({0} is not running: requests get a 503 until you run Build and Run).', runner.spec.name));
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

/** Whether a request to the function's URL gets an answer; when off, handing out the URL says it gets a 503. */
function isOn(runner: FunctionRunner): boolean {
  return ['running', 'scaledToZero', 'building'].includes(runner.state.kind);
}

export function setAutoReload(registry: FunctionRegistry, settings: AutoReloadSettings, enabled: boolean) {
  return async (arg?: unknown): Promise<void> => {
    const runner = await resolveFunction(registry, arg, enabled ? vscode.l10n.t('Function to enable auto-reload for') : vscode.l10n.t('Function to disable auto-reload for'));
    await settings.setEnabled(runner.spec.name, enabled);
    vscode.window.setStatusBarMessage(enabled ? vscode.l10n.t('Auto-reload on save enabled for {0}', runner.spec.name) : vscode.l10n.t('Auto-reload on save disabled for {0}', runner.spec.name), 3000);
  };
}

/** Clean Up: after a confirmation, removes every container and image tag this workspace made. */
export function cleanUp(registry: FunctionRegistry) {
  return async (): Promise<{ containers: number; images: number } | undefined> => {
    const remove = vscode.l10n.t('Remove');
    const answer = await askModal(
      vscode.l10n.t('Remove every container and image that Local Serverless made for this workspace?'),
      vscode.l10n.t('Running functions stop. Source files are not touched; the next Build and Run rebuilds from scratch.'),
      remove,
    );
    if (answer !== remove) return undefined;
    const removed = await withProgressSafe({ location: { viewId: VIEW_ID }, title: vscode.l10n.t('Cleaning up') }, () => registry.cleanUp());
    void showInfo(vscode.l10n.t('Removed {0} container(s) and {1} image tag(s) of this workspace.', removed.containers, removed.images));
    return removed;
  };
}
