/**
 * Where each fn.json field goes: locally, in Export to Kubernetes (Deployment, Service, HPA) and in
 * Export to Knative, or why it stays local. README.md's "Beyond one machine: export" holds this table
 * as renderParityTable() prints it, and test/unit/parity.test.ts fails when a field of
 * media/fn.schema.json has no row, a row names a field the schema lacks, or the README differs.
 */
export interface ParityRow {
  /** The field's path in fn.json: `port`, `scale.min`. */
  field: string;
  local: string;
  kubernetes: string;
  knative: string;
}

export const PARITY_TABLE: readonly ParityRow[] = [
  {
    field: '$schema',
    local: 'which JSON schema the editor checks fn.json against',
    kubernetes: 'local only: an editor aid',
    knative: 'local only: an editor aid',
  },
  {
    field: 'name',
    local: 'the function\'s name: tree, gateway path `/<name>/`, image and container names',
    kubernetes: '`metadata.name` of the Deployment, Service and HPA, label `app`, container name (`.` and `_` become `-`)',
    knative: '`metadata.name`, container name (`.` and `_` become `-`)',
  },
  {
    field: 'port',
    local: 'the container port the gateway forwards to; `$PORT`',
    kubernetes: '`containerPort`, `PORT` env, readiness probe (TCP), Service `targetPort` (Service port 80)',
    knative: '`containerPort` (Knative sets `$PORT` to it)',
  },
  {
    field: 'hostPort',
    local: 'ignored: the gateway URL replaces a pinned port',
    kubernetes: 'ignored',
    knative: 'ignored',
  },
  {
    field: 'invoke.method',
    local: 'the method Invoke sends',
    kubernetes: 'local only: how VS Code calls the function; the cluster serves any method',
    knative: 'local only: as for Kubernetes',
  },
  {
    field: 'invoke.path',
    local: 'the path Invoke sends',
    kubernetes: 'local only: as `invoke.method`',
    knative: 'local only: as `invoke.method`',
  },
  {
    field: 'env',
    local: 'container environment (wins over `envFile`)',
    kubernetes: 'container `env` (wins over `envFrom`, as locally)',
    knative: 'container `env`, less `PORT` (Knative sets it)',
  },
  {
    field: 'envFile',
    local: 'read at each start, never logged, never in the build context',
    kubernetes: '`envFrom` the Secret `<name>-env`, which you create with the `kubectl create secret generic … --from-env-file` line in the header; no value is ever written',
    knative: 'as for Kubernetes',
  },
  {
    field: 'memoryMb',
    local: 'each instance\'s memory limit',
    kubernetes: '`resources` requests and limits, `memory: <n>Mi`',
    knative: 'as for Kubernetes',
  },
  {
    field: 'cpus',
    local: 'each instance\'s CPU limit',
    kubernetes: '`resources` requests and limits, `cpu` (0.5 → `500m`); the HPA\'s CPU target is measured against this request',
    knative: 'as for Kubernetes',
  },
  {
    field: 'timeoutSeconds',
    local: 'bounds a whole request through the gateway, cold start included (503 unplaced, 504 unanswered)',
    kubernetes: 'no equivalent: a Service does not time requests out (set it on your Ingress); said in a comment',
    knative: '`spec.template.spec.timeoutSeconds` (whole seconds; over 600 needs the cluster\'s `max-revision-timeout-seconds` raised)',
  },
  {
    field: 'sync',
    local: 'files copied into running instances on save, no rebuild',
    kubernetes: 'local only: the inner loop; the cluster runs the pushed image',
    knative: 'local only: as for Kubernetes',
  },
  {
    field: 'rebuild',
    local: 'files whose change rebuilds the image',
    kubernetes: 'local only: the inner loop; Push Image builds before it pushes',
    knative: 'local only: as for Kubernetes',
  },
  {
    field: 'scale.min',
    local: 'instances kept running while the function is on; 0: to zero when idle',
    kubernetes: 'Deployment `replicas` and HPA `minReplicas`, at least 1 (an HPA does not scale to zero; said in a comment)',
    knative: 'annotation `autoscaling.knative.dev/min-scale`',
  },
  {
    field: 'scale.max',
    local: 'most instances',
    kubernetes: 'HPA `maxReplicas`',
    knative: 'annotation `autoscaling.knative.dev/max-scale`',
  },
  {
    field: 'scale.concurrency',
    local: 'most requests in flight per instance; the gateway starts instances for more (0: no limit)',
    kubernetes: 'no exact equivalent: the HPA scales on CPU utilization (80% of the request), which any cluster with metrics-server measures',
    knative: '`containerConcurrency` (the same hard limit; Knative scales on concurrency too)',
  },
  {
    field: 'scale.queue',
    local: 'requests that may wait for an instance; one more gets a 503 with `Retry-After`',
    kubernetes: 'local only: the gateway\'s own queue',
    knative: 'local only: Knative\'s activator and queue-proxy hold requests by their own rules',
  },
  {
    field: 'scale.idleSeconds',
    local: 'an instance idle this long is removed while more than `min` run',
    kubernetes: 'HPA `behavior.scaleDown.stabilizationWindowSeconds` (at most 3600)',
    knative: 'annotation `autoscaling.knative.dev/scale-to-zero-pod-retention-period` (`300s`): how long the last pod stays once Knative decides to go to zero',
  },
  {
    field: 'protocol',
    local: 'how Invoke sends a request: a JSON POST (`http`), or a CloudEvent in binary or structured mode (`cloudevents`, and `functions-framework` with `signatureType` `cloudevent`)',
    kubernetes: 'local only: the container serves HTTP in the cluster as it does here',
    knative: 'local only: a Knative Service takes HTTP; CloudEvents reach it from a Broker\'s Trigger or a source, in binary mode',
  },
  {
    field: 'signatureType',
    local: 'with `protocol` `functions-framework`: `cloudevent` makes Invoke send CloudEvents, `http` and `event` a JSON POST',
    kubernetes: 'local only: in the container the Functions Framework reads its own `--signature-type` or `FUNCTION_SIGNATURE_TYPE`',
    knative: 'local only: as for Kubernetes',
  },
  {
    field: 'image',
    local: 'where Push Image sends the image',
    kubernetes: 'container `image`: the pushed digest, else `image:latest`, else the `localServerless.registry` setting, else a `REGISTRY/` placeholder',
    knative: 'as for Kubernetes',
  },
];

/** The table as Markdown, as README.md holds it. */
export function renderParityTable(rows: readonly ParityRow[] = PARITY_TABLE): string {
  const cell = (text: string) => text.replace(/\|/g, '\\|');
  const lines = [
    '| fn.json | Locally | Kubernetes (Deployment, Service, HPA) | Knative Service |',
    '| --- | --- | --- | --- |',
    ...rows.map((row) => `| \`${row.field}\` | ${cell(row.local)} | ${cell(row.kubernetes)} | ${cell(row.knative)} |`),
  ];
  return `${lines.join('\n')}\n`;
}
