import { createScanner, SyntaxKind } from 'jsonc-parser';
import { isUtf8 } from 'node:buffer';
import * as http from 'node:http';
import { decodeCloudEventReply, encodeCloudEvent, sentCloudEvent, type CloudEventMessage, type CloudEventReply, type SentCloudEvent } from './cloudEvents';
import { COLD_START_HEADER, REPLICA_HEADER } from './scaling';
import { CancelledError } from './errors';
import { PausableTimer } from './pausableTimer';

export interface InvokeRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  /** Bytes only for a CloudEvent's data_base64 in binary mode. */
  body?: string | Buffer;
  timeoutMs: number;
  /** The CloudEvent this request carries (binary or structured), for the result view and the channel. */
  cloudEvent?: SentCloudEvent;
}

export interface InvokeResult {
  request: InvokeRequest;
  status: number;
  statusText: string;
  durationMs: number;
  headers: Record<string, string>;
  /**
   * The reply as the function sent it, decoded as UTF-8 and never re-serialized: at most the first
   * REPLY_KEEP_BYTES of it (see `truncated`), and empty for a binary reply.
   */
  body: string;
  /** Every byte the function sent, counted even past what is kept. */
  bodyBytes: number;
  /** Only the first REPLY_KEEP_BYTES were kept; the rest was received and discarded. */
  truncated: boolean;
  /** Not text (by its content type, NUL bytes, or bytes that are not UTF-8): shown as size and type. */
  binary: boolean;
  /**
   * The body parsed as JSON, when it is complete JSON. Numbers beyond double precision lose digits
   * here, so what is shown is always `body`, never this.
   */
  json?: unknown;
}

/** Tells whether a debugger holds the function at a breakpoint, and when that changes. */
export interface PauseSource {
  readonly paused: boolean;
  /** Returns a function that stops listening. */
  onDidChange(listener: (paused: boolean) => void): () => void;
}

/** Invoke waits this much beyond `timeoutSeconds`, so a platform's own timeout answer can arrive first. */
export const INVOKE_GRACE_SECONDS = 2;
/** The most of a reply kept in memory and shown; the rest is counted and discarded. */
export const REPLY_KEEP_BYTES = 10 * 1024 * 1024;

/** A failure to get any HTTP answer: refused, timed out, reset. Says which and what to do. */
export class InvokeError extends Error {
  constructor(message: string, readonly kind: 'refused' | 'timeout' | 'reset' | 'other') {
    super(message);
    this.name = 'InvokeError';
  }
}

/**
 * Parses a payload typed or saved by the user; returns an error message instead of throwing. The body
 * sent is the payload without its whitespace, every value as the user wrote it (a re-serialized
 * 12345678901234567890 would become 12345678901234567000).
 */
/** For an input box's `validateInput`: why `text` cannot be sent as a payload, or undefined. */
export function payloadProblem(text: string): string | undefined {
  const parsed = parsePayload(text);
  return parsed.ok ? undefined : parsed.message;
}

export function parsePayload(text: string): { ok: true; body: string } | { ok: false; message: string } {
  if (!text.trim()) return { ok: true, body: '' };
  try {
    JSON.parse(text);
    return { ok: true, body: layoutJson(text, 'compact') };
  } catch (error) {
    return { ok: false, message: `The payload is not valid JSON (${(error as Error).message}). Fix it and try again.` };
  }
}

/**
 * Builds the request for a function at `baseUrl`: data only, so tests can check it. `payload` is
 * the JSON body (a plain POST), or a CloudEvent for a function that takes them (see core/cloudEvents.ts),
 * whose id and time are already filled (completeCloudEvent).
 */
