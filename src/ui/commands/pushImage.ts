import * as vscode from 'vscode';
import { digestTag } from '../../core/contentDigest';
import { CancelledError, isCancellation, UserFacingError } from '../../core/errors';
import { pushDestination } from '../../core/imageReference';
import type { ContainerEngine } from '../../engine/engine';
import type { FunctionRegistry } from '../../services/functionRegistry';
import type { PushedImages } from '../../services/pushedImages';
import { describePushProgress, pushImage as push, type PushResult } from '../../services/pushImage';
import type { RegistryCredentialResolver } from '../../services/registryAuth';
import { requireTrust, toAbortSignal } from '../commandRunner';
import { showInfo, withProgressSafe } from '../notify';
import type { FunctionOutputChannels } from '../outputChannels';
import { configuredRegistry } from '../registrySetting';
import { SETTINGS } from '../ids';
import { resolveFunction } from './pickFunction';

export interface PushImageDependencies {
  engine: ContainerEngine;
  credentials: RegistryCredentialResolver;
  pushed: PushedImages;
  channels: FunctionOutputChannels;
  /** The localServerless.registry setting, trust-aware. Default: configuredRegistry(). */
  registrySetting?: () => { value: string; source: string } | undefined;
}

/** The localServerless.pushLatest setting: also move `latest` to each pushed image. */
function pushesLatest(folder: string): boolean {
  return vscode.workspace.getConfiguration(undefined, vscode.Uri.file(folder)).get<boolean>(SETTINGS.pushLatest) === true;
}

/** Copy Pushed Image Digest (tree, palette): `<repository>@<digest>` of the function's last push. */
export function copyPushedDigest(registry: FunctionRegistry, pushed: PushedImages) {
  return async (arg?: unknown): Promise<string | undefined> => {
    const runner = await resolveFunction(registry, arg, vscode.l10n.t('Function whose pushed image digest to copy'));
    const image = pushed.get(runner.spec.name);
    if (!image) {
      void showInfo(vscode.l10n.t('{0} has not been pushed from this workspace yet: run Push Image first.', runner.spec.name));
      return undefined;
    }
    const pinned = `${image.repository}@${image.digest}`;
    await vscode.env.clipboard.writeText(pinned);
    vscode.window.setStatusBarMessage(vscode.l10n.t('Copied {0}', pinned), 4000);
    return pinned;
  };
}
/** Progress lines come many times a second per layer: the notification is redrawn at most this often. */
const PROGRESS_INTERVAL_MS = 100;

/**
 * Push Image: builds the function's image when its content changed since the last build, then tags
 * it `<registry>/<name>:<content digest>` and pushes it, in a cancellable notification that sums the
 * layers' bytes. Says where it went with the digest (Copy Digest copies `<repository>@<digest>`),
 * and remembers it for the tree and the exports. An unchanged image is not sent again.
 */
export function pushImage(registry: FunctionRegistry, dependencies: PushImageDependencies) {
  const { engine, credentials, pushed, channels } = dependencies;
  const registrySetting = dependencies.registrySetting ?? configuredRegistry;
  return async (arg?: unknown): Promise<PushResult | undefined> => {
    requireTrust();
    const runner = await resolveFunction(registry, arg, vscode.l10n.t('Function whose image to push'));
    runner.assertConfigured();
    const { name } = runner.spec;
    // The destination's problem, the layers' progress and a cancelled push's message are the core's and services' words (English).
    const destination = pushDestination(name, runner.spec.image, registrySetting());
    if ('problem' in destination) throw new UserFacingError(destination.problem);
    const { repository, configuredBy } = destination;
    const out = channels.get(name);
    let userCancelled = false;
    let result: PushResult & { tag: string };
    try {
      result = await withProgressSafe({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Pushing {0} to {1}', name, repository.name), cancellable: true }, async (progress, token) => {
        token.onCancellationRequested(() => (userCancelled = true));
        const signal = toAbortSignal(token);
        progress.report({ message: vscode.l10n.t('building if the code changed…') });
        const image = await runner.prepareImage(signal);
        const tag = digestTag(image.digest);
        progress.report({ message: image.built ? vscode.l10n.t('built; sending {0}…', tag) : vscode.l10n.t('sending {0}…', tag) });
        let shownPercent = 0;
        let shownAt = 0;
        const done = await credentials.withCredentials(repository.registry, (login) => push(engine, { localTag: image.tag, repository: repository.name, tag, configuredBy, alsoLatest: pushesLatest(runner.spec.folder) }, login, (layers) => {
          const now = Date.now();
          if (now - shownAt < PROGRESS_INTERVAL_MS) return;
          shownAt = now;
          const { sent, total, text } = describePushProgress(layers);
          const percent = total ? Math.floor((sent / total) * 100) : 0;
          progress.report({ message: text, increment: Math.max(percent - shownPercent, 0) });
          shownPercent = Math.max(percent, shownPercent);
        }, signal));
        return { ...done, tag };
      });
    } catch (error) {
      // Cancel is no failure, but what it left behind is worth a line: the notification says it once.
      if (isCancellation(error) && userCancelled) {
        const message = error instanceof CancelledError && error.message !== 'Cancelled' ? error.message : vscode.l10n.t('Push of {0} cancelled: nothing was sent.', name);
        out.appendLine(`[push] ${message}`);
        void showInfo(message);
      }
      throw error;
    }
    const pinned = `${repository.name}@${result.digest}`;
    await pushed.record(name, { repository: repository.name, tag: result.tag, digest: result.digest, pushedAt: Date.now() });
    out.appendLine(`[push] ${result.skipped ? vscode.l10n.t('{0} is already in the registry, unchanged: nothing sent ({1})', result.reference, pinned) : vscode.l10n.t('pushed {0} ({1})', result.reference, pinned)}`);
    const message = result.skipped ? vscode.l10n.t('{0} is already in the registry, unchanged: {1}', result.reference, result.digest) : vscode.l10n.t('Pushed {0}', `${result.reference}@${result.digest}`);
    const copyDigest = vscode.l10n.t('Copy Digest');
    void showInfo(message, copyDigest).then(async (answer) => {
      if (answer !== copyDigest) return;
      await vscode.env.clipboard.writeText(pinned);
      vscode.window.setStatusBarMessage(vscode.l10n.t('Copied {0}', pinned), 4000);
    });
    return result;
  };
}
