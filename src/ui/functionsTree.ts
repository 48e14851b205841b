import * as path from 'node:path';
import * as vscode from 'vscode';
import { EVENT_CONTEXT_VALUE, functionContextValue } from '../core/functionStates';
import { formatMs } from '../core/activitySeries';
import { describeJobResult } from '../core/jobs';
import { describeProtocol } from '../core/protocol';
import { listSavedEvents } from '../core/savedEvents';
import type { FunctionRegistry } from '../services/functionRegistry';
import type { FunctionRunner, FunctionState, InstanceSummary } from '../services/functionRunner';
import { shortDigest, type PushedImages } from '../services/pushedImages';
import { statusWithAdvice } from './engineAdvice';
import { commandId, SETTINGS } from './ids';

export type TreeNode = FunctionNode | InstanceNode | EventNode | MessageNode;

export class FunctionNode {
  readonly kind = 'function';
  constructor(readonly runner: FunctionRunner) {}
}

/** One instance of a running function: its state, requests in flight and served. */
export class InstanceNode {
  readonly kind = 'instance';
  constructor(readonly runner: FunctionRunner, readonly instance: InstanceSummary) {}
}

export class EventNode {
  readonly kind = 'event';
  constructor(readonly runner: FunctionRunner, readonly file: string) {}
}

/** A line in the view that explains a condition (engine down, untrusted) and may offer an action. */
export class MessageNode {
  readonly kind = 'message';
  constructor(readonly label: string, readonly detail: string, readonly icon: string, readonly command?: vscode.Command) {}
}

const RUNTIME_LABELS: Record<string, string> = { node: 'Node.js', python: 'Python', other: 'Dockerfile' };

/**
 * The Functions view. Never pops notifications: a missing engine or an untrusted workspace shows
 * in the view itself. Refreshes on registry changes (which follow Docker's event stream), debounced.
 */
export class FunctionsTreeProvider implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<TreeNode | undefined>();
  readonly onDidChangeTreeData = this.changeEmitter.event;
  private readonly subscriptions: vscode.Disposable[] = [this.changeEmitter];
  private timer: NodeJS.Timeout | undefined;

  /** `pushedImages`: what Push Image last sent per function, shown with its digest. */
  constructor(private readonly registry: FunctionRegistry, private readonly autoReloadEnabled: (name: string) => boolean, private readonly pushedImages?: PushedImages) {
    const schedule = () => {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.changeEmitter.fire(undefined), 50);
    };
    this.subscriptions.push(registry.onDidChange(schedule), vscode.workspace.onDidGrantWorkspaceTrust(schedule));
    if (pushedImages) this.subscriptions.push(pushedImages.onDidChange(schedule));
  }

  refresh(): void {
    this.changeEmitter.fire(undefined);
  }

  async getChildren(node?: TreeNode): Promise<TreeNode[]> {
    if (!node) {
      const top: TreeNode[] = [];
      const status = this.registry.engineStatus;
      // With no function to list, the empty view's welcome content (viewsWelcome on localServerless.engineUnreachable) says what to do.
      if (vscode.workspace.isTrusted && status.kind === 'unavailable' && this.registry.functions.length === 0) return [];
      if (!vscode.workspace.isTrusted) {
        top.push(new MessageNode(vscode.l10n.t('Workspace not trusted: nothing is built or run'), vscode.l10n.t('A Dockerfile runs arbitrary commands. Trust the workspace to build and run functions.'), 'shield', { command: 'workbench.trust.manage', title: vscode.l10n.t('Manage Workspace Trust') }));
      } else if (status.kind === 'unavailable' && status.invalidAddress) {
        const { address, source } = status.invalidAddress;
        top.push(new MessageNode(vscode.l10n.t('Docker engine address "{0}" ({1}) is not valid: click to change it', address, source), statusWithAdvice(status, vscode.l10n), 'error', { command: 'workbench.action.openSettings', title: vscode.l10n.t('Open Settings'), arguments: [SETTINGS.dockerHost] }));
      } else if (status.kind === 'unavailable') {
        top.push(new MessageNode(vscode.l10n.t('Docker engine not reachable: click to Retry'), statusWithAdvice(status, vscode.l10n), 'error', { command: commandId('retryConnection'), title: vscode.l10n.t('Retry') }));
      }
      return [...top, ...this.registry.functions.map((r) => new FunctionNode(r))];
    }
    if (node instanceof FunctionNode) {
      const instances = node.runner.instanceList.map((i) => new InstanceNode(node.runner, i));
      // Event files (or an events folder) linked from outside the function folder are left out.
      return [...instances, ...(await listSavedEvents(node.runner.spec.folder)).map((file) => new EventNode(node.runner, file))];
    }
    return [];
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    if (node instanceof MessageNode) {
      const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.None);
      item.tooltip = node.detail;
      item.iconPath = new vscode.ThemeIcon(node.icon, new vscode.ThemeColor(node.icon === 'error' ? 'errorForeground' : 'foreground'));
      item.command = node.command;
      item.contextValue = 'message';
      return item;
    }
    if (node instanceof InstanceNode) {
      const { instance } = node;
      const item = new vscode.TreeItem(instance.label, vscode.TreeItemCollapsibleState.None);
      item.id = `instance:${node.runner.spec.name}:${instance.id}`;
      item.description = vscode.l10n.t('{0} · {1} in flight · {2} served', instance.state, instance.inFlight, instance.served);
      item.iconPath = new vscode.ThemeIcon(instance.state === 'ready' ? 'server-process' : instance.state === 'starting' ? 'loading~spin' : 'debug-disconnect');
      item.tooltip = vscode.l10n.t('{0}: container {1}, {2}', instance.label, instance.id.slice(0, 12), instance.state);
      item.contextValue = `instance.${instance.state}`;
      return item;
    }
    if (node instanceof EventNode) {
      const item = new vscode.TreeItem(path.basename(node.file, '.json'), vscode.TreeItemCollapsibleState.None);
      item.description = vscode.l10n.t('event');
      item.iconPath = new vscode.ThemeIcon('json');
      item.resourceUri = vscode.Uri.file(node.file);
      item.tooltip = vscode.l10n.t('Invoke {0} with {1}', node.runner.spec.name, path.relative(node.runner.spec.folder, node.file));
      item.contextValue = EVENT_CONTEXT_VALUE;
      item.command = { command: commandId('invoke'), title: vscode.l10n.t('Invoke'), arguments: [node] };
      return item;
    }
    const { spec, state } = node.runner;
    const item = new vscode.TreeItem(spec.name, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = `function:${spec.name}`;
    const pushed = this.pushedImages?.get(spec.name);
    const protocol = describeProtocol(spec.protocol);
    // The protocol's tag and summary come from the core (English: it has no vscode).
    item.description = `${RUNTIME_LABELS[spec.runtime]}${protocol.tag ? ` · ${protocol.tag}` : ''} · ${describeState(state)}${describeLoad(node.runner)}${pushed ? ` · ${vscode.l10n.t('pushed {0}', shortDigest(pushed.digest))}` : ''}`;
    item.iconPath = stateIcon(state);
    const autoReload = this.autoReloadEnabled(spec.name);
    // State and toggles are encoded for `when` clauses (test/unit/menus.test.ts checks what each state offers).
    item.contextValue = functionContextValue(state.kind, autoReload);
    // Plain text, never markdown: names, folders and build errors come from the workspace, and a
    // translation is text too. (A MarkdownString's appendText writes spaces as &nbsp;, which wraps mid-word.)
    const lines = [
      `${spec.name} (${RUNTIME_LABELS[spec.runtime]})`,
      spec.folder,
      describeState(state),
      protocol.summary,
      autoReload ? vscode.l10n.t('Auto-reload on save: on') : vscode.l10n.t('Auto-reload on save: off'),
      ...(state.lastError ? [vscode.l10n.t('Last update failed: {0}', state.lastError)] : []),
      ...(pushed ? [vscode.l10n.t('Last pushed: {0}', `${pushed.repository}:${pushed.tag}`), vscode.l10n.t('Digest: {0}', pushed.digest)] : []),
    ];
    const tooltip = lines.join('\n\n');
    item.tooltip = tooltip;
    return item;
  }

  dispose(): void {
    clearTimeout(this.timer);
    for (const s of this.subscriptions) s.dispose();
  }
}