export function buildInvokeRequest(baseUrl: string, invoke: { method: string; path: string }, payload: string | CloudEventMessage, timeoutSeconds: number): InvokeRequest {
  // The base may carry a path (the gateway's /<name>): the invoke path goes under it.
  const url = new URL(baseUrl.replace(/\/+$/, '') + invoke.path).toString();
  const message = typeof payload === 'string' ? { headers: payload ? { 'content-type': 'application/json' } : {}, body: payload || undefined } : encodeCloudEvent(payload);
  const hasBody = message.body !== undefined && message.body.length > 0 && invoke.method !== 'GET' && invoke.method !== 'HEAD';
  const headers: Record<string, string> = { ...message.headers, accept: 'application/json' };
  if (!hasBody) delete headers['content-type'];
  return {
    method: invoke.method,
    url,
    headers,
    body: hasBody ? message.body : undefined,
    // The whole request, reply included (DESIGN.md, Timeouts).
    timeoutMs: Math.round((timeoutSeconds + INVOKE_GRACE_SECONDS) * 1000),
    ...(typeof payload === 'string' ? {} : { cloudEvent: sentCloudEvent(payload) }),
  };
}

// Node's global agent (keep-alive since Node 19). A dedicated keep-alive pool was measured to keep
// handing out sockets that hung while a replaced container's port came up, so invokes right after
// a rebuild waited ~1 s; the global agent's sockets did not.
const agent = http.globalAgent;

/**
 * Sends the request and reads the reply within `request.timeoutMs` in all (not only while idle: a
 * function that trickles bytes forever is stopped too). Keeps at most REPLY_KEEP_BYTES of the body
 * and counts the rest as it streams past. A cancelled `signal` rejects with CancelledError.
 * `onReceived` hears the byte count as the body arrives (about once per MiB). While `pauses` says
 * a debugger holds the function at a breakpoint, the clock stands still (DESIGN.md "Timeouts").
 */
export function sendInvoke(request: InvokeRequest, signal?: AbortSignal, onReceived?: (bytes: number) => void, pauses?: PauseSource): Promise<InvokeResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new CancelledError());
      return;
    }
    let settled = false;
    let req: http.ClientRequest | undefined;
    let reply: ReplyReader | undefined;
    const finish = (outcome: { result: InvokeResult } | { error: Error }) => {
      if (settled) return;
      settled = true;
      deadline.clear();
      stopListening?.();
      signal?.removeEventListener('abort', onAbort);
      if ('result' in outcome) resolve(outcome.result);
      else {
        req?.destroy();
        reject(outcome.error);
      }
    };
    const onAbort = () => finish({ error: new CancelledError() });
    signal?.addEventListener('abort', onAbort, { once: true });
    const deadline = new PausableTimer(request.timeoutMs, () => finish({ error: timeoutError(request, reply) }));
    if (pauses?.paused) deadline.pause();
    const stopListening = pauses?.onDidChange((paused) => (paused ? deadline.pause() : deadline.resume()));

    try {
      req = http.request(request.url, { method: request.method, headers: request.headers, agent }, onResponse);
    } catch (error) {
      finish({ error: mapError(error as Error, request) });
      return;
    }
    req.on('error', (e) => finish({ error: mapError(e, request) }));
    req.end(request.body);

    function onResponse(res: http.IncomingMessage): void {
      const headers: Record<string, string> = {};
      for (const [key, value] of Object.entries(res.headers)) if (value !== undefined) headers[key] = Array.isArray(value) ? value.join(', ') : value;
      const reader = (reply = new ReplyReader(headers));
      let reported = 0;
      res.on('data', (chunk: Buffer) => {
        reader.add(chunk);
        if (onReceived && reader.bodyBytes - reported >= 1024 * 1024) onReceived((reported = reader.bodyBytes));
      });
      // Cut off partway (a crash, a restart): say how far the reply got, whichever event comes first.
      const cutOff = () => finish({ error: new InvokeError(`The function closed the connection at ${request.url} after ${formatBytes(reader.bodyBytes)} of its reply, before finishing it. See its logs.`, 'reset') });
      res.on('error', cutOff);
      res.on('close', () => {
        if (!res.complete) cutOff();
      });
      res.on('end', () => {
        const body = reader.finish();
        finish({
          result: {
            request,
            status: res.statusCode ?? 0,
            statusText: res.statusMessage ?? '',
            durationMs: performance.now() - started,
            headers,
            ...body,
            json: body.binary || body.truncated ? undefined : tryParseJson(body.body),
          },
        });
      });
    }
  });
}

