import type * as http from 'node:http';
import { Readable } from 'node:stream';
import type { ProxyServer } from 'http-proxy-3';
import type { FunctionPool, PoolInstance, Waiting } from './functionPool';
import { sendError, timedOut, upstreamFailed, type ErrorReply } from './gatewayReplies';
import { COLD_START_HEADER, REPLICA_HEADER } from './gatewayTypes';

/** What an exchange needs from the gateway. */
export interface ExchangeContext {
  readonly proxy: ProxyServer;
  /** Keep-alive connections to the instances: a new TCP connection per request would add its set-up to every request. */
  readonly agent: http.Agent;
  readonly now: () => number;
}

/**
 * Headers that describe the client's connection, not the request: the gateway's connection to an
 * instance is its own (kept alive), and an `Upgrade` (h2c) is not forwarded.
 */
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'upgrade'];
/** A request is tried on at most this many instances (each refusal benches that instance), however long its deadline. */
const MAX_ATTEMPTS = 4;

/**
 * One request through the gateway, from arrival to reply: waits in its function's pool, is forwarded
 * by http-proxy-3 to the instance the pool picks, and gets the gateway's own reply when it cannot be
 * placed (503), the instance does not answer in time (504) or fails (502). Its deadline
 * (timeoutSeconds) runs from arrival, so it covers the wait for a cold start.
 */
export class Exchange implements Waiting {
  readonly arrivedAt: number;
  coldStartMs?: number;
  /** The instance holding a place for this request, until it leaves it. */
  private instance?: PoolInstance;
  private attempt = 0;
  private upstream?: http.ClientRequest;
  /** The function's reply headers arrived: from here on the function's reply is the reply. */
  private answered = false;
  /** The gateway replied itself, or the client left: nothing more is sent. */
  private done = false;
  private readonly deadline: { clear(): void };
  private readonly body: BodyCopy;

  constructor(
    private readonly req: http.IncomingMessage,
    private readonly res: http.ServerResponse,
    path: string,
    private readonly pool: FunctionPool,
    private readonly context: ExchangeContext,
  ) {
    this.arrivedAt = context.now();
    req.url = path;
    for (const header of HOP_BY_HOP) delete req.headers[header];
    this.body = new BodyCopy(req);
    this.deadline = pool.deadline(pool.timeoutSeconds * 1000, () => this.onDeadline());
    res.once('close', () => this.onClose());
  }

  start(): void {
    const refusal = this.pool.admit(this);
    if (refusal) {
      // A full queue or a failed start is worth a line in the function's channel (at most one a second).
      this.pool.log(`503 ${this.req.method} ${this.req.url}: ${refusal.reason}`);
      this.refuse(refusal);
    }
  }

  place(instance: PoolInstance): void {
    this.instance = instance;
    this.forward(instance);
  }

  refuse(reply: ErrorReply): void {
    this.reply(reply);
    this.pool.count('refused');
  }

  /** The gateway is going away: a request being forwarded is cut (a queued one was refused). */
  abort(): void {
    if (!this.done) this.res.destroy();
  }

  /** From the proxy's `proxyReq` event: the request to the instance, to cut it at the deadline. */
  onUpstreamRequest(upstream: http.ClientRequest): void {
    this.upstream = upstream;
  }

  /** From the proxy's `proxyRes` event, before the instance's headers are copied to the reply. */
  onReplyHeaders(upstreamReply: http.IncomingMessage): void {
    if (this.done || !this.instance) return;
    this.answered = true;
    this.deadline.clear();
    this.body.discard();
    // Ours alone: an instance cannot pose as another or claim a cold start.
    delete upstreamReply.headers[REPLICA_HEADER];
    delete upstreamReply.headers[COLD_START_HEADER];
    this.res.setHeader(REPLICA_HEADER, this.instance.spec.label);
    if (this.coldStartMs !== undefined) this.res.setHeader(COLD_START_HEADER, String(Math.round(this.coldStartMs)));
  }

  private forward(instance: PoolInstance): void {
    const attempt = ++this.attempt;
    this.upstream = undefined;
    this.context.proxy.web(this.req, this.res, {
      target: { host: '127.0.0.1', port: instance.spec.hostPort },
      agent: this.context.agent,
      // x-forwarded-* are appended to the request's own headers: once is enough.
      xfwd: attempt === 1,
      // The request stream was read by the first attempt; later ones send the copy.
      buffer: attempt === 1 ? undefined : this.body.replay(),
    }, (error) => {
      if (attempt === this.attempt) this.onUpstreamError(error, instance);
    });
    // Copying starts after the proxy piped the request, so the copy sees every chunk the instance does.
    if (attempt === 1) this.body.start();
  }

