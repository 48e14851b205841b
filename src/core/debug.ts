import * as path from 'node:path';
import type { PathApi } from './containerPath';
import type { Runtime } from './dockerfile';

/**
 * Debug Function: what a debugged instance gets on top of a plain one, and how VS Code attaches to
 * it. Pure: the runner asks the engine for the image's own env and working directory, the UI
 * passes the results to VS Code.
 */

export type DebugRuntime = 'node' | 'python';

/** Where our debug helpers live in a debugged container. */
export const DEBUG_DIR = '/opt/local-serverless/debug';
/** Where the host's folder holding debugpy is mounted read-only (appended to sys.path). */
export const DEBUGPY_DIR = '/opt/local-serverless/pylib';
/** The debugger listens on this port inside the container; it is published on a free port of 127.0.0.1. */
export const DEBUG_CONTAINER_PORT: Record<DebugRuntime, number> = { node: 9229, python: 5678 };

/** The runtime Debug Function attaches to, or why it cannot. */
export function debugRuntimeOf(runtime: Runtime): { ok: true; runtime: DebugRuntime } | { ok: false; message: string } {
  if (runtime === 'node' || runtime === 'python') return { ok: true, runtime };
  return {
    ok: false,
    message: 'Debug Function attaches to Node.js and Python functions, and this Dockerfile\'s base image is neither. Base the final stage on a node or python image, or attach your own debugger to the port your image opens.',
  };
}

/**
 * Opens the inspector in the function's own Node.js process, loaded through NODE_OPTIONS
 * (`--require`) so the image's own command is left as it is. A package manager that starts the
 * function (`npm start`) runs under the same NODE_OPTIONS: it is skipped, so the port goes to the
 * process that runs the handler. The first process to open it marks the environment, so a child
 * process it starts does not fight for the port.
 */
export const NODE_PRELOAD = `'use strict';
// Local Serverless: opens the inspector for Debug Function (loaded through NODE_OPTIONS).
const script = require('path').basename(process.argv[1] || '');
const wrapper = /^(npm|npx|yarn|yarnpkg|pnpm|pnpx|corepack|nodemon)(-cli)?(\\.c?js)?$/.test(script) || /^yarn-[\\d.]+(-[\\w.]+)?\\.c?js$/.test(script);
if (!wrapper && !process.env.LOCAL_SERVERLESS_INSPECTOR) {
  process.env.LOCAL_SERVERLESS_INSPECTOR = String(process.pid);
  try {
    require('inspector').open(${DEBUG_CONTAINER_PORT.node}, '0.0.0.0', false);
  } catch (error) {
    console.error('[local-serverless] the inspector did not open:', error && error.message);
  }
}
`;

/**
 * Starts debugpy in the function's own Python process: Python imports sitecustomize at start-up, and
 * PYTHONPATH puts ours first, so the image's own command is left as it is. It then imports the one
 * it shadowed, if any. The variable is taken out of the environment, so debugpy's own adapter process
 * and any child process do not listen again.
 */
export const PYTHON_SITECUSTOMIZE = `# Local Serverless: starts debugpy for Debug Function (found through PYTHONPATH).
import os, sys
_port = os.environ.pop("LOCAL_SERVERLESS_DEBUGPY", None)
if _port:
    sys.path.append(${JSON.stringify(DEBUGPY_DIR)})
    try:
        import debugpy
        debugpy.listen(("0.0.0.0", int(_port)))
    except Exception as error:
        print("[local-serverless] debugpy did not start:", error, file=sys.stderr)
# The image's own sitecustomize, if it has one, still runs.
_here = os.path.dirname(os.path.abspath(__file__))
_saved = sys.path[:]
_self = sys.modules.pop(__name__, None)
try:
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _here]
    import sitecustomize  # noqa: F401
except ImportError:
    pass
finally:
    sys.path[:] = _saved
    sys.modules[__name__] = _self  # the import that runs this file expects to find it here
`;

/** A bind mount of a host path, read-only. */
export interface DebugMount {
  source: string;
  target: string;
}

/** What a debugged instance adds to a plain one. */
export interface DebugInstancePlan {
  /** Set over the function's env (merged with the image's own value of the same variable). */
  env: Record<string, string>;
  /** Files written into the container before it starts. */
  files: Array<{ path: string; content: string }>;
  containerPort: number;
  mounts: DebugMount[];
}

/**
 * `imageEnv` is the image's own environment (its NODE_OPTIONS or PYTHONPATH is kept, after ours), and
 * `functionEnv` fn.json's env, which wins over the image's as it does for a plain instance.
 * `debugpyMounts`: the host's debugpy (Python only; see debugpyMountFor).
 */