function timeoutError(request: InvokeRequest, reply: ReplyReader | undefined): InvokeError {
  const within = `within ${request.timeoutMs / 1000} s (timeoutSeconds in fn.json, plus ${INVOKE_GRACE_SECONDS} s)`;
  return new InvokeError(
    reply
      ? `The reply from ${request.url} did not finish ${within}: ${formatBytes(reply.bodyBytes)} had arrived. Check the function's logs, or raise timeoutSeconds if it needs longer.`
      : `No answer from ${request.url} ${within}. Check the function's logs, or raise timeoutSeconds if it needs longer.`,
    'timeout',
  );
}

/**
 * Reads a reply body chunk by chunk: keeps at most REPLY_KEEP_BYTES of it, counts the rest, and stops
 * keeping anything once the reply shows itself binary. The kept bytes become text once, at the end
 * (decoding each chunk as it came held about four times the text in memory).
 */
class ReplyReader {
  bodyBytes = 0;
  private keptBytes = 0;
  private kept: Buffer[] = [];
  private binary: boolean;

  constructor(headers: Record<string, string>) {
    this.binary = isBinaryType(headers['content-type'], headers['content-encoding']);
  }

  add(chunk: Buffer): void {
    this.bodyBytes += chunk.length;
    const room = REPLY_KEEP_BYTES - this.keptBytes;
    if (this.binary || room <= 0) return;
    const part = chunk.length <= room ? chunk : chunk.subarray(0, room);
    if (part.includes(0)) return this.becomeBinary();
    this.kept.push(part);
    this.keptBytes += part.length;
  }

  finish(): Pick<InvokeResult, 'body' | 'bodyBytes' | 'truncated' | 'binary'> {
    const truncated = this.bodyBytes > this.keptBytes;
    let bytes = Buffer.concat(this.kept, this.keptBytes);
    this.kept = [];
    // Cut inside a character: end the text before it.
    if (truncated) bytes = bytes.subarray(0, wholeUtf8Length(bytes));
    if (!this.binary && !isUtf8(bytes)) this.becomeBinary();
    return { body: this.binary ? '' : bytes.toString('utf8'), bodyBytes: this.bodyBytes, truncated: !this.binary && truncated, binary: this.binary };
  }

  private becomeBinary(): void {
    this.binary = true;
    this.kept = [];
  }
}

/** The length of `bytes` without a UTF-8 sequence left incomplete at its end. */
function wholeUtf8Length(bytes: Buffer): number {
  for (let back = 1; back <= Math.min(4, bytes.length); back++) {
    const byte = bytes[bytes.length - back];
    if ((byte & 0xc0) === 0x80) continue; // a continuation byte: look further back for the lead
    const needed = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return needed > back ? bytes.length - back : bytes.length;
  }
  return bytes.length;
}

const TEXT_TYPE = /^(text\/|application\/(json|xml|javascript|ecmascript|x-www-form-urlencoded|x-ndjson|yaml|x-yaml|toml|graphql|problem\+json|sql)\b)|[+](json|xml|yaml)\b/i;
const BINARY_TYPE = /^(image|audio|video|font|model)\/|^application\/(octet-stream|pdf|zip|gzip|x-gzip|x-tar|x-bzip2|x-7z-compressed|zstd|wasm|x-protobuf|protobuf|grpc|msgpack|x-msgpack|cbor|vnd\.)/i;

/** Binary by its declared type (a text type wins: `image/svg+xml` is text), or compressed on the wire. */
function isBinaryType(contentType: string | undefined, contentEncoding: string | undefined): boolean {
  if (contentEncoding && !/^\s*identity\s*$/i.test(contentEncoding)) return true;
  if (!contentType) return false;
  const type = contentType.trim();
  return !TEXT_TYPE.test(type) && BINARY_TYPE.test(type);
}

