import * as path from 'node:path';
import { Service as KnativeService } from '@kubernetes-models/knative/serving.knative.dev/v1/Service';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import type { IIoK8sApiCoreV1Container } from 'kubernetes-models/v1/Container';
import type { IIoK8sApiCoreV1EnvVar } from 'kubernetes-models/v1/EnvVar';
import type { IIoK8sApiCoreV1ResourceRequirements } from 'kubernetes-models/v1/ResourceRequirements';
import { Service } from 'kubernetes-models/v1/Service';
import { Document, isMap, isPair, isScalar, isSeq } from 'yaml';
import type { FunctionSpec } from '../functionSpec';
import type { ImageChoice } from './image';
import { applyCommand, createSecretCommand } from './kubectl';
import { stamped } from './stamp';
import { relativeTo } from './workspacePath';

/**
 * Export to Kubernetes and Export to Knative: fn.json as typed objects of the `kubernetes-models`
 * packages (each checked against the Kubernetes or Knative schema those packages ship, through its
 * own validate()), serialised with `yaml`, with comments where the cluster's meaning differs from the
 * local gateway's. Pure: the caller reads the env file (its key names only) and writes the result.
 * The README's parity table (parity.ts) says the same field by field.
 *
 * The models' validators and yaml are ~620 KiB minified: this module is its own bundle,
 * dist/exporter.js (scripts/esbuild.mjs), which the extension requires on the first export. It throws
 * no UserFacingError (that class would be a second copy there): what the user must fix is checked
 * before it is called.
 */

/** What an export reads of a function. */
export type ExportedFunction = Pick<FunctionSpec,
  'name' | 'folder' | 'workspaceFolder' | 'configFile' | 'port' | 'env' | 'envFile' | 'memoryMb' | 'cpus' | 'timeoutSeconds' | 'scale'>;

export interface ExportInput {
  fn: ExportedFunction;
  image: ImageChoice;
  /** The env file's KEY names (never its values), when fn.json names one and it could be read. */
  envFileKeys?: readonly string[];
  /** Where the manifest will be written: the apply line names it relative to the workspace folder. */
  manifestFile: string;
}

export interface RenderedExport {
  /** The file: a stamp line (stamp.ts), a header comment, then the YAML documents. */
  text: string;
  /** `kubectl apply -f <manifest>`, relative to the workspace folder. */
  applyCommand: string;
  /** `kubectl create secret generic <name>-env --from-env-file=<env file>`, when fn.json has an envFile. */
  secretCommand?: string;
}

export interface KubernetesObjects {
  deployment: Deployment;
  service: Service;
  autoscaler: HorizontalPodAutoscaler;
}

/** The HPA's target: average CPU use over the pods' CPU requests. 80% is the HPA's own default target. */
export const HPA_CPU_UTILIZATION = 80;
/** The most an HPA's scale-down stabilization window may be (autoscaling/v2 HPAScalingRules). */
export const HPA_MAX_STABILIZATION_SECONDS = 3600;
/** Knative's default `max-revision-timeout-seconds` (config-defaults): a longer timeoutSeconds is refused unless the cluster raises it. */
export const KNATIVE_DEFAULT_MAX_TIMEOUT_SECONDS = 600;

/** Knative's per-revision annotations (https://knative.dev/docs/serving/autoscaling/scale-bounds/ and …/scale-to-zero/). */
export const KNATIVE_ANNOTATIONS = {
  minScale: 'autoscaling.knative.dev/min-scale',
  maxScale: 'autoscaling.knative.dev/max-scale',
  scaleToZeroRetention: 'autoscaling.knative.dev/scale-to-zero-pod-retention-period',
} as const;

/**
 * The function's name as a Kubernetes object name. A Service's (and a Knative Service's) must be an RFC
 * 1035 label: lower-case letters, digits and `-`, starting with a letter, at most 63 characters.
 * fn.json names may also hold `.` and `_` and start with a digit.
 */
export function kubernetesName(name: string): string {
  const dashed = name.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-+/g, '-').replace(/^-|-$/g, '');
  const lettered = /^[a-z]/.test(dashed) ? dashed : `fn-${dashed}`;
  return lettered.slice(0, 63).replace(/-+$/, '');
}

/** The Secret the manifests' `envFrom` names: the user creates it from the env file. */
export function secretNameFor(name: string): string {
  return `${kubernetesName(name)}-env`;
}

