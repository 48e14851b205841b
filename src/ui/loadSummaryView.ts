import * as vscode from 'vscode';
import { ReadOnlyDocuments } from './readOnlyDocuments';

export const LOAD_SUMMARY_SCHEME = 'local-serverless-load-test';

/**
 * Load test summaries as read-only plain-text documents, one per function, replaced by each run. Not
 * the invoke result view: its documents carry Save Payload as Event (by their scheme), which has no
 * meaning for a summary. Plain text, so nothing from fn.json or a reply renders as markdown or a link
 * that runs a command.
 */
export class LoadSummaryView implements vscode.Disposable {
  private readonly documents = new ReadOnlyDocuments(LOAD_SUMMARY_SCHEME);

  /**
   * Opens the summary in the editor group the user is in: the group beside it holds the Function
   * Activity chart, which goes on showing the function scale back down after the run.
   */
  show(functionName: string, text: string): Promise<vscode.TextEditor> {
    return this.documents.show(`/${functionName} load test.txt`, text, { viewColumn: vscode.ViewColumn.Active, preserveFocus: false });
  }

  dispose(): void {
    this.documents.dispose();
  }
}
