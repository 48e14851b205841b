import * as vscode from 'vscode';
import { withoutLinks } from '../core/plainText';

/**
 * The only place that shows notifications. VS Code renders `[label](command:…)` in a notification
 * as a link that runs the command, and our messages quote fn.json keys, file names, build steps and
 * engine answers: every message and detail passes through `withoutLinks` here, so no caller can forget.
 */
export function showError<T extends string>(message: string, ...items: T[]): Thenable<T | undefined> {
  return vscode.window.showErrorMessage(withoutLinks(message), ...items);
}

export function showInfo<T extends string>(message: string, ...items: T[]): Thenable<T | undefined> {
  return vscode.window.showInformationMessage(withoutLinks(message), ...items);
}

/** A modal question; the detail is plain text too. */
export function askModal<T extends string>(message: string, detail: string | undefined, ...items: T[]): Thenable<T | undefined> {
  return vscode.window.showWarningMessage(withoutLinks(message), { modal: true, detail: detail === undefined ? undefined : withoutLinks(detail) }, ...items);
}

/** Progress shown where the action started; the title may quote a function's name. */
export function withProgressSafe<R>(options: vscode.ProgressOptions, task: (progress: vscode.Progress<{ message?: string; increment?: number }>, token: vscode.CancellationToken) => Thenable<R>): Thenable<R> {
  return vscode.window.withProgress({ ...options, title: options.title === undefined ? undefined : withoutLinks(options.title) }, (progress, token) =>
    task({ report: (value) => progress.report(value.message === undefined ? value : { ...value, message: withoutLinks(value.message) }) }, token));
}
