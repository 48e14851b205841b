import * as http from 'node:http';

export interface InvokeRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
}

export interface InvokeResult {
  request: InvokeRequest;
  status: number;
  statusText: string;
  durationMs: number;
  headers: Record<string, string>;
  body: string;
  /** The body parsed as JSON, when it is JSON. */
  json?: unknown;
}

/** A failure to get any HTTP answer: refused, timed out, reset. Says which and what to do. */
export class InvokeError extends Error {
  constructor(message: string, readonly kind: 'refused' | 'timeout' | 'reset' | 'other') {
    super(message);
    this.name = 'InvokeError';
  }
}

/** Parses a payload typed or saved by the user; returns an error message instead of throwing. */
export function parsePayload(text: string): { ok: true; body: string } | { ok: false; message: string } {
  if (!text.trim()) return { ok: true, body: '' };
  try {
    return { ok: true, body: JSON.stringify(JSON.parse(text)) };
  } catch (error) {
    return { ok: false, message: `The payload is not valid JSON (${(error as Error).message}). Fix it and try again.` };
  }
}

/** Builds the request for a function at `baseUrl`: data only, so tests can check it. */
export function buildInvokeRequest(baseUrl: string, invoke: { method: string; path: string }, body: string, timeoutSeconds: number): InvokeRequest {
  const url = new URL(invoke.path, baseUrl).toString();
  const hasBody = body.length > 0 && invoke.method !== 'GET' && invoke.method !== 'HEAD';
  return {
    method: invoke.method,
    url,
    headers: hasBody ? { 'content-type': 'application/json', accept: 'application/json' } : { accept: 'application/json' },
    body: hasBody ? body : undefined,
    timeoutMs: Math.round(timeoutSeconds * 1000),
  };
}

// Node's global agent (keep-alive since Node 19). A dedicated keep-alive pool was measured to keep
// handing out sockets that hung while a replaced container's port came up, so invokes right after
// a rebuild waited ~1 s; the global agent's sockets did not.
const agent = http.globalAgent;

export function sendInvoke(request: InvokeRequest, signal?: AbortSignal): Promise<InvokeResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(request.url, { method: request.method, headers: request.headers, agent, signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (e) => reject(mapError(e, request)));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const headers: Record<string, string> = {};
        for (const [key, value] of Object.entries(res.headers)) if (value !== undefined) headers[key] = Array.isArray(value) ? value.join(', ') : value;
        resolve({
          request,
          status: res.statusCode ?? 0,
          statusText: res.statusMessage ?? '',
          durationMs: performance.now() - started,
          headers,
          body,
          json: tryParseJson(body),
        });
      });
    });
    req.setTimeout(request.timeoutMs, () => {
      req.destroy(new InvokeError(`No answer from ${request.url} within ${request.timeoutMs / 1000} s (timeoutSeconds in fn.json). Check the function's logs.`, 'timeout'));
    });
    req.on('error', (e) => reject(mapError(e, request)));
    req.end(request.body);
  });
}

function mapError(error: Error & { code?: string }, request: InvokeRequest): Error {
  if (error instanceof InvokeError || error.name === 'AbortError') return error;
  if (error.code === 'ECONNREFUSED') return new InvokeError(`Connection refused at ${request.url}: the function is not listening. Build and Run it, then invoke again.`, 'refused');
  if (error.code === 'ECONNRESET' || error.code === 'EPIPE' || error.message === 'socket hang up') {
    return new InvokeError(`The function closed the connection at ${request.url} without answering: it may have crashed or may not listen on its port. See its logs.`, 'reset');
  }
  return new InvokeError(`Request to ${request.url} failed: ${error.message}`, 'other');
}

function tryParseJson(text: string): unknown {
  if (!text.trim()) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * The text shown beside the editor: request and status lines, headers, then the pretty-printed
 * body. For JSON replies the header lines are `//` comments, so the whole text is valid JSONC.
 */
export function formatInvokeResult(result: InvokeResult, asJsonc: boolean): string {
  const comment = asJsonc ? '// ' : '';
  const header = [
    `${result.request.method} ${result.request.url}`,
    `${result.status} ${result.statusText} in ${result.durationMs.toFixed(1)} ms`,
    ...Object.entries(result.headers).map(([k, v]) => `${k}: ${v}`),
  ].map((line) => comment + line);
  const empty = `${comment}(empty body)`;
  const body = result.json !== undefined ? JSON.stringify(result.json, null, 2) : result.body || empty;
  return [...header, '', body, ''].join('\n');
}

/** One line for the function's output channel. */
export function summarizeInvoke(result: InvokeResult): string {
  return `invoke ${result.request.method} ${new URL(result.request.url).pathname} → ${result.status} in ${result.durationMs.toFixed(1)} ms, ${Buffer.byteLength(result.body)} bytes`;
}
