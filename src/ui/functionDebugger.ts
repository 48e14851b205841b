import * as fs from 'node:fs/promises';
import * as vscode from 'vscode';
import { DEBUG_DIR, DEBUG_TYPE, debugRuntimeOf, nodeAttachConfiguration, pathMappingsFor, pythonAttachConfiguration, type DebugRuntime } from '../core/debug';
import { UserFacingError } from '../core/errors';
import { actionRefusal } from '../core/functionStates';
import { locateDebugpy } from '../services/debugpyLocator';
import type { FunctionRegistry } from '../services/functionRegistry';
import type { DebugTarget, FunctionRunner } from '../services/functionRunner';
import { requireTrust, toAbortSignal } from './commandRunner';
import { FunctionNode } from './functionsTree';
import { commandId, SETTINGS, VIEW_ID } from './ids';
import { showError, withProgressSafe } from './notify';
import type { FunctionOutputChannels } from './outputChannels';
import { resolveFunction } from './commands/pickFunction';

/** A debug session attached to a function, and the instance it is attached to. */
interface Attached {
  runner: FunctionRunner;
  target: DebugTarget;
  session?: vscode.DebugSession;
  /** Ended by us to attach again (a rebuild rolled the instance, a sync restarted a Python process): the function stays debugged. */
  replacing: boolean;
  listener: vscode.Disposable;
}

/** Requests after which the debuggee runs again: its clocks go on. */
const RESUMING_REQUESTS = new Set(['continue', 'next', 'stepIn', 'stepOut', 'stepBack', 'reverseContinue', 'goto']);

/**
 * Debug Function: runs a function with its debugger on (exactly one instance) and attaches VS Code to
 * it, with no launch.json to write. Node.js: the inspector, attached by VS Code's built-in JavaScript
 * debugger. Python: debugpy, attached through our own debug type, whose adapter is debugpy's own (it
 * speaks the Debug Adapter Protocol), reached on 127.0.0.1. Keeps the session across syncs and
 * rebuilds, pauses the function's request clocks while stopped at a breakpoint, lets the function run
 * on without the debugger when the session ends, and ends the session when the function stops.
 */
