import * as vscode from 'vscode';
import type { FunctionRegistry } from '../services/functionRegistry';
import { FOCUS_VIEW_COMMAND } from './ids';

/** "N running" in the status bar; clicking it focuses the Functions view. */
export class RunningStatusItem implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('localServerless.running', vscode.StatusBarAlignment.Left, 50);
  private readonly subscription: vscode.Disposable;

  constructor(private readonly registry: FunctionRegistry) {
    this.item.name = 'Local Serverless';
    this.item.command = FOCUS_VIEW_COMMAND;
    this.subscription = registry.onDidChange(() => this.update());
    this.update();
  }

  private update(): void {
    const functions = this.registry.functions;
    if (functions.length === 0) {
      this.item.hide();
      return;
    }
    const running = functions.filter((f) => f.state.kind === 'running').length;
    this.item.text = `$(server-process) ${vscode.l10n.t('{0} running', running)}`;
    this.item.tooltip = vscode.l10n.t('Local Serverless: {0} of {1} function(s) running. Click to show them.', running, functions.length);
    this.item.show();
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
}
