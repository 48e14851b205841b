import * as vscode from 'vscode';
import type { BuildNetwork } from '../core/plan';
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

/**
 * The network builds run in: `host` only when the user's own settings say so. Host networking lets a
 * Dockerfile's RUN steps reach everything on the host (its 127.0.0.1 services too), so the setting
 * is machine-scoped (VS Code ignores it in workspace settings) and listed in
 * `restrictedConfigurations`; this reads the user's value alone, relying on neither. Read at every
 * build, so a change applies to the next one.
 */
export function configuredBuildNetwork(): BuildNetwork | undefined {
  return vscode.workspace.getConfiguration().inspect<string>(SETTINGS.buildNetwork)?.globalValue === 'host' ? 'host' : undefined;
}
