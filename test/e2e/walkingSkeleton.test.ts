import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openSession, until, type Session } from './session';
import type { Workbench } from './ui';

describe('walking skeleton in a real VS Code (code-server) against the real Docker engine', () => {
  let session: Session;
  let ui: Workbench;
  let workspace: string;

  before(async () => {
    session = await openSession('walking-skeleton');
    ({ ui, workspace } = session);
  });

  after(async () => {
    await session?.close();
  });

  test('the activity bar holds Local Serverless with a Functions view listing the examples', async () => {
    await ui.page.locator('.activitybar [aria-label^="Local Serverless"]').first().click();
    await ui.treeRow('hello-node').waitFor({ timeout: 30_000 });
    await ui.treeRow('hello-python').waitFor({ timeout: 10_000 });
    assert.match(await ui.treeRow('hello-node').innerText(), /Node\.js · not built/);
    await ui.screenshot('functions-view');
  });

  test('Build and Run in the editor title builds and starts the function shown in the editor', async () => {
    await ui.openFile('hello-node/handler.js');
    const button = ui.page.locator('.editor-actions [aria-label^="Build and Run"]').first();
    await button.waitFor({ timeout: 10_000 });
    await ui.screenshot('handler-open');
    await button.click();
    await ui.treeRow(/hello-node.*running at http:\/\/127\.0\.0\.1:\d+/).waitFor({ timeout: 90_000 });
    const build = await ui.outputPanelText('running at http://127.0.0.1:');
    assert.match(build, /\[build\] Successfully tagged local-serverless\/hello-node-/, 'build output is in the function\'s channel, marked');
    await ui.screenshot('running');
  });

  test('Invoke Function from the palette with the saved event shows the reply beside the editor and logs in Output', async () => {
    await ui.runCommand('Local Serverless: Invoke Function');
    await ui.pick('hello-node');
    await ui.pick('events/hello.json');
    const reply = await ui.waitForEditorText('"message": "Hello, Local Serverless!"');
    assert.match(reply, /\/\/ 200 OK in [\d.]+ ms/);
    const output = await ui.outputPanelText('hello-node: POST /');
    assert.match(output, /invoke POST \/ → 200 in [\d.]+ ms/);
    await ui.screenshot('invoked');
  });

  test('New Function from the view title writes a function and opens its handler', async () => {
    await ui.page.locator('.pane-header [aria-label^="New Function"], .title-actions [aria-label^="New Function"]').first().click();
    await ui.typeIntoInputBox('made-in-e2e');
    await ui.pick('Node.js 20');
    const folder = path.join(workspace, 'made-in-e2e');
    await until('the handler to be written', () => fs.existsSync(path.join(folder, 'handler.js')));
    await ui.page.locator('.breadcrumbs-control', { hasText: 'made-in-e2e' }).first().waitFor({ timeout: 15_000 });
    for (const file of ['handler.js', 'server.js', 'Dockerfile', '.dockerignore', 'package.json', 'events/hello.json']) {
      assert.ok(fs.existsSync(path.join(workspace, 'made-in-e2e', file)), `${file} written`);
    }
    await ui.treeRow('made-in-e2e').waitFor({ timeout: 10_000 });
    await ui.screenshot('new-function');
  });

  test('Stop Function stops and removes the container', async () => {
    await ui.ensureRunning('hello-node');
    await ui.runCommand('Local Serverless: Stop Function');
    await ui.pick('hello-node');
    await ui.treeRow(/hello-node.*stopped/).waitFor({ timeout: 20_000 });
    assert.deepEqual(session.containers(), []);
    await ui.screenshot('stopped');
  });

  test('nothing is left running when the extension host shuts down', async () => {
    await ui.ensureRunning('hello-python');
    assert.ok(session.containers().length >= 1);
    // Reloading the window shuts the extension host down as closing VS Code does.
    await ui.runCommand('Developer: Reload Window');
    await until('the containers to be removed', () => session.containers().length === 0, 20_000).catch(() => undefined);
    assert.deepEqual(session.containers(), []);
    await ui.ready();
  });
});
