import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { DEFAULT_PORT } from './functionSpec';
import { renderTemplate, type RenderedFile, type Template } from './scaffold';

/** What "Add Dockerfile" found in an existing folder of code. */
export interface DetectedProject {
  runtime: 'node' | 'python';
  /** The file the container runs, relative to the folder, with `/` separators. */
  entry: string;
  /** Python: a requirements.txt exists, so the image installs it. */
  hasRequirements?: boolean;
  /** Node.js: a package-lock.json exists, so the image uses `npm ci`. */
  hasLockfile?: boolean;
  /** The port the server listens on inside the container (and `EXPOSE`s). */
  port: number;
}

const NODE_ENTRY_CANDIDATES = ['index.js', 'server.js', 'app.js'];
const PYTHON_ENTRY_CANDIDATES = ['app.py', 'main.py'];

/**
 * Looks at a folder of code and says how to run it in a container: Node.js when a package.json
 * names or sits beside an entry file, else Python when app.py or main.py exists. Undefined when
 * neither is found. Reads files only; never writes.
 */
export async function detectProject(folder: string): Promise<DetectedProject | undefined> {
  return (await detectNode(folder)) ?? (await detectPython(folder));
}

async function detectNode(folder: string): Promise<DetectedProject | undefined> {
  const manifestText = await readText(path.join(folder, 'package.json'));
  if (manifestText === undefined) return undefined;
  const manifest = parseObject(manifestText);
  const entry = await nodeEntry(folder, manifest);
  if (!entry) return undefined;
  const hasLockfile = await isFile(path.join(folder, 'package-lock.json'));
  const port = portFromSource(await readText(path.join(folder, entry)), 'node');
  return { runtime: 'node', entry, hasLockfile, port };
}

/**
 * The entry, in order: the file of a `"start": "node <file>"` script, `main` when it exists,
 * then index.js, server.js or app.js, then `main` as written (it may be built output).
 */
async function nodeEntry(folder: string, manifest: Record<string, unknown>): Promise<string | undefined> {
  const scripts = manifest.scripts;
  const start = scripts && typeof scripts === 'object' ? (scripts as Record<string, unknown>).start : undefined;
  const startFile = typeof start === 'string' ? /^\s*node\s+([^\s'"`&|;<>-][^\s'"`&|;<>]*)\s*$/.exec(start)?.[1] : undefined;
  const declared = startFile === undefined ? undefined : insideFolder(normalize(startFile));
  if (declared) return (await resolveNodeModule(folder, declared)) ?? declared;
  const main = typeof manifest.main === 'string' ? insideFolder(normalize(manifest.main.trim())) : undefined;
  if (main) {
    const resolved = await resolveNodeModule(folder, main);
    if (resolved) return resolved;
  }
  for (const candidate of NODE_ENTRY_CANDIDATES) {
    if (await isFile(path.join(folder, candidate))) return candidate;
  }
  return main;
}

/** The file Node.js would run for `node <name>`: the name, with .js/.cjs/.mjs, or its index.js. */
async function resolveNodeModule(folder: string, name: string): Promise<string | undefined> {
  for (const candidate of [name, `${name}.js`, `${name}.cjs`, `${name}.mjs`, `${name}/index.js`]) {
    if (await isFile(path.join(folder, candidate))) return candidate;
  }
  return undefined;
}

async function detectPython(folder: string): Promise<DetectedProject | undefined> {
  const present: Array<{ name: string; text: string }> = [];
  for (const name of PYTHON_ENTRY_CANDIDATES) {
    const text = await readText(path.join(folder, name));
    if (text !== undefined) present.push({ name, text });
  }
  if (present.length === 0) return undefined;
  // With both, the one that runs itself (`if __name__ == "__main__"`) is the entry; else app.py.
  const chosen = present.find((p) => /__name__\s*==\s*['"]__main__['"]/.test(p.text)) ?? present[0];
  const hasRequirements = await isFile(path.join(folder, 'requirements.txt'));
  return { runtime: 'python', entry: chosen.name, hasRequirements, port: portFromSource(chosen.text, 'python') };
}

/**
 * The port the entry listens on. Code that reads `PORT` from the environment gets the default
 * (the image sets `PORT`); code with one clear literal port (`app.listen(3000)`,
 * `app.run(port=5000)`) gets that port; anything else gets the default.
 */
function portFromSource(text: string | undefined, runtime: 'node' | 'python'): number {
  if (text === undefined) return DEFAULT_PORT;
  const readsPort = runtime === 'node'
    ? /process\.env\s*(?:\.\s*PORT\b|\[\s*['"`]PORT['"`]\s*\])|\{[^}]*\bPORT\b[^}]*\}\s*=\s*process\.env\b/.test(text)
    : /\b(?:getenv|environ(?:\s*\.\s*get)?)\s*[([]\s*['"]PORT['"]/.test(text);
  if (readsPort) return DEFAULT_PORT;
  const patterns = runtime === 'node'
    ? [/\.listen\(\s*(\d{2,5})\s*[,)]/g, /\b(?:const|let|var)\s+port\s*=\s*(\d{2,5})\s*;?\s*$/gim]
    : [/\bport\s*=\s*(\d{2,5})\b/gi, /\(\s*['"][^'"\n]*['"]\s*,\s*(\d{2,5})\s*\)/g];
  const ports = new Set<number>();
  for (const pattern of patterns) {
    for (const match of text.matchAll(pattern)) {
      const port = Number(match[1]);
      if (port >= 1 && port <= 65535) ports.add(port);
    }
  }
  return ports.size === 1 ? [...ports][0] : DEFAULT_PORT;
}

/**
 * The `Dockerfile` and `.dockerignore` for a detected project, rendered from the runtime's template
 * (the same files New Function writes): dependencies layer before the code, `EXPOSE`, exec-form
 * `CMD` of the detected entry. No reload label: the user's own server does not reload on SIGHUP,
 * so a sync restarts the container instead.
 */
export function renderDockerfile(template: Template, project: DetectedProject): RenderedFile[] {
  const d = template.defaults;
  const variables: Record<string, string> = project.runtime === 'node'
    ? { install: project.hasLockfile ? d.installWithLockfile : d.install }
    : { dependencies: project.hasRequirements ? d.dependencies : d.noDependencies };
  return renderTemplate(template, { name: path.basename(project.entry), port: project.port, reload: '', mainJson: JSON.stringify(project.entry), ...variables }, ['Dockerfile', '.dockerignore']);
}

/** `./src\\server.js` → `src/server.js`. */
function normalize(file: string): string {
  return path.posix.normalize(file.replace(/\\/g, '/')).replace(/^\.\/(?=.)/, '').replace(/\/$/, '') || '.';
}

/** A file path inside the build context, or undefined for `.`, `..`-escaping or absolute ones. */
function insideFolder(file: string): string | undefined {
  return file === '.' || file === '..' || file.startsWith('../') || file.startsWith('/') || /^[a-zA-Z]:/.test(file) ? undefined : file;
}

function parseObject(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return (await fs.stat(file)).isFile() ? await fs.readFile(file, 'utf8') : undefined;
  } catch {
    return undefined;
  }
}

async function isFile(file: string): Promise<boolean> {
  return fs.stat(file).then((s) => s.isFile(), () => false);
}
