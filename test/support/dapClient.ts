import * as net from 'node:net';

export interface DapMessage {
  seq: number;
  type: 'request' | 'response' | 'event';
  command?: string;
  event?: string;
  success?: boolean;
  message?: string;
  request_seq?: number;
  body?: Record<string, unknown>;
}

/**
 * A Debug Adapter Protocol client over TCP, as VS Code speaks it to a DebugAdapterServer: enough to
 * drive debugpy's own adapter in a container from a test (requests, their responses, and events).
 */
export class DapClient {
  private buffer = Buffer.alloc(0);
  private seq = 1;
  readonly messages: DapMessage[] = [];
  private waiters: Array<() => void> = [];

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      for (;;) {
        const headerEnd = this.buffer.indexOf('\r\n\r\n');
        if (headerEnd < 0) break;
        const length = Number(/Content-Length: (\d+)/i.exec(this.buffer.subarray(0, headerEnd).toString('ascii'))?.[1]);
        if (this.buffer.length < headerEnd + 4 + length) break;
        this.messages.push(JSON.parse(this.buffer.subarray(headerEnd + 4, headerEnd + 4 + length).toString('utf8')) as DapMessage);
        this.buffer = this.buffer.subarray(headerEnd + 4 + length);
      }
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  static connect(port: number, timeoutMs = 10_000): Promise<DapClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.setTimeout(0);
        resolve(new DapClient(socket));
      });
      socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no connection to 127.0.0.1:${port} within ${timeoutMs} ms`)));
      socket.once('error', reject);
    });
  }

  /** Sends a request; resolves with its response's seq (use `response` to wait for it). */
  send(command: string, args: Record<string, unknown> = {}): number {
    const seq = this.seq++;
    const json = JSON.stringify({ seq, type: 'request', command, arguments: args });
    this.socket.write(`Content-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`);
    return seq;
  }

  async request(command: string, args: Record<string, unknown> = {}, timeoutMs = 15_000): Promise<DapMessage> {
    const seq = this.send(command, args);
    const response = await this.next((m) => m.type === 'response' && m.request_seq === seq, `response to ${command}`, timeoutMs);
    if (!response.success) throw new Error(`${command} failed: ${response.message}`);
    return response;
  }

  /** The first message (already received or coming) that matches, skipping those seen before `from`. */
  async next(match: (m: DapMessage) => boolean, what: string, timeoutMs = 15_000, from = 0): Promise<DapMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.slice(from).find(match);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${what} within ${timeoutMs} ms; got: ${this.messages.map((m) => m.event ?? m.command).join(', ')}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.socket.destroy();
  }
}
