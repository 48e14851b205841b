import * as vscode from 'vscode';
import { activityPageHtml } from '../core/activityPage';
import { ActivityHistory, isActivityReady, type FunctionFigures } from '../core/activitySeries';
import type { Event } from '../core/emitter';
import type { FunctionStats } from '../services/gatewayTypes';
import { ACTIVITY_VIEW_TYPE } from './ids';

/** What Load Test Function needs of the Function Activity view. */
export interface ActivityView {
  /** Opens the function's panel beside the editor, or shows the one already open where it is. */
  show(functionName: string, preserveFocus: boolean): void;
  /** The function's last figures from the gateway (from before a load test starts), if it sent any since activation. */
  latest(functionName: string): FunctionFigures | undefined;
}

/**
 * Function Activity: one webview panel per function (opened again, not twice), drawing the last two
 * minutes of the gateway's figures. The figures are kept from activation on, whether a panel is open
 * or not, so a panel opens with the minutes before it. A visible panel gets the whole window
 * (a few KB) on each stats message, about twice a second; a hidden one is left alone, and asks again
 * when shown (its page reloads: it keeps no state while hidden).
 */
export class ActivityPanels implements ActivityView, vscode.Disposable {
  private readonly history = new ActivityHistory();
  private readonly panels = new Map<string, vscode.WebviewPanel>();
  private readonly subscription: { dispose(): void };

  constructor(private readonly extensionUri: vscode.Uri, stats: Event<FunctionStats[]>) {
    this.subscription = stats((all) => {
      for (const name of new Set(this.history.add(all))) {
        const panel = this.panels.get(name);
        if (panel?.visible) this.post(panel, name);
      }
    });
  }

  latest(functionName: string): FunctionFigures | undefined {
    return this.history.latest(functionName);
  }

  show(functionName: string, preserveFocus: boolean): void {
    const open = this.panels.get(functionName);
    if (open) {
      open.reveal(undefined, preserveFocus);
      return;
    }
    const dist = vscode.Uri.joinPath(this.extensionUri, 'dist');
    const media = vscode.Uri.joinPath(this.extensionUri, 'media');
    const panel = vscode.window.createWebviewPanel(ACTIVITY_VIEW_TYPE, vscode.l10n.t('Activity: {0}', functionName), { viewColumn: vscode.ViewColumn.Beside, preserveFocus }, {
      enableScripts: true,
      enableCommandUris: false,
      enableForms: false,
      localResourceRoots: [dist, media],
    });
    panel.iconPath = vscode.Uri.joinPath(media, 'activitybar.svg');
    const webview = panel.webview;
    webview.html = activityPageHtml({
      cspSource: webview.cspSource,
      script: webview.asWebviewUri(vscode.Uri.joinPath(dist, 'activity.js')).toString(),
      styles: [webview.asWebviewUri(vscode.Uri.joinPath(dist, 'uPlot.min.css')).toString(), webview.asWebviewUri(vscode.Uri.joinPath(media, 'activity.css')).toString()],
    });
    // The page's one message: it loaded (again) and wants the window. Anything else is ignored.
    const listener = webview.onDidReceiveMessage((message: unknown) => {
      if (isActivityReady(message)) this.post(panel, functionName);
    });
    panel.onDidDispose(() => {
      listener.dispose();
      if (this.panels.get(functionName) === panel) this.panels.delete(functionName);
    });
    this.panels.set(functionName, panel);
  }

  /** The function left the workspace: its figures go, and its panel closes. */
  forget(functionName: string): void {
    this.history.forget(functionName);
    this.panels.get(functionName)?.dispose();
  }

  private post(panel: vscode.WebviewPanel, functionName: string): void {
    void panel.webview.postMessage(this.history.snapshot(functionName, Date.now()));
  }

  dispose(): void {
    this.subscription.dispose();
    for (const panel of [...this.panels.values()]) panel.dispose();
    this.panels.clear();
  }
}
