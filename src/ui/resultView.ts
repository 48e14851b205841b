import * as vscode from 'vscode';
import { formatInvokeResult, showsAsJsonc, type InvokeResult } from '../core/invoke';

export const RESULT_SCHEME = 'local-serverless-result';
const RESPONSE_SUFFIX = ' response';

/** The function a result document belongs to, or undefined for any other document. */
export function functionOfResult(uri: vscode.Uri): string | undefined {
  if (uri.scheme !== RESULT_SCHEME) return undefined;
  const match = new RegExp(`^/(.+)${RESPONSE_SUFFIX}\\.(jsonc|txt)$`).exec(uri.path);
  return match?.[1];
}

/**
 * Shows invoke results beside the editor as read-only documents, one per function, replaced on
 * each invoke. JSON replies render as JSONC with the status line and headers as comments, so the
 * body is highlighted and foldable like any JSON file.
 */
export class InvokeResultView implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly contents = new Map<string, string>();
  private readonly changeEmitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changeEmitter.event;
  private readonly registration = vscode.workspace.registerTextDocumentContentProvider(RESULT_SCHEME, this);

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.contents.get(uri.path) ?? '';
  }

  async show(functionName: string, result: InvokeResult): Promise<vscode.TextEditor> {
    const isJson = showsAsJsonc(result);
    const uri = vscode.Uri.from({ scheme: RESULT_SCHEME, path: `/${functionName}${RESPONSE_SUFFIX}.${isJson ? 'jsonc' : 'txt'}` });
    this.contents.set(uri.path, formatInvokeResult(result, isJson));
    this.changeEmitter.fire(uri);
    const document = await vscode.workspace.openTextDocument(uri);
    return vscode.window.showTextDocument(document, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true, preview: false });
  }

  dispose(): void {
    this.registration.dispose();
    this.changeEmitter.dispose();
  }
}
