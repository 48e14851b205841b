import type { ErrorObject, ValidateFunction } from 'ajv';
import { findNodeAtLocation, parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';
import schema from '../../media/fn.schema.json';

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
}

/** A problem in fn.json, located by character offsets so the UI can put a diagnostic on the field. */
export interface ConfigProblem {
  message: string;
  offset: number;
  length: number;
}

export interface ParsedConfig {
  config: FnConfig;
  problems: ConfigProblem[];
}

let compiled: ValidateFunction<FnConfig> | undefined;
/** Compiled on first use: ajv takes ~40 ms to load, which extension activation should not pay. */
function validator(): ValidateFunction<FnConfig> {
  if (!compiled) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const Ajv = require('ajv').default as typeof import('ajv').default;
    compiled = new Ajv({ allErrors: true, strict: false }).compile<FnConfig>(schema);
  }
  return compiled;
}

/** Parses fn.json text (comments and trailing commas allowed) and checks it against the schema. */
export function parseFnConfig(text: string): ParsedConfig {
  const parseErrors: ParseError[] = [];
  const root = parseTree(text, parseErrors, { allowTrailingComma: true });
  if (parseErrors.length > 0 || !root) {
    const problems = parseErrors.map((e) => ({ message: `fn.json is not valid JSON: ${printParseErrorCode(e.error)}`, offset: e.offset, length: Math.max(e.length, 1) }));
    return { config: {}, problems: problems.length ? problems : [{ message: 'fn.json is empty: write {} or delete the file.', offset: 0, length: 0 }] };
  }
  const value = nodeValue(root);
  const validate = validator();
  if (validate(value)) return { config: value, problems: [] };
  return { config: {}, problems: (validate.errors ?? []).map((e) => locate(root, e)) };
}

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

function locate(root: Node, error: ErrorObject): ConfigProblem {
  const segments = error.instancePath.split('/').slice(1).map((s) => {
    const key = s.replace(/~1/g, '/').replace(/~0/g, '~');
    return /^\d+$/.test(key) ? Number(key) : key;
  });
  const field = segments.length ? `"${segments.join('.')}"` : 'fn.json';
  if (error.keyword === 'additionalProperties') {
    const extra = (error.params as { additionalProperty: string }).additionalProperty;
    const propertyNode = findNodeAtLocation(root, [...segments, extra])?.parent;
    const keyNode = propertyNode?.children?.[0] ?? root;
    return { message: `Unknown field "${extra}" in ${field}: remove it or check its spelling.`, offset: keyNode.offset, length: keyNode.length };
  }
  const node = findNodeAtLocation(root, segments) ?? root;
  return { message: `${field} ${error.message ?? 'is invalid'}.`, offset: node.offset, length: node.length };
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
