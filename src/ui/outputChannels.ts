import * as vscode from 'vscode';

/** One output channel per function, created on first use and kept across restarts and rebuilds. */
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
