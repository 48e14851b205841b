import type { ErrorObject, ValidateFunction } from 'ajv';
import type { ProtocolKind, SignatureType } from './protocol';
import type { ScaleConfig } from './scaling';
import { createScanner, parseTree, printParseErrorCode, SyntaxKind, type Node, type ParseError } from 'jsonc-parser';

/** fn.json as the user wrote it; every field optional (see media/fn.schema.json). */
export interface FnConfig {
  name?: string;
  port?: number;
  hostPort?: number;
  invoke?: { method?: string; path?: string };
  env?: Record<string, string>;
  envFile?: string;
  memoryMb?: number;
  cpus?: number;
  timeoutSeconds?: number;
  sync?: string[];
  rebuild?: string[];
  scale?: Partial<ScaleConfig>;
  image?: string;
  protocol?: ProtocolKind;
  /** Meaningful only with protocol functions-framework (a warning otherwise). */
  signatureType?: SignatureType;
}

/** A zero-based line and UTF-16 column, counted as VS Code counts them. */
export interface TextPosition {
  line: number;
  character: number;
}

/** A problem in fn.json, located by character offsets so the UI can put a diagnostic on the field. */
export interface ConfigProblem {
  message: string;
  offset: number;
  length: number;
  /** The offsets as lines and columns, when the text was at hand (so the UI need not open the file). */
  range?: { start: TextPosition; end: TextPosition };
  /**
   * 'syntax' and 'schema': problems any checker of fn.json against media/fn.schema.json finds too
   * (VS Code's JSON language server does, through `jsonValidation`, for the files open in it).
   * Absent: only we find it (size and depth limits, duplicate names, env file).
   */
  kind?: 'syntax' | 'schema';
}

export interface ParsedConfig {
  config: FnConfig;
  problems: ConfigProblem[];
  /** Fields that are valid but do nothing any more (hostPort): shown as warnings, the function still runs. */
  warnings?: ConfigProblem[];
}

/** fn.json holds a few settings; anything bigger is refused before it is parsed. */
export const MAX_CONFIG_BYTES = 1024 * 1024;
/** fn.json's own fields nest 2 deep; the parser and the value walk recurse, so nesting is bounded well before the stack. */
export const MAX_CONFIG_DEPTH = 64;
/** Problems listed for one file; one more line says how many were left out. */
export const MAX_LISTED_PROBLEMS = 100;

/**
 * The schema compiled ahead of time (scripts/gen-fn-validator.mjs, ajv's standalone code): the
 * extension host never loads ajv's compiler nor compiles the schema, so the first fn.json it checks
 * costs no more than the next. Loaded on first use.
 */
function validator(): ValidateFunction<FnConfig> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('./generated/fnValidator') as ValidateFunction<FnConfig>;
}

/** The problem for an fn.json over MAX_CONFIG_BYTES, for callers that check the size before reading it. */
export function oversizedConfigProblem(bytes: number): ConfigProblem {
  const size = (bytes / 1024 / 1024).toFixed(1);
  return {
    message: `fn.json is ${size} MB, over the 1 MB limit, so it is not read: it holds a function's settings, which fit in a few lines. Shorten it, or move what does not belong into the function's own files.`,
    offset: 0,
    length: 0,
    range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
  };
}

/**
 * Parses fn.json text (comments and trailing commas allowed) and checks it against the schema.
 * Linear in the size of the text whatever it holds: the size and depth are checked before parsing,
 * problems are located through an index, and at most MAX_LISTED_PROBLEMS are listed.
 */
