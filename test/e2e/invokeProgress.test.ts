import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openSession, type Session } from './session';

/** hello-node answers `{"slow": true}` only after 60 s: long enough to see the progress and cancel it. */
function slowHandler(workspace: string): void {
  const folder = path.join(workspace, 'hello-node');
  fs.writeFileSync(path.join(folder, 'handler.js'), [
    'exports.handler = async (event) => {',
    '  if (event.slow) await new Promise((r) => setTimeout(r, 60_000));',
    "  return { message: 'done', big: 1 };",
    '};',
    '',
  ].join('\n'));
  fs.writeFileSync(path.join(folder, 'events', 'slow.json'), '{ "slow": true }\n');
  // Python keeps integers exact, so its reply carries the big integer as it came in.
  const python = path.join(workspace, 'hello-python');
  fs.writeFileSync(path.join(python, 'handler.py'), 'def handler(event, context):\n    return {"id": event["id"], "ratio": 1.5}\n');
  fs.writeFileSync(path.join(python, 'events', 'big.json'), '{ "id": 12345678901234567890 }\n');
}

describe('Invoke shows its progress and can be cancelled; a reply is shown as sent', () => {
  let session: Session;

  before(async () => {
    session = await openSession('invoke-progress', { prepare: slowHandler });
  });

  after(async () => {
    await session?.close();
  });

  test('a slow invoke shows a progress notification naming the function; Cancel ends it quietly', async () => {
    const { ui } = session;
    await ui.page.locator('.activitybar [aria-label^="Local Serverless"]').first().click();
    await ui.treeRow('hello-node').waitFor({ timeout: 30_000 });
    await ui.runCommand('Local Serverless: Invoke Function');
    await ui.pick('hello-node');
    await ui.pick('events/slow.json');
    await ui.runCommand('Notifications: Show Notifications');
    const progress = ui.page.locator('.notifications-center .notification-list-item', { hasText: 'Invoking hello-node' }).first();
    await progress.waitFor({ timeout: 90_000 });
    await ui.screenshot('invoke-progress');
    await progress.locator('.monaco-button', { hasText: 'Cancel' }).click();
    const output = await ui.outputPanelText(/invoke POST \/ → cancelled/, 20_000);
    assert.doesNotMatch(output, /→ failed/);
    await progress.waitFor({ state: 'detached', timeout: 10_000 });
    const errors = ui.page.locator('.notifications-center .notification-list-item', { hasText: /hello-node.*(failed|timed out|No answer)/ });
    assert.equal(await errors.count(), 0, 'a cancel is not shown as a failure');
  });

  test('a big integer goes out as typed in the saved event and comes back in the result view exactly as the function sent it', async () => {
    const { ui } = session;
    await ui.runCommand('Local Serverless: Invoke Function');
    await ui.pick('hello-python');
    await ui.pick('events/big.json');
    const reply = await ui.waitForEditorText('"id": 12345678901234567890', undefined, 90_000);
    assert.match(reply, /\/\/ 200 OK/);
    await ui.screenshot('big-integer');
  });

});