/** A CPU count as a Kubernetes quantity: 0.5 → "500m", 2 → "2". */
export function cpuQuantity(cpus: number): string {
  const millicores = Math.max(1, Math.round(cpus * 1000));
  return millicores % 1000 === 0 ? String(millicores / 1000) : `${millicores}m`;
}

/** The Deployment, its ClusterIP Service and its HorizontalPodAutoscaler, each validated. */
export function kubernetesObjects({ fn, image }: Pick<ExportInput, 'fn' | 'image'>): KubernetesObjects {
  const name = kubernetesName(fn.name);
  const labels = { app: name };
  // Locally PORT is the container port and fn.json's env wins over it (core/plan.ts): the same here.
  const env = toEnvVars({ PORT: String(fn.port), ...fn.env });
  const deployment = new Deployment({
    metadata: { name, labels },
    spec: {
      // An HPA never goes below 1 replica (0 needs an alpha feature gate and an external metric).
      replicas: Math.max(fn.scale.min, 1),
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          containers: [{
            ...container(fn, image, env),
            readinessProbe: { tcpSocket: { port: fn.port } },
          }],
        },
      },
    },
  });
  const service = new Service({
    metadata: { name, labels },
    spec: {
      type: 'ClusterIP',
      selector: labels,
      ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: fn.port }],
    },
  });
  const autoscaler = new HorizontalPodAutoscaler({
    metadata: { name, labels },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
      minReplicas: Math.max(fn.scale.min, 1),
      maxReplicas: fn.scale.max,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: HPA_CPU_UTILIZATION } } }],
      behavior: { scaleDown: { stabilizationWindowSeconds: Math.min(Math.ceil(fn.scale.idleSeconds), HPA_MAX_STABILIZATION_SECONDS) } },
    },
  });
  for (const model of [deployment, service, autoscaler]) model.validate();
  return { deployment, service, autoscaler };
}

/** The Knative Service (serving.knative.dev/v1), validated. */
export function knativeService({ fn, image }: Pick<ExportInput, 'fn' | 'image'>): KnativeService {
  // Knative sets PORT itself, to the containerPort, and refuses a Service that sets it.
  const env = toEnvVars(Object.fromEntries(Object.entries(fn.env).filter(([key]) => key !== 'PORT')));
  const service = new KnativeService({
    metadata: { name: kubernetesName(fn.name) },
    spec: {
      template: {
        metadata: {
          annotations: {
            [KNATIVE_ANNOTATIONS.minScale]: String(fn.scale.min),
            [KNATIVE_ANNOTATIONS.maxScale]: String(fn.scale.max),
            [KNATIVE_ANNOTATIONS.scaleToZeroRetention]: `${fn.scale.idleSeconds}s`,
          },
        },
        spec: {
          containerConcurrency: fn.scale.concurrency,
          timeoutSeconds: Math.ceil(fn.timeoutSeconds),
          containers: [container(fn, image, env)],
        },
      },
    },
  });
  service.validate();
  return service;
}

function container(fn: ExportedFunction, image: ImageChoice, env: IIoK8sApiCoreV1EnvVar[]): IIoK8sApiCoreV1Container {
  return {
    // Knative does not need a container name, but the schema the models ship does; one name for both.
    name: kubernetesName(fn.name),
    image: image.reference,
    ports: [{ containerPort: fn.port }],
    env: env.length ? env : undefined,
    envFrom: fn.envFile !== undefined ? [{ secretRef: { name: secretNameFor(fn.name) } }] : undefined,
    resources: resources(fn),
  };
}

function toEnvVars(env: Record<string, string>): IIoK8sApiCoreV1EnvVar[] {
  return Object.entries(env).map(([name, value]) => ({ name, value }));
}

/** memoryMb and cpus as both requests and limits: locally they are the container's limits, and a request is what the scheduler and the HPA count. */
function resources(fn: ExportedFunction): IIoK8sApiCoreV1ResourceRequirements | undefined {
  const quantities: Record<string, string> = {};
  if (fn.memoryMb !== undefined) quantities.memory = `${fn.memoryMb}Mi`;
  if (fn.cpus !== undefined) quantities.cpu = cpuQuantity(fn.cpus);
  return Object.keys(quantities).length ? { requests: { ...quantities }, limits: { ...quantities } } : undefined;
}

