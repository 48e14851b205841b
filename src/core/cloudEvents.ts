import { randomUUID } from 'node:crypto';
import { createScanner, SyntaxKind } from 'jsonc-parser';
import { takesCloudEvents, type FunctionProtocol } from './protocol';

/**
 * CloudEvents 1.0 over HTTP, as Invoke sends them to a function that takes CloudEvents and reads
 * them back from its reply: the JSON event format for saved events and structured mode, the HTTP
 * binding's `ce-*` headers for binary mode.
 *
 * Written here rather than taken from the `cloudevents` npm package (v10), which was tried: it
 * re-serializes data through JSON.stringify (12345678901234567890 arrives as 12345678901234567000,
 * where every other payload Invoke sends keeps its values as typed), does not percent-encode header
 * values (a subject "café" makes Node refuse the request), labels data_base64 bytes as
 * application/json, and, reading a reply, invents a `time` the function never sent.
 */

export const SPEC_VERSION = '1.0';
/** Type and source of the event Invoke makes around a payload that is not a CloudEvent. */
export const WRAPPED_EVENT_TYPE = 'dev.localserverless.invoke';
export function wrappedEventSource(functionName: string): string {
  return `/local-serverless/${functionName}`;
}
export const STRUCTURED_CONTENT_TYPE = 'application/cloudevents+json';

export type CloudEventMode = 'binary' | 'structured';
/** The CloudEvents type system as JSON carries it: String (and URI, Timestamp… as strings), Integer, Boolean. */
export type AttributeValue = string | number | boolean;

export interface CloudEventMessage {
  mode: CloudEventMode;
  /**
   * Context attributes: specversion, source, type, the optional ones and extensions. `id` and `time`
   * are absent until completeCloudEvent fills them, when the saved event did not give them.
   */
  attributes: Record<string, AttributeValue>;
  /** The data as JSON text (values exactly as written), or data_base64's text; absent without data. */
  data?: { json: string } | { base64: string };
  /** The payload was not a CloudEvent: it is the data of an event with Local Serverless's type and source. */
  wrapped: boolean;
}

/** The attributes the result view names for an event it sent. */
export interface SentCloudEvent {
  mode: CloudEventMode;
  type: string;
  source: string;
  id: string;
  wrapped: boolean;
}

export type EventReading = { ok: true; event: CloudEventMessage } | { ok: false; message: string };

const REQUIRED = ['specversion', 'id', 'source', 'type'] as const;
/** The spec's context attributes, in the order they are sent. */
const CONTEXT = ['specversion', 'id', 'source', 'type', 'datacontenttype', 'dataschema', 'subject', 'time'];
const CONTEXT_SET = new Set(CONTEXT);
/** The spec's rule for attribute names (lowercase a-z and 0-9). */
const ATTRIBUTE_NAME = /^[a-z0-9]+$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** A content type as HTTP can carry it: printable ASCII. */
const HEADER_SAFE = /^[\x21-\x7e][\x20-\x7e]*$/;

/**
 * Reads a payload (the JSON body Invoke would send, compact, or '' for none) for a function that
 * takes CloudEvents. A JSON object with a string `type` and `source` is a CloudEvent in the JSON
 * event format, plus our `"$mode"`: its attributes (top-level, or extensions inside an
 * `"extensions"` object), `data` or `data_base64`. Anything else becomes the data of an event of
 * type dev.localserverless.invoke from /local-serverless/<function>. Says what is wrong, and what
 * to do, instead of throwing.
 */
