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
    const node = eventOf(arg, 'Open Event');
    // The tree lists only events inside the function folder; a link may have been swapped in since.
    if (!(await realPathInside(node.runner.spec.folder, node.file))) {
      throw new UserFacingError(`${shownName(node)} is no longer a file inside ${node.runner.spec.folder} (deleted, or now a link leading out of the folder): refresh the Functions view.`);
    }
    await vscode.window.showTextDocument(vscode.Uri.file(node.file), { preview: true });
  };
}

/** Delete Event: after a modal confirmation, deletes the saved event's file and refreshes the view. */
export function deleteEvent(refreshTree: () => void) {
  return async (arg?: unknown): Promise<string> => {
    const node = eventOf(arg, 'Delete Event');
    const answer = await askModal(`Delete ${shownName(node)} of ${node.runner.spec.name}?`, 'The file is deleted from the function folder.', 'Delete');
    if (answer !== 'Delete') throw new CancelledError();
    try {
      await deleteSavedEvent(node.runner.spec.folder, node.file);
    } finally {
      // Also when it was already gone: the view shows what is there now.
      refreshTree();
    }
    vscode.window.setStatusBarMessage(`Deleted ${shownName(node)} of ${node.runner.spec.name}`, 3000);
    return node.file;
  };
}

function eventOf(arg: unknown, command: string): EventNode {
  if (arg instanceof EventNode) return arg;
  throw new UserFacingError(`${command} works on a saved event in the Functions view: expand a function there and right-click one of its events.`);
}

function shownName(node: EventNode): string {
  return `events/${path.basename(node.file)}`;
}
