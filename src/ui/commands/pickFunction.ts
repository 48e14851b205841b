import * as vscode from 'vscode';
import { CancelledError, UserFacingError } from '../../core/errors';
import type { FunctionRegistry } from '../../services/functionRegistry';
import type { FunctionRunner } from '../../services/functionRunner';
import { EventNode, FunctionNode } from '../functionsTree';
import { describeState } from '../functionsTree';

/**
 * The function a command applies to: the tree node it was run on, the file of the editor title
 * button, or (from the palette) a pick, with the active editor's function first.
 */
export async function resolveFunction(registry: FunctionRegistry, arg: unknown, placeHolder: string): Promise<FunctionRunner> {
  if (arg instanceof FunctionNode || arg instanceof EventNode) return arg.runner;
  if (arg instanceof vscode.Uri) {
    const runner = registry.findByFile(arg.fsPath);
    if (runner) return runner;
  }
  const functions = registry.functions;
  if (functions.length === 0) {
    throw new UserFacingError(vscode.l10n.t('No functions in this workspace: a function is a folder with a Dockerfile. Run "Local Serverless: New Function" to create one.'));
  }
  const active = vscode.window.activeTextEditor?.document.uri;
  const current = active?.scheme === 'file' ? registry.findByFile(active.fsPath) : undefined;
  const ordered = current ? [current, ...functions.filter((f) => f !== current)] : functions;
  const picked = await vscode.window.showQuickPick(
    ordered.map((runner) => ({ label: runner.spec.name, description: describeState(runner.state), detail: vscode.workspace.asRelativePath(runner.spec.folder), runner })),
    { placeHolder, matchOnDescription: true },
  );
  if (!picked) throw new CancelledError();
  return picked.runner;
}
