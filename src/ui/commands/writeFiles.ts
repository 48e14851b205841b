import * as path from 'node:path';
import * as fs from 'node:fs/promises';
import * as vscode from 'vscode';
import { CancelledError } from '../../core/errors';
import { assertWritableInside } from '../../core/insideFolder';
import { planWrites, type RenderedFile } from '../../core/scaffold';
import { askModal } from '../notify';

/**
 * Writes generated files into `folder` without losing anything: files that do not exist are
 * created, identical ones are left alone silently, and files with other content are replaced only
 * when the user says so in a modal ("Keep Existing" writes just the missing ones; Escape cancels).
 * Nothing is read or written through a symbolic link, or through a linked folder that leaves `root`
 * (the workspace folder): that is refused before anything is written. Returns the files written.
 */
export async function writeFilesAskingFirst(root: string, folder: string, generated: RenderedFile[], describeConflict: (paths: string[]) => string): Promise<RenderedFile[]> {
  for (const file of generated) await assertWritableInside(root, path.join(folder, file.relativePath));
  const files = await planWrites(folder, generated);
  const conflicts = files.filter((f) => f.action === 'conflict');
  let toWrite = files.filter((f) => f.action === 'create');
  if (conflicts.length) {
    const replace = vscode.l10n.t('Replace');
    const keep = vscode.l10n.t('Keep Existing');
    const answer = await askModal(
      describeConflict(conflicts.map((c) => c.relativePath)),
      vscode.l10n.t('"{0}" leaves those files as they are and writes only the missing ones.', keep),
      replace,
      keep,
    );
    if (!answer) throw new CancelledError();
    if (answer === replace) toWrite = [...toWrite, ...conflicts];
  }
  for (const file of toWrite) {
    const target = path.join(folder, file.relativePath);
    await fs.mkdir(path.dirname(target), { recursive: true });
    await fs.writeFile(target, file.content);
  }
  return toWrite;
}
