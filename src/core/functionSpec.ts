import * as path from 'node:path';
import { readDockerfile, type Runtime } from './dockerfile';
import { DEFAULT_SCALE, type ScaleConfig } from './scaling';
import { oversizedConfigProblem, parseFnConfig, type ConfigProblem, type FnConfig } from './fnConfig';
import { detectProtocol, type FunctionProtocol } from './protocol';

export const DEFAULT_PORT = 8080;
export const DEFAULT_TIMEOUT_SECONDS = 30;

/** Everything we know about one function: its folder, Dockerfile and refined settings. */
export interface FunctionSpec {
  name: string;
  folder: string;
  /** The workspace folder holding the function: what an env file must stay inside. Default: `folder`. */
  workspaceFolder?: string;
  dockerfile: string;
  runtime: Runtime;
  /** Port inside the container. */
  port: number;
  /**
   * Where `port` came from: fn.json's "port", the Dockerfile's first EXPOSE, or neither (8080). A
   * function with neither may be a one-shot job (see core/jobs.ts mayBeJob).
   */
  portSource: PortSource;
  invoke: { method: string; path: string };
  env: Record<string, string>;
  envFile?: string;
  memoryMb?: number;
  cpus?: number;
  timeoutSeconds: number;
  sync: string[];
  rebuild: string[];
  /** Instances behind the gateway (DESIGN.md, Scaling): fn.json's `scale` over the defaults. */
  scale: ScaleConfig;
  /** fn.json's `image`: the full reference (no tag) that Push Image sends to and exports run. */
  image?: string;
  /** How it takes a request (fn.json's "protocol", else detected from the folder), and where that came from. */
  protocol: FunctionProtocol;
  /** Path of fn.json when there is one. */
  configFile?: string;
  /** Problems in fn.json; a function with any is misconfigured and never run. */
  problems: ConfigProblem[];
  /** Valid fields that do nothing (hostPort): warnings on the field; the function still runs. */
  warnings: ConfigProblem[];
}

export type PortSource = 'fn.json' | 'EXPOSE' | 'default';

export interface FunctionSources {
  folder: string;
  workspaceFolder?: string;
  dockerfileText: string;
  /** fn.json text, when the file exists. */
  configText?: string;
  /** fn.json's size, when the caller left it unread because it is over MAX_CONFIG_BYTES. */
  oversizedConfigBytes?: number;
  /** Files that may say the protocol (see core/protocol.ts), when they exist and were read. */
  packageJsonText?: string;
  requirementsText?: string;
  funcYamlText?: string;
}

/** Builds a function's spec from its Dockerfile and optional fn.json. Pure: the caller reads files. */
export function describeFunction({ folder, workspaceFolder, dockerfileText, configText, oversizedConfigBytes, packageJsonText, requirementsText, funcYamlText }: FunctionSources): FunctionSpec {
  const facts = readDockerfile(dockerfileText);
  const hasConfig = configText !== undefined || oversizedConfigBytes !== undefined;
  const { config, problems, warnings = [] } = oversizedConfigBytes !== undefined ? { config: {} as FnConfig, problems: [oversizedConfigProblem(oversizedConfigBytes)] }
    : configText !== undefined ? parseFnConfig(configText)
      : { config: {} as FnConfig, problems: [] };
  return {
    name: config.name ?? defaultName(folder),
    folder,
    workspaceFolder,
    dockerfile: path.join(folder, 'Dockerfile'),
    runtime: facts.runtime,
    port: config.port ?? facts.exposedPorts[0] ?? DEFAULT_PORT,
    portSource: config.port !== undefined ? 'fn.json' : facts.exposedPorts.length ? 'EXPOSE' : 'default',
    invoke: { method: config.invoke?.method ?? 'POST', path: config.invoke?.path ?? '/' },
    env: config.env ?? {},
    envFile: config.envFile,
    memoryMb: config.memoryMb,
    cpus: config.cpus,
    timeoutSeconds: config.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS,
    sync: config.sync ?? [],
    rebuild: config.rebuild ?? ['Dockerfile'],
    scale: { ...DEFAULT_SCALE, ...config.scale },
    image: config.image,
    protocol: detectProtocol({ config, dockerfile: facts, packageJsonText, requirementsText, funcYamlText }),
    configFile: hasConfig ? path.join(folder, 'fn.json') : undefined,
    problems,
    warnings,
  };
}

/** Folder names may hold characters image names cannot; the name is what the tree shows. */
function defaultName(folder: string): string {
  return path.basename(folder).toLowerCase().replace(/[^a-z0-9._-]/g, '-');
}

/**
 * Functions with the same name: every one after the first gets a problem, so names stay
 * unique in the workspace (images and labels are keyed by name).
 */
export function markDuplicateNames(specs: FunctionSpec[]): FunctionSpec[] {
  const seen = new Map<string, FunctionSpec>();
  return [...specs].sort((a, b) => a.folder.localeCompare(b.folder)).map((spec) => {
    const first = seen.get(spec.name);
    if (!first) {
      seen.set(spec.name, spec);
      return spec;
    }
    const problem = { message: `Another function is already named "${spec.name}" (${first.folder}): set a unique "name" in fn.json.`, offset: 0, length: 0 };
    return { ...spec, problems: [...spec.problems, problem] };
  });
}

/** The glob for `workspace.findFiles` that leaves out node_modules, .git, files.exclude and user globs. */
export function discoveryExcludeGlob(filesExclude: Record<string, unknown>, extra: readonly string[]): string {
  const globs = new Set(['**/node_modules/**', '**/.git/**']);
  for (const [glob, enabled] of Object.entries(filesExclude)) {
    // files.exclude values may be `{ when: ... }` conditions; only plain `true` is unconditional.
    // The result is one {a,b} group and VS Code's globs do not nest braces: skip entries that use them.
    if (enabled !== true || /[{}]/.test(glob)) continue;
    globs.add(glob);
    if (!glob.endsWith('/**')) globs.add(`${glob}/**`);
  }
  for (const glob of extra) globs.add(glob);
  return `{${[...globs].join(',')}}`;
}
