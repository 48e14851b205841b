import * as vscode from 'vscode';

/**
 * Read-only documents of one URI scheme whose text the extension sets: each path holds the text of
 * its latest show, and an open editor of it is told to refresh. Plain documents, so nothing in them
 * (text from fn.json, a container or a reply) renders as markdown or a link that runs a command.
 */
export class ReadOnlyDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly contents = new Map<string, string>();
  private readonly changeEmitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changeEmitter.event;
  private readonly registration: vscode.Disposable;

  constructor(readonly scheme: string) {
    this.registration = vscode.workspace.registerTextDocumentContentProvider(scheme, this);
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.contents.get(uri.path) ?? '';
  }

  /** Sets the text at `path` (replacing what an earlier show put there) and shows it with `options`. */
  async show(path: string, text: string, options: vscode.TextDocumentShowOptions): Promise<vscode.TextEditor> {
    const uri = vscode.Uri.from({ scheme: this.scheme, path });
    this.contents.set(uri.path, text);
    this.changeEmitter.fire(uri);
    const document = await vscode.workspace.openTextDocument(uri);
    return vscode.window.showTextDocument(document, { preview: false, ...options });
  }

  dispose(): void {
    this.registration.dispose();
    this.changeEmitter.dispose();
  }
}
