import { createHash } from 'node:crypto';

/**
 * The first line of every manifest we write: a hash of the rest of the file as we wrote it. A file
 * whose rest still hashes to it is our own output, which an export may replace; any other content
 * (edited, or never ours) is the user's, which is replaced only when they say so.
 */
export const STAMP_PREFIX = '# local-serverless-export sha256:';

/** `body` with its stamp line on top. */
export function stamped(body: string): string {
  return `${STAMP_PREFIX}${hashOf(body)}\n${body}`;
}

/**
 * What writing `generated` over `existing` (undefined: no file) means. create: nothing there;
 * unchanged: the same content; replace: our own earlier output, unedited; ask: anything else, which
 * holds the user's edits or was never ours.
 */
export type WriteDecision = 'create' | 'unchanged' | 'replace' | 'ask';

export function decideWrite(existing: string | undefined, generated: string): WriteDecision {
  if (existing === undefined) return 'create';
  if (existing === generated) return 'unchanged';
  return isUnedited(existing) ? 'replace' : 'ask';
}

/** Whether `text` starts with a stamp whose hash is that of the rest of the text. */
export function isUnedited(text: string): boolean {
  const newline = text.indexOf('\n');
  if (newline < 0) return false;
  const firstLine = text.slice(0, newline).replace(/\r$/, '');
  if (!firstLine.startsWith(STAMP_PREFIX)) return false;
  return firstLine.slice(STAMP_PREFIX.length) === hashOf(text.slice(newline + 1));
}

/** Line endings do not count: an editor or git that turns LF into CRLF has not edited anything. */
function hashOf(body: string): string {
  return createHash('sha256').update(body.replace(/\r\n/g, '\n')).digest('hex');
}
