import * as os from 'node:os';

/**
 * The host's address on Docker's default bridge (docker0), or Podman's, when there is one: the
 * gateway also listens there so functions reach each other through it ($LOCAL_SERVERLESS_GATEWAY).
 * The address exists only on this machine (a bridge between it and its own containers).
 */
export function bridgeAddress(): string | undefined {
  const interfaces = os.networkInterfaces();
  for (const name of ['docker0', 'podman0', 'cni-podman0']) {
    const address = interfaces[name]?.find((a) => a.family === 'IPv4');
    if (address) return address.address;
  }
  return undefined;
}

/** The environment each instance gets: the gateway address its container reaches, when there is one. */
export function instanceEnvFor(alsoListeningOn: readonly string[]): Record<string, string> {
  return alsoListeningOn[0] ? { LOCAL_SERVERLESS_GATEWAY: alsoListeningOn[0] } : {};
}
