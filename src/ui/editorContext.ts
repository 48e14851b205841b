import * as vscode from 'vscode';
import type { FunctionRegistry } from '../services/functionRegistry';
import { setContext } from './ids';

/** Keeps `localServerless.editorInFunction` true while the active editor shows a file of a function. */
export class EditorContext implements vscode.Disposable {
  private readonly subscriptions: vscode.Disposable[];
  private last: boolean | undefined;

  constructor(private readonly registry: FunctionRegistry) {
    this.subscriptions = [vscode.window.onDidChangeActiveTextEditor(() => this.update()), registry.onDidChange(() => this.update())];
    this.update();
  }

  private update(): void {
    const uri = vscode.window.activeTextEditor?.document.uri;
    const inFunction = uri?.scheme === 'file' && this.registry.findByFile(uri.fsPath) !== undefined;
    if (inFunction === this.last) return;
    this.last = inFunction;
    void setContext('editorInFunction', inFunction);
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
  }
}