function mapError(error: Error & { code?: string }, request: InvokeRequest): Error {
  if (error instanceof InvokeError || error instanceof CancelledError) return error;
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

/** Whether the result view shows the reply as JSONC (header lines as comments) rather than plain text. */
export function showsAsJsonc(result: InvokeResult): boolean {
  return result.json !== undefined || (!result.binary && !result.body.trim());
}

/**
 * The text shown beside the editor: request and status lines, headers, then the body. For JSON
 * replies the header lines are `//` comments, so the whole text is valid JSONC. The body is shown
 * as sent: JSON is re-indented token by token (values keep their exact text), a binary reply is
 * named by size and type, and a cut reply says so above and below what is kept.
 */
export function formatInvokeResult(result: InvokeResult, asJsonc: boolean): string {
  const comment = asJsonc ? '// ' : '';
  const cut = result.truncated ? `showing the first ${formatBytes(Buffer.byteLength(result.body))} of ${formatBytes(result.bodyBytes)}: the rest was received and not kept` : undefined;
  const sent = result.request.cloudEvent;
  const header = [
    `${result.request.method} ${result.request.url}`,
    ...(sent ? [describeSentEvent(sent)] : []),
    `${result.status} ${result.statusText} in ${result.durationMs.toFixed(1)} ms`,
    ...Object.entries(result.headers).map(([k, v]) => `${k}: ${v}`),
    ...(cut ? [cut] : []),
  ].map((line) => comment + line);
  let body: string;
  if (result.binary) body = `${comment}binary reply: ${formatBytes(result.bodyBytes)}, type ${result.headers['content-type'] ?? 'not given'}${result.headers['content-encoding'] ? `, encoding ${result.headers['content-encoding']}` : ''}`;
  else if (!result.body) body = `${comment}(empty body)`;
  else if (result.json !== undefined || (result.truncated && looksLikeJson(result))) body = layoutJson(result.body, 'indented');
  else body = result.body;
  const reply = cloudEventReplyOf(result);
  if (reply) {
    const data = replyEventData(reply, comment);
    body = [...describeReplyEvent(reply).map((line) => comment + line), ...(data === null ? [] : [data ?? body])].join('\n');
  }
  return [...header, '', body, ...(cut ? ['', `${comment}[${cut}]`] : []), ''].join('\n');
}

/** The reply as a CloudEvent, when it is one (binary: by its ce-* headers; structured: by its content type and a complete JSON body). */
export function cloudEventReplyOf(result: InvokeResult): CloudEventReply | undefined {
  return decodeCloudEventReply(result.headers, result.binary ? '' : result.body, result.json);
}

/** The header line naming the CloudEvent Invoke sent. */
function describeSentEvent(sent: SentCloudEvent): string {
  return `CloudEvent sent in ${sent.mode} mode: type ${oneLine(sent.type)}, source ${oneLine(sent.source)}, id ${oneLine(sent.id)}${sent.wrapped ? ' (the payload is its data)' : ''}`;
}

/** The attributes of a CloudEvent reply, one a line, and the line that introduces its data. */
function describeReplyEvent(reply: CloudEventReply): string[] {
  return [
    `CloudEvent reply, ${reply.mode} mode${reply.specversion ? ` (specversion ${oneLine(reply.specversion)})` : ''}:`,
    ...reply.attributes.map(([name, value]) => `  ${oneLine(name)}: ${oneLine(value)}`),
    reply.mode === 'structured' && !reply.data ? 'data: none' : `data${reply.datacontenttype ? ` (${oneLine(reply.datacontenttype)})` : ''}:`,
  ];
}

/** Structured mode: the data out of the event, laid out (values as sent), or null without data. Binary mode: undefined, the body is the data. */
function replyEventData(reply: CloudEventReply, comment: string): string | null | undefined {
  if (reply.mode === 'binary') return undefined;
  if (!reply.data) return null;
  if ('base64Bytes' in reply.data) return `${comment}${formatBytes(reply.data.base64Bytes)} as data_base64`;
  return layoutJson(reply.data.json, 'indented');
}

/** A value from the reply or the event, on one line: one with line breaks or control characters is shown JSON-quoted, so it cannot end a comment line. */
function oneLine(value: string): string {
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u001f\u007f\u2028\u2029]/.test(value) ? JSON.stringify(value) : value;
}

/** One line for the function's output channel. */
/**
 * The channel's line for an invoke: `path` is the function's own (its invoke path, not the gateway's
 * /<name> prefix), and the instance that answered and its cold start, when the gateway says so.
 */
