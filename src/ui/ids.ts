import * as vscode from 'vscode';

/**
 * Every id the manifest (package.json) and the code share, written once. A unit test checks these
 * against the manifest, so a renamed command or view cannot drift from its `when` clauses and menus.
 */
export const PREFIX = 'localServerless';

/** Command names, without the prefix (the Ctx adds it). */
export const COMMANDS = [
  'newFunction', 'buildAndRun', 'invoke', 'stop', 'showLogs', 'copyUrl', 'refresh', 'retryConnection',
  'enableAutoReload', 'disableAutoReload', 'addDockerfile', 'saveEvent', 'cleanUp', 'openInBrowser',
  'openEvent', 'deleteEvent', 'openConfig', 'loadTest', 'showActivity', 'exportKubernetes', 'exportKnative', 'pushImage', 'copyPushedDigest', 'debugFunction',
  'openReadme',
] as const;
export type CommandName = (typeof COMMANDS)[number];
export type CommandId = `${typeof PREFIX}.${CommandName}`;
export const commandId = (name: CommandName): CommandId => `${PREFIX}.${name}`;

export const VIEW_ID = `${PREFIX}.functions` as const;
/** The command VS Code makes for every view: focus it. */
export const FOCUS_VIEW_COMMAND = `${VIEW_ID}.focus` as const;

/** The Function Activity webview panels' type (not contributed: the panels are not restored after a reload). */
export const ACTIVITY_VIEW_TYPE = `${PREFIX}.activity` as const;

/** Context keys set by the extension and read by `when` clauses in the manifest. */
export const CONTEXT_KEYS = ['discovered', 'hasFunctions', 'editorInFunction', 'engineUnreachable'] as const;
export type ContextKeyName = (typeof CONTEXT_KEYS)[number];

export function setContext(key: ContextKeyName, value: boolean): Thenable<unknown> {
  return vscode.commands.executeCommand('setContext', `${PREFIX}.${key}`, value);
}

/** Settings of ours that the code reads. */
export const SETTINGS = {
  dockerHost: `${PREFIX}.dockerHost`,
  buildNetwork: `${PREFIX}.buildNetwork`,
  exclude: `${PREFIX}.exclude`,
  autoReload: `${PREFIX}.autoReload`,
  registry: `${PREFIX}.registry`,
  pushLatest: `${PREFIX}.pushLatest`,
  exportFolder: `${PREFIX}.exportFolder`,
  debugpyPath: `${PREFIX}.debugpyPath`,
} as const;
