import * as path from 'node:path';
import * as vscode from 'vscode';
import { CancelledError, UserFacingError } from '../../core/errors';
import { realPathInside } from '../../core/insideFolder';
import { deleteSavedEvent } from '../../core/savedEvents';
import { EventNode } from '../functionsTree';
import { askModal } from '../notify';

/** Open Event: the saved event in an editor, from its item in the Functions view. */
export function openEvent() {
  return async (arg?: unknown): Promise<void> => {
    const node = eventOf(arg, vscode.l10n.t('Open Event'));
    // The tree lists only events inside the function folder; a link may have been swapped in since.
    if (!(await realPathInside(node.runner.spec.folder, node.file))) {
      throw new UserFacingError(vscode.l10n.t('{0} is no longer a file inside {1} (deleted, or now a link leading out of the folder): refresh the Functions view.', shownName(node), node.runner.spec.folder));
    }
    await vscode.window.showTextDocument(vscode.Uri.file(node.file), { preview: true });
  };
}

/** Delete Event: after a modal confirmation, deletes the saved event's file and refreshes the view. */
export function deleteEvent(refreshTree: () => void) {
  return async (arg?: unknown): Promise<string> => {
    const node = eventOf(arg, vscode.l10n.t('Delete Event'));
    const remove = vscode.l10n.t('Delete');
    const answer = await askModal(vscode.l10n.t('Delete {0} of {1}?', shownName(node), node.runner.spec.name), vscode.l10n.t('The file is deleted from the function folder.'), remove);
    if (answer !== remove) throw new CancelledError();
    try {
      await deleteSavedEvent(node.runner.spec.folder, node.file);
    } finally {
      // Also when it was already gone: the view shows what is there now.
      refreshTree();
    }
    vscode.window.setStatusBarMessage(vscode.l10n.t('Deleted {0} of {1}', shownName(node), node.runner.spec.name), 3000);
    return node.file;
  };
}

function eventOf(arg: unknown, command: string): EventNode {
  if (arg instanceof EventNode) return arg;
  throw new UserFacingError(vscode.l10n.t('{0} works on a saved event in the Functions view: expand a function there and right-click one of its events.', command));
}

function shownName(node: EventNode): string {
  return `events/${path.basename(node.file)}`;
}
