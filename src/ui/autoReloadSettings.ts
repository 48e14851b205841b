import * as vscode from 'vscode';
import { SETTINGS } from './ids';

const DISABLED_KEY = 'localServerless.autoReloadDisabled';

/**
 * Whether saving a file updates a running function: the `localServerless.autoReload` setting, with a
 * per-function override kept in workspace state (the tree's Enable/Disable Auto-Reload actions).
 */
export class AutoReloadSettings implements vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changeEmitter.event;
  private readonly subscription = vscode.workspace.onDidChangeConfiguration((e) => {
    if (e.affectsConfiguration(SETTINGS.autoReload)) this.changeEmitter.fire();
  });

  constructor(private readonly state: vscode.Memento) {}

  isEnabled(functionName: string): boolean {
    if (!vscode.workspace.isTrusted) return false;
    if (!vscode.workspace.getConfiguration().get<boolean>(SETTINGS.autoReload, true)) return false;
    return !this.disabled().includes(functionName);
  }

  async setEnabled(functionName: string, enabled: boolean): Promise<void> {
    const others = this.disabled().filter((n) => n !== functionName);
    await this.state.update(DISABLED_KEY, enabled ? others : [...others, functionName]);
    this.changeEmitter.fire();
  }

  private disabled(): string[] {
    return this.state.get<string[]>(DISABLED_KEY, []);
  }

  dispose(): void {
    this.subscription.dispose();
    this.changeEmitter.dispose();
  }
}