/** deploy/kubernetes.yaml: the Deployment, Service and HPA as three YAML documents, with the header and comments. */
export function renderKubernetesExport(input: ExportInput): RenderedExport {
  const { fn } = input;
  const { deployment, service, autoscaler } = kubernetesObjects(input);
  const commands = commandsFor(input);
  const containerPath = ['spec', 'template', 'spec', 'containers', 0];

  const deploymentDoc = documentOf(deployment);
  deploymentDoc.commentBefore = header(input, commands, 'Kubernetes: a Deployment, a ClusterIP Service (port 80, the load balancer in the cluster) and a HorizontalPodAutoscaler.');
  commentBefore(deploymentDoc, ['spec', 'replicas'], fn.scale.min < 1
    ? ' scale.min is 0 (locally the function goes to zero when idle), but an HPA keeps at least 1 replica:\n 1 here. Export to Knative to scale to zero. The HPA owns this count once applied.'
    : ` scale.min. The HPA owns this count once applied.`);
  commentBefore(deploymentDoc, [...containerPath, 'image'], imageComment(input.image));
  if (fn.envFile !== undefined) {
    commentBefore(deploymentDoc, [...containerPath, 'envFrom'], ` The env file's values, from the Secret ${secretNameFor(fn.name)} (see the top of this file); env wins over it, as locally.`);
  }
  commentBefore(deploymentDoc, [...containerPath, 'readinessProbe'], ' Ready once the server accepts connections on its port, as locally.');

  const serviceDoc = documentOf(service);
  commentBefore(serviceDoc, ['spec', 'ports'], ` Port 80 in the cluster to the container's port ${fn.port}. A Service does not time requests out:\n fn.json's timeoutSeconds (${fn.timeoutSeconds} s) belongs on your Ingress or gateway.`);

  const autoscalerDoc = documentOf(autoscaler);
  commentBefore(autoscalerDoc, ['spec', 'minReplicas'], ` scale.min, at least 1 (an HPA does not scale to zero), and scale.max.`);
  commentBefore(autoscalerDoc, ['spec', 'metrics'], [
    ' The local gateway scales on requests in flight (scale.concurrency); an HPA has no request metric',
    ' without a custom metrics adapter, so it scales on CPU use against the CPU request, which works on',
    ` any cluster with metrics-server. No exact equivalent: Export to Knative keeps concurrency scaling.`,
    ...(fn.cpus === undefined ? [' fn.json sets no "cpus", so the pods have no CPU request and this metric has nothing to measure:', ' set "cpus" and export again.'] : []),
  ].join('\n'));
  commentBefore(autoscalerDoc, ['spec', 'behavior'], fn.scale.idleSeconds > HPA_MAX_STABILIZATION_SECONDS
    ? ` scale.idleSeconds (${fn.scale.idleSeconds}) is over the HPA's limit of ${HPA_MAX_STABILIZATION_SECONDS} s: the most it allows. Replicas go after this long below the target, not one idle instance at a time.`
    : ' scale.idleSeconds: replicas are removed only after this long below the target (locally: an instance idle this long).');

  return { text: renderFile([deploymentDoc, serviceDoc, autoscalerDoc]), ...commands };
}

/** deploy/knative.yaml: one Knative Service, with the header and comments. */
export function renderKnativeExport(input: ExportInput): RenderedExport {
  const { fn } = input;
  const service = knativeService(input);
  const commands = commandsFor(input);
  const template = ['spec', 'template'];
  const annotations = [...template, 'metadata', 'annotations'];
  const containerPath = [...template, 'spec', 'containers', 0];

  const doc = documentOf(service);
  doc.commentBefore = header(input, commands, 'Knative Serving: one Knative Service (the cluster needs Knative Serving installed).');
  commentBefore(doc, [...annotations, KNATIVE_ANNOTATIONS.minScale], ' scale.min and scale.max, the same bounds as the local gateway (0: scales to zero when idle).\n https://knative.dev/docs/serving/autoscaling/scale-bounds/');
  commentBefore(doc, [...annotations, KNATIVE_ANNOTATIONS.scaleToZeroRetention], [
    ' scale.idleSeconds. Knative keeps the last pod at least this long after its autoscaler decides to',
    ' scale to zero, which it does after its stable window (60 s by default) without traffic',
    ' (https://knative.dev/docs/serving/autoscaling/scale-to-zero/, "Scale to zero last pod retention',
    ' period"). Locally any instance idle this long goes while more than min run; in Knative the others',
    ' follow the stable window.',
  ].join('\n'));
  commentBefore(doc, [...template, 'spec', 'containerConcurrency'], ' scale.concurrency: most requests in flight per pod, as locally (0: no limit). Knative holds the\n rest while pods start; it has no scale.queue limit.');
  const timeoutNotes = [
    ' timeoutSeconds: how long a request may take.',
    ...(Number.isInteger(fn.timeoutSeconds) ? [] : [` fn.json says ${fn.timeoutSeconds}: Knative takes whole seconds.`]),
    ...(fn.timeoutSeconds > KNATIVE_DEFAULT_MAX_TIMEOUT_SECONDS
      ? [` Over Knative's default max-revision-timeout-seconds (${KNATIVE_DEFAULT_MAX_TIMEOUT_SECONDS}): raise it in the config-defaults ConfigMap, or the cluster refuses this.`]
      : []),
  ];
  commentBefore(doc, [...template, 'spec', 'timeoutSeconds'], timeoutNotes.join('\n'));
  commentBefore(doc, [...containerPath, 'image'], imageComment(input.image));
  if ('PORT' in fn.env) commentBefore(doc, [...containerPath, 'ports'], ' fn.json\'s env sets PORT, which Knative sets itself to this containerPort: left out.');
  if (fn.envFile !== undefined) {
    commentBefore(doc, [...containerPath, 'envFrom'], ` The env file's values, from the Secret ${secretNameFor(fn.name)} (see the top of this file); env wins over it, as locally.`);
  }
  return { text: renderFile([doc]), ...commands };
}

