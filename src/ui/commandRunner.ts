import * as vscode from 'vscode';
import { errorMessage, isCancellation, UserFacingError } from '../core/errors';
import { EngineUnavailableError } from '../engine/engine';
import { withEngineAdvice } from './engineAdvice';
import { showError } from './notify';

const MANAGE_TRUST = 'Manage Workspace Trust';

/** Thrown instead of building, running or invoking anything in a workspace the user has not trusted. */
export class WorkspaceNotTrustedError extends UserFacingError {
  constructor() {
    super('This workspace is not trusted, and a Dockerfile runs arbitrary commands: trust the workspace (Manage Workspace Trust) to build, run and invoke functions.');
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
        void showError(error.message, MANAGE_TRUST).then((answer) => answer === MANAGE_TRUST && vscode.commands.executeCommand('workbench.trust.manage'));
      } else if (error instanceof EngineUnavailableError) {
        log.warn(`${id}: ${error.message}`);
        void showError(withEngineAdvice(error));
      } else if (error instanceof UserFacingError) {
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
