/**
 * The states a function shows in the tree, and what each lets the user do. The manifest's menus
 * (package.json `view/item/context`) match these names in `viewItem` regexes, and test/unit/menus.test.ts
 * checks, state by state, which commands they offer. Commands also run from the palette, where no
 * menu filters them: `actionRefusal` says why one cannot run in a state.
 */
export const FUNCTION_STATE_KINDS = [
  'notBuilt',
  'building',
  /** One or more instances. */
  'running',
  /** On, no instance: the next request starts one. */
  'scaledToZero',
  /** Off: requests get a 503 until Build and Run. */
  'stopped',
  'exited',
  'failed',
  'misconfigured',
  /** A one-shot job, not running now (its last result shows beside it). */
  'job',
  'jobRunning',
] as const;
export type FunctionStateKind = (typeof FUNCTION_STATE_KINDS)[number];

/** The tree item's `contextValue`, read by `when` clauses: "function.running autoReload.on". */
export function functionContextValue(kind: string, autoReload: boolean): string {
  return `function.${kind} autoReload.${autoReload ? 'on' : 'off'}`;
}

/** The tree item's `contextValue` for a saved event. */
export const EVENT_CONTEXT_VALUE = 'event';

export type StateAction = 'buildAndRun' | 'invoke' | 'stop' | 'export' | 'debug';

/**
 * Why `action` cannot run on function `name` in state `kind`, in words that say what to do; undefined
 * when it can. A misconfigured function is refused by the runner itself, quoting fn.json's problem.
 */
export function actionRefusal(name: string, kind: string, action: StateAction): string | undefined {
  switch (action) {
    case 'buildAndRun':
    case 'invoke':
      if (kind === 'jobRunning') return `${name} is running as a job: wait until it finishes, or stop it (Stop Function), then ${action === 'invoke' ? 'invoke' : 'run'} it again.`;
      return undefined;
    case 'stop':
      // Only where no container can be left. Today an `exited` function keeps its container (its exit
      // code and output stay to see), a `failed` one may keep a previous container that did not answer
      // again, and one turned `misconfigured` by an fn.json edit keeps running: Stop removes those.
      if (['notBuilt', 'stopped', 'job'].includes(kind)) return `${name} is not running: there is nothing to stop.`;
      return undefined;
    case 'debug':
      if (kind === 'job' || kind === 'jobRunning') return `${name} is a one-shot job (its container exits without serving a port): Debug Function attaches to functions that serve requests.`;
      return undefined;
    case 'export':
      // A job serves nothing: no port to put behind a Service, nothing for an autoscaler to scale.
      if (kind === 'job' || kind === 'jobRunning') return `${name} is a one-shot job (its container exits without serving a port): Export to Kubernetes and Export to Knative are for functions that serve requests.`;
      return undefined;
  }
}
