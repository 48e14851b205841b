import type { DockerfileFacts } from './dockerfile';

/**
 * How a function takes a request (DESIGN.md, Invoking): a plain HTTP server, a CloudEvents receiver,
 * or Google's Functions Framework with one of its signature types. fn.json's "protocol" says it;
 * without it, the folder's files say it where they can.
 */

export type ProtocolKind = 'http' | 'cloudevents' | 'functions-framework';
/** The Functions Framework's --signature-type (FUNCTION_SIGNATURE_TYPE): which function it calls, and with what. */
export type SignatureType = 'http' | 'event' | 'cloudevent';

export interface FunctionProtocol {
  kind: ProtocolKind;
  /** Functions Framework only. */
  signatureType?: SignatureType;
  /** Where `kind` came from: "fn.json", "package.json dependency @google-cloud/functions-framework", …, or "default". */
  source: string;
  /** Functions Framework only: where `signatureType` came from. */
  signatureTypeSource?: string;
}

export const DEFAULT_PROTOCOL: FunctionProtocol = { kind: 'http', source: 'default' };

/** The package that makes a Node.js folder a Functions Framework function, and the one for Python (as PEP 503 normalizes it). */
export const FF_NODE_PACKAGE = '@google-cloud/functions-framework';
export const FF_PYTHON_PACKAGE = 'functions-framework';
/** What the Functions Framework uses when neither its flag nor its variable says (both the Node.js and Python ones). */
const FF_DEFAULT_SIGNATURE: SignatureType = 'http';

/** What the folder holds that can say the protocol: texts read by the caller (readFunction), absent when the file is. */
export interface ProtocolSources {
  /** fn.json's fields, when fn.json is valid. */
  config: { protocol?: ProtocolKind; signatureType?: SignatureType; env?: Record<string, string> };
  dockerfile: Pick<DockerfileFacts, 'env' | 'commands'>;
  packageJsonText?: string;
  requirementsText?: string;
  /** A Knative function's func.yaml. */
  funcYamlText?: string;
}

/**
 * The function's protocol: fn.json's "protocol" first; else a Knative func.yaml's `invoke`
 * (cloudevent or http: an explicit statement of how the function is called); else a Functions
 * Framework dependency in package.json or requirements.txt; else plain HTTP. The signature type of a
 * Functions Framework function: fn.json's "signatureType" (only with its "protocol"), else what the
 * Functions Framework itself would read, in its own order: its --signature-type flag (the Dockerfile's
 * CMD/ENTRYPOINT, which is what runs, then package.json's scripts), then FUNCTION_SIGNATURE_TYPE
 * (fn.json's env, which the container gets over the image's, then the Dockerfile's ENV), else http.
 */
export function detectProtocol(sources: ProtocolSources): FunctionProtocol {
  const { config } = sources;
  if (config.protocol === 'functions-framework') {
    return config.signatureType
      ? { kind: 'functions-framework', source: 'fn.json', signatureType: config.signatureType, signatureTypeSource: 'fn.json' }
      : { kind: 'functions-framework', source: 'fn.json', ...detectSignatureType(sources) };
  }
  if (config.protocol) return { kind: config.protocol, source: 'fn.json' };
  const invoke = sources.funcYamlText === undefined ? undefined : funcYamlInvoke(sources.funcYamlText);
  if (invoke === 'cloudevent') return { kind: 'cloudevents', source: 'func.yaml invoke: cloudevent' };
  if (invoke === 'http') return { kind: 'http', source: 'func.yaml invoke: http' };
  const dependency = functionsFrameworkDependency(sources);
  if (dependency) return { kind: 'functions-framework', source: dependency, ...detectSignatureType(sources) };
  return DEFAULT_PROTOCOL;
}

/** Whether Invoke sends the function CloudEvents: protocol cloudevents, or the Functions Framework's cloudevent signature. */
export function takesCloudEvents(protocol: FunctionProtocol): boolean {
  return protocol.kind === 'cloudevents' || (protocol.kind === 'functions-framework' && protocol.signatureType === 'cloudevent');
}

/**
 * How the Functions view names the protocol: a short tag for the description (none for plain
 * HTTP, what every function spoke before) and a line for the tooltip saying where it came from.
 */
export function describeProtocol(protocol: FunctionProtocol): { tag?: string; summary: string } {
  const from = protocol.source === 'default' ? 'the default: nothing in the folder says otherwise' : `from ${protocol.source}`;
  switch (protocol.kind) {
    case 'http':
      return { summary: `Protocol: HTTP (${from}). Invoke sends the payload as a JSON POST.` };
    case 'cloudevents':
      return { tag: 'CloudEvents', summary: `Protocol: CloudEvents (${from}). ${CLOUDEVENTS_INVOKE}` };
    case 'functions-framework': {
      const signature = protocol.signatureType ?? FF_DEFAULT_SIGNATURE;
      const signatureFrom = protocol.signatureTypeSource && protocol.signatureTypeSource !== protocol.source ? `; signature type from ${protocol.signatureTypeSource}` : '';
      const invoke = signature === 'cloudevent' ? CLOUDEVENTS_INVOKE : 'Invoke sends the payload as a JSON POST.';
      return { tag: `FF ${signature}`, summary: `Protocol: Functions Framework, signature type ${signature} (${from}${signatureFrom}). ${invoke}` };
    }
  }
}

