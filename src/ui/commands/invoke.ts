import * as path from 'node:path';
import * as vscode from 'vscode';
import { completeCloudEvent, invokePayload } from '../../core/cloudEvents';
import { CancelledError, UserFacingError } from '../../core/errors';
import { actionRefusal } from '../../core/functionStates';
import { describeJobResult } from '../../core/jobs';
import { buildInvokeRequest, formatBytes, InvokeError, parsePayload, payloadProblem, sendInvoke, summarizeInvoke } from '../../core/invoke';
import { listSavedEvents, readSavedEvent, type PayloadHistory } from '../../core/savedEvents';
import type { FunctionRegistry } from '../../services/functionRegistry';
import type { FunctionRunner } from '../../services/functionRunner';
import { showInfo, withProgressSafe } from '../notify';
import { requireTrust, toAbortSignal } from '../commandRunner';
import { EventNode } from '../functionsTree';
import type { FunctionOutputChannels } from '../outputChannels';
import type { InvokeResultView } from '../resultView';
import { buildAndRunWithProgress } from './functionCommands';
import { resolveFunction } from './pickFunction';

interface PayloadChoice extends vscode.QuickPickItem {
  load: () => Promise<string | undefined>;
}

/**
 * Invoke Function: pick a function, then a saved event, the last payload, or typed JSON; start the
 * function first if needed; show the reply beside the editor and a summary line in its channel.
 */
export function invoke(registry: FunctionRegistry, channels: FunctionOutputChannels, results: InvokeResultView, history: PayloadHistory) {
  return async (arg?: unknown, payloadArg?: string): Promise<number> => {
    const runner = await resolveFunction(registry, arg, vscode.l10n.t('Function to invoke'));
    runner.assertConfigured(); // before asking for a payload it could not be sent with
    // Refusals and payload problems are the core's words (English: it has no vscode).
    const refusal = actionRefusal(runner.spec.name, runner.state.kind, 'invoke');
    if (refusal) throw new UserFacingError(refusal);
    const payloadText = arg instanceof EventNode ? await readSavedEvent(runner.spec.folder, arg.file) : payloadArg ?? (await pickPayload(runner, history));
    const payload = parsePayload(payloadText);
    if (!payload.ok) throw new UserFacingError(payload.message);
    // A function that takes CloudEvents gets the payload as one (DESIGN.md, Invoking): checked before anything starts.
    const sent = invokePayload(runner.spec, payload.body);
    if (!sent.ok) throw new UserFacingError(arg instanceof EventNode ? vscode.l10n.t('{0} of {1}: {2}', `events/${path.basename(arg.file)}`, runner.spec.name, sent.message) : sent.message);
    requireTrust();
    await history.remember(runner.spec.name, payloadText);

    if (runner.state.kind === 'job') return invokeJob(runner, channels, payload.body);
    // Running, scaled to zero or starting: the gateway holds the request until an instance answers.
    // Off (never run, stopped, failed): Invoke is the user asking, so it builds and starts it first.
    const reachable = ['running', 'scaledToZero', 'building'].includes(runner.state.kind);
    const url = reachable ? runner.url : await buildAndRunWithProgress(runner, channels, false, vscode.l10n.t('{0} is not running: building and starting it before the invoke', runner.spec.name));
    // id and time are those of this send, after any build: a saved event without them gets fresh ones each time.
    const request = buildInvokeRequest(url, runner.spec.invoke, typeof sent.payload === 'string' ? sent.payload : completeCloudEvent(sent.payload), runner.spec.timeoutSeconds);
    const out = channels.get(runner.spec.name);
    try {
      const result = await withProgressSafe(
        { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Invoking {0}', runner.spec.name), cancellable: true },
        (progress, token) => sendInvoke(request, toAbortSignal(token), (bytes) => progress.report({ message: vscode.l10n.t('{0} received', formatBytes(bytes)) }), runner.pauses),
      );
      out.appendLine(summarizeInvoke(result, runner.spec.invoke.path));
      await results.show(runner.spec.name, result);
      return result.status;
    } catch (error) {
      if (error instanceof CancelledError) out.appendLine(vscode.l10n.t('invoke {0} {1} → cancelled', request.method, runner.spec.invoke.path));
      if (error instanceof InvokeError) {
        // The invoke client's message is the core's (English).
        out.appendLine(vscode.l10n.t('invoke {0} {1} → failed: {2}', request.method, runner.spec.invoke.path, error.message));
        throw new UserFacingError(vscode.l10n.t('{0}: {1}', runner.spec.name, error.message));
      }
      throw error;
    }
  };
}

/** A job has no server: Invoke runs it again with the payload on its stdin, and its output is the answer. */
async function invokeJob(runner: FunctionRunner, channels: FunctionOutputChannels, body: string): Promise<number> {
  channels.show(runner.spec.name, true);
  const result = await withProgressSafe(
    { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Running the job {0} with the payload on its stdin', runner.spec.name), cancellable: true },
    (_progress, token) => runner.runJob(body, toAbortSignal(token)),
  );
  // describeJobResult is the core's (English).
  if (result.exitCode !== 0) throw new UserFacingError(vscode.l10n.t('{0} {1}: see its output in the function\'s output channel.', runner.spec.name, describeJobResult(result)));
  void showInfo(vscode.l10n.t('{0} {1}: its output is in the function\'s output channel.', runner.spec.name, describeJobResult(result)));
  return result.exitCode;
}

async function pickPayload(runner: FunctionRunner, history: PayloadHistory): Promise<string> {
  const choices: PayloadChoice[] = (await listSavedEvents(runner.spec.folder)).map((file) => ({
    label: `$(json) ${path.basename(file, '.json')}`,
    description: `events/${path.basename(file)}`,
    load: () => readSavedEvent(runner.spec.folder, file),
  }));
  const last = history.last(runner.spec.name);
  if (last !== undefined) {
    choices.push({ label: `$(history) ${vscode.l10n.t('Last payload')}`, description: oneLine(last), load: async () => last });
  }
  choices.push({ label: `$(edit) ${vscode.l10n.t('Type JSON…')}`, description: vscode.l10n.t('enter a payload'), load: async () => typePayload(last) });
  const picked = await vscode.window.showQuickPick(choices, { placeHolder: vscode.l10n.t('Payload for {0}', runner.spec.name), matchOnDescription: true });
  if (!picked) throw new CancelledError();
  const text = await picked.load();
  if (text === undefined) throw new CancelledError();
  return text;
}

function typePayload(initial: string | undefined): Thenable<string | undefined> {
  return vscode.window.showInputBox({
    title: vscode.l10n.t('Payload (JSON)'),
    value: initial ?? '{}',
    prompt: vscode.l10n.t('The request body, as JSON'),
    validateInput: payloadProblem,
  });
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 60 ? `${flat.slice(0, 57)}…` : flat;
}
