import * as path from 'node:path';
import * as vscode from 'vscode';
import { CancelledError, UserFacingError } from '../../core/errors';
import { DEFAULT_PORT } from '../../core/functionSpec';
import { resolveInside, validateFunctionName } from '../../core/names';
import { listTemplates, renderTemplate } from '../../core/scaffold';
import type { FunctionDiscovery } from '../discovery';
import { writeFilesAskingFirst } from './writeFiles';

/**
 * New Function: asks for a name and a runtime, writes the template into `<workspace>/<name>`,
 * never overwriting a different file without asking (identical files are skipped silently),
 * then opens the handler. `name` and `runtime` may be passed by callers that already know them.
 */
export function newFunction(templatesRoot: string, discovery: FunctionDiscovery) {
  return async (nameArg?: unknown, runtimeArg?: unknown): Promise<string> => {
    const root = await pickWorkspaceFolder();
    const name = typeof nameArg === 'string' ? nameArg : await vscode.window.showInputBox({
      title: vscode.l10n.t('New Function (1/2): name'),
      prompt: vscode.l10n.t('A folder of this name is created in {0}', root.name),
      placeHolder: 'hello',
      validateInput: validateFunctionName,
    });
    if (name === undefined) throw new CancelledError();
    const invalid = validateFunctionName(name);
    // Why a name is invalid, or leaves the folder, is the core's to say (English: it has no vscode).
    if (invalid) throw new UserFacingError(vscode.l10n.t('"{0}" cannot name a function. {1}', name, invalid));
    let folder: string;
    try {
      folder = resolveInside(root.uri.fsPath, name.trim());
    } catch (error) {
      throw new UserFacingError((error as Error).message);
    }

    const templates = await listTemplates(templatesRoot);
    const template = typeof runtimeArg === 'string'
      ? templates.find((t) => t.runtime === runtimeArg)
      : (await vscode.window.showQuickPick(templates.map((t) => ({ label: t.label, description: t.runtime, template: t })), { title: vscode.l10n.t('New Function (2/2): runtime') }))?.template;
    if (!template) {
      if (typeof runtimeArg === 'string') throw new UserFacingError(vscode.l10n.t('No template for runtime "{0}": use one of {1}.', runtimeArg, templates.map((t) => t.runtime).join(', ')));
      throw new CancelledError();
    }

    await writeFilesAskingFirst(root.uri.fsPath, folder, renderTemplate(template, { name: name.trim(), port: DEFAULT_PORT }), (paths) =>
      vscode.l10n.t('{0} file(s) already exist in {1} with other content: {2}. Replace them with the template\'s?', paths.length, vscode.workspace.asRelativePath(folder), paths.join(', ')));
    await discovery.refresh();
    const entry = vscode.Uri.file(path.join(folder, template.entry));
    await vscode.window.showTextDocument(entry);
    return folder;
  };
}

async function pickWorkspaceFolder(): Promise<vscode.WorkspaceFolder> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (folders.length === 0) throw new UserFacingError(vscode.l10n.t('Open a folder first: functions are created inside the workspace.'));
  if (folders.length === 1) return folders[0];
  const picked = await vscode.window.showWorkspaceFolderPick({ placeHolder: vscode.l10n.t('Workspace folder for the new function') });
  if (!picked) throw new CancelledError();
  return picked;
}
