import * as vscode from 'vscode';
import { CancelledError, UserFacingError } from '../../core/errors';
import { parsePayload, payloadProblem } from '../../core/invoke';
import { containerRelativePath } from '../../core/containerPath';
import { eventNameProblem, savedEventExists, savedEventPath, writeSavedEvent, type PayloadHistory } from '../../core/savedEvents';
import type { FunctionRegistry } from '../../services/functionRegistry';
import { askModal } from '../notify';
import { functionOfResult } from '../resultView';
import { resolveFunction } from './pickFunction';

/**
 * Save as Event: stores the function's last payload (or one typed now) as `events/<name>.json`, so it
 * shows under the function in the tree and in the Invoke picker. Asks before replacing a file.
 * The event name may be passed by callers that already know it.
 */
export function saveEvent(registry: FunctionRegistry, history: PayloadHistory) {
  return async (arg?: unknown, nameArg?: unknown): Promise<string> => {
    // From the result view's title bar the argument is the result document: save for its function.
    const fromResult = arg instanceof vscode.Uri ? functionOfResult(arg) : undefined;
    const runner = (fromResult && registry.get(fromResult)) || (await resolveFunction(registry, arg, vscode.l10n.t('Function to save an event for')));
    const last = history.last(runner.spec.name);
    // Payload and name problems are the core's words (English: it has no vscode).
    const payload = last ?? (await vscode.window.showInputBox({ title: vscode.l10n.t('Event payload (JSON)'), value: '{}', validateInput: payloadProblem }));
    if (payload === undefined) throw new CancelledError();
    const parsed = parsePayload(payload);
    if (!parsed.ok) throw new UserFacingError(parsed.message);
    const name = typeof nameArg === 'string' ? nameArg : await vscode.window.showInputBox({
      title: last !== undefined ? vscode.l10n.t('Save the last payload of {0} as an event', runner.spec.name) : vscode.l10n.t('Save payload of {0} as an event', runner.spec.name),
      prompt: vscode.l10n.t('Saved as events/<name>.json in the function folder'),
      value: 'event',
      validateInput: eventNameProblem,
    });
    if (name === undefined) throw new CancelledError();
    const problem = eventNameProblem(name);
    if (problem) throw new UserFacingError(vscode.l10n.t('"{0}" cannot name an event. {1}', name, problem));
    const file = savedEventPath(runner.spec.folder, name);
    const shown = containerRelativePath(runner.spec.folder, file) ?? file;
    if (await savedEventExists(file)) {
      const replace = vscode.l10n.t('Replace');
      const answer = await askModal(vscode.l10n.t('{0} already exists in {1}.', shown, runner.spec.name), undefined, replace);
      if (answer !== replace) throw new CancelledError();
    }
    await writeSavedEvent(runner.spec.folder, file, parsed.body);
    vscode.window.setStatusBarMessage(vscode.l10n.t('Saved {0} for {1}', shown, runner.spec.name), 3000);
    return file;
  };
}