export function planDebugInstance(runtime: DebugRuntime, imageEnv: Record<string, string>, functionEnv: Record<string, string>, debugpyMounts: DebugMount[] = []): DebugInstancePlan {
  const own = (name: string) => functionEnv[name] ?? imageEnv[name];
  if (runtime === 'node') {
    const preload = `${DEBUG_DIR}/inspect.js`;
    return {
      env: { NODE_OPTIONS: joinOptions(`--require ${preload}`, own('NODE_OPTIONS')) },
      files: [{ path: preload, content: NODE_PRELOAD }],
      containerPort: DEBUG_CONTAINER_PORT.node,
      mounts: [],
    };
  }
  const pythonPath = own('PYTHONPATH');
  return {
    // Frozen standard-library modules only hide breakpoints in the standard library: not worth a warning in every start.
    env: { PYTHONPATH: pythonPath ? `${DEBUG_DIR}:${pythonPath}` : DEBUG_DIR, LOCAL_SERVERLESS_DEBUGPY: String(DEBUG_CONTAINER_PORT.python), PYDEVD_DISABLE_FILE_VALIDATION: '1' },
    files: [{ path: `${DEBUG_DIR}/sitecustomize.py`, content: PYTHON_SITECUSTOMIZE }],
    containerPort: DEBUG_CONTAINER_PORT.python,
    mounts: debugpyMounts,
  };
}

function joinOptions(ours: string, theirs: string | undefined): string {
  return theirs?.trim() ? `${ours} ${theirs.trim()}` : ours;
}

/**
 * The mount that makes a host's debugpy importable in a container: the whole folder holding it, since
 * a distribution may unbundle what it needs (Debian's python3-debugpy links `_vendored/pydevd/*` to
 * `../../../_pydevd_bundle` and so on, and needs `bytecode` beside it). The folder goes at the end
 * of the container's sys.path, so the image's own modules always come first.
 */
export function debugpyMountFor(root: string): DebugMount {
  return { source: root, target: DEBUGPY_DIR };
}

/** A folder of the function and where it is in the container. */
export interface PathMapping {
  localRoot: string;
  remoteRoot: string;
}

/**
 * Where the function's files are in the container, read from its Dockerfile: each `COPY`/`ADD` of
 * a folder of the build context (not `--from` another stage) into the final stage, its
 * destination resolved against the WORKDIR at that line. The broadest first (the whole folder, `.`),
 * so a debugger that takes one mapping takes that one. `workingDir` is the container's working
 * directory, used when the Dockerfile copies nothing recognisable. Local roots are host paths (`p`:
 * the host's path implementation; path.win32 in tests of Windows folders), remote roots POSIX ones.
 */
