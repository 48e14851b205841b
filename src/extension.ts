import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ownerId, workspaceId } from './core/names';
import { DockerEngine } from './engine/dockerEngine';
import { AutoReload } from './services/autoReload';
import { FunctionRegistry } from './services/functionRegistry';
import { OrphanReaper } from './services/orphanReaper';
import { AutoReloadSettings } from './ui/autoReloadSettings';
import { registerCommand } from './ui/commandRunner';
import { addDockerfile } from './ui/commands/addDockerfile';
import { buildAndRun, cleanUp, copyUrl, setAutoReload, showLogs, stop } from './ui/commands/functionCommands';
import { saveEvent } from './ui/commands/saveEvent';
import { configuredEndpoint, DOCKER_HOST_SETTING } from './ui/engineSetting';
import { HandlerCodeLensProvider } from './ui/codeLens';
import { invoke } from './ui/commands/invoke';
import { newFunction } from './ui/commands/newFunction';
import { FunctionDiscovery } from './ui/discovery';
import { EditorContext } from './ui/editorContext';
import { FunctionsTreeProvider } from './ui/functionsTree';
import { FunctionOutputChannels } from './ui/outputChannels';
import { InvokeResultView } from './ui/resultView';
import { RunningStatusItem } from './ui/statusBar';

let registry: FunctionRegistry | undefined;
let reaper: OrphanReaper | undefined;

/**
 * What activate returns, in Test mode only: the extension-host tests read the view and timings
 * through it. Anywhere else it is not handed out, since another extension holding the registry
 * could build and run functions without the workspace-trust check the commands make.
 */
export interface LocalServerlessApi {
  activationMs: number;
  registry: FunctionRegistry;
  tree: FunctionsTreeProvider;
  autoReload: AutoReload;
}

/** Composition root: builds the objects, wires them, and hands every disposable to VS Code. */
export function activate(context: vscode.ExtensionContext): LocalServerlessApi | undefined {
  const started = performance.now();
  const log = vscode.window.createOutputChannel('Local Serverless', { log: true });
  const engine = new DockerEngine(configuredEndpoint());
  const folders = vscode.workspace.workspaceFolders ?? [];
  const folder = vscode.workspace.workspaceFile?.fsPath ?? folders[0]?.uri.fsPath ?? 'no-folder';
  // Which VS Code instance this is, so two on one engine (Stable and Insiders, desktop and code-server,
  // two dev containers with the same path) never take each other's containers.
  const owner = {
    folder,
    uriScheme: vscode.env.uriScheme,
    remoteName: vscode.env.remoteName ?? '',
    globalStoragePath: context.globalStorageUri.fsPath,
    host: vscode.env.remoteName ? os.hostname() : '',
  };
  const owned = ownerId(owner);
  const channels = new FunctionOutputChannels();
  const functions = new FunctionRegistry(engine, owned, (name) => channels.get(name), (message) => log.warn(message), (name) => channels.release(name), workspaceId(folder));
  registry = functions;
  // Not in context.subscriptions: it must outlive deactivate's own clean-up (see OrphanReaper).
  reaper = new OrphanReaper(context.asAbsolutePath('dist/reaper.js'), functions, () => engine.host, context.globalStorageUri.fsPath, (message) => log.warn(message));
  const discovery = new FunctionDiscovery(functions, log);
  const autoReloadSettings = new AutoReloadSettings(context.workspaceState);
  const autoReload = new AutoReload(functions, (name) => autoReloadSettings.isEnabled(name), (message) => log.warn(message));
  const tree = new FunctionsTreeProvider(functions, (name) => autoReloadSettings.isEnabled(name));
  const onAutoReloadSetting = autoReloadSettings.onDidChange(() => {
    autoReload.reconcile();
    tree.refresh();
  });
  const treeView = vscode.window.createTreeView('localServerless.functions', { treeDataProvider: tree, showCollapseAll: true });
  const results = new InvokeResultView();
  const templatesRoot = path.join(context.extensionPath, 'templates');
  const codeLenses = new HandlerCodeLensProvider(functions);
  const reconnect = () => {
    engine.connectTo(configuredEndpoint());
    void functions.connect();
  };
  const onEngineSetting = vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration(DOCKER_HOST_SETTING) && reconnect());
  // Trusting the workspace lets its own dockerHost value apply.
  const onTrust = vscode.workspace.onDidGrantWorkspaceTrust(reconnect);
  const engineState = functions.onDidChange(() => {
    void vscode.commands.executeCommand('setContext', 'localServerless.engineUnreachable', functions.engineStatus.kind === 'unavailable');
  });

  context.subscriptions.push(
    log, engine, channels, functions, autoReloadSettings, autoReload, onAutoReloadSetting, discovery, tree, treeView, results, engineState,
    codeLenses, onEngineSetting, onTrust,
    vscode.languages.registerCodeLensProvider([{ scheme: 'file', language: 'javascript' }, { scheme: 'file', language: 'typescript' }, { scheme: 'file', language: 'python' }], codeLenses),
    new EditorContext(functions),
    new RunningStatusItem(functions),
    registerCommand('localServerless.newFunction', newFunction(templatesRoot, discovery), log, { requiresTrust: true }),
    registerCommand('localServerless.addDockerfile', addDockerfile(templatesRoot, discovery), log, { requiresTrust: true }),
    registerCommand('localServerless.buildAndRun', buildAndRun(functions, channels), log, { requiresTrust: true }),
    registerCommand('localServerless.invoke', invoke(functions, channels, results, context.workspaceState), log, { requiresTrust: true }),
    registerCommand('localServerless.stop', stop(functions), log),
    registerCommand('localServerless.showLogs', showLogs(functions, channels), log),
    registerCommand('localServerless.copyUrl', copyUrl(functions), log),
    registerCommand('localServerless.enableAutoReload', setAutoReload(functions, autoReloadSettings, true), log),
    registerCommand('localServerless.disableAutoReload', setAutoReload(functions, autoReloadSettings, false), log),
    registerCommand('localServerless.saveEvent', saveEvent(functions, context.workspaceState), log, { requiresTrust: true }),
    registerCommand('localServerless.cleanUp', cleanUp(functions), log),
    registerCommand('localServerless.refresh', () => discovery.refresh(), log),
    registerCommand('localServerless.retryConnection', () => functions.connect(), log),
  );

  // Discovery and the engine check run after activation returns: neither should delay VS Code
  // (the first engine call loads dockerode, ~0.2 s, and async code runs synchronously up to its first await).
  void discovery.refresh();
  const connectSoon = setTimeout(() => void functions.connect().then((status) => log.info(`Docker engine at ${engine.endpoint}: ${status.kind}`)), 0);
  context.subscriptions.push({ dispose: () => clearTimeout(connectSoon) });
  const activationMs = performance.now() - started;
  log.info(`activated in ${activationMs.toFixed(0)} ms (owner id ${owned}: ${owner.folder}, ${owner.uriScheme}${owner.remoteName ? `, ${owner.remoteName} on ${owner.host}` : ''}, ${owner.globalStoragePath})`);
  return context.extensionMode === vscode.ExtensionMode.Test ? { activationMs, registry: functions, tree, autoReload } : undefined;
}

/**
 * Removes this workspace's containers when VS Code closes: nothing is left running. Should VS Code
 * go without calling this, the OrphanReaper's helper removes them.
 */
export async function deactivate(): Promise<void> {
  reaper?.dispose();
  await registry?.disposeAsync();
  reaper?.stopHelper();
  registry = undefined;
  reaper = undefined;
}
