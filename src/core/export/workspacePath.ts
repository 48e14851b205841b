import * as path from 'node:path';

/** `file` relative to `root`, with forward slashes: how the kubectl lines, headers and messages name it. */
export function relativeTo(root: string, file: string): string {
  return path.relative(root, file).split(path.sep).join('/') || '.';
}