export function describeState(state: FunctionState): string {
  switch (state.kind) {
    case 'notBuilt': return vscode.l10n.t('not built');
    case 'building': return state.step === 'build' ? vscode.l10n.t('building…') : vscode.l10n.t('starting…');
    case 'running': {
      const url = `${state.url}/`;
      const running = !state.debugging ? vscode.l10n.t('running at {0}', url)
        : state.debugging.paused ? vscode.l10n.t('running at {0} · debugging (paused at a breakpoint)', url) : vscode.l10n.t('running at {0} · debugging', url);
      return state.lastError ? vscode.l10n.t('{0} (last update failed)', running) : running;
    }
    case 'scaledToZero': return vscode.l10n.t('scaled to zero — starts on the next request');
    case 'exited': return vscode.l10n.t('exited with code {0}', state.exitCode);
    case 'failed': return vscode.l10n.t('build failed');
    case 'stopped': return vscode.l10n.t('stopped');
    case 'misconfigured': return vscode.l10n.t('misconfigured (see fn.json)');
    // The job's result is described by the core (English).
    case 'job': return state.last ? describeJobResult(state.last) : vscode.l10n.t('job');
    case 'jobRunning': return vscode.l10n.t('job running…');
  }
}

/** " · 3 instances · p50 12 ms" while it runs; nothing otherwise. */
function describeLoad(runner: FunctionRunner): string {
  if (runner.state.kind !== 'running') return '';
  const count = runner.state.instances.filter((i) => i.state !== 'draining').length;
  const p50 = runner.latestStats?.p50Ms;
  const instances = count === 1 ? vscode.l10n.t('1 instance') : vscode.l10n.t('{0} instances', count);
  return ` · ${instances}${p50 === undefined ? '' : ` · ${vscode.l10n.t('p50 {0}', formatMs(p50))}`}`;
}

function stateIcon(state: FunctionState): vscode.ThemeIcon {
  switch (state.kind) {
    case 'running': if (state.debugging) return new vscode.ThemeIcon(state.debugging.paused ? 'debug-breakpoint-unsupported' : 'debug-alt', new vscode.ThemeColor('debugIcon.startForeground'));
      return new vscode.ThemeIcon(state.lastError ? 'warning' : 'vm-running', new vscode.ThemeColor(state.lastError ? 'list.warningForeground' : 'testing.iconPassed'));
    case 'scaledToZero': return new vscode.ThemeIcon('debug-pause');
    case 'building':
    case 'jobRunning': return new vscode.ThemeIcon('loading~spin');
    case 'failed':
    case 'misconfigured': return new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'));
    case 'exited': return new vscode.ThemeIcon('debug-stop', state.exitCode === 0 ? undefined : new vscode.ThemeColor('errorForeground'));
    case 'job': return new vscode.ThemeIcon(state.last && state.last.exitCode !== 0 ? 'error' : 'run-all');
    default: return new vscode.ThemeIcon('symbol-function');
  }
}
