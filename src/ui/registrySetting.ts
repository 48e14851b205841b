import * as vscode from 'vscode';
import { SETTINGS } from './ids';

/**
 * The registry Push Image sends to, and which settings it came from. A workspace's own value would
 * let a repository nobody vouched for choose where the user's images (and, with the user's docker
 * login, their credentials) go: in Restricted Mode only the user's own value counts, as for the
 * engine address (the manifest also lists the setting in `restrictedConfigurations`).
 */
export function configuredRegistry(): { value: string; source: string } | undefined {
  const inspected = vscode.workspace.getConfiguration().inspect<string>(SETTINGS.registry);
  const candidates: Array<[unknown, string]> = vscode.workspace.isTrusted
    ? [[inspected?.workspaceFolderValue, 'folder settings'], [inspected?.workspaceValue, 'workspace settings'], [inspected?.globalValue, 'user settings']]
    : [[inspected?.globalValue, 'user settings']];
  const found = candidates.find(([v]) => typeof v === 'string' && v.trim() !== '');
  return found ? { value: String(found[0]).trim(), source: found[1] } : undefined;
}
