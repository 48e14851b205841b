import * as path from 'node:path';
import * as vscode from 'vscode';
import { CancelledError, UserFacingError } from '../../core/errors';
import { parsePayload, payloadProblem } from '../../core/invoke';
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
    const runner = (fromResult && registry.get(fromResult)) || (await resolveFunction(registry, arg, 'Function to save an event for'));
    const last = history.last(runner.spec.name);
    const payload = last ?? (await vscode.window.showInputBox({ title: 'Event payload (JSON)', value: '{}', validateInput: payloadProblem }));
    if (payload === undefined) throw new CancelledError();
    const parsed = parsePayload(payload);
    if (!parsed.ok) throw new UserFacingError(parsed.message);
    const name = typeof nameArg === 'string' ? nameArg : await vscode.window.showInputBox({
      title: `Save ${last !== undefined ? 'the last payload' : 'payload'} of ${runner.spec.name} as an event`,
      prompt: 'Saved as events/<name>.json in the function folder',
      value: 'event',
      validateInput: eventNameProblem,
    });
    if (name === undefined) throw new CancelledError();
    const problem = eventNameProblem(name);
    if (problem) throw new UserFacingError(`"${name}" cannot name an event. ${problem}`);
    const file = savedEventPath(runner.spec.folder, name);
    const shown = path.relative(runner.spec.folder, file).split(path.sep).join('/');
    if (await savedEventExists(file)) {
      const replace = await askModal(`${shown} already exists in ${runner.spec.name}.`, undefined, 'Replace');
      if (replace !== 'Replace') throw new CancelledError();
    }
    await writeSavedEvent(runner.spec.folder, file, parsed.body);
    vscode.window.setStatusBarMessage(`Saved ${shown} for ${runner.spec.name}`, 3000);
    return file;
  };
}
