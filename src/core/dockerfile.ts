export type Runtime = 'node' | 'python' | 'other';

export interface DockerfileFacts {
  /** Ports named by EXPOSE, in order. */
  exposedPorts: number[];
  /** Image of the last FROM (the stage that runs). */
  baseImage?: string;
  runtime: Runtime;
}

/** Reads what we need from a Dockerfile: EXPOSE ports and the base image (to guess the runtime). */
export function readDockerfile(text: string): DockerfileFacts {
  // Join continuation lines first so `EXPOSE 80 \` + `443` reads as one instruction.
  const lines = text.replace(/\\\r?\n/g, ' ').split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const exposedPorts: number[] = [];
  let baseImage: string | undefined;
  for (const line of lines) {
    const [instruction, ...rest] = line.split(/\s+/);
    const keyword = instruction.toUpperCase();
    if (keyword === 'FROM') {
      baseImage = rest.find((word) => !word.startsWith('--'));
    } else if (keyword === 'EXPOSE') {
      for (const word of rest) {
        const port = Number.parseInt(word.split('/')[0], 10);
        if (port > 0 && port < 65536) exposedPorts.push(port);
      }
    }
  }
  return { exposedPorts, baseImage, runtime: runtimeOf(baseImage ?? '') };
}

function runtimeOf(image: string): Runtime {
  const name = image.toLowerCase().split('@')[0].split('/').pop()!.split(':')[0];
  if (/^(node|nodejs|bun|deno)/.test(name) || /lambda\/nodejs/.test(image)) return 'node';
  if (/^(python|pypy)/.test(name) || /lambda\/python/.test(image)) return 'python';
  return 'other';
}
