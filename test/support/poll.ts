/**
 * The tests' one bounded poll: asks `probe` every `intervalMs` until it gives a value (anything but
 * undefined, null or false), for at most `timeoutMs`. Rejects naming what it waited for and, when
 * `lastSeen` is given, what it saw last. An error thrown by `probe` ends the wait at once.
 */
export async function poll<T>(
  what: string,
  probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  { timeoutMs = 15_000, intervalMs = 20, lastSeen }: { timeoutMs?: number; intervalMs?: number; lastSeen?: () => string } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastSeen ? `; last seen:\n${lastSeen()}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
