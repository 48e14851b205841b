import type * as vscode from 'vscode';
import type { EngineUnavailableError } from '../engine/engine';
import type { EngineStatus } from '../services/functionRegistry';

/**
 * What these functions need of `vscode.l10n`: callers pass `vscode.l10n` itself. Taken as a
 * parameter so this file loads without VS Code (the unit tests read the English text).
 */
export type L10n = Pick<typeof vscode.l10n, 't'>;

/**
 * What the user can do when the engine cannot be used: the engine layer says what happened (in
 * English: it has no vscode), this says what to do about it in VS Code's terms (our setting, the
 * Retry action), localised.
 */
export function engineAdvice(reason: EngineUnavailableError['reason'], l10n: L10n): string {
  switch (reason) {
    case 'invalidAddress': return l10n.t('Fix the value, or clear it to use DOCKER_HOST or the default socket; then Retry.');
    case 'refused': return l10n.t('Fix the TLS settings, then Retry.');
    case 'unreachable': return l10n.t('Start Docker (or Podman\'s socket), or set "localServerless.dockerHost", then Retry.');
  }
}

/** An engine error as the user reads it: what happened, then what to do. */
export function withEngineAdvice(error: EngineUnavailableError, l10n: L10n): string {
  return l10n.t('{0} {1}', error.message, engineAdvice(error.reason, l10n));
}

/** The status's message with the advice that fits it, for the view. */
export function statusWithAdvice(status: Extract<EngineStatus, { kind: 'unavailable' }>, l10n: L10n): string {
  return l10n.t('{0} {1}', status.message, engineAdvice(status.reason, l10n));
}
