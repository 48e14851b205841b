import * as vscode from 'vscode';
import { UserFacingError } from '../../core/errors';

/**
 * Shows the README that ships with the extension in VS Code's Markdown preview, offline too (unlike
 * the extension's page, which asks the Marketplace first). vsce stores README.md as readme.md.
 */
export function openReadme(extensionUri: vscode.Uri): () => Promise<unknown> {
  return async () => {
    for (const name of ['readme.md', 'README.md']) {
      const readme = vscode.Uri.joinPath(extensionUri, name);
      const found = await vscode.workspace.fs.stat(readme).then(() => true, () => false);
      if (found) return vscode.commands.executeCommand('markdown.showPreview', readme);
    }
    throw new UserFacingError(vscode.l10n.t('The README is missing from {0}: reinstall the extension.', extensionUri.fsPath));
  };
}