export function parseFnConfig(text: string): ParsedConfig {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_CONFIG_BYTES) return { config: {}, problems: [oversizedConfigProblem(bytes)] };
  const tooDeep = firstTooDeep(text);
  if (tooDeep !== undefined) {
    const problem = { message: `fn.json nests deeper than ${MAX_CONFIG_DEPTH} levels here, so it is not read: its fields nest at most 2 levels. Remove the extra nesting.`, offset: tooDeep, length: 1 };
    return { config: {}, problems: withRanges(text, [problem]) };
  }
  const parsed = parseValue(text);
  if ('parseErrors' in parsed) {
    const { parseErrors } = parsed;
    if (!parseErrors.length) return { config: {}, problems: [{ message: 'fn.json is empty: write {} or delete the file.', offset: 0, length: 0 }] };
    const listed = parseErrors.slice(0, MAX_LISTED_PROBLEMS).map((e): ConfigProblem => (
      { message: `fn.json is not valid JSON: ${printParseErrorCode(e.error)}`, offset: e.offset, length: Math.max(e.length, 1), kind: 'syntax' }));
    return { config: {}, problems: withSummary(withRanges(text, listed), parseErrors.length, 'syntax') };
  }
  const validate = validator();
  if (validate(parsed.value)) return checkMeaning(text, parsed.value);
  const errors = validate.errors ?? [];
  // Only the listed ones are located (ajv reports fields in schema order, entries in document order);
  // they are then shown in document order.
  const shown = errors.slice(0, MAX_LISTED_PROBLEMS);
  const spans = locate(text, shown.map(target));
  const listed = shown.map((error, i) => describeError(error, spans[i])).sort((a, b) => a.offset - b.offset);
  return { config: {}, problems: withSummary(withRanges(text, listed), errors.length, 'schema') };
}

/**
 * What the schema cannot say: scale.min above scale.max (a problem); hostPort, and signatureType
 * without protocol functions-framework (warnings: ignored, the function still runs).
 */
function checkMeaning(text: string, config: FnConfig): ParsedConfig {
  const checks: Array<{ target: Target; kind: 'problem' | 'warning'; message: string }> = [];
  const scale = config.scale;
  if (scale?.min !== undefined && scale.min > (scale.max ?? 1)) {
    const max = scale.max ?? 1;
    checks.push({ target: { keys: ['scale', 'min'], at: 'value' }, kind: 'problem', message: `scale.min (${scale.min}) is above scale.max (${max}${scale.max === undefined ? ', the default' : ''}): raise "max" or lower "min".` });
  }
  if (config.hostPort !== undefined) {
    checks.push({ target: { keys: ['hostPort'], at: 'key' }, kind: 'warning', message: '"hostPort" is ignored: every function is reached through the local gateway\'s stable URL (http://127.0.0.1:<gateway port>/<name>/, shown in the Functions view), which replaces a pinned port. Remove "hostPort".' });
  }
  if (config.signatureType !== undefined && config.protocol !== 'functions-framework') {
    const protocol = config.protocol === undefined ? 'no "protocol"' : `"protocol": "${config.protocol}"`;
    checks.push({ target: { keys: ['signatureType'], at: 'key' }, kind: 'warning', message: `"signatureType" is ignored with ${protocol}: it is the Functions Framework's signature type. Add "protocol": "functions-framework", or remove "signatureType".` });
  }
  if (!checks.length) return { config, problems: [] };
  const spans = locate(text, checks.map((c) => c.target));
  const located = (kind: 'problem' | 'warning') => withRanges(text, checks.flatMap((c, i) => (c.kind === kind ? [{ message: c.message, ...spans[i] }] : [])));
  const problems = located('problem');
  return { config: problems.length ? {} : config, problems, warnings: located('warning') };
}

/**
 * The value of fn.json, or why it has none. Plain JSON goes through JSON.parse (native, and it
 * keeps "__proto__" an ordinary key); comments and trailing commas through jsonc-parser, whose
 * errors carry offsets. Both are safe from deep nesting only because firstTooDeep ran first.
 */
function parseValue(text: string): { value: unknown } | { parseErrors: ParseError[] } {
  try {
    return { value: JSON.parse(text) };
  } catch { /* not plain JSON: maybe JSONC, maybe broken */ }
  const parseErrors: ParseError[] = [];
  const root = parseTree(text, parseErrors, { allowTrailingComma: true });
  return parseErrors.length || !root ? { parseErrors } : { value: nodeValue(root) };
}

