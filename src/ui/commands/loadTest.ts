import * as path from 'node:path';
import * as vscode from 'vscode';
import { completeCloudEvent, invokePayload } from '../../core/cloudEvents';
import type { Event } from '../../core/emitter';
import { CancelledError, errorMessage, UserFacingError } from '../../core/errors';
import { parsePayload } from '../../core/invoke';
import {
  buildLoadRequest, concurrencyProblem, countProblem, formatLoadLine, formatLoadReport, LOAD_CONCURRENCY, LOAD_COUNT, parseWholeNumber, RunFigures, summarizeLoad, type LoadSummary,
} from '../../core/loadTest';
import { listSavedEvents, readSavedEvent } from '../../core/savedEvents';
import type { FunctionRegistry } from '../../services/functionRegistry';
import type { FunctionRunner } from '../../services/functionRunner';
import type { FunctionStats } from '../../services/gatewayTypes';
import { runLoad } from '../../services/loadRunner';
import type { ActivityView } from '../activityPanel';
import { requireTrust, toAbortSignal } from '../commandRunner';
import { EventNode } from '../functionsTree';
import type { LoadSummaryView } from '../loadSummaryView';
import { withProgressSafe } from '../notify';
import type { FunctionOutputChannels } from '../outputChannels';
import { buildAndRunWithProgress } from './functionCommands';
import { resolveFunction } from './pickFunction';

interface Payload {
  /** "events/order.json" or "empty body": how the summary names it. */
  label: string;
  body: string;
}

/** States in which nothing serves the function and a request would not start it: Load Test builds and runs it first, as Invoke does. */
const NOT_STARTED: ReadonlySet<FunctionRunner['state']['kind']> = new Set(['notBuilt', 'stopped', 'exited', 'failed']);
/** After the run, how long to wait for the gateway's next figures (it sends about two a second), so the last cold starts count. */
const LAST_FIGURES_WAIT_MS = 1000;

/**
 * Load Test Function: pick a function, a saved event (or an empty body), a request count and a
 * concurrency; send the requests through the function's gateway URL with autocannon under a
 * cancellable progress notification, with the Function Activity chart opened beside; then a summary
 * line in the function's channel and the summary document. A cancelled run still reports what it
 * got: the figures so far are the result the user stopped for.
 */
