export type Runtime = 'node' | 'python' | 'other';

export interface DockerfileFacts {
  /**
   * TCP ports the image exposes, in order: EXPOSE of the final build stage (and of the earlier stage
   * it is built FROM, as the image inherits them), with ARG and ENV values substituted. UDP and SCTP
   * ports are left out: a function is reached over HTTP.
   */
  exposedPorts: number[];
  /** Image the final stage runs on: its FROM, followed through earlier stages it names. */
  baseImage?: string;
  runtime: Runtime;
  /** ENV of the final stage (with what it inherits from an earlier stage it is built FROM), values substituted. */
  env: Record<string, string>;
  /**
   * What the final stage runs: its ENTRYPOINT, then its CMD, each as one line of words (exec form
   * joined with spaces, shell form as written). Read for flags such as --signature-type.
   */
  commands: string[];
}

/** What one build stage has declared so far. */
interface Stage {
  name?: string;
  baseImage?: string;
  /** ENV values: inherited by a stage built FROM this one, and stronger than an ARG of the same name. */
  env: Map<string, string>;
  /** ARGs declared in this stage; undefined when declared without a value. Not inherited. */
  args: Map<string, string | undefined>;
  exposedPorts: number[];
  entrypoint?: string;
  cmd?: string;
}

type Lookup = (name: string) => string | undefined;

/**
 * Reads what we need from a Dockerfile: the ports its image exposes and its base image (to guess the
 * runtime), following Docker's scoping: an ARG before the first FROM is only seen by FROM lines and by
 * stages that declare it again; ARG and ENV apply from their line on, within their stage.
 */
export function readDockerfile(text: string): DockerfileFacts {
  // Join continuation lines first so `EXPOSE 80 \` + `443` reads as one instruction.
  const lines = text.replace(/\\\r?\n/g, ' ').split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const globalArgs = new Map<string, string | undefined>();
  const stagesByName = new Map<string, Stage>();
  let stage: Stage | undefined;
  for (const line of lines) {
    const [, instruction, rest] = /^(\S+)\s*(.*)$/.exec(line)!;
    const keyword = instruction.toUpperCase();
    const lookup: Lookup = stage ? lookupIn(stage) : (name) => globalArgs.get(name);
    if (keyword === 'FROM') {
      const [image, as, name] = words(rest, (n) => globalArgs.get(n)).filter((word) => !word.startsWith('--'));
      // Stage names are case-insensitive; a FROM naming an earlier stage builds on that stage's image.
      const parent = image === undefined ? undefined : stagesByName.get(image.toLowerCase());
      stage = {
        name: as?.toUpperCase() === 'AS' && name ? name.toLowerCase() : undefined,
        baseImage: parent ? parent.baseImage : image,
        env: new Map(parent?.env),
        args: new Map(),
        exposedPorts: [...(parent?.exposedPorts ?? [])],
        entrypoint: parent?.entrypoint,
        cmd: parent?.cmd,
      };
      if (stage.name) stagesByName.set(stage.name, stage);
    } else if (keyword === 'ARG') {
      for (const word of words(rest, lookup)) {
        const [name, value] = splitAssignment(word);
        if (!stage) globalArgs.set(name, value);
        else stage.args.set(name, value ?? globalArgs.get(name));
      }
    } else if (keyword === 'ENV' && stage) {
      for (const [name, value] of envAssignments(rest, lookup)) stage.env.set(name, value);
    } else if ((keyword === 'CMD' || keyword === 'ENTRYPOINT') && stage) {
      stage[keyword === 'CMD' ? 'cmd' : 'entrypoint'] = commandLine(rest);
    } else if (keyword === 'EXPOSE' && stage) {
      for (const word of words(rest, lookup)) {
        const port = tcpPort(word);
        if (port !== undefined) stage.exposedPorts.push(port);
      }
    }
  }
  const final = stage;
  return {
    exposedPorts: final?.exposedPorts ?? [],
    baseImage: final?.baseImage,
    runtime: runtimeOf(final?.baseImage ?? ''),
    env: Object.fromEntries(final?.env ?? []),
    commands: [final?.entrypoint, final?.cmd].filter((c): c is string => c !== undefined),
  };
}

