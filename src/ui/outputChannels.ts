import * as vscode from 'vscode';

/** One output channel per function, created on first use, kept across restarts and rebuilds, closed when the function is gone. */
export class FunctionOutputChannels implements vscode.Disposable {
  private readonly channels = new Map<string, vscode.OutputChannel>();

  get(functionName: string): vscode.OutputChannel {
    let channel = this.channels.get(functionName);
    if (!channel) {
      channel = vscode.window.createOutputChannel(channelName(functionName));
      this.channels.set(functionName, channel);
    }
    return channel;
  }

  /** The function is gone from the workspace: its channel leaves the Output panel's list. */
  release(functionName: string): void {
    this.channels.get(functionName)?.dispose();
    this.channels.delete(functionName);
  }

  show(functionName: string, preserveFocus = true): void {
    this.get(functionName).show(preserveFocus);
  }

  dispose(): void {
    for (const channel of this.channels.values()) channel.dispose();
    this.channels.clear();
  }
}

export function channelName(functionName: string): string {
  return `Local Serverless: ${functionName}`;
}
