import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ownerId, workspaceId } from './core/names';
import { errorMessage } from './core/errors';
import { PayloadHistory } from './core/savedEvents';
import { describeTimings } from './core/updateTimings';
import { DockerEngine } from './engine/dockerEngine';
import { AutoReload } from './services/autoReload';
import { FunctionRegistry } from './services/functionRegistry';
import { bridgeAddress, instanceEnvFor } from './services/gatewayAddress';
import { startGateway, startGatewayInThread } from './services/gatewayClient';
import type { FunctionStats, GatewayHandle } from './services/gatewayTypes';
import { OrphanReaper } from './services/orphanReaper';
import { AutoReloadSettings } from './ui/autoReloadSettings';
import { HandlerCodeLensProvider } from './ui/codeLens';
import { addDockerfile } from './ui/commands/addDockerfile';
import { ActivityPanels } from './ui/activityPanel';
import { deleteEvent, openEvent } from './ui/commands/eventCommands';
import { exportManifest } from './ui/commands/exportManifests';
import { copyPushedDigest, pushImage } from './ui/commands/pushImage';
import { askRegistryLogin, secretStoreOf } from './ui/registryLogin';
import { PushedImages } from './services/pushedImages';
import { RegistryCredentialResolver } from './services/registryAuth';
import type { FunctionRunner } from './services/functionRunner';
import { loadTest } from './ui/commands/loadTest';
import { showActivity } from './ui/commands/showActivity';
import { LoadSummaryView } from './ui/loadSummaryView';
import { FunctionDebugger } from './ui/functionDebugger';
import { buildAndRun, cleanUp, copyUrl, openConfig, openInBrowser, setAutoReload, showLogs, stop } from './ui/commands/functionCommands';
import { invoke } from './ui/commands/invoke';
import { newFunction } from './ui/commands/newFunction';
import { openReadme } from './ui/commands/openReadme';
import { saveEvent } from './ui/commands/saveEvent';
import { Ctx } from './ui/ctx';
import { FunctionDiscovery } from './ui/discovery';
import { EditorContext } from './ui/editorContext';
import { configuredBuildNetwork, configuredEndpoint } from './ui/engineSetting';
import { FunctionsTreeProvider } from './ui/functionsTree';
import { setContext, SETTINGS, VIEW_ID } from './ui/ids';
import { FunctionOutputChannels } from './ui/outputChannels';
import { InvokeResultView } from './ui/resultView';
import { RunningStatusItem } from './ui/statusBar';

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

/**
 * The one thing kept between activate and deactivate: VS Code calls `deactivate` with nothing, and
 * waits for its promise (subscriptions are disposed without waiting), so removing the containers
 * needs a handle here.
 */
let shutdown: (() => Promise<void>) | undefined;