/**
 * Offset of the first `{` or `[` deeper than MAX_CONFIG_DEPTH, found with jsonc-parser's scanner
 * (iterative, and it skips strings and comments as the parser does), so no nesting overflows the stack.
 */
function firstTooDeep(text: string): number | undefined {
  const scanner = createScanner(text, true);
  let depth = 0;
  for (let token = scanner.scan(); token !== SyntaxKind.EOF; token = scanner.scan()) {
    if (token === SyntaxKind.OpenBraceToken || token === SyntaxKind.OpenBracketToken) {
      if (++depth > MAX_CONFIG_DEPTH) return scanner.getTokenOffset();
    } else if (token === SyntaxKind.CloseBraceToken || token === SyntaxKind.CloseBracketToken) {
      depth = Math.max(0, depth - 1);
    }
  }
  return undefined;
}

/** Recursive, which is safe: firstTooDeep has bounded the nesting. Object.fromEntries keeps "__proto__" an ordinary key. */
function nodeValue(node: Node): unknown {
  switch (node.type) {
    case 'object':
      return Object.fromEntries((node.children ?? []).map((p) => [p.children![0].value as string, nodeValue(p.children![1])]));
    case 'array':
      return (node.children ?? []).map(nodeValue);
    default:
      return node.value;
  }
}

interface Span {
  offset: number;
  length: number;
}

/** Where an error points: the key of an unknown property, else the value at the error's path. */
interface Target {
  keys: string[];
  at: 'key' | 'value';
}

function target(error: ErrorObject): Target {
  const keys = error.instancePath.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  return error.keyword === 'additionalProperties' ? { keys: [...keys, additionalProperty(error)], at: 'key' } : { keys, at: 'value' };
}

/** A path tree of the targets: what locate() looks for as it walks the text. */
interface PathNode {
  children: Map<string, PathNode>;
  key?: Span;
  value?: Span;
}

/**
 * Finds the targets' spans in one pass of jsonc-parser's scanner over text that parsed without
 * errors, keeping a stack rather than recursing, and looking up only keys on a target's path.
 * (jsonc-parser's findNodeAtLocation scans every property of each object on the way: one scan of a
 * 60,000-key object per error made the check quadratic, 35 s for 60,000 wrong entries.)
 * A duplicate key resolves to its last occurrence, as in the value that was validated.
 * A target that is not found (it should not happen) falls back to the start of the file.
 */
function locate(text: string, targets: Target[]): Span[] {
  const newNode = (): PathNode => ({ children: new Map() });
  const root = newNode();
  const nodes = targets.map(({ keys }) => keys.reduce((node, key) => node.children.get(key) ?? node.children.set(key, newNode()).get(key)!, root));

  interface Frame { path: PathNode | undefined; isArray: boolean; index: number; expectKey: boolean; valuePath: PathNode | undefined; start: number }
  const stack: Frame[] = [];
  const scanner = createScanner(text, true);
  /** The path node for a value that starts here, found from the enclosing container. */
  const valuePath = (): PathNode | undefined => {
    const frame = stack[stack.length - 1];
    if (!frame) return root;
    if (frame.isArray) return frame.path?.children.get(String(++frame.index));
    return frame.valuePath;
  };
  for (let token = scanner.scan(); token !== SyntaxKind.EOF; token = scanner.scan()) {
    const frame = stack[stack.length - 1];
    const offset = scanner.getTokenOffset();
    if (token === SyntaxKind.StringLiteral && frame && !frame.isArray && frame.expectKey) {
      frame.expectKey = false;
      frame.valuePath = frame.path?.children.get(scanner.getTokenValue());
      if (frame.valuePath) frame.valuePath.key = { offset, length: scanner.getTokenLength() };
      continue;
    }
    switch (token) {
      case SyntaxKind.OpenBraceToken:
      case SyntaxKind.OpenBracketToken:
        stack.push({ path: valuePath(), isArray: token === SyntaxKind.OpenBracketToken, index: -1, expectKey: true, valuePath: undefined, start: offset });
        break;
      case SyntaxKind.CloseBraceToken:
      case SyntaxKind.CloseBracketToken: {
        const closed = stack.pop()!;
        if (closed.path) closed.path.value = { offset: closed.start, length: offset + 1 - closed.start };
        break;
      }
      case SyntaxKind.CommaToken:
        if (frame) frame.expectKey = true;
        break;
      case SyntaxKind.ColonToken:
        break;
      case SyntaxKind.StringLiteral:
      case SyntaxKind.NumericLiteral:
      case SyntaxKind.TrueKeyword:
      case SyntaxKind.FalseKeyword:
      case SyntaxKind.NullKeyword: {
        const path = valuePath();
        if (path) path.value = { offset, length: scanner.getTokenLength() };
        break;
      }
    }
  }
  return nodes.map((node, i) => node[targets[i].at] ?? { offset: 0, length: 0 });
}

