import * as vscode from 'vscode';
import { debugRuntimeOf } from '../core/debug';
import type { FunctionRegistry } from '../services/functionRegistry';
import { commandId } from './ids';

/** Lines that define a handler: `exports.handler =`, `export const handler`, `def handler(`, `function handler(`. */
const HANDLER_PATTERN = /^\s*(?:exports\.handler\s*=|module\.exports\.handler\s*=|export\s+(?:async\s+)?(?:const|function)\s+handler\b|(?:async\s+)?def\s+handler\s*\(|(?:async\s+)?function\s+handler\s*\()/;

/** "Invoke" and "Build and Run" above the handler of a function, in its own files. */
export class HandlerCodeLensProvider implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changeEmitter.event;
  private readonly subscriptions: vscode.Disposable[];

  constructor(private readonly registry: FunctionRegistry) {
    this.subscriptions = [registry.onDidChange(() => this.changeEmitter.fire()), vscode.workspace.onDidGrantWorkspaceTrust(() => this.changeEmitter.fire())];
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    if (document.uri.scheme !== 'file') return [];
    const runner = this.registry.findByFile(document.uri.fsPath);
    if (!runner) return [];
    for (let line = 0; line < document.lineCount; line++) {
      if (!HANDLER_PATTERN.test(document.lineAt(line).text)) continue;
      const range = new vscode.Range(line, 0, line, 0);
      // Untrusted: one lens that says what to do, instead of lenses whose commands would refuse.
      if (!vscode.workspace.isTrusted) {
        return [new vscode.CodeLens(range, { title: `$(shield) ${vscode.l10n.t('Trust the workspace to build, run and invoke')}`, command: 'workbench.trust.manage', tooltip: vscode.l10n.t('A Dockerfile runs arbitrary commands: nothing is built or run until you trust this workspace.') })];
      }
      const running = runner.state.kind === 'running' || runner.state.kind === 'scaledToZero';
      const lenses = [
        new vscode.CodeLens(range, {
          title: `$(send) ${vscode.l10n.t('Invoke')}`, command: commandId('invoke'), arguments: [document.uri],
          tooltip: running ? vscode.l10n.t('Invoke {0}', runner.spec.name) : vscode.l10n.t('Invoke {0} (builds and starts it first)', runner.spec.name),
        }),
        new vscode.CodeLens(range, { title: running ? `$(refresh) ${vscode.l10n.t('Rebuild')}` : `$(play) ${vscode.l10n.t('Build and Run')}`, command: commandId('buildAndRun'), arguments: [document.uri] }),
      ];
      // A job has no server, so no URL.
      const isJob = runner.state.kind === 'job' || runner.state.kind === 'jobRunning';
      if (!isJob && debugRuntimeOf(runner.spec.runtime).ok) {
        const debugging = runner.state.kind === 'running' && runner.state.debugging;
        lenses.push(new vscode.CodeLens(range, debugging
          ? { title: `$(debug-alt) ${vscode.l10n.t('Debugging')}`, command: 'workbench.view.debug', tooltip: vscode.l10n.t('{0} runs with its debugger attached: stop the debug session to run it on without', runner.spec.name) }
          : { title: `$(debug-alt) ${vscode.l10n.t('Debug')}`, command: commandId('debugFunction'), arguments: [document.uri], tooltip: vscode.l10n.t('Run {0} with its debugger on and attach VS Code (breakpoints in this file bind)', runner.spec.name) }));
      }
      if (!isJob) lenses.push(new vscode.CodeLens(range, { title: `$(link) ${runner.url}/`, command: commandId('copyUrl'), arguments: [document.uri], tooltip: vscode.l10n.t('Copy {0}\'s URL on the local gateway: it stays the same across rebuilds, instances and scale to zero', runner.spec.name) }));
      return lenses;
    }
    return [];
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    this.changeEmitter.dispose();
  }
}
