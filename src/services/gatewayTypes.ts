import type { FunctionMode, ScaleConfig } from '../core/scaling';

/**
 * What passes between the extension host (which builds images, starts and removes containers, and
 * follows logs) and the gateway (which holds the listening socket, the queues and the scaling
 * policy, in a worker thread of its own: see gatewayClient.ts). Plain data only: it crosses postMessage.
 */

/** One instance of a function: a container whose port is published on 127.0.0.1. */
export interface GatewayInstance {
  /** The container id. */
  id: string;
  /** Its port on 127.0.0.1: the gateway forwards to nothing else (never a container bridge address). */
  hostPort: number;
  /** starting: not answering yet; ready: takes requests; draining: being replaced or released, takes no new requests. */
  state: 'starting' | 'ready' | 'draining';
  /** Short name shown in the tree, the log prefix and the `x-local-serverless-replica` header (e.g. `hello-1`). */
  label: string;
}

/** A function as the gateway routes it. Sent whole each time anything about it changes. */
export interface GatewayFunction {
  /** Routes `/<name>/…` (prefix removed) and Host `<name>.localhost` (path kept). */
  name: string;
  mode: FunctionMode;
  /** With mode `off`: why, for the 503 reply (e.g. "hello is stopped: run Build and Run to start it"). */
  offReason?: string;
  scale: ScaleConfig;
  /** Bounds a whole request, placing and cold start included (DESIGN.md "Timeouts"). */
  timeoutSeconds: number;
  /** A debugger holds the function at a breakpoint: request deadlines stand still until it goes on. */
  paused?: boolean;
  instances: GatewayInstance[];
}

/** The gateway's requests to the extension host. */
export type GatewayToHost =
  /**
   * Start `count` more instances (scale from zero, out under load, or up to `min`). Answer with
   * setFunction listing them (new ids count as the starts asked for), or startFailed. Instances the
   * host starts on its own (Build and Run) are best listed as `starting` as soon as they exist, so they
   * count as capacity and no scaleUp asks for them again.
   */
  | { kind: 'scaleUp'; name: string; count: number }
  /** Release this instance (idle past idleSeconds while more than `min` run): stop and remove it. */
  | { kind: 'release'; name: string; instanceId: string }
  /** A line for the function's output channel (a refused request, a timeout). */
  | { kind: 'log'; name: string; line: string }
  /** Live figures, about twice a second while anything changes. */
  | { kind: 'stats'; stats: FunctionStats[] };

export interface InstanceStats {
  id: string;
  label: string;
  state: GatewayInstance['state'];
  inFlight: number;
  /** Requests it has answered since it joined. */
  served: number;
}

/** One function's live figures. */
export interface FunctionStats {
  name: string;
  /** Milliseconds since the epoch. */
  time: number;
  instances: InstanceStats[];
  queued: number;
  /** Requests the function answered that ended in the last second. */
  requestsPerSecond: number;
  /** Over the requests the function answered in the last 10 s, arrival to end (so a wait for a start counts); undefined when there were none. */
  p50Ms?: number;
  p95Ms?: number;
  /**
   * Requests since the gateway started: answered (any status from the function), refused (503),
   * timed out (504), failed (502: the instance closed the connection without a full reply).
   */
  served: number;
  refused: number;
  timedOut: number;
  failed: number;
  /** Requests that waited for an instance to start, since the gateway started. */
  coldStarts: number;
  /** The last cold start's wait, ms. */
  lastColdStartMs?: number;
}

/** The gateway as the extension host uses it, whether in this thread (tests) or a worker. */
export interface GatewayHandle {
  /** `http://127.0.0.1:<port>`: the port stays for the workspace (kept in workspace state, taken again when free). */
  readonly origin: string;
  readonly port: number;
  /**
   * Origins on the `alsoListenOn` addresses (e.g. the Docker bridge's gateway address) that do listen,
   * on the same port: containers reach the gateway there. An address that could not be bound is absent.
   */
  readonly alsoListeningOn: readonly string[];
  /** Adds or replaces a function's routing and instances. */
  setFunction(fn: GatewayFunction): void;
  removeFunction(name: string): void;
  /** The host could not start instances asked for by scaleUp: queued requests get a 503 with this reason. */
  startFailed(name: string, count: number, reason: string): void;
  /**
   * The host will not start `count` of the instances asked for, because instances it started itself
   * meanwhile (Build and Run, a rolling rebuild) may already cover them: the gateway forgets those
   * starts and asks again on its next tick if the load still needs them. Not a failure: nothing is refused.
   */
  startsDeclined(name: string, count: number): void;
  onMessage(listener: (message: GatewayToHost) => void): { dispose(): void };
  close(): Promise<void>;
}

/** Reply headers set on every proxied reply (defined in the core, which reads them too). */
export { COLD_START_HEADER, REPLICA_HEADER } from '../core/scaling';