export function summarizeInvoke(result: InvokeResult, path = new URL(result.request.url).pathname): string {
  const kind = result.binary ? `, binary (${result.headers['content-type'] ?? 'no content type'})` : result.truncated ? `, first ${formatBytes(REPLY_KEEP_BYTES)} kept` : '';
  const replica = result.headers[REPLICA_HEADER];
  const coldStart = result.headers[COLD_START_HEADER];
  const answeredBy = replica ? ` (${replica}${coldStart ? `, after a ${coldStart} ms cold start` : ''})` : '';
  const sent = result.request.cloudEvent;
  const event = sent ? ` (CloudEvent ${oneLine(sent.type)}, ${sent.mode}, id ${oneLine(sent.id)})` : '';
  const reply = cloudEventReplyOf(result);
  const replyType = reply?.attributes.find(([name]) => name === 'type')?.[1];
  const replyEvent = reply ? `, CloudEvent reply ${oneLine(replyType ?? '')} (${reply.mode})` : '';
  return `invoke ${result.request.method} ${path}${event} → ${result.status} in ${result.durationMs.toFixed(1)} ms, ${result.bodyBytes} bytes${kind}${replyEvent}${answeredBy}`;
}

/** "512 bytes", "3.4 KB", "600 MB": sizes in KiB/MiB, named the way people read them. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  const [value, unit] = bytes < 1024 * 1024 ? [bytes / 1024, 'KB'] : bytes < 1024 ** 3 ? [bytes / 1024 ** 2, 'MB'] : [bytes / 1024 ** 3, 'GB'];
  return `${value.toFixed(1).replace(/\.0$/, '')} ${unit}`;
}

/** A cut reply can no longer be parsed; its content type and first character still say JSON. */
function looksLikeJson(result: InvokeResult): boolean {
  return /json/i.test(result.headers['content-type'] ?? '') && /^\s*[[{]/.test(result.body);
}

/**
 * Lays JSON out again by changing only the whitespace between tokens: every string, number and
 * literal keeps the exact text the function sent (no parse-and-stringify, which turns
 * 12345678901234567890 into 12345678901234567000 and 1.0 into 1). Works on a cut document too.
 * (jsonc-parser's own `format` + `applyEdits` do the same, but apply their edits one string rebuild
 * at a time, which grows with the square of the size: minutes on a 10 MB reply.)
 */
export function layoutJson(text: string, style: 'indented' | 'compact'): string {
  const scanner = createScanner(text, false);
  const indents: string[] = ['\n'];
  const newline = (depth: number) => (style === 'compact' ? '' : (indents[depth] ??= '\n' + '  '.repeat(depth)));
  // Pieces are joined a few thousand at a time: one string grown by += per token keeps every piece
  // alive as a rope until the end (about 18 bytes of memory per byte of a 10 MB reply).
  const done: string[] = [];
  let pieces: string[] = [];
  const emit = (piece: string) => {
    if (pieces.push(piece) >= 8192) {
      done.push(pieces.join(''));
      pieces = [];
    }
  };
  let depth = 0;
  let pending: 'none' | 'open' | 'break' = 'none';
  for (let kind = scanner.scan(); kind !== SyntaxKind.EOF; kind = scanner.scan()) {
    if (kind === SyntaxKind.Trivia || kind === SyntaxKind.LineBreakTrivia) continue;
    const token = text.slice(scanner.getTokenOffset(), scanner.getTokenOffset() + scanner.getTokenLength());
    if (kind === SyntaxKind.CloseBraceToken || kind === SyntaxKind.CloseBracketToken) {
      depth = Math.max(0, depth - 1);
      if (pending !== 'open') emit(newline(depth));
      emit(token);
      pending = 'none';
      continue;
    }
    if (pending !== 'none') emit(newline(depth));
    pending = 'none';
    emit(kind === SyntaxKind.ColonToken && style === 'indented' ? ': ' : token);
    if (kind === SyntaxKind.OpenBraceToken || kind === SyntaxKind.OpenBracketToken) {
      depth++;
      pending = 'open';
    } else if (kind === SyntaxKind.CommaToken || kind === SyntaxKind.LineCommentTrivia) pending = 'break';
  }
  done.push(pieces.join(''));
  return done.join('');
}