/** Composition root: builds the objects, wires them, and hands every disposable to VS Code. */
export async function activate(context: vscode.ExtensionContext): Promise<LocalServerlessApi | undefined> {
  const started = performance.now();
  const ctx = new Ctx(context, vscode.window.createOutputChannel('Local Serverless', { log: true }));
  const { log } = ctx;
  const engine = ctx.own(new DockerEngine(configuredEndpoint()));
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
  const channels = ctx.own(new FunctionOutputChannels());
  const gateway = await openGateway(context, engine.host, log);
  const functions = ctx.own(new FunctionRegistry(engine, owned, (name) => channels.get(name), gateway.handle, {
    log: (message) => log.warn(message),
    releaseOutput: (name) => channels.release(name),
    legacyWorkspaceId: workspaceId(folder),
    instanceEnv: gateway.instanceEnv,
    runner: {
      buildNetwork: configuredBuildNetwork,
      // Where an update's time went, for whoever sets this log to Debug (and for `npm run bench -- editor`).
      onUpdateTimings: ({ name, what, kind, timings }) => log.debug(describeTimings(name, what, kind, timings)),
    },
  }));
  // Not owned by ctx: it must outlive deactivate's own clean-up (see OrphanReaper).
  const reaper = new OrphanReaper(context.asAbsolutePath('dist/reaper.js'), functions, () => engine.host, context.globalStorageUri.fsPath, (message) => log.warn(message));
  shutdown = async () => {
    reaper.dispose();
    await functions.disposeAsync();
    await gateway.handle.close();
    reaper.stopHelper();
  };
  const discovery = ctx.own(new FunctionDiscovery(functions, log));
  const autoReloadSettings = ctx.own(new AutoReloadSettings(context.workspaceState));
  const autoReload = ctx.own(new AutoReload(functions, (name) => autoReloadSettings.isEnabled(name), {
    log: (message) => log.warn(message),
    debug: (message) => log.debug(message),
    unsavedText: (file) => vscode.workspace.textDocuments.find((d) => d.isDirty && d.uri.scheme === 'file' && d.uri.fsPath === file)?.getText(),
  }));
  const pushed = ctx.own(new PushedImages(context.workspaceState));
  const tree = ctx.own(new FunctionsTreeProvider(functions, (name) => autoReloadSettings.isEnabled(name), pushed));
  // A file saved in the editor updates its function at once (also when its watcher is slow); the watchers see every other change.
  ctx.own(vscode.workspace.onDidSaveTextDocument((document) => document.uri.scheme === 'file' && autoReload.saved(document.uri.fsPath)));
  ctx.own(autoReloadSettings.onDidChange(() => {
    autoReload.reconcile();
    tree.refresh();
  }));
  ctx.own(vscode.window.createTreeView(VIEW_ID, { treeDataProvider: tree, showCollapseAll: true }));
  const results = ctx.own(new InvokeResultView());
  const history = new PayloadHistory(context.workspaceState);
  const templatesRoot = path.join(context.extensionPath, 'templates');
  const codeLenses = ctx.own(new HandlerCodeLensProvider(functions));
  ctx.own(vscode.languages.registerCodeLensProvider(['javascript', 'typescript', 'python'].map((language) => ({ scheme: 'file', language })), codeLenses));
  ctx.own(new EditorContext(functions));
  ctx.own(new RunningStatusItem(functions));
  const reconnect = () => {
    engine.connectTo(configuredEndpoint());
    void functions.connect();
  };
  ctx.own(vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration(SETTINGS.dockerHost) && reconnect()));
  // Trusting the workspace lets its own dockerHost value apply.
  ctx.own(vscode.workspace.onDidGrantWorkspaceTrust(reconnect));
  ctx.own(functions.onDidChange(() => void setContext('engineUnreachable', functions.engineStatus.kind === 'unavailable')));

  const trusted = { requiresTrust: true };
  ctx.registerCommand('newFunction', newFunction(templatesRoot, discovery), trusted);
  ctx.registerCommand('addDockerfile', addDockerfile(templatesRoot, discovery), trusted);
  ctx.registerCommand('buildAndRun', buildAndRun(functions, channels), trusted);
  ctx.registerCommand('invoke', invoke(functions, channels, results, history), trusted);
  ctx.registerCommand('saveEvent', saveEvent(functions, history), trusted);
  ctx.registerCommand('stop', stop(functions));
  ctx.registerCommand('showLogs', showLogs(functions, channels));
  ctx.registerCommand('copyUrl', copyUrl(functions));
  ctx.registerCommand('openInBrowser', openInBrowser(functions));
  ctx.registerCommand('openConfig', openConfig(functions));
  const credentials = new RegistryCredentialResolver({ secrets: secretStoreOf(context.secrets), ask: askRegistryLogin });
  ctx.registerCommand('pushImage', pushImage(functions, { engine, credentials, pushed, channels }), trusted);
  ctx.registerCommand('copyPushedDigest', copyPushedDigest(functions, pushed));
  // Exports run exactly the image last pushed, by digest, when there is one.
  const imageFor = (runner: FunctionRunner) => pushed.referenceFor(runner.spec.name);
  ctx.registerCommand('exportKubernetes', exportManifest('kubernetes', functions, { imageFor }), trusted);
  ctx.registerCommand('exportKnative', exportManifest('knative', functions, { imageFor }), trusted);
  const gatewayStats = (listener: (stats: FunctionStats[]) => void) => functions.routing.onStats(listener);
  const activity = ctx.own(new ActivityPanels(context.extensionUri, gatewayStats));
  const loadSummaries = ctx.own(new LoadSummaryView());
  ctx.registerCommand('loadTest', loadTest(functions, (name) => functions.get(name)?.url, gatewayStats, channels, activity, loadSummaries), trusted);
  ctx.registerCommand('showActivity', showActivity(functions, activity));
  ctx.registerCommand('openEvent', openEvent());
  ctx.registerCommand('deleteEvent', deleteEvent(() => tree.refresh()), trusted);
  ctx.registerCommand('enableAutoReload', setAutoReload(functions, autoReloadSettings, true));
  ctx.registerCommand('disableAutoReload', setAutoReload(functions, autoReloadSettings, false));
  const debuggers = ctx.own(new FunctionDebugger(functions, channels));
  ctx.registerCommand('debugFunction', debuggers.command(), trusted);
  ctx.registerCommand('cleanUp', cleanUp(functions));
  ctx.registerCommand('refresh', () => discovery.refresh());
  ctx.registerCommand('retryConnection', () => functions.connect());
  ctx.registerCommand('openReadme', openReadme(context.extensionUri));

  // Discovery and the engine check run after activation returns: neither should delay VS Code
  // (the first engine call loads dockerode, ~0.2 s, and async code runs synchronously up to its first await).
  void discovery.refresh();
  const connectSoon = setTimeout(() => void functions.connect().then((status) => log.info(`Docker engine at ${engine.endpoint}: ${status.kind}`)), 0);
  ctx.own({ dispose: () => clearTimeout(connectSoon) });
  const activationMs = performance.now() - started;
  log.info(`activated in ${activationMs.toFixed(0)} ms (owner id ${owned}: ${owner.folder}, ${owner.uriScheme}${owner.remoteName ? `, ${owner.remoteName} on ${owner.host}` : ''}, ${owner.globalStoragePath})`);
  return context.extensionMode === vscode.ExtensionMode.Test ? { activationMs, registry: functions, tree, autoReload } : undefined;
}