export function pathMappingsFor(folder: string, dockerfileText: string, workingDir: string, p: PathApi = path): PathMapping[] {
  // Per stage: its WORKDIR (undefined: the base image's own, known only as the container's working
  // directory), its ARG/ENV values (for $VAR in WORKDIR and destinations) and its copies. A stage
  // built FROM an earlier one starts with what that one had.
  interface Stage { workdir: string | undefined; vars: Map<string, string>; mappings: PathMapping[] }
  const stages = new Map<string, Stage>();
  const globalArgs = new Map<string, string>();
  let stage: Stage | undefined;
  const resolve = (target: string): string | undefined => {
    const expanded = expandVariables(target, stage?.vars ?? globalArgs);
    if (expanded === undefined) return undefined;
    if (path.posix.isAbsolute(expanded)) return path.posix.resolve(expanded);
    return path.posix.resolve(stage?.workdir ?? (workingDir || '/'), expanded);
  };
  const lines = dockerfileText.replace(/\\\r?\n/g, ' ').split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  for (const line of lines) {
    const match = /^(\S+)\s*(.*)$/.exec(line);
    if (!match) continue;
    const keyword = match[1].toUpperCase();
    const rest = match[2];
    if (keyword === 'FROM') {
      const [image, as, name] = rest.split(/\s+/).filter((w) => !w.startsWith('--'));
      const parent = image ? stages.get(image.toLowerCase()) : undefined;
      stage = parent
        ? { workdir: parent.workdir, vars: new Map(parent.vars), mappings: [...parent.mappings] }
        : { workdir: undefined, vars: new Map(globalArgs), mappings: [] };
      if (as?.toUpperCase() === 'AS' && name) stages.set(name.toLowerCase(), stage);
    } else if ((keyword === 'ARG' || keyword === 'ENV') && stage === undefined && keyword === 'ARG') {
      for (const [name, value] of assignments(rest)) globalArgs.set(name, value);
    } else if ((keyword === 'ARG' || keyword === 'ENV') && stage) {
      for (const [name, value] of assignments(rest)) {
        const expanded = expandVariables(value, stage.vars);
        if (expanded !== undefined) stage.vars.set(name, expanded);
        else stage.vars.delete(name);
      }
    } else if (keyword === 'WORKDIR' && stage) {
      stage.workdir = resolve(unquote(rest));
    } else if ((keyword === 'COPY' || keyword === 'ADD') && stage) {
      const args = copyArguments(rest);
      if (!args || args.flags.some((f) => f.startsWith('--from'))) continue;
      const dest = resolve(args.destination);
      if (dest === undefined) continue;
      for (const source of args.sources) {
        // A URL is tested as written: normalizing turns its `//` into `/`.
        if (/^[a-z]+:\/\//i.test(source)) continue;
        const relative = path.posix.normalize(source.replace(/\/+$/, '') || '.');
        if (relative.startsWith('..') || /[*?[$]/.test(relative)) continue;
        // A file (has an extension, and the destination is not a folder) maps nothing useful.
        const isFolder = relative === '.' || source.endsWith('/') || !path.posix.extname(relative);
        if (!isFolder) continue;
        stage.mappings.push({ localRoot: relative === '.' ? folder : p.join(folder, ...relative.split('/')), remoteRoot: dest });
      }
    }
  }
  const mappings = stage?.mappings ?? [];
  if (!mappings.length) return [{ localRoot: folder, remoteRoot: workingDir || '/' }];
  // The broadest (shortest local root) first; among equals, the later copy wins (it overwrites).
  return mappings.map((m, i) => ({ m, i })).sort((a, b) => a.m.localRoot.length - b.m.localRoot.length || b.i - a.i).map(({ m }) => m);
}

/** `ARG A=1 B`, `ENV A=1 B="two"`, or the older `ENV A the rest`: names with values (an ARG without one is left out). */
function assignments(rest: string): Array<[string, string]> {
  const legacy = /^([A-Za-z_][A-Za-z0-9_]*)\s+([^=]*)$/.exec(rest.trim());
  if (legacy) return [[legacy[1], legacy[2].trim()]];
  const out: Array<[string, string]> = [];
  for (const match of rest.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)/g)) {
    out.push([match[1], match[2].replace(/^(["'])(.*)\1$/, '$2')]);
  }
  return out;
}

/** `$VAR`, `${VAR}`, `${VAR:-default}`; undefined when a variable is unknown (the path cannot be told). */
function expandVariables(text: string, vars: Map<string, string>): string | undefined {
  let unknown = false;
  const expanded = text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_m, braced: string | undefined, fallback: string | undefined, bare: string | undefined) => {
    const value = vars.get((braced ?? bare) as string);
    if (value !== undefined && value !== '') return value;
    if (fallback !== undefined) return fallback;
    unknown = true;
    return '';
  });
  return unknown ? undefined : expanded;
}

function unquote(text: string): string {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    try {
      const parsed = JSON.parse(trimmed) as unknown;
      if (Array.isArray(parsed) && typeof parsed[0] === 'string') return parsed[0];
    } catch {
      // not JSON: taken as written
    }
  }
  return trimmed.replace(/^["']|["']$/g, '');
}

function copyArguments(rest: string): { flags: string[]; sources: string[]; destination: string } | undefined {
  let words: string[];
  const trimmed = rest.trim();
  const flags: string[] = [];
  let body = trimmed;
  while (body.startsWith('--')) {
    const space = body.search(/\s/);
    if (space < 0) return undefined;
    flags.push(body.slice(0, space));
    body = body.slice(space).trim();
  }
  if (body.startsWith('[')) {
    try {
      const parsed = JSON.parse(body) as unknown;
      if (!Array.isArray(parsed) || !parsed.every((w) => typeof w === 'string')) return undefined;
      words = parsed as string[];
    } catch {
      return undefined;
    }
  } else {
    words = body.split(/\s+/).filter(Boolean);
  }
  if (words.length < 2) return undefined;
  return { flags, sources: words.slice(0, -1), destination: words[words.length - 1] };
}

/** A debug configuration's own fields: which function it debugs. */
export const DEBUG_TYPE = 'local-serverless';

/**
 * VS Code's built-in JavaScript debugger attaching to the inspector: `restart` re-attaches by itself
 * when a sync restarts the process (an image that does not reload on SIGHUP).
 */
export function nodeAttachConfiguration(name: string, hostPort: number, mappings: PathMapping[]): Record<string, unknown> {
  const main = mappings[0];
  return {
    type: 'node',
    request: 'attach',
    name: `Debug ${name} (Local Serverless)`,
    address: '127.0.0.1',
    port: hostPort,
    localRoot: main.localRoot,
    remoteRoot: main.remoteRoot,
    restart: { delay: 100, maxAttempts: 100 },
    skipFiles: ['<node_internals>/**'],
    localServerlessFunction: name,
  };
}

/** Our own debug type, whose adapter is the debugpy adapter in the container (it speaks the Debug Adapter Protocol itself). */
export function pythonAttachConfiguration(name: string, hostPort: number, mappings: PathMapping[]): Record<string, unknown> {
  return {
    type: DEBUG_TYPE,
    request: 'attach',
    name: `Debug ${name} (Local Serverless)`,
    connect: { host: '127.0.0.1', port: hostPort },
    pathMappings: mappings,
    justMyCode: true,
    redirectOutput: false,
    localServerlessFunction: name,
  };
}