const CLOUDEVENTS_INVOKE = 'Invoke sends a CloudEvent: binary mode (ce-* headers) unless the saved event has "$mode": "structured".';

/** Where a Functions Framework dependency is declared, as the tooltip says it; undefined without one. */
function functionsFrameworkDependency({ packageJsonText, requirementsText }: ProtocolSources): string | undefined {
  const manifest = packageJsonText === undefined ? undefined : jsonObject(packageJsonText);
  for (const field of ['dependencies', 'devDependencies'] as const) {
    const declared = manifest?.[field];
    if (declared && typeof declared === 'object' && Object.hasOwn(declared, FF_NODE_PACKAGE)) {
      return `package.json ${field === 'dependencies' ? 'dependency' : 'devDependency'} ${FF_NODE_PACKAGE}`;
    }
  }
  if (requirementsText !== undefined && requirementNames(requirementsText).includes(FF_PYTHON_PACKAGE)) return `requirements.txt ${FF_PYTHON_PACKAGE}`;
  return undefined;
}

function detectSignatureType(sources: ProtocolSources): Pick<FunctionProtocol, 'signatureType' | 'signatureTypeSource'> {
  for (const command of sources.dockerfile.commands) {
    const flag = signatureFlag(command);
    if (flag) return { signatureType: flag, signatureTypeSource: `Dockerfile CMD/ENTRYPOINT --signature-type ${flag}` };
  }
  const scripts = sources.packageJsonText === undefined ? undefined : jsonObject(sources.packageJsonText)?.scripts;
  if (scripts && typeof scripts === 'object') {
    // "start" first: it is what `npm start` in a CMD runs.
    const entries = Object.entries(scripts as Record<string, unknown>).sort(([a], [b]) => Number(b === 'start') - Number(a === 'start'));
    for (const [name, script] of entries) {
      const flag = typeof script === 'string' ? signatureFlag(script) : undefined;
      if (flag) return { signatureType: flag, signatureTypeSource: `package.json script "${name}" --signature-type ${flag}` };
    }
  }
  const fromEnv = signatureTypeOf(sources.config.env?.FUNCTION_SIGNATURE_TYPE);
  if (fromEnv) return { signatureType: fromEnv, signatureTypeSource: `fn.json env FUNCTION_SIGNATURE_TYPE=${fromEnv}` };
  const fromImage = signatureTypeOf(sources.dockerfile.env.FUNCTION_SIGNATURE_TYPE);
  if (fromImage) return { signatureType: fromImage, signatureTypeSource: `Dockerfile ENV FUNCTION_SIGNATURE_TYPE=${fromImage}` };
  return { signatureType: FF_DEFAULT_SIGNATURE, signatureTypeSource: "the Functions Framework's default" };
}

/** `--signature-type=cloudevent` or `--signature-type cloudevent` (quoted or not) in a command line. */
function signatureFlag(command: string): SignatureType | undefined {
  const match = /--signature-type(?:=|\s+)["']?([a-z]+)/.exec(command);
  return signatureTypeOf(match?.[1]);
}

function signatureTypeOf(value: string | undefined): SignatureType | undefined {
  return value === 'http' || value === 'event' || value === 'cloudevent' ? value : undefined;
}

/** The package names a requirements.txt lists, normalized as pip compares them (PEP 503). */
function requirementNames(text: string): string[] {
  return text.split(/\r?\n/).flatMap((line) => {
    const name = /^\s*([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(line.replace(/(^|\s)#.*$/, ''))?.[1];
    return name ? [name.toLowerCase().replace(/[-_.]+/g, '-')] : [];
  });
}

/**
 * func.yaml's top-level `invoke`, read with the yaml package (loaded on the first func.yaml: the
 * Functions view's discovery runs at activation). Undefined when the file does not parse or say.
 */
function funcYamlInvoke(text: string): string | undefined {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const yaml = require('yaml') as typeof import('yaml');
  try {
    const value: unknown = yaml.parse(text, { maxAliasCount: 100 });
    const invoke = value && typeof value === 'object' ? (value as Record<string, unknown>).invoke : undefined;
    return typeof invoke === 'string' ? invoke.trim().toLowerCase() : undefined;
  } catch {
    return undefined;
  }
}

function jsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
