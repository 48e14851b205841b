/**
 * A small receiver kept running in a container (started once with `exec`, a shell loop), through which
 * saved files reach the container and its process is told to reload: one round trip of a few
 * milliseconds, where the Engine API's archive upload (`putArchive`, ~70 ms here: the engine starts a
 * helper process for each one) and a separate kill request take ten times that.
 *
 * It needs `sh`, `dd` that reads exact byte counts (`iflag=count_bytes,fullblock`: GNU coreutils,
 * BusyBox) and `tar` in the image. Without them it says "unsupported" and exits; the adapter then
 * uses the Engine API. Each request is one line, `<bytes> <signal or -> <destination>`, then a tar
 * archive of exactly that many bytes; the answer is one line, `ok` or `error <what went wrong>`.
 * `dd` reads exactly the archive, so the stream stays in step even when `tar` fails half-way (the
 * rest of the archive is drained), and no temporary file is needed (a read-only root file system works).
 *
 * A signal is only sent; the process reloads when it gets to it. A server that counts its reloads in
 * RELOADS_FILE (the templates' do) is waited for, up to about 2 s, until the count changes: "ok" then
 * means the new code serves, so no request sent after it meets the old code. A reload takes a
 * millisecond or two: the count is read again at once a hundred times (the shell's own `read`, no
 * process started), then every 2 ms.
 */
export const RECEIVER_SCRIPT = [
  'set -f',
  'pid=${1:-1}',
  'reloads=${TMPDIR:-/tmp}/.local-serverless-reloads',
  'dd if=/dev/null of=/dev/null bs=1 count=0 iflag=count_bytes,fullblock status=none 2>/dev/null && command -v tar >/dev/null 2>&1 || { echo unsupported; exit 0; }',
  'echo ready',
  "while IFS=' ' read -r size sig dest; do",
  '  if ! out=$(dd bs=65536 count="$size" iflag=count_bytes,fullblock status=none | { tar -x -f - -C "$dest" 2>&1; rc=$?; cat >/dev/null; exit $rc; }); then',
  '    echo "error" $out',
  '    continue',
  '  fi',
  '  if [ "$sig" = - ]; then echo ok; continue; fi',
  '  before=; { read -r before < "$reloads"; } 2>/dev/null',
  '  if ! kill -s "$sig" "$pid" 2>/dev/null; then echo "error cannot send $sig to process $pid"; continue; fi',
  '  n=0',
  '  while [ -n "$before" ] && [ $n -lt 1100 ]; do',
  '    now=; { read -r now < "$reloads"; } 2>/dev/null',
  '    [ "$now" != "$before" ] && break',
  '    n=$((n + 1))',
  '    [ $n -gt 100 ] && sleep 0.002 2>/dev/null',
  '  done',
  '  echo ok',
  'done',
].join('\n');

/** Where a server counts its reloads (under $TMPDIR, else /tmp), one number and a newline. */
export const RELOADS_FILE = '.local-serverless-reloads';

/** What `ps` shows for the receiver: `sh -c … local-serverless-sync`. */
export const RECEIVER_NAME = 'local-serverless-sync';

/** The receiver cannot be used (gone, unsupported, out of step): the caller takes the Engine API's way. */
export class ReceiverUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReceiverUnavailableError';
  }
}

/** The two ends of the receiver's process: its stdin, and its stdout as text (the adapter demultiplexes Docker's stream). */
export interface ReceiverStreams {
  input: NodeJS.WritableStream;
  output: AsyncIterable<string>;
  /** Ends the process's stdin and closes the connection. */
  close(): void;
}

/**
 * One container's receiver: one request at a time (later ones wait their turn), each bounded by a
 * deadline. Closed (and never used again) when its process ends, when it answers out of turn, or when
 * a request takes too long: what state it left the stream in is then unknown.
 */
export class SyncReceiver {
  private lines: string[] = [];
  private waiting: ((line: string | undefined) => void) | undefined;
  private ended = false;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly streams: ReceiverStreams, private readonly onClose: (failed: boolean) => void) {
    void this.read();
  }

  /**
   * Waits for the receiver's first line: resolves with the receiver when it says "ready", undefined
   * when the image lacks what it needs (or it ends or says nothing within `timeoutMs`), closing it then.
   * `onClose` hears when it closes: `failed` when it went out of step or silent (not worth another
   * try), not when its process simply ended (the container restarted: another may start).
   */
  static async start(streams: ReceiverStreams, timeoutMs: number, onClose: (failed: boolean) => void = () => undefined): Promise<SyncReceiver | undefined> {
    const receiver = new SyncReceiver(streams, onClose);
    const first = await receiver.nextLine(timeoutMs);
    if (first === 'ready') return receiver;
    receiver.close(true);
    return undefined;
  }

  get closed(): boolean {
    return this.ended;
  }

  /**
   * Extracts `archive` (a tar) into `destination`, then sends `signal` ("HUP", or undefined for none) to
   * the container's main process. Throws ReceiverUnavailableError when the receiver could not be asked
   * (nothing may have happened), or an Error with tar's or kill's words when it was asked and failed.
   */
  send(archive: Uint8Array, destination: string, signal: string | undefined, timeoutMs: number): Promise<void> {
    const turn = this.queue.then(() => this.exchange(archive, destination, signal, timeoutMs));
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  close(failed = false): void {
    if (this.ended) return;
    this.ended = true;
    this.streams.close();
    this.waiting?.(undefined);
    this.waiting = undefined;
    this.onClose(failed);
  }

  private async exchange(archive: Uint8Array, destination: string, signal: string | undefined, timeoutMs: number): Promise<void> {
    if (this.ended) throw new ReceiverUnavailableError('the receiver has ended');
    if (/[\r\n]/.test(destination) || (signal !== undefined && !/^[A-Z0-9]+$/.test(signal))) {
      throw new ReceiverUnavailableError(`the receiver cannot carry ${JSON.stringify(destination)} or ${signal}`);
    }
    // Anything left over would be another request's answer: out of step.
    if (this.lines.length) {
      this.close(true);
      throw new ReceiverUnavailableError(`the receiver said ${JSON.stringify(this.lines[0])} out of turn`);
    }
    this.streams.input.write(`${archive.byteLength} ${signal ?? '-'} ${destination}\n`);
    this.streams.input.write(archive);
    const answer = await this.nextLine(timeoutMs);
    if (answer === 'ok') return;
    if (answer?.startsWith('error')) throw new Error(answer.slice('error'.length).trim() || 'the receiver in the container failed');
    this.close(true);
    throw new ReceiverUnavailableError(answer === undefined ? `the receiver did not answer within ${timeoutMs} ms, or ended` : `the receiver said ${JSON.stringify(answer)}`);
  }

  /** The next line of output, or undefined when the receiver ends or `timeoutMs` passes (which closes it). */
  private nextLine(timeoutMs: number): Promise<string | undefined> {
    const line = this.lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (this.ended) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        resolve(undefined);
        this.close(true);
      }, timeoutMs);
      this.waiting = (next) => {
        clearTimeout(timer);
        this.waiting = undefined;
        resolve(next);
      };
    });
  }

  private async read(): Promise<void> {
    let pending = '';
    try {
      for await (const text of this.streams.output) {
        pending += text;
        for (let end = pending.indexOf('\n'); end >= 0; end = pending.indexOf('\n')) {
          const line = pending.slice(0, end);
          pending = pending.slice(end + 1);
          if (this.waiting) this.waiting(line);
          else this.lines.push(line);
        }
      }
    } catch {
      // A broken connection is the receiver's end, as below.
    }
    this.close();
  }
}
