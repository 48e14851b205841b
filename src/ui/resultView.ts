import * as vscode from 'vscode';
import { ReadOnlyDocuments } from './readOnlyDocuments';
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
export class InvokeResultView implements vscode.Disposable {
  private readonly documents = new ReadOnlyDocuments(RESULT_SCHEME);

  show(functionName: string, result: InvokeResult): Promise<vscode.TextEditor> {
    const isJson = showsAsJsonc(result);
    const path = `/${functionName}${RESPONSE_SUFFIX}.${isJson ? 'jsonc' : 'txt'}`;
    return this.documents.show(path, formatInvokeResult(result, isJson), { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true });
  }

  dispose(): void {
    this.documents.dispose();
  }
}