/** `["npx", "functions-framework", "--target=x"]` → `npx functions-framework --target=x`; the shell form as written. */
function commandLine(rest: string): string {
  if (rest.startsWith('[')) {
    try {
      const words: unknown = JSON.parse(rest);
      if (Array.isArray(words) && words.every((w) => typeof w === 'string')) return words.join(' ');
    } catch { /* not JSON: Docker runs it as a shell command */ }
  }
  return rest;
}

function lookupIn(stage: Stage): Lookup {
  return (name) => stage.env.get(name) ?? stage.args.get(name);
}

/** `8080`, `8080/tcp`, `8000-8010/tcp` → its first port; UDP, SCTP and anything else → undefined. */
function tcpPort(word: string): number | undefined {
  const match = /^(\d+)(?:-\d+)?(?:\/([a-z]+))?$/i.exec(word);
  if (!match || (match[2] && match[2].toLowerCase() !== 'tcp')) return undefined;
  const port = Number(match[1]);
  return port > 0 && port < 65536 ? port : undefined;
}

function splitAssignment(word: string): [string, string | undefined] {
  const equals = word.indexOf('=');
  return equals < 0 ? [word, undefined] : [word.slice(0, equals), word.slice(equals + 1)];
}

/** `ENV A=1 B="two words"`, or the older `ENV A the rest of the line`; values use the scope before the line. */
function envAssignments(rest: string, lookup: Lookup): Array<[string, string]> {
  const legacy = /^([^\s=]+)\s+(.*)$/.exec(rest);
  if (legacy) return [[legacy[1], words(legacy[2], lookup).join(' ')]];
  return words(rest, lookup).flatMap((word) => {
    const [name, value] = splitAssignment(word);
    return value === undefined ? [] : [[name, value] as [string, string]];
  });
}

/**
 * Splits an instruction's arguments into words as Docker does: quotes group and are removed,
 * variables are substituted outside single quotes.
 */
function words(text: string, lookup: Lookup): string[] {
  const out: string[] = [];
  let word: string | undefined;
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) {
      if (word !== undefined) out.push(word);
      word = undefined;
      i++;
    } else if (c === "'" || c === '"') {
      let end = i + 1;
      while (end < text.length && text[end] !== c) end += text[end] === '\\' && c === '"' ? 2 : 1;
      const inner = text.slice(i + 1, end);
      word = (word ?? '') + (c === "'" ? inner : expand(inner, lookup));
      i = end + 1;
    } else {
      let end = i;
      while (end < text.length && !/[\s'"]/.test(text[end])) end += text[end] === '\\' ? 2 : 1;
      word = (word ?? '') + expand(text.slice(i, end), lookup);
      i = end;
    }
  }
  if (word !== undefined) out.push(word);
  return out;
}

/** `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:+alt}`, `${VAR+alt}`; `\$` is a dollar. */
function expand(text: string, lookup: Lookup): string {
  return text.replace(/\\([\s\S])|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (_match, escaped: string | undefined, braced: string | undefined, operator: string | undefined, word: string | undefined, bare: string | undefined) => {
      if (escaped !== undefined) return escaped;
      const value = lookup((braced ?? bare)!);
      switch (operator) {
        case ':-': return value ? value : word!;
        case '-': return value !== undefined ? value : word!;
        case ':+': return value ? word! : '';
        case '+': return value !== undefined ? word! : '';
        default: return value ?? '';
      }
    });
}

function runtimeOf(image: string): Runtime {
  const name = image.toLowerCase().split('@')[0].split('/').pop()!.split(':')[0];
  if (/^(node|nodejs|bun|deno)/.test(name) || /lambda\/nodejs/.test(image)) return 'node';
  if (/^(python|pypy)/.test(name) || /lambda\/python/.test(image)) return 'python';
  return 'other';
}
