import { constants as fsConstants } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CancelledError, UserFacingError } from '../../core/errors';
import { assertWritableInside } from '../../core/insideFolder';
import { parsePayload } from '../../core/invoke';
import type { FunctionRegistry } from '../../services/functionRegistry';
import { functionOfResult } from '../resultView';
import { LAST_PAYLOAD_KEY } from './invoke';
import { askModal } from '../notify';
import { resolveFunction } from './pickFunction';

const EVENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * Save as Event: stores the function's last payload (or one typed now) as `events/<name>.json`, so it
 * shows under the function in the tree and in the Invoke picker. Asks before replacing a file.
 * The event name may be passed by callers that already know it.
 */
export function saveEvent(registry: FunctionRegistry, state: vscode.Memento) {
  return async (arg?: unknown, nameArg?: unknown): Promise<string> => {
    // From the result view's title bar the argument is the result document: save for its function.
    const fromResult = arg instanceof vscode.Uri ? functionOfResult(arg) : undefined;
    const runner = (fromResult && registry.get(fromResult)) || (await resolveFunction(registry, arg, 'Function to save an event for'));
    const last = state.get<string>(LAST_PAYLOAD_KEY + runner.spec.name);
    const payload = last ?? (await vscode.window.showInputBox({ title: 'Event payload (JSON)', value: '{}', validateInput: (t) => { const p = parsePayload(t); return p.ok ? undefined : p.message; } }));
    if (payload === undefined) throw new CancelledError();
    const parsed = parsePayload(payload);
    if (!parsed.ok) throw new UserFacingError(parsed.message);
    const name = typeof nameArg === 'string' ? nameArg : await vscode.window.showInputBox({
      title: `Save ${last !== undefined ? 'the last payload' : 'payload'} of ${runner.spec.name} as an event`,
      prompt: 'Saved as events/<name>.json in the function folder',
      value: 'event',
      validateInput: (text) => (EVENT_NAME.test(text.trim()) ? undefined : 'Use letters, digits, ".", "_" and "-" (a file name without .json).'),
    });
    if (name === undefined) throw new CancelledError();
    if (!EVENT_NAME.test(name.trim())) throw new UserFacingError(`"${name}" cannot name an event: use letters, digits, ".", "_" and "-".`);
    const file = path.join(runner.spec.folder, 'events', `${name.trim()}.json`);
    // Before anything that follows links (the existence check, mkdir, the write).
    await assertWritableInside(runner.spec.folder, file);
    const exists = await fs.access(file).then(() => true, () => false);
    if (exists) {
      const replace = await askModal(`events/${name.trim()}.json already exists in ${runner.spec.name}.`, undefined, 'Replace');
      if (replace !== 'Replace') throw new CancelledError();
    }
    await fs.mkdir(path.dirname(file), { recursive: true });
    // O_NOFOLLOW: a link put in place since the check above makes the write fail rather than follow it.
    const { O_WRONLY, O_CREAT, O_TRUNC, O_NOFOLLOW } = fsConstants;
    await fs.writeFile(file, parsed.body ? JSON.stringify(JSON.parse(parsed.body), null, 2) + '\n' : '{}\n', { flag: O_WRONLY | O_CREAT | O_TRUNC | (O_NOFOLLOW ?? 0) });
    vscode.window.setStatusBarMessage(`Saved events/${name.trim()}.json for ${runner.spec.name}`, 3000);
    return file;
  };
}