  private onUpstreamError(error: Error, instance: PoolInstance): void {
    if (this.done) return;
    const code = (error as NodeJS.ErrnoException).code;
    if (!this.answered && this.attempt < MAX_ATTEMPTS && this.body.replayable && this.neverReached(code)) {
      this.retryElsewhere(instance, code);
      return;
    }
    this.fail(instance, code ?? error.message);
  }

  private fail(instance: PoolInstance, why: string): void {
    this.pool.count('failed');
    this.pool.log(`502 ${this.req.method} ${this.req.url}: ${instance.spec.label} failed (${why})`);
    this.reply(upstreamFailed(this.pool.name, instance.spec.label, why));
  }

  /**
   * Whether the instance cannot have seen the request: it refused the connection (its server is gone),
   * or a kept-alive connection it had closed while idle was reset at once (Node's advice for agents).
   */
  private neverReached(code: string | undefined): boolean {
    return code === 'ECONNREFUSED' || (code === 'ECONNRESET' && this.upstream?.reusedSocket === true);
  }

  private retryElsewhere(instance: PoolInstance, code: string | undefined): void {
    if (code === 'ECONNREFUSED') {
      this.pool.markUnreachable(instance);
      this.pool.log(`${instance.spec.label} refused a connection on 127.0.0.1:${instance.spec.hostPort}; its requests go to other instances`);
    }
    this.leaveInstance(false);
    this.body.whenComplete(() => {
      if (this.done) return;
      if (this.body.replayable) this.pool.requeue(this);
      else this.fail(instance, code ?? 'the request body was too big to send again');
    });
  }

  private onDeadline(): void {
    if (this.done || this.answered) return;
    if (!this.instance) {
      this.pool.withdraw(this);
      const refusal = this.pool.notPlacedReply();
      this.pool.log(`503 ${this.req.method} ${this.req.url}: ${refusal.reason}`);
      this.refuse(refusal);
      return;
    }
    const label = this.instance.spec.label;
    // The function may still be working on it; the reply would reach no one.
    this.upstream?.destroy();
    this.pool.count('timedOut');
    this.pool.log(`504 ${this.req.method} ${this.req.url}: ${label} sent no reply within ${this.pool.timeoutSeconds} s`);
    this.reply(timedOut(this.pool.name, label, this.pool.timeoutSeconds));
  }

  private onClose(): void {
    this.deadline.clear();
    this.done = true;
    this.body.discard();
    if (this.pool.withdraw(this)) return;
    // Served: the function's whole reply went out (not cut by a failing instance, nor by a client leaving).
    const served = this.answered && this.res.writableFinished;
    if (this.instance) this.leaveInstance(served);
    if (served) this.pool.recordServed(this.context.now() - this.arrivedAt);
  }

  private leaveInstance(answered: boolean): void {
    const instance = this.instance;
    this.instance = undefined;
    if (instance) this.pool.leave(instance, answered);
  }

  private reply(reply: ErrorReply): void {
    this.done = true;
    this.deadline.clear();
    sendError(this.res, reply);
  }
}

/** Bodies up to this size are copied for a retry; a bigger one is sent once (its request is not retried). */
const MAX_COPIED_BODY_BYTES = 1024 * 1024;

/**
 * A copy of a request body as it is forwarded, so a request whose instance turned out to be gone can
 * be sent again to another. Kept until the instance answers.
 */
class BodyCopy {
  private chunks: Buffer[] | undefined = [];
  private size = 0;
  private complete = false;
  private readonly onData = (chunk: Buffer) => {
    if (!this.chunks) return;
    this.size += chunk.length;
    if (this.size > MAX_COPIED_BODY_BYTES) this.discard();
    else this.chunks.push(chunk);
  };

  constructor(private readonly req: http.IncomingMessage) {}

  get replayable(): boolean {
    return this.chunks !== undefined;
  }

  start(): void {
    this.req.on('data', this.onData);
    this.req.once('end', () => {
      this.complete = true;
    });
  }

  /** Runs `then` once the whole body is copied; the failed attempt's pipe paused the request, so it is resumed. */
  whenComplete(then: () => void): void {
    if (this.complete) {
      then();
      return;
    }
    this.req.once('end', then);
    this.req.resume();
  }

  replay(): Readable {
    return Readable.from(this.chunks ?? []);
  }

  discard(): void {
    this.req.off('data', this.onData);
    this.chunks = undefined;
  }
}
