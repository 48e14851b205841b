import type * as http from 'node:http';
import type { ScaleConfig } from '../core/scaling';

/**
 * The gateway's own replies, when no function answers: JSON a person (or a script) can act on.
 * `error` is a stable code for scripts; `reason` says what happened and what to do.
 */
export interface ErrorReply {
  status: number;
  error: string;
  reason: string;
  /** Sent as `Retry-After` (seconds) when trying again soon may succeed. */
  retryAfterSeconds?: number;
  /** More fields for the body (e.g. the functions that exist). */
  details?: Record<string, unknown>;
  /** Ends the client's connection after the reply (the gateway is closing: a kept-alive connection would hold it open). */
  closeConnection?: boolean;
}

// Queues drain at the pace of the function's requests: a second later is a fair first retry.
const RETRY_SOON_SECONDS = 1;

export function sendError(res: http.ServerResponse, reply: ErrorReply): void {
  // Headers already went out (the function failed mid-reply): cutting the connection is the only honest signal left.
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const headers: http.OutgoingHttpHeaders = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };
  if (reply.retryAfterSeconds !== undefined) headers['retry-after'] = String(reply.retryAfterSeconds);
  if (reply.closeConnection) headers.connection = 'close';
  const body = `${JSON.stringify({ error: reply.error, reason: reply.reason, ...reply.details })}\n`;
  headers['content-length'] = Buffer.byteLength(body);
  res.writeHead(reply.status, headers);
  res.end(body);
}

export function hostRefused(host: string | undefined, port: number): ErrorReply {
  return {
    status: 403,
    error: 'host_refused',
    reason: `the local gateway serves only loopback names, not ${host === undefined ? 'a request without a valid Host header' : `Host "${host}"`} (this stops other web sites from reaching your functions through your browser); call http://127.0.0.1:${port}/<function>/ or http://<function>.localhost:${port}/`,
  };
}

export function unknownFunction(name: string | undefined, known: readonly string[], port: number): ErrorReply {
  const urls = known.map((n) => `http://127.0.0.1:${port}/${n}/`);
  const what = name === undefined ? 'this URL names no function' : `no function is named "${name}" in this window`;
  const hint = known.length === 0 ? 'no function has been run yet: use Build and Run in VS Code' : `use one of ${urls.join(', ')}`;
  return { status: 404, error: 'unknown_function', reason: `${what}; ${hint}`, details: { functions: [...known] } };
}

export function websocketUnsupported(): ErrorReply {
  return { status: 501, error: 'websocket_unsupported', reason: 'the local gateway does not proxy WebSocket connections yet; use plain HTTP requests' };
}

export function functionOff(name: string, offReason: string | undefined): ErrorReply {
  return { status: 503, error: 'function_off', reason: offReason ?? `${name} is stopped: run Build and Run in VS Code to start it` };
}

export function queueFull(name: string, scale: ScaleConfig): ErrorReply {
  return {
    status: 503,
    error: 'queue_full',
    reason: `${scale.queue} requests already wait for an instance of ${name} (scale.queue); retry later, or raise scale.max, scale.concurrency or scale.queue in its fn.json`,
    retryAfterSeconds: RETRY_SOON_SECONDS,
  };
}

/** Why a request was not placed within its deadline: no instance came up, or all were busy. */
export function notPlaced(name: string, timeoutSeconds: number, busyInstances: number, scale: ScaleConfig): ErrorReply {
  const reason = busyInstances === 0
    ? `no instance of ${name} was ready within ${timeoutSeconds} s (timeoutSeconds); it may still be starting or building: retry in a moment, see its output, or raise timeoutSeconds in its fn.json`
    : `all ${busyInstances} instances of ${name} stayed busy for ${timeoutSeconds} s (timeoutSeconds, scale.max ${scale.max}, scale.concurrency ${scale.concurrency || 'unlimited'}); retry later, or raise scale.max, scale.concurrency or timeoutSeconds in its fn.json`;
  return { status: 503, error: 'not_placed', reason, retryAfterSeconds: RETRY_SOON_SECONDS };
}

export function startFailed(name: string, reason: string): ErrorReply {
  return { status: 503, error: 'start_failed', reason: `${name} could not start: ${reason}` };
}

export function functionRemoved(name: string): ErrorReply {
  return { status: 503, error: 'function_removed', reason: `${name} is no longer in this workspace` };
}

export function gatewayClosing(): ErrorReply {
  return { status: 503, error: 'gateway_closing', reason: 'the local gateway is shutting down (VS Code window closing or reloading); retry once it is back', retryAfterSeconds: RETRY_SOON_SECONDS, closeConnection: true };
}

export function timedOut(name: string, label: string, timeoutSeconds: number): ErrorReply {
  return {
    status: 504,
    error: 'timed_out',
    reason: `${label} of ${name} sent no reply within ${timeoutSeconds} s (timeoutSeconds); see its output, or raise timeoutSeconds in its fn.json`,
  };
}

export function upstreamFailed(name: string, label: string, why: string): ErrorReply {
  return {
    status: 502,
    error: 'instance_failed',
    reason: `${label} of ${name} closed the connection without a full reply (${why}); it may have crashed: see its output`,
  };
}

export function internalError(message: string): ErrorReply {
  return { status: 500, error: 'gateway_error', reason: `the local gateway failed on this request: ${message}; please report it` };
}
