/**
 * The kubectl command lines an export hands out (in the manifest's header, the notification, the
 * clipboard and a terminal): paths relative to the workspace folder, quoted for a POSIX shell only
 * where they need it, so the common case reads as typed.
 */

/** `value` as one shell word: bare when it holds only safe characters, else in single quotes. */
export function shellQuote(value: string): string {
  if (/^[A-Za-z0-9_./:=@%+-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export function applyCommand(manifestPath: string): string {
  return `kubectl apply -f ${shellQuote(manifestPath)}`;
}

/** Makes the Secret that the manifests' `envFrom` names, from the env file (whose values never enter a manifest). */
export function createSecretCommand(secretName: string, envFilePath: string): string {
  return `kubectl create secret generic ${shellQuote(secretName)} ${shellQuote(`--from-env-file=${envFilePath}`)}`;
}