export function cloudEventFromPayload(body: string, functionName: string): EventReading {
  const value: unknown = body.trim() ? JSON.parse(body) : undefined;
  if (!isObject(value) || typeof value.type !== 'string' || typeof value.source !== 'string') {
    return {
      ok: true,
      event: {
        mode: 'binary',
        attributes: { specversion: SPEC_VERSION, source: wrappedEventSource(functionName), type: WRAPPED_EVENT_TYPE, ...(body.trim() ? { datacontenttype: 'application/json' } : {}) },
        data: body.trim() ? { json: body } : undefined,
        wrapped: true,
      },
    };
  }
  const fail = (message: string): EventReading => ({ ok: false, message: `The event is not a valid CloudEvent: ${message}` });
  const context: Record<string, string> = {};
  const extensions: Array<{ name: string; value: unknown; field: string }> = [];
  let mode: CloudEventMode = 'binary';
  let data: CloudEventMessage['data'];
  for (const [name, member] of Object.entries(value)) {
    if (name === '$mode') {
      if (member !== 'binary' && member !== 'structured') return fail(`"$mode" is ${shown(member)}: use "binary" (attributes as ce-* headers, the default) or "structured" (the whole event as ${STRUCTURED_CONTENT_TYPE}).`);
      mode = member;
    } else if (member === null) {
      // The JSON event format: an attribute whose value is null is absent.
    } else if (name === 'data') {
      data = { json: topLevelValues(body).get('data')! };
    } else if (name === 'data_base64') {
      if (typeof member !== 'string' || !BASE64.test(member)) return fail(`"data_base64" is ${shown(member)}: it holds the data's bytes in base64 (RFC 4648), such as "aGVsbG8=".`);
      data = { base64: member };
    } else if (name === 'extensions') {
      if (!isObject(member)) return fail(`"extensions" is ${shown(member)}: it is an object of extension attributes, such as { "traceparent": "00-…" }.`);
      for (const [extension, extensionValue] of Object.entries(member)) extensions.push({ name: extension, value: extensionValue, field: `"extensions"."${extension}"` });
    } else if (CONTEXT_SET.has(name)) {
      if (typeof member !== 'string') return fail(`"${name}" is ${shown(member)}: it must be a string.`);
      if (!member) return fail(`"${name}" is empty: give it a value, or remove it${name === 'id' ? ' to have one made for each invoke' : ''}.`);
      context[name] = member;
    } else {
      extensions.push({ name, value: member, field: `"${name}"` });
    }
  }
  if ('data' in value && 'data_base64' in value && value.data !== null && value.data_base64 !== null) return fail('it has both "data" and "data_base64": keep one.');
  if (context.specversion !== undefined && context.specversion !== SPEC_VERSION) return fail(`"specversion" is "${context.specversion}": Invoke sends CloudEvents ${SPEC_VERSION}. Set it to "${SPEC_VERSION}", or remove it.`);
  if (context.time !== undefined && (!RFC3339.test(context.time) || Number.isNaN(Date.parse(context.time)))) {
    return fail(`"time" is "${context.time}", not an RFC 3339 timestamp such as 2024-05-01T12:00:00Z: fix it, or remove it to send the time of each invoke.`);
  }
  if (context.datacontenttype !== undefined && !HEADER_SAFE.test(context.datacontenttype)) return fail(`"datacontenttype" is ${shown(context.datacontenttype)}: a content type such as application/json, in plain ASCII.`);
  const attributes: Record<string, AttributeValue> = { specversion: SPEC_VERSION };
  for (const name of CONTEXT) if (context[name] !== undefined) attributes[name] = context[name];
  for (const { name, value: extensionValue, field } of extensions) {
    if (extensionValue === null) continue;
    if (!ATTRIBUTE_NAME.test(name)) return fail(`${field} is not a CloudEvents attribute name: names are lowercase letters a-z and digits 0-9 only. Rename it, or move it into "data".`);
    if (CONTEXT_SET.has(name) || name === 'data' || name === 'extensions' || Object.hasOwn(attributes, name)) return fail(`${field} names the attribute "${name}" a second time: keep one.`);
    if (!isAttributeValue(extensionValue)) return fail(`${field} is ${shown(extensionValue)}: an extension attribute is a string, a whole number or true/false. Make it a string, or move it into "data".`);
    attributes[name] = extensionValue;
  }
  return { ok: true, event: { mode, attributes, data, wrapped: false } };
}

/**
 * What Invoke sends a function for a payload (a compact JSON body, or '' for none): the body itself
 * for a plain HTTP function (and the Functions Framework's http and event signatures), a CloudEvent
 * for one that takes CloudEvents (DESIGN.md, Invoking).
 */
export function invokePayload(fn: { name: string; protocol: FunctionProtocol }, body: string): { ok: true; payload: string | CloudEventMessage } | { ok: false; message: string } {
  if (!takesCloudEvents(fn.protocol)) return { ok: true, payload: body };
  const reading = cloudEventFromPayload(body, fn.name);
  return reading.ok ? { ok: true, payload: reading.event } : reading;
}

