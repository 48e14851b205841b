import * as assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openSession, runningContainersOfOwner, until, type Session } from './session';
import type { Workbench } from './ui';

/** What a person sees answering at a function's URL. */
async function answers(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' }, signal: AbortSignal.timeout(5_000) })).ok;
  } catch {
    return false;
  }
}

/** Opens the Functions view, then reads this window's owner id and waits until it has talked to the engine (adoption included). */
async function openFunctionsView(ui: Workbench): Promise<string> {
  await ui.page.locator('.activitybar [aria-label^="Local Serverless"]').first().click();
  await ui.treeRow('hello-node').waitFor({ timeout: 30_000 });
  await ui.showOutputChannel('Local Serverless');
  const log = await ui.outputPanelText(/Docker engine at .*: available/, 30_000);
  const owner = /owner id ([0-9a-f]{12})/.exec(log)?.[1];
  assert.ok(owner, `the log names the owner id:\n${log}`);
  return owner;
}

async function buildAndRunHelloNode(ui: Workbench): Promise<string> {
  await ui.openFile('hello-node/handler.js');
  await ui.page.locator('.editor-actions [aria-label^="Build and Run"]').first().click();
  const row = ui.treeRow(/hello-node.*running at http:\/\/127\.0\.0\.1:\d+\/hello-node\//);
  await row.waitFor({ timeout: 90_000 });
  return /http:\/\/127\.0\.0\.1:\d+\/hello-node\//.exec(await row.innerText())![0];
}

/**
 * Two code-servers with separate user data and extensions folders open THE SAME folder on one engine:
 * the honest stand-in for desktop and code-server, Stable and Insiders, or two dev containers with
 * the same path, which cannot run here.
 */
describe('two VS Code instances on one folder and one Docker engine keep to their own containers', () => {
  let a: Session;
  let b: Session;
  let ownerA: string;
  let ownerB: string;
  let urlA: string;
  let urlB: string;
  let containerA: string;

  before(async () => {
    a = await openSession('two-windows-a');
    b = await openSession('two-windows-b', { workspace: a.workspace });
  });

  after(async () => {
    await b?.close();
    await a?.close();
  });

  test('window A: Build and Run starts hello-node', async () => {
    ownerA = await openFunctionsView(a.ui);
    urlA = await buildAndRunHelloNode(a.ui);
    assert.ok(await answers(urlA));
    [containerA] = runningContainersOfOwner(ownerA);
    assert.ok(containerA, 'A\'s container carries A\'s owner label');
    await a.ui.screenshot('a-running');
  });

  test('window B on the same folder does not show A\'s hello-node as running: it has its own owner id and adopts nothing', async () => {
    ownerB = await openFunctionsView(b.ui);
    assert.notEqual(ownerB, ownerA);
    const row = await b.ui.treeRow('hello-node').innerText();
    assert.match(row, /not built/);
    assert.doesNotMatch(row, /running/);
    await b.ui.screenshot('b-not-adopted');
  });

  test('B\'s Clean Up (view title, confirmed) leaves A\'s container running and answering', async () => {
    await b.ui.viewTitleMenuAction('Clean Up Containers and Images');
    await b.ui.answerDialog('Remove');
    await b.ui.runCommand('Notifications: Show Notifications');
    await b.ui.page.locator('.notifications-center .notification-list-item', { hasText: 'Removed 0 container(s) and 0 image tag(s)' }).first().waitFor({ timeout: 20_000 });
    await b.ui.screenshot('b-cleaned-up');
    assert.deepEqual(runningContainersOfOwner(ownerA), [containerA], 'docker ps by A\'s label still shows it');
    assert.ok(await answers(urlA), 'A\'s URL still answers');
    assert.match(await a.ui.treeRow('hello-node').innerText(), /running at/, 'A still shows it running');
  });

  test('B\'s Build and Run gives B its own container on its own port, and A\'s keeps serving', async () => {
    urlB = await buildAndRunHelloNode(b.ui);
    assert.notEqual(new URL(urlB).port, new URL(urlA).port);
    assert.equal(runningContainersOfOwner(ownerB).length, 1);
    assert.deepEqual(runningContainersOfOwner(ownerA), [containerA], 'A\'s container was not replaced');
    assert.ok(await answers(urlB));
    assert.ok(await answers(urlA));
    assert.equal(a.containers().length, 2, 'two containers for the one folder');
    await b.ui.screenshot('b-running');
  });

  test('Ctrl+C on code-server A: A\'s helper removes A\'s container, not B\'s', async () => {
    await a.interruptVsCode();
    await until('A\'s container to be removed', () => !a.containers().includes(containerA), 20_000).catch(() => undefined);
    assert.ok(!a.containers().includes(containerA), 'A\'s container is removed');
    assert.equal(runningContainersOfOwner(ownerB).length, 1, 'B\'s still runs');
    assert.ok(await answers(urlB), 'and answers');
    assert.match(await b.ui.treeRow('hello-node').innerText(), /running at/);
    await b.ui.screenshot('b-after-a-stopped');
  });
});
