import * as vscode from 'vscode';
import type { FunctionRegistry } from '../../services/functionRegistry';
import type { ActivityView } from '../activityPanel';
import { resolveFunction } from './pickFunction';

/** Show Function Activity: the function's live chart, beside the editor and focused (the user asked for it). */
export function showActivity(registry: FunctionRegistry, activity: ActivityView) {
  return async (arg?: unknown): Promise<void> => {
    const runner = await resolveFunction(registry, arg, vscode.l10n.t('Function whose activity to show'));
    activity.show(runner.spec.name, false);
  };
}