/** The event with an `id` (a fresh UUID) and a `time` (now) when it has none: filled at each send, never saved. */
export function completeCloudEvent(event: CloudEventMessage, now: Date = new Date(), id: string = randomUUID()): CloudEventMessage {
  return { ...event, attributes: { id, time: now.toISOString(), ...event.attributes } };
}

/** What the result view and the channel say was sent. */
export function sentCloudEvent(event: CloudEventMessage): SentCloudEvent {
  const { type, source, id } = event.attributes;
  return { mode: event.mode, type: String(type), source: String(source), id: String(id ?? ''), wrapped: event.wrapped };
}

/**
 * The HTTP message of an event. Binary mode: each attribute in a `ce-<name>` header (percent-encoded
 * as the HTTP binding requires: space, `"`, `%` and anything outside printable ASCII), datacontenttype
 * as the content type (application/json by default, application/octet-stream for data_base64), and
 * the data as the body: JSON exactly as written, a string's own text when the content type is not
 * JSON, data_base64's bytes. Structured mode: the whole event as one application/cloudevents+json body.
 */
export function encodeCloudEvent(event: CloudEventMessage): { headers: Record<string, string>; body?: string | Buffer } {
  const { attributes, data } = event;
  if (event.mode === 'structured') {
    const members = ordered(attributes).map(([name, value]) => `${JSON.stringify(name)}:${JSON.stringify(value)}`);
    if (data) members.push('json' in data ? `"data":${data.json}` : `"data_base64":${JSON.stringify(data.base64)}`);
    return { headers: { 'content-type': STRUCTURED_CONTENT_TYPE }, body: `{${members.join(',')}}` };
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of ordered(attributes)) if (name !== 'datacontenttype') headers[`ce-${name}`] = percentEncode(String(value));
  const declared = typeof attributes.datacontenttype === 'string' ? attributes.datacontenttype : undefined;
  if (!data) return { headers: declared ? { ...headers, 'content-type': declared } : headers };
  if ('base64' in data) return { headers: { ...headers, 'content-type': declared ?? 'application/octet-stream' }, body: Buffer.from(data.base64, 'base64') };
  const contentType = declared ?? 'application/json';
  const text: unknown = isJsonType(contentType) ? undefined : JSON.parse(data.json);
  return { headers: { ...headers, 'content-type': contentType }, body: typeof text === 'string' ? text : data.json };
}

/** A reply that is a CloudEvent, as the result view shows it. */
export interface CloudEventReply {
  mode: CloudEventMode;
  specversion: string;
  /** Name and value (as text) in the order shown: type, source, id, subject, time, dataschema, then extensions by name. */
  attributes: Array<[string, string]>;
  datacontenttype?: string;
  /**
   * Structured mode: the data member's text as the function sent it, or the size of its
   * data_base64; undefined without data. Binary mode: undefined (the data is the body).
   */
  data?: { json: string } | { base64Bytes: number };
}

/**
 * Reads a reply as a CloudEvent: structured when its content type is application/cloudevents+json
 * and its body a JSON object with the required attributes; binary when its headers carry the required
 * `ce-*` attributes (percent-decoded). Undefined for any other reply.
 */
export function decodeCloudEventReply(headers: Record<string, string>, body: string, json: unknown): CloudEventReply | undefined {
  const contentType = headers['content-type'];
  if (contentType !== undefined && /^\s*application\/cloudevents\+json\s*(;|$)/i.test(contentType)) {
    if (!isObject(json) || !REQUIRED.every((name) => typeof json[name] === 'string')) return undefined;
    const shownValue = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));
    const attributes = Object.entries(json).filter(([, value]) => value !== null && value !== undefined).map(([name, value]): [string, string] => [name, shownValue(value)]);
    const data = json.data !== undefined && json.data !== null ? { json: topLevelValues(body).get('data')! }
      : typeof json.data_base64 === 'string' ? { base64Bytes: Buffer.from(json.data_base64, 'base64').length } : undefined;
    return { mode: 'structured', ...describeAttributes(attributes), data };
  }
  if (!REQUIRED.every((name) => headers[`ce-${name}`] !== undefined)) return undefined;
  const attributes = Object.entries(headers).filter(([name]) => name.startsWith('ce-')).map(([name, value]): [string, string] => [name.slice(3), percentDecode(value)]);
  return { mode: 'binary', ...describeAttributes(attributes), datacontenttype: contentType };
}

