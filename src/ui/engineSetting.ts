import * as vscode from 'vscode';
import { defaultEndpointInputs, resolveEndpoint, type EngineEndpoint } from '../engine/endpoint';
import { SETTINGS } from './ids';


/**
 * The engine the settings choose. A workspace can name any host in `.vscode/settings.json`, and a
 * repository nobody vouched for must not make us dial it: in Restricted Mode only the user's own
 * value counts (the manifest also lists the setting in `restrictedConfigurations`, which makes
 * VS Code do the same; this does not rely on it). Once the workspace is trusted its value applies.
 */
export function configuredEndpoint(): EngineEndpoint {
  const inspected = vscode.workspace.getConfiguration().inspect<string>(SETTINGS.dockerHost);
  const candidates: Array<[unknown, string]> = vscode.workspace.isTrusted
    ? [[inspected?.workspaceFolderValue, 'folder settings (.vscode/settings.json)'], [inspected?.workspaceValue, 'workspace settings'], [inspected?.globalValue, 'user settings']]
    : [[inspected?.globalValue, 'user settings']];
  const [value, source] = candidates.find(([v]) => v !== undefined && v !== null && String(v).trim() !== '') ?? [undefined, undefined];
  return resolveEndpoint(defaultEndpointInputs(value === undefined ? undefined : String(value), source));
}