function additionalProperty(error: ErrorObject): string {
  return (error.params as { additionalProperty: string }).additionalProperty;
}

function describeError(error: ErrorObject, { offset, length }: Span): ConfigProblem {
  const segments = error.instancePath.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  const field = segments.length ? `"${segments.join('.')}"` : 'fn.json';
  const message = error.keyword === 'additionalProperties'
    ? `Unknown field "${additionalProperty(error)}" in ${field}: remove it or check its spelling.`
    : `${field} ${error.message ?? 'is invalid'}.`;
  return { message, offset, length, kind: 'schema' };
}

/** Appends one problem saying how many were left out, when `total` is more than were listed. */
function withSummary(listed: ConfigProblem[], total: number, kind: ConfigProblem['kind']): ConfigProblem[] {
  const more = total - listed.length;
  if (more <= 0) return listed;
  const summary: ConfigProblem = {
    message: `${more} more problem${more === 1 ? '' : 's'} in fn.json ${more === 1 ? 'is' : 'are'} not listed: fix the ${listed.length} above first.`,
    offset: 0,
    length: 0,
    range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
    kind,
  };
  return [...listed, summary];
}

/** Adds line/column ranges to problems in one pass over the text up to the last offset. */
export function withRanges(text: string, problems: ConfigProblem[]): ConfigProblem[] {
  if (!problems.length) return problems;
  const last = Math.max(...problems.map((p) => p.offset + p.length));
  const lineStarts = [0];
  const lineBreak = /\r\n|\r|\n/g;
  for (let match = lineBreak.exec(text); match && match.index < last; match = lineBreak.exec(text)) lineStarts.push(match.index + match[0].length);
  const positionAt = (offset: number): TextPosition => {
    let low = 0;
    let high = lineStarts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (lineStarts[mid] <= offset) low = mid;
      else high = mid - 1;
    }
    return { line: low, character: offset - lineStarts[low] };
  };
  return problems.map((p) => ({ ...p, range: { start: positionAt(p.offset), end: positionAt(p.offset + p.length) } }));
}

/**
 * The problems to publish for one fn.json. While a JSON schema checker reports on the file (VS Code's
 * JSON language server does for the files open in it, through `jsonValidation`), its syntax and schema
 * problems are left to it so each shows once; the ones only we find are published all the same.
 */
export function problemsToPublish(problems: ConfigProblem[], schemaCheckedElsewhere: boolean): ConfigProblem[] {
  return schemaCheckedElsewhere ? problems.filter((p) => p.kind === undefined) : problems;
}

/** Parses a KEY=VALUE env file (comments, blank lines, optional quotes, `export `). */
export function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (!line || line.startsWith('#')) continue;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!match) continue;
    const quoted = /^(['"])(.*?)\1(?:\s+#.*)?$/.exec(match[2]);
    const value = quoted ? quoted[2] : match[2].replace(/\s+#.*$/, '');
    env[match[1]] = value;
  }
  return env;
}
