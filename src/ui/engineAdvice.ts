import { EngineUnavailableError } from '../engine/engine';
import type { EngineStatus } from '../services/functionRegistry';

/**
 * What the user can do when the engine cannot be used: the engine layer says what happened, this
 * says what to do about it in VS Code's terms (our setting, the Retry action).
 */
export function engineAdvice(reason: EngineUnavailableError['reason']): string {
  switch (reason) {
    case 'invalidAddress': return 'Fix the value, or clear it to use DOCKER_HOST or the default socket; then Retry.';
    case 'refused': return 'Fix the TLS settings, then Retry.';
    case 'unreachable': return 'Start Docker (or Podman\'s socket), or set "localServerless.dockerHost", then Retry.';
  }
}

/** An engine error as the user reads it: what happened, then what to do. */
export function withEngineAdvice(error: EngineUnavailableError): string {
  return `${error.message} ${engineAdvice(error.reason)}`;
}

/** The status's message with the advice that fits it, for the view. */
export function statusWithAdvice(status: Extract<EngineStatus, { kind: 'unavailable' }>): string {
  return `${status.message} ${engineAdvice(status.reason)}`;
}
