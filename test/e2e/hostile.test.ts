import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openSession, type Session } from './session';

/** A fn.json key that VS Code would render as a link running a command, were it shown as written. */
const LINK_KEY = '[Fix fn.json](command:workbench.action.files.newUntitledFile)';

/** Adds a function written to attack whoever opens the repository: its fn.json carries a command link. */
function addHostileFunction(workspace: string): void {
  const folder = path.join(workspace, 'evil');
  fs.cpSync(path.join(workspace, 'hello-node'), folder, { recursive: true });
  fs.writeFileSync(path.join(folder, 'fn.json'), JSON.stringify({ name: 'evil', [LINK_KEY]: 1 }, null, 2));
}

/** A TCP listener on 127.0.0.1 that counts the connections made to it: the engine a workspace names. */
async function countingListener(): Promise<{ port: number; connections: () => number; close: () => Promise<void> }> {
  let count = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    count++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    connections: () => count,
    close: () => new Promise((resolve) => { for (const s of sockets) s.destroy(); server.close(() => resolve()); }),
  };
}

describe('a repository nobody vouched for, opened in Restricted Mode', () => {
  let session: Session;
  let listener: Awaited<ReturnType<typeof countingListener>>;
  let openedAt = 0;

  before(async () => {
    listener = await countingListener();
    session = await openSession('hostile-untrusted', {
      trusted: false,
      prepare: (workspace) => {
        addHostileFunction(workspace);
        fs.mkdirSync(path.join(workspace, '.vscode'), { recursive: true });
        fs.writeFileSync(path.join(workspace, '.vscode', 'settings.json'), JSON.stringify({ 'localServerless.dockerHost': `tcp://127.0.0.1:${listener.port}` }));
      },
    });
    openedAt = Date.now();
  });

  after(async () => {
    await session?.close();
    await listener?.close();
  });

  test('the view lists the functions and says why nothing runs', async () => {
    const { ui } = session;
    await ui.page.locator('.activitybar [aria-label^="Local Serverless"]').first().click();
    await ui.treeRow('Workspace not trusted').waitFor({ timeout: 30_000 });
    await ui.treeRow('evil').waitFor({ timeout: 15_000 });
    await ui.screenshot('restricted-view');
  });

  test('the handler\'s code lens says to trust the workspace instead of offering Invoke', async () => {
    const { ui } = session;
    await ui.openFile('evil/handler.js');
    const lenses = ui.page.locator('.editor-group-container.active .codelens-decoration');
    await lenses.filter({ hasText: 'Trust the workspace' }).first().waitFor({ timeout: 20_000 });
    assert.equal(await lenses.filter({ hasText: /\bInvoke\b/ }).count(), 0, 'no Invoke lens in Restricted Mode');
    await ui.screenshot('restricted-code-lens');
  });

  test('no connection is made to the engine the workspace settings name', async () => {
    // The tester saw 5 connections within 8 s of opening the folder; wait out the same window.
    const waitMs = openedAt + 8_000 - Date.now();
    if (waitMs > 0) await new Promise((r) => setTimeout(r, waitMs));
    assert.equal(listener.connections(), 0, `connections to the workspace-named engine on port ${listener.port}`);
  });
});

describe('a hostile fn.json in a trusted workspace: messages quote it without links', () => {
  let session: Session;

  before(async () => {
    session = await openSession('hostile-trusted', { prepare: addHostileFunction });
  });

  after(async () => {
    await session?.close();
  });

  test('Invoke from the code lens explains the fn.json problem, and the key shows as text, not as a link', async () => {
    const { ui, workspace } = session;
    await ui.page.locator('.activitybar [aria-label^="Local Serverless"]').first().click();
    await ui.treeRow(/evil.*misconfigured/).waitFor({ timeout: 30_000 });
    await ui.openFile('evil/handler.js');
    const invokeLens = ui.page.locator('.editor-group-container.active .codelens-decoration a', { hasText: 'Invoke' }).first();
    await invokeLens.waitFor({ timeout: 20_000 });
    await invokeLens.click();
    // The smoke-test driver hides toasts: read the Notifications center, as the recipes say.
    await ui.runCommand('Notifications: Show Notifications');
    const message = ui.page.locator('.notifications-center .notification-list-item', { hasText: 'Fix fn.json' }).first();
    await message.waitFor({ timeout: 20_000 });
    await ui.screenshot('hostile-key-in-notification');
    const text = await message.locator('.notification-list-item-message').innerText();
    assert.match(text, /\[Fix fn\.json\] ?\(command:workbench\.action\.files\.newUntitledFile\)/, 'the key is quoted as the file writes it');
    assert.match(text, /fn\.json/);
    assert.equal(await message.locator('.notification-list-item-message a').count(), 0, 'nothing in the message is a link');
    // Clicking where the link would have been runs nothing: no untitled editor opens.
    await message.locator('.notification-list-item-message').click();
    await new Promise((r) => setTimeout(r, 1_000));
    assert.equal(await ui.page.locator('.tabs-container .tab', { hasText: 'Untitled' }).count(), 0, 'no command ran');
    assert.ok(fs.existsSync(path.join(workspace, 'evil', 'fn.json')));
  });
});
