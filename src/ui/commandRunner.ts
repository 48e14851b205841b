import * as vscode from 'vscode';
import { errorMessage, isCancellation, UserFacingError } from '../core/errors';
import { EngineUnavailableError } from '../engine/engine';
import { withEngineAdvice } from './engineAdvice';
import { showError } from './notify';

/** Thrown instead of building, running or invoking anything in a workspace the user has not trusted. */
export class WorkspaceNotTrustedError extends UserFacingError {
  constructor() {
    super(vscode.l10n.t('This workspace is not trusted, and a Dockerfile runs arbitrary commands: trust the workspace (Manage Workspace Trust) to build, run and invoke functions.'));
  }
}

export interface CommandOptions {
  /**
   * Builds, runs, invokes or writes: refused in an untrusted workspace before the handler reads
   * anything (its arguments, fn.json, an event), so hostile workspace text never reaches a message.
   */
  requiresTrust?: boolean;
}

/**
 * The one error wrapper around every command: cancellations are silent, known failures show
 * their message (which says what to do), anything else is logged with its stack and summarised.
 */
export function registerCommand(
  id: string,
  // `never[]`: any handler's own parameter types fit; VS Code passes whatever the caller gave.
  handler: (...args: never[]) => unknown,
  log: vscode.LogOutputChannel,
  options: CommandOptions = {},
): vscode.Disposable {
  return vscode.commands.registerCommand(id, async (...args: unknown[]) => {
    try {
      if (options.requiresTrust) requireTrust();
      return await handler(...(args as never[]));
    } catch (error) {
      if (isCancellation(error)) return undefined;
      if (error instanceof WorkspaceNotTrustedError) {
        log.info(`${id}: refused, the workspace is not trusted`);
        const manageTrust = vscode.l10n.t('Manage Workspace Trust');
        void showError(error.message, manageTrust).then((answer) => answer === manageTrust && vscode.commands.executeCommand('workbench.trust.manage'));
      } else if (error instanceof EngineUnavailableError) {
        log.warn(`${id}: ${error.message}`);
        // The engine's own words (what happened) stay English; the advice (what to do) is ours.
        void showError(withEngineAdvice(error, vscode.l10n));
      } else if (error instanceof UserFacingError) {
        log.warn(`${id}: ${error.message}`);
        // Thrown in src/ui: already through vscode.l10n. Thrown in the core or services (no vscode there): English.
        void showError(error.message);
      } else {
        log.error(`${id} failed`, error instanceof Error ? error : new Error(String(error)));
        void showError(vscode.l10n.t('{0} (details in Output › Local Serverless)', errorMessage(error)));
      }
      return undefined;
    }
  });
}

/** Refuses to build or run anything in an untrusted workspace: a Dockerfile runs arbitrary commands. */
export function requireTrust(): void {
  if (!vscode.workspace.isTrusted) throw new WorkspaceNotTrustedError();
}

/**
 * Converts a VS Code cancellation token to the AbortSignal the core and engine take. The listener
 * lives as long as the token, which VS Code disposes with the progress that made it.
 */
export function toAbortSignal(token: vscode.CancellationToken): AbortSignal {
  const controller = new AbortController();
  if (token.isCancellationRequested) controller.abort();
  else token.onCancellationRequested(() => controller.abort());
  return controller.signal;
}