const SHOWN_FIRST = ['type', 'source', 'id', 'subject', 'time', 'dataschema'];

function describeAttributes(all: Array<[string, string]>): Pick<CloudEventReply, 'specversion' | 'attributes' | 'datacontenttype'> {
  const byName = new Map(all);
  const rank = (name: string) => (SHOWN_FIRST.includes(name) ? SHOWN_FIRST.indexOf(name) : SHOWN_FIRST.length);
  const attributes = all.filter(([name]) => name !== 'specversion' && name !== 'datacontenttype' && name !== 'data' && name !== 'data_base64')
    .sort(([a], [b]) => rank(a) - rank(b) || (rank(a) === SHOWN_FIRST.length ? a.localeCompare(b) : 0));
  return { specversion: byName.get('specversion') ?? '', attributes, datacontenttype: byName.get('datacontenttype') };
}

/** JSON by its content type: application/json, text/json, or any +json type. */
export function isJsonType(contentType: string): boolean {
  return /^\s*(application|text)\/([\w.-]+\+)?json\s*(;|$)/i.test(contentType);
}

/** The context attributes in the spec's order, then the extensions in the event's. */
function ordered(attributes: Record<string, AttributeValue>): Array<[string, AttributeValue]> {
  const rank = (name: string) => (CONTEXT_SET.has(name) ? CONTEXT.indexOf(name) : CONTEXT.length);
  return Object.entries(attributes).sort(([a], [b]) => rank(a) - rank(b));
}

/** The HTTP binding's rule (3.1.3.2): space, `"`, `%` and anything outside U+0021–U+007E as UTF-8 percent-escapes. */
function percentEncode(value: string): string {
  return value.replace(/[^\x21\x23\x24\x26-\x7e]/gu, (c) => [...Buffer.from(c, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''));
}

function percentDecode(value: string): string {
  return value.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => Buffer.from(run.replace(/%/g, ''), 'hex').toString('utf8'));
}

function isAttributeValue(value: unknown): value is AttributeValue {
  // Integer is a signed 32-bit whole number in the CloudEvents type system.
  return typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isInteger(value) && Math.abs(value) <= 2 ** 31);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function shown(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

/**
 * The text of each member's value of a JSON object, exactly as written, found with jsonc-parser's
 * scanner (iterative: deep data cannot overflow the stack). A repeated name keeps its last value,
 * as JSON.parse does.
 */
export function topLevelValues(text: string): Map<string, string> {
  const values = new Map<string, string>();
  const scanner = createScanner(text, true);
  let depth = 0;
  let key: string | undefined;
  let start = -1;
  let end = -1;
  const flush = () => {
    if (key !== undefined && start >= 0) values.set(key, text.slice(start, end));
    key = undefined;
    start = -1;
  };
  for (let token = scanner.scan(); token !== SyntaxKind.EOF; token = scanner.scan()) {
    if (token === SyntaxKind.LineCommentTrivia || token === SyntaxKind.BlockCommentTrivia) continue;
    const offset = scanner.getTokenOffset();
    const tokenEnd = offset + scanner.getTokenLength();
    if (depth === 0) {
      if (token !== SyntaxKind.OpenBraceToken) return values;
      depth = 1;
      continue;
    }
    if (depth === 1) {
      if (token === SyntaxKind.CommaToken || token === SyntaxKind.CloseBraceToken) {
        flush();
        if (token === SyntaxKind.CloseBraceToken) return values;
        continue;
      }
      if (token === SyntaxKind.ColonToken) continue;
      if (token === SyntaxKind.StringLiteral && key === undefined) {
        key = scanner.getTokenValue();
        continue;
      }
      if (start < 0) start = offset;
    }
    if (token === SyntaxKind.OpenBraceToken || token === SyntaxKind.OpenBracketToken) depth++;
    else if (token === SyntaxKind.CloseBraceToken || token === SyntaxKind.CloseBracketToken) depth--;
    end = tokenEnd;
  }
  return values;
}
