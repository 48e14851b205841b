import type { L10n } from '../../src/ui/engineAdvice';

/**
 * What `vscode.l10n` does with no translation bundle (English): the message with `{0}`, `{1}`… filled
 * in from the arguments, an unknown placeholder left as written. For code under test that takes
 * `vscode.l10n` as a parameter.
 */
export const english: L10n = {
  t: (...call: unknown[]): string => {
    const [message, ...args] = call as [string, ...unknown[]];
    return message.replace(/\{([^{}]+)\}/g, (match, index: string) => (args[Number(index)] === undefined ? match : String(args[Number(index)])));
  },
} as L10n;