function commandsFor({ fn, manifestFile }: ExportInput): Omit<RenderedExport, 'text'> {
  const root = fn.workspaceFolder ?? fn.folder;
  return {
    applyCommand: applyCommand(relativeTo(root, manifestFile)),
    secretCommand: fn.envFile !== undefined ? createSecretCommand(secretNameFor(fn.name), relativeTo(root, path.resolve(fn.folder, fn.envFile))) : undefined,
  };
}

function header({ fn, envFileKeys }: ExportInput, commands: Omit<RenderedExport, 'text'>, what: string): string {
  const root = fn.workspaceFolder ?? fn.folder;
  const source = fn.configFile ? relativeTo(root, fn.configFile) : `${relativeTo(root, path.join(fn.folder, 'Dockerfile'))} (no fn.json)`;
  const lines = [
    `Generated by Local Serverless from ${source}, function "${fn.name}".`,
    what,
    'Export again after changing fn.json: an unedited file is replaced; an edited one only if you say so.',
    '',
  ];
  if (commands.secretCommand) {
    const keys = envFileKeys === undefined ? '' : envFileKeys.length ? ` (its keys: ${envFileKeys.join(', ')})` : ' (it holds no keys yet)';
    lines.push(`The env file's values are never written here${keys}. Create the Secret from it first:`, `  ${commands.secretCommand}`);
  }
  lines.push('Then apply this file, from the workspace folder:', `  ${commands.applyCommand}`);
  return lines.map((line) => (line ? ` ${line}` : '')).join('\n');
}

function imageComment(image: ImageChoice): string {
  switch (image.source) {
    case 'pushed':
      return ' The image Push Image sent: what runs locally.';
    case 'fnJson':
      return ' fn.json\'s "image" with :latest. After Push Image, export again to run the pushed digest.';
    case 'registry':
      return ' The localServerless.registry setting, the function\'s name and :latest. After Push Image, export again to run the pushed digest.';
    case 'placeholder':
      return ' REGISTRY is a placeholder: run Push Image, or set "image" in fn.json or the\n localServerless.registry setting, then export again.';
  }
}

function documentOf(model: { toJSON(): unknown }): Document {
  return new Document(model.toJSON());
}

/**
 * Puts a comment on the line(s) above the entry at `keys` (map keys and sequence indexes). Each line of
 * `text` becomes a `#` line; a line should start with a space. Throws when the entry is missing, which
 * only a change to the builders above can cause.
 */
function commentBefore(doc: Document, keys: Array<string | number>, text: string): void {
  const parent = keys.length > 1 ? doc.getIn(keys.slice(0, -1), true) : doc.contents;
  const last = keys[keys.length - 1];
  if (isMap(parent)) {
    const pair = parent.items.find((item) => isPair(item) && isScalar(item.key) && item.key.value === last);
    if (pair && isScalar(pair.key)) {
      pair.key.commentBefore = text;
      return;
    }
  } else if (isSeq(parent) && typeof last === 'number') {
    const item = parent.items[last];
    if (item && typeof item === 'object' && 'commentBefore' in item) {
      (item as { commentBefore?: string }).commentBefore = text;
      return;
    }
  }
  throw new Error(`No ${keys.join('.')} in the manifest to comment on.`);
}

function renderFile(docs: Document[]): string {
  return stamped(docs.map((doc) => doc.toString({ lineWidth: 0 })).join('---\n'));
}
