import type * as Protobuf from 'protobufjs';
import { BuildFailedError } from './engine';

/**
 * The part of BuildKit's progress protocol we read (moby.buildkit.v1.StatusResponse, field numbers
 * as in moby/buildkit's control.proto). Unknown fields are skipped by the decoder. Kept inline so
 * the bundle needs no .proto file at run time.
 */
const STATUS_PROTO = `
syntax = "proto3";
package moby.buildkit.v1;
message StatusResponse { repeated Vertex vertexes = 1; repeated VertexLog logs = 3; }
message Vertex { string digest = 1; string name = 3; bool cached = 4; Timestamp started = 5; Timestamp completed = 6; string error = 7; }
message VertexLog { string vertex = 1; int64 stream = 3; bytes msg = 4; }
message Timestamp { int64 seconds = 1; int32 nanos = 2; }
`;

let statusType: Protobuf.Type | undefined;
/** Parsed on the first BuildKit build: protobufjs is not loaded while the extension activates. */
function statusResponse(): Protobuf.Type {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  statusType ??= (require('protobufjs') as typeof Protobuf).parse(STATUS_PROTO).root.lookupType('moby.buildkit.v1.StatusResponse');
  return statusType;
}

interface Vertex { digest: string; name: string; cached: boolean; started?: object; completed?: object; error: string }
interface VertexLog { vertex: string; msg: Uint8Array }

/**
 * Turns a build's JSON stream (the classic builder's `{stream}` lines or BuildKit's base64 protobuf
 * `moby.buildkit.trace` messages) into readable lines, and remembers the step that is running and
 * its output so a failure can name both. A failed step does not reject the HTTP request: it
 * arrives as an `{error, errorDetail}` message, which `accept` turns into BuildFailedError.
 */
export class BuildOutput {
  private step: string | undefined;
  private stepOutput = '';
  private readonly announced = new Set<string>();
  private readonly names = new Map<string, string>();
  private readonly outputs = new Map<string, string>();
  private failedVertex: string | undefined;

  constructor(private readonly onOutput: (text: string) => void) {}

  accept(message: { stream?: string; status?: string; error?: string; errorDetail?: { message?: string }; id?: string; aux?: unknown }): void {
    if (message.error || message.errorDetail) {
      // Podman's classic builder (Buildah) puts the step in the reason: `building at STEP "RUN x": …`.
      let reason = (message.errorDetail?.message ?? message.error ?? 'unknown error').trim();
      if (this.step && reason.startsWith(`building at STEP "${this.step}": `)) reason = reason.slice(`building at STEP "${this.step}": `.length);
      this.onOutput(`ERROR: ${reason}\n`);
      const step = this.failedVertex ? this.names.get(this.failedVertex) : this.step;
      const output = this.failedVertex ? this.outputs.get(this.failedVertex) ?? '' : this.stepOutput;
      throw new BuildFailedError(step, reason, output);
    }
    if (message.id === 'moby.buildkit.trace' && typeof message.aux === 'string') return this.acceptBuildKit(message.aux);
    if (message.id === 'moby.image.id') return;
    const text = message.stream ?? (message.status ? `${message.status}\n` : '');
    if (!text) return;
    // Docker's classic builder writes "Step 2/5 : RUN x"; Podman's (Buildah) "STEP 2/5: RUN x".
    const stepMatch = /^(?:Step \d+\/\d+ :|STEP \d+\/\d+:) (.*)$/m.exec(text);
    if (stepMatch) {
      this.step = stepMatch[1].trim();
      this.stepOutput = '';
    } else {
      this.stepOutput += text;
    }
    this.onOutput(text);
  }

  private acceptBuildKit(aux: string): void {
    const decoded = statusResponse().toObject(statusResponse().decode(Buffer.from(aux, 'base64')), { defaults: true }) as { vertexes: Vertex[]; logs: VertexLog[] };
    for (const vertex of decoded.vertexes) {
      this.names.set(vertex.digest, vertex.name);
      // BuildKit's own bookkeeping steps say nothing a user acts on.
      const internal = vertex.name.startsWith('[internal]') || vertex.name === 'copy /context /';
      if (vertex.error) this.failedVertex = vertex.digest;
      if (internal || this.announced.has(vertex.digest)) continue;
      if (vertex.cached && vertex.completed) {
        this.announced.add(vertex.digest);
        this.onOutput(`${vertex.name} (cached)\n`);
      } else if (vertex.started) {
        this.announced.add(vertex.digest);
        this.step = vertex.name;
        this.onOutput(`${vertex.name}\n`);
      }
    }
    for (const log of decoded.logs) {
      const text = Buffer.from(log.msg).toString('utf8');
      this.outputs.set(log.vertex, (this.outputs.get(log.vertex) ?? '') + text);
      this.onOutput(text.replace(/^(?=.)/gm, '  '));
    }
  }
}