export class FunctionDebugger implements vscode.Disposable {
  private readonly attached = new Map<string, Attached>();
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(private readonly registry: FunctionRegistry, private readonly channels: FunctionOutputChannels) {
    this.subscriptions.push(
      vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, this.configurations(), vscode.DebugConfigurationProviderTriggerKind.Initial),
      vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, this.dynamicConfigurations(), vscode.DebugConfigurationProviderTriggerKind.Dynamic),
      vscode.debug.registerDebugAdapterDescriptorFactory(DEBUG_TYPE, { createDebugAdapterDescriptor: (session) => this.adapterFor(session) }),
      vscode.debug.registerDebugAdapterTrackerFactory('*', { createDebugAdapterTracker: (session) => this.trackerFor(session) }),
      vscode.debug.onDidStartDebugSession((session) => this.onStarted(session)),
      vscode.debug.onDidTerminateDebugSession((session) => this.onTerminated(session)),
    );
  }

  /** The Debug Function command: from the palette, the tree, the editor title, the code lens or F5. */
  command() {
    return async (arg?: unknown): Promise<void> => {
      const runner = await resolveFunction(this.registry, arg, vscode.l10n.t('Function to debug'));
      await this.debug(runner, arg instanceof FunctionNode);
    };
  }

  async debug(runner: FunctionRunner, fromTree: boolean): Promise<void> {
    requireTrust();
    runner.assertConfigured();
    const name = runner.spec.name;
    // The refusal and the runtime's message are the core's (English: it has no vscode).
    const refusal = actionRefusal(name, runner.state.kind, 'debug');
    if (refusal) throw new UserFacingError(refusal);
    const runtime = debugRuntimeOf(runner.spec.runtime);
    if (!runtime.ok) throw new UserFacingError(vscode.l10n.t('{0}: {1}', name, runtime.message));
    const current = this.attached.get(name);
    if (current?.session && runner.debugTarget?.instanceId === current.target.instanceId) {
      this.channels.show(name);
      void vscode.commands.executeCommand('workbench.view.debug');
      return;
    }
    const debugpyMounts = runtime.runtime === 'python' ? (await locateDebugpy({
      setting: vscode.workspace.getConfiguration().inspect<string>(SETTINGS.debugpyPath)?.globalValue,
      bundledByExtension: bundledDebugpy(),
    })).mounts : [];
    this.channels.show(name);
    const started = performance.now();
    const location: vscode.ProgressOptions['location'] = fromTree ? { viewId: VIEW_ID } : vscode.ProgressLocation.Notification;
    const target = await withProgressSafe(
      { location, title: runtime.runtime === 'node' ? vscode.l10n.t('Starting {0} with the Node.js inspector', name) : vscode.l10n.t('Starting {0} with debugpy', name), cancellable: !fromTree },
      (_progress, token) => runner.startDebugging({ runtime: runtime.runtime, debugpyMounts }, toAbortSignal(token)),
    );
    await this.attach(runner, target);
    this.channels.get(name).appendLine(vscode.l10n.t('▶ debugger attached to {0} after {1} s ({2} on 127.0.0.1:{3}): set breakpoints and invoke it', name, ((performance.now() - started) / 1000).toFixed(1), describeDebugger(runtime.runtime), target.hostPort));
  }

  /** Starts a session on the debugged instance; resolves once VS Code attached. */
  private async attach(runner: FunctionRunner, target: DebugTarget): Promise<void> {
    const name = runner.spec.name;
    const mappings = pathMappingsFor(runner.spec.folder, await fs.readFile(runner.spec.dockerfile, 'utf8').catch(() => ''), target.workingDir);
    const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(runner.spec.folder));
    // VS Code sends every breakpoint to every session; debugpy warns in the channel about each file it
    // cannot place. The rest of the workspace maps to a folder that does not exist in the container.
    const elsewhere = folder && folder.uri.fsPath !== runner.spec.folder ? [{ localRoot: folder.uri.fsPath, remoteRoot: `${DEBUG_DIR}/not-in-this-function` }] : [];
    const configuration = target.runtime === 'node' ? nodeAttachConfiguration(name, target.hostPort, mappings) : pythonAttachConfiguration(name, target.hostPort, [...mappings, ...elsewhere]);
    const previous = this.attached.get(name);
    const entry: Attached = previous ?? { runner, target, replacing: false, listener: runner.onDidChangeDebugTarget((next) => void this.onTargetChanged(name, next)) };
    entry.target = target;
    entry.replacing = false;
    entry.session = undefined;
    this.attached.set(name, entry);
    const ok = await vscode.debug.startDebugging(folder, configuration as vscode.DebugConfiguration, { suppressDebugView: false });
    if (!ok) {
      this.forget(name);
      await runner.stopDebugging();
      throw new UserFacingError(vscode.l10n.t('VS Code could not attach to {0}\'s {1} on 127.0.0.1:{2}: see the Debug Console. The function runs on without the debugger.', name, describeDebugger(target.runtime), target.hostPort));
    }
  }

  /** The debugged instance changed: attach to the new one, or end the session when there is none. */
  private async onTargetChanged(name: string, next: DebugTarget | undefined): Promise<void> {
    const entry = this.attached.get(name);
    if (!entry) return;
    if (!next) {
      if (entry.runner.isDebugging) return; // between instances: the next one comes
      this.forget(name);
      if (entry.session) await vscode.debug.stopDebugging(entry.session);
      return;
    }
    const moved = next.instanceId !== entry.target.instanceId;
    // Node's debugger re-attaches to a restarted process by itself (its `restart` option); debugpy's session ends with its process.
    const restarted = next.restarts !== entry.target.restarts && next.runtime === 'python';
    if (!moved && !restarted) {
      entry.target = next;
      return;
    }
    entry.replacing = true;
    const old = entry.session;
    if (old) await vscode.debug.stopDebugging(old);
    try {
      await this.attach(entry.runner, next);
    } catch (error) {
      this.channels.get(name).appendLine(vscode.l10n.t('✖ could not attach the debugger again: {0}', String((error as Error).message ?? error)));
      return;
    }
    this.channels.get(name).appendLine(moved
      ? vscode.l10n.t('↻ debugger attached again to {0} (new instance); breakpoints carry over', name)
      : vscode.l10n.t('↻ debugger attached again to {0} (restarted process); breakpoints carry over', name));
  }

  private onStarted(session: vscode.DebugSession): void {
    const name = functionOf(session);
    const entry = name !== undefined ? this.attached.get(name) : undefined;
    if (entry && !session.parentSession && !entry.session) entry.session = session;
  }

  /** The user ended the session: the function runs on without the debugger. */
  private onTerminated(session: vscode.DebugSession): void {
    const name = functionOf(session);
    const entry = name !== undefined ? this.attached.get(name) : undefined;
    if (!entry || entry.session !== session) return;
    entry.session = undefined;
    if (entry.replacing) return;
    const runner = entry.runner;
    const target = runner.debugTarget;
    // A Python process restarting for a sync ends its session: the target event attaches again.
    if (runner.isDebugging && (!target || target.instanceId !== entry.target.instanceId || target.restarts !== entry.target.restarts)) return;
    this.forget(name as string);
    void runner.stopDebugging();
  }

  private forget(name: string): void {
    const entry = this.attached.get(name);
    entry?.listener.dispose();
    this.attached.delete(name);
  }

  /** Our debug type's adapter: debugpy's own, in the debugged container, on 127.0.0.1 only. */
  private adapterFor(session: vscode.DebugSession): vscode.DebugAdapterDescriptor {
    const configuration = session.configuration;
    const name = typeof configuration.localServerlessFunction === 'string' ? configuration.localServerlessFunction : undefined;
    const runner = name !== undefined ? this.registry.get(name) : undefined;
    const target = runner?.debugTarget;
    const port = Number((configuration.connect as { port?: unknown } | undefined)?.port);
    // Only the port of a function we are debugging: a launch.json cannot point this adapter anywhere else.
    if (!target || target.runtime !== 'python' || target.hostPort !== port) {
      throw new Error(vscode.l10n.t('This configuration attaches to no function being debugged. Run "Local Serverless: Debug Function" (or press F5 with the "Debug Function" configuration) instead.'));
    }
    return new vscode.DebugAdapterServer(port, '127.0.0.1');
  }

  /** Follows the function's stops and resumes, so its request clocks pause while it is held at a breakpoint. */
  private trackerFor(session: vscode.DebugSession): vscode.DebugAdapterTracker | undefined {
    const name = functionOf(session);
    if (name === undefined) return undefined;
    const paused = (value: boolean) => this.registry.get(name)?.setDebuggerPaused(value);
    return {
      onDidSendMessage: (message: { type?: string; event?: string }) => {
        if (message.type !== 'event') return;
        if (message.event === 'stopped') paused(true);
        else if (message.event === 'continued' || message.event === 'terminated') paused(false);
      },
      onWillReceiveMessage: (message: { type?: string; command?: string }) => {
        if (message.type === 'request' && message.command && RESUMING_REQUESTS.has(message.command)) paused(false);
      },
      onWillStopSession: () => paused(false),
    };
  }

  /** F5 with no launch.json, or a launch.json "Debug Function" entry: runs Debug Function on the editor's function. */
  private configurations(): vscode.DebugConfigurationProvider {
    return {
      provideDebugConfigurations: () => [{ type: DEBUG_TYPE, request: 'launch', name: vscode.l10n.t('Debug Function (Local Serverless)') }],
      resolveDebugConfiguration: (_folder, configuration) => {
        // Ours, attaching to a debugged Python function (adapterFor checks the port).
        if (configuration.request === 'attach') return configuration;
        const named = typeof configuration.function === 'string' ? this.registry.get(configuration.function) : undefined;
        if (typeof configuration.function === 'string' && !named) {
          void showError(vscode.l10n.t('No function named "{0}" in this workspace: fix "function" in the launch configuration, or leave it out to debug the editor\'s function.', configuration.function));
          return undefined;
        }
        const editor = vscode.window.activeTextEditor?.document.uri;
        const argument = named ? vscode.Uri.file(named.spec.dockerfile) : editor?.scheme === 'file' ? editor : undefined;
        // The session proper is the attach that Debug Function starts; this launch ends here (undefined: no error, no launch.json).
        void vscode.commands.executeCommand(commandId('debugFunction'), argument);
        return undefined;
      },
    };
  }

  /** The Run and Debug view's list: one "Debug <name>" per function. */
  private dynamicConfigurations(): vscode.DebugConfigurationProvider {
    return {
      provideDebugConfigurations: () => this.registry.functions
        .filter((runner) => debugRuntimeOf(runner.spec.runtime).ok)
        .map((runner) => ({ type: DEBUG_TYPE, request: 'launch', name: vscode.l10n.t('Debug {0}', runner.spec.name), function: runner.spec.name })),
    };
  }

  dispose(): void {
    for (const name of [...this.attached.keys()]) this.forget(name);
    for (const s of this.subscriptions) s.dispose();
  }
}

/** The function a session (or the session that started it, for the JavaScript debugger's child sessions) debugs. */
function functionOf(session: vscode.DebugSession): string | undefined {
  for (let s: vscode.DebugSession | undefined = session; s; s = s.parentSession) {
    const name = s.configuration.localServerlessFunction;
    if (typeof name === 'string') return name;
  }
  return undefined;
}

function describeDebugger(runtime: DebugRuntime): string {
  return runtime === 'node' ? vscode.l10n.t('Node.js inspector') : 'debugpy';
}

/** The debugpy the Python Debugger extension ships, when it is installed. */
function bundledDebugpy(): string | undefined {
  const extension = vscode.extensions.getExtension('ms-python.debugpy');
  return extension ? vscode.Uri.joinPath(extension.extensionUri, 'bundled', 'libs').fsPath : undefined;
}
