import * as vscode from 'vscode';

export const LOAD_SUMMARY_SCHEME = 'local-serverless-load-test';

/**
 * Load test summaries as read-only plain-text documents, one per function, replaced by each run. Not
 * the invoke result view: its documents carry Save Payload as Event (by their scheme), which has no
 * meaning for a summary. Plain text, so nothing from fn.json or a reply renders as markdown or a link
 * that runs a command.
 */
export class LoadSummaryView implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly contents = new Map<string, string>();
  private readonly changeEmitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changeEmitter.event;
  private readonly registration = vscode.workspace.registerTextDocumentContentProvider(LOAD_SUMMARY_SCHEME, this);

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.contents.get(uri.path) ?? '';
  }

  /**
   * Opens the summary in the editor group the user is in: the group beside it holds the Function
   * Activity chart, which goes on showing the function scale back down after the run.
   */
  async show(functionName: string, text: string): Promise<vscode.TextEditor> {
    const uri = vscode.Uri.from({ scheme: LOAD_SUMMARY_SCHEME, path: `/${functionName} load test.txt` });
    this.contents.set(uri.path, text);
    this.changeEmitter.fire(uri);
    const document = await vscode.workspace.openTextDocument(uri);
    return vscode.window.showTextDocument(document, { viewColumn: vscode.ViewColumn.Active, preserveFocus: false, preview: false });
  }

  dispose(): void {
    this.registration.dispose();
    this.changeEmitter.dispose();
  }
}
