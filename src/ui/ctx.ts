import * as vscode from 'vscode';
import { registerCommand, type CommandOptions } from './commandRunner';
import { commandId, type CommandName } from './ids';

/**
 * What every part of the UI is registered through (rust-analyzer's `Ctx`): it owns the
 * `localServerless.` prefix, the error wrapper and trust check of every command, and the
 * subscriptions VS Code disposes when the extension goes.
 */
export class Ctx {
  constructor(private readonly extension: vscode.ExtensionContext, readonly log: vscode.LogOutputChannel) {
    extension.subscriptions.push(log);
  }

  /** `localServerless.<name>`, run through the one error wrapper; `requiresTrust` refuses before the handler reads anything. */
  registerCommand(name: CommandName, handler: (...args: never[]) => unknown, options?: CommandOptions): void {
    this.extension.subscriptions.push(registerCommand(commandId(name), handler, this.log, options));
  }

  /** Hands disposables to VS Code, which disposes them (in order) when the extension deactivates. */
  own<T extends vscode.Disposable>(disposable: T): T {
    this.extension.subscriptions.push(disposable);
    return disposable;
  }
}