/** Where the gateway's port is kept, so the functions' URLs stay the same across reloads. */
const GATEWAY_PORT_KEY = 'localServerless.gatewayPort';

/**
 * Starts the window's gateway in a worker thread (its own event loop: a busy extension host adds no
 * latency to proxied requests), on the port this workspace had before when it is free. With a local
 * engine it also listens on the host's Docker bridge address, so functions reach each other through
 * it at $LOCAL_SERVERLESS_GATEWAY; that address exists only on this machine.
 */
async function openGateway(context: vscode.ExtensionContext, engineHost: string, log: vscode.LogOutputChannel): Promise<{ handle: GatewayHandle; instanceEnv: Record<string, string> }> {
  const bridge = engineHost.startsWith('unix://') ? bridgeAddress() : undefined;
  const options = { preferredPort: context.workspaceState.get<number>(GATEWAY_PORT_KEY), alsoListenOn: bridge ? [bridge] : [] };
  let handle: GatewayHandle;
  try {
    handle = await startGateway({ ...options, workerScript: context.asAbsolutePath('dist/gatewayWorker.js') });
  } catch (error) {
    log.warn(`gateway worker did not start (${errorMessage(error)}): running the gateway in the extension host instead`);
    handle = await startGatewayInThread(options);
  }
  await context.workspaceState.update(GATEWAY_PORT_KEY, handle.port);
  const instanceEnv = instanceEnvFor(handle.alsoListeningOn);
  log.info(`gateway at ${handle.origin}${instanceEnv.LOCAL_SERVERLESS_GATEWAY ? ` (containers reach it at ${instanceEnv.LOCAL_SERVERLESS_GATEWAY})` : ''}`);
  return { handle, instanceEnv };
}

/**
 * Removes this workspace's containers when VS Code closes: nothing is left running. Should VS Code
 * go without calling this, the OrphanReaper's helper removes them.
 */
export async function deactivate(): Promise<void> {
  const running = shutdown;
  shutdown = undefined;
  await running?.();
}
