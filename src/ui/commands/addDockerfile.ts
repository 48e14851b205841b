import * as path from 'node:path';
import * as vscode from 'vscode';
import { detectProject, renderDockerfile } from '../../core/detectRuntime';
import { CancelledError, UserFacingError } from '../../core/errors';
import { loadTemplate } from '../../core/scaffold';
import type { FunctionDiscovery } from '../discovery';
import { showInfo } from '../notify';
import { writeFilesAskingFirst } from './writeFiles';

/** Names of runtimes: the same in every language. */
const RUNTIME_LABELS = { node: 'Node.js', python: 'Python' } as const;

/**
 * Add Dockerfile: turns an existing folder of Node.js or Python code into a function by writing a
 * `Dockerfile` and `.dockerignore` for it. The folder comes from the explorer's context menu (a
 * folder's Uri, or a file's, whose folder is used), else from a folder picker. Never overwrites a
 * different file without asking (identical files are skipped silently); opens the Dockerfile.
 */
export function addDockerfile(templatesRoot: string, discovery: FunctionDiscovery) {
  return async (arg?: unknown): Promise<string | undefined> => {
    const folders = vscode.workspace.workspaceFolders ?? [];
    if (folders.length === 0) throw new UserFacingError(vscode.l10n.t('Open a folder first: Add Dockerfile works on folders inside the workspace.'));
    const folderUri = await folderFromArg(arg) ?? await pickFolder(folders[0].uri);
    const workspaceFolder = vscode.workspace.getWorkspaceFolder(folderUri);
    if (!workspaceFolder) {
      throw new UserFacingError(vscode.l10n.t('{0} is outside the workspace: pick a folder inside {1}, or add it to the workspace first (File › Add Folder to Workspace).', folderUri.fsPath, folders.map((f) => f.name).join(', ')));
    }
    const folder = folderUri.fsPath;
    const shown = path.relative(workspaceFolder.uri.fsPath, folder) ? vscode.workspace.asRelativePath(folderUri) : workspaceFolder.name;

    const project = await detectProject(folder);
    if (!project) {
      throw new UserFacingError(vscode.l10n.t(
        'No Node.js or Python project found in {0}: there is no package.json (with a "node <file>" start script, a "main", or an index.js, server.js or app.js), requirements.txt, app.py or main.py. Open a folder that has one, or use "Local Serverless: New Function" to start a function from a template.',
        shown,
      ));
    }

    const toWrite = await writeFilesAskingFirst(workspaceFolder.uri.fsPath, folder, renderDockerfile(await loadTemplate(templatesRoot, project.runtime), project), (paths) =>
      vscode.l10n.t('{0} already has {1} with other content. Replace with the generated {2} version?', shown, paths.length === 2 ? vscode.l10n.t('{0} and {1}', paths[0], paths[1]) : paths.join(', '), RUNTIME_LABELS[project.runtime]));
    await discovery.refresh();
    await vscode.window.showTextDocument(vscode.Uri.file(path.join(folder, 'Dockerfile')));
    const wroteDockerfile = toWrite.some((f) => f.relativePath === 'Dockerfile');
    void showInfo(wroteDockerfile
      ? vscode.l10n.t('Added a {0} Dockerfile to {1}: it is now a function in the Functions view.', RUNTIME_LABELS[project.runtime], shown)
      : vscode.l10n.t('{0} keeps its existing Dockerfile: it is a function in the Functions view.', shown));
    return folder;
  };
}

/** The folder named by a command argument: a folder's Uri, a file's Uri (its folder), or a path. */
async function folderFromArg(arg: unknown): Promise<vscode.Uri | undefined> {
  const uri = arg instanceof vscode.Uri ? arg : typeof arg === 'string' && arg ? vscode.Uri.file(arg) : undefined;
  if (!uri) return undefined;
  const stat = await Promise.resolve(vscode.workspace.fs.stat(uri)).catch(() => undefined);
  if (!stat) throw new UserFacingError(vscode.l10n.t('{0} does not exist.', uri.fsPath));
  return stat.type & vscode.FileType.Directory ? uri : vscode.Uri.joinPath(uri, '..');
}

async function pickFolder(defaultUri: vscode.Uri): Promise<vscode.Uri> {
  const picked = await vscode.window.showOpenDialog({
    canSelectFolders: true,
    canSelectFiles: false,
    canSelectMany: false,
    defaultUri,
    title: vscode.l10n.t('Add Dockerfile: folder of Node.js or Python code'),
    openLabel: vscode.l10n.t('Add Dockerfile'),
  });
  if (!picked?.length) throw new CancelledError();
  return picked[0];
}
