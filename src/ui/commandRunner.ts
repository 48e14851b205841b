import * as vscode from 'vscode';
import { errorMessage, isCancellation, UserFacingError } from '../core/errors';
import { EngineUnavailableError } from '../engine/engine';
import { showError } from './notify';

/**
 * The one error wrapper around every command: cancellations are silent, known failures show
 * their message (which says what to do), anything else is logged with its stack and summarised.
 */
export function registerCommand(
  id: string,
  handler: (...args: any[]) => unknown,
  log: vscode.LogOutputChannel,
): vscode.Disposable {
  return vscode.commands.registerCommand(id, async (...args: unknown[]) => {
    try {
      return await handler(...args);
    } catch (error) {
      if (isCancellation(error)) return undefined;
      if (error instanceof UserFacingError || error instanceof EngineUnavailableError) {
        log.warn(`${id}: ${error.message}`);
        void showError(error.message);
      } else {
        log.error(`${id} failed`, error instanceof Error ? error : new Error(String(error)));
        void showError(`${errorMessage(error)} (details in Output › Local Serverless)`);
      }
      return undefined;
    }
  });
}

/** Refuses to build or run anything in an untrusted workspace: a Dockerfile runs arbitrary commands. */
export function requireTrust(): void {
  if (!vscode.workspace.isTrusted) {
    throw new UserFacingError('This workspace is not trusted, and a Dockerfile runs arbitrary commands: trust the workspace (Manage Workspace Trust) to build and run functions.');
  }
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