export function loadTest(
  registry: FunctionRegistry,
  gatewayUrlFor: (functionName: string) => string | undefined,
  stats: Event<FunctionStats[]>,
  channels: FunctionOutputChannels,
  activity: ActivityView,
  summaries: LoadSummaryView,
) {
  return async (arg?: unknown): Promise<LoadSummary> => {
    const runner = await resolveFunction(registry, arg, vscode.l10n.t('Function to load test'));
    runner.assertConfigured();
    const name = runner.spec.name;
    const payload = arg instanceof EventNode ? await savedEventPayload(runner, arg.file) : await pickPayload(runner);
    // A function that takes CloudEvents gets the event Invoke would send it, checked before anything starts.
    const sent = invokePayload(runner.spec, payload.body);
    // The payload's problem and the numbers' problems are the core's words (English: it has no vscode).
    if (!sent.ok) throw new UserFacingError(vscode.l10n.t('{0} of {1}: {2}', payload.label, name, sent.message));
    const count = await askWholeNumber(vscode.l10n.t('Load test {0}: requests', name), vscode.l10n.t('How many requests to send, from {0} to {1}', LOAD_COUNT.min, LOAD_COUNT.max), LOAD_COUNT.default, countProblem);
    const concurrency = await askWholeNumber(vscode.l10n.t('Load test {0}: concurrency', name), vscode.l10n.t('How many requests in flight at once, from {0} to {1}', LOAD_CONCURRENCY.min, LOAD_CONCURRENCY.max), LOAD_CONCURRENCY.default, concurrencyProblem);
    requireTrust();
    if (NOT_STARTED.has(runner.state.kind)) {
      await buildAndRunWithProgress(runner, channels, false, vscode.l10n.t('{0} is not running: building and starting it before the load test', name));
    }
    const functionUrl = gatewayUrlFor(name);
    if (!functionUrl) throw new UserFacingError(vscode.l10n.t('{0} has no URL on the local gateway yet: Build and Run it, then run the load test again.', name));
    const request = buildLoadRequest({ functionUrl, invoke: runner.spec.invoke, timeoutSeconds: runner.spec.timeoutSeconds }, typeof sent.payload === 'string' ? sent.payload : completeCloudEvent(sent.payload), count, concurrency);

    const out = channels.get(name);
    const figures = new RunFigures(name, activity.latest(name));
    const following = stats((all) => figures.add(all));
    activity.show(name, true);
    let run;
    try {
      run = await withProgressSafe(
        { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Load testing {0} ({1} requests, {2} at once)', name, count, request.options.connections), cancellable: true },
        (progress, token) => {
          let reportedPercent = 0;
          return runLoad(request, ({ completed, total }) => {
            const percent = Math.floor((completed / total) * 100);
            progress.report({ increment: percent - reportedPercent, message: vscode.l10n.t('{0} of {1}', completed, total) });
            reportedPercent = percent;
          }, toAbortSignal(token));
        },
      );
      await nextFigures(stats, name, LAST_FIGURES_WAIT_MS);
    } catch (error) {
      if (error instanceof CancelledError) throw error;
      out.appendLine(vscode.l10n.t('load test {0} {1} → failed: {2}', String(request.options.method), new URL(request.options.url).pathname, errorMessage(error)));
      throw new UserFacingError(vscode.l10n.t('The load test of {0} failed: {1}', name, errorMessage(error)));
    } finally {
      following.dispose();
    }
    const summary = summarizeLoad(name, request, payload.label, run, figures);
    out.appendLine(formatLoadLine(summary));
    await summaries.show(name, formatLoadReport(summary));
    return summary;
  };
}

async function savedEventPayload(runner: FunctionRunner, file: string): Promise<Payload> {
  const label = `events/${path.basename(file)}`;
  const parsed = parsePayload(await readSavedEvent(runner.spec.folder, file));
  if (!parsed.ok) throw new UserFacingError(vscode.l10n.t('{0} of {1}: {2}', label, runner.spec.name, parsed.message));
  return { label, body: parsed.body };
}

async function pickPayload(runner: FunctionRunner): Promise<Payload> {
  const choices: Array<vscode.QuickPickItem & { load: () => Promise<Payload> }> = (await listSavedEvents(runner.spec.folder)).map((file) => ({
    label: `$(json) ${path.basename(file, '.json')}`,
    description: `events/${path.basename(file)}`,
    load: () => savedEventPayload(runner, file),
  }));
  // The label 'empty body' names the payload in the summary, which the core writes (in English).
  choices.push({ label: `$(circle-slash) ${vscode.l10n.t('Empty body')}`, description: vscode.l10n.t('no payload'), load: async () => ({ label: 'empty body', body: '' }) });
  const picked = await vscode.window.showQuickPick(choices, { placeHolder: vscode.l10n.t('Payload for each request to {0}', runner.spec.name), matchOnDescription: true });
  if (!picked) throw new CancelledError();
  return picked.load();
}

async function askWholeNumber(title: string, prompt: string, initial: number, problem: (text: string) => string | undefined): Promise<number> {
  const text = await vscode.window.showInputBox({ title, prompt, value: String(initial), validateInput: problem });
  if (text === undefined) throw new CancelledError();
  return parseWholeNumber(text);
}

/** Resolves on the gateway's next figures about the function, or after `ms`. */
function nextFigures(stats: Event<FunctionStats[]>, functionName: string, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      subscription.dispose();
      resolve();
    };
    const timer = setTimeout(done, ms);
    const subscription = stats((all) => {
      if (all.some((f) => f.name === functionName)) done();
    });
  });
}
