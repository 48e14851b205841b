import * as vscode from 'vscode';
import type { RegistryLogin, SecretStore } from '../services/registryAuth';

/**
 * Asks for a registry login in two input boxes (the password one masked). Nothing typed here is
 * logged; the resolver keeps it in the secret storage only once a push with it succeeded.
 */
export async function askRegistryLogin(registry: string, reason: string): Promise<RegistryLogin | undefined> {
  const title = vscode.l10n.t('Log in to {0}', registry);
  // `reason` comes from the services (English: they have no vscode).
  const username = await vscode.window.showInputBox({
    title,
    prompt: vscode.l10n.t('{0}. User name (kept in VS Code\'s secret storage once a push with it works, never in settings):', reason),
    ignoreFocusOut: true,
    validateInput: (value) => (value.trim() ? undefined : vscode.l10n.t('Enter the user name')),
  });
  if (username === undefined) return undefined;
  const password = await vscode.window.showInputBox({
    title,
    prompt: vscode.l10n.t('Password or access token of {0} on {1}:', username.trim(), registry),
    password: true,
    ignoreFocusOut: true,
    validateInput: (value) => (value ? undefined : vscode.l10n.t('Enter the password or token')),
  });
  return password === undefined ? undefined : { username: username.trim(), password };
}

/** VS Code's SecretStorage as the resolver's SecretStore (the extension's own storage, encrypted by VS Code). */
export function secretStoreOf(secrets: vscode.SecretStorage): SecretStore {
  return {
    get: (key) => secrets.get(key),
    set: (key, value) => secrets.store(key, value),
    delete: (key) => secrets.delete(key),
  };
}
