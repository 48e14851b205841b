import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openSession, until, type Session } from './session';
import type { Workbench } from './ui';

describe('the function workflow and the inner loop in a real VS Code against the real Docker engine', () => {
  let session: Session;
  let ui: Workbench;
  let workspace: string;

  before(async () => {
    session = await openSession('workflow');
    ({ ui, workspace } = session);
    await ui.page.locator('.activitybar [aria-label^="Local Serverless"]').first().click();
    await ui.treeRow('hello-node').waitFor({ timeout: 30_000 });
  });

  after(async () => {
    await session?.close();
  });

  test('an existing Dockerfile project without fn.json is listed as a function', async () => {
    assert.match(await ui.treeRow('existing-python-app').innerText(), /Python · not built/);
  });

  /** New Function from the palette, as a person does it: the Python function py-e2e, its handler opened. */
  async function scaffoldPyE2e(): Promise<void> {
    await ui.runCommand('Local Serverless: New Function');
    await ui.typeIntoInputBox('py-e2e');
    await ui.pick('Python 3.11');
    await until('handler.py', () => fs.existsSync(path.join(workspace, 'py-e2e', 'handler.py')));
    await ui.page.locator('.tabs-container .tab.active', { hasText: 'handler.py' }).waitFor({ timeout: 15_000 });
    await ui.treeRow('py-e2e').waitFor({ timeout: 10_000 });
  }

  /** The tests below use py-e2e; each makes sure it exists (and, where needed, runs), so each stands alone. */
  async function ensurePyE2e(): Promise<void> {
    if (!fs.existsSync(path.join(workspace, 'py-e2e', 'handler.py'))) await scaffoldPyE2e();
  }

  test('New Function from the palette scaffolds a Python function and opens its handler', async () => {
    fs.rmSync(path.join(workspace, 'py-e2e'), { recursive: true, force: true });
    await scaffoldPyE2e();
    await ui.screenshot('python-scaffolded');
  });

  test('Build and Run from the editor title starts it; invoking a saved event from the tree answers', async () => {
    await ensurePyE2e();
    await ui.openFile('py-e2e/handler.py');
    await ui.page.locator('.editor-actions [aria-label^="Build and Run"]').first().click();
    await ui.treeRow(/py-e2e.*running at http:\/\/127\.0\.0\.1:\d+/).waitFor({ timeout: 90_000 });
    await ui.treeRow('py-e2e').locator('.monaco-tl-twistie').click();
    const event = ui.page.locator('.pane-body .monaco-list-row[aria-level="2"]', { hasText: 'hello' }).first();
    await event.waitFor({ timeout: 10_000 });
    await event.click();
    const reply = await ui.waitForEditorText('"message": "Hello, Local Serverless!"');
    assert.match(reply, /\/\/ 200 OK in [\d.]+ ms[\s\S]*"from": "py-e2e"/);
    await ui.screenshot('invoked-from-tree');
  });

  test('typing a change into the handler and saving serves the new code: Invoke from the palette shows it', async () => {
    await ensurePyE2e();
    await ui.ensureRunning('py-e2e');
    await ui.openFile('py-e2e/handler.py');
    const editor = ui.page.locator('.editor-group-container.active .monaco-editor .view-lines').first();
    await editor.click();
    await ui.page.keyboard.press('Control+G');
    await ui.page.keyboard.type('7');
    await ui.page.keyboard.press('Enter');
    await ui.page.keyboard.press('End');
    await ui.page.keyboard.press('Shift+Home');
    await ui.page.keyboard.type('return {"message": "Edited in the editor"');
    await ui.page.keyboard.press('Control+S');
    await until('the saved edit', () => fs.readFileSync(path.join(workspace, 'py-e2e', 'handler.py'), 'utf8').includes('return {"message": "Edited in the editor"}'), 10_000);
    await ui.outputPanelText(/handler\.py changed → sync .* new code serving after \d+ ms/);
    await ui.screenshot('saved');
    await ui.runCommand('Local Serverless: Invoke Function');
    await ui.pick('py-e2e');
    await ui.pick('events/hello.json');
    await ui.waitForEditorText('"message": "Edited in the editor"');
    await ui.screenshot('new-answer');
  });

  test('with no engine reachable the view says which socket it tried and offers Retry; it recovers', async () => {
    await ensurePyE2e();
    await ui.ensureRunning('py-e2e');
    const settings = path.join(workspace, '.vscode', 'settings.json');
    fs.mkdirSync(path.dirname(settings), { recursive: true });
    fs.writeFileSync(settings, JSON.stringify({ 'localServerless.dockerHost': 'unix:///tmp/no-engine-here.sock' }));
    const row = ui.treeRow('Docker engine not reachable');
    await row.waitFor({ timeout: 20_000 });
    await row.hover();
    await ui.page.locator('.monaco-hover, .workbench-hover-container', { hasText: 'unix:///tmp/no-engine-here.sock' }).first().waitFor({ timeout: 10_000 });
    await ui.screenshot('engine-down');
    fs.writeFileSync(settings, '{}');
    await row.waitFor({ state: 'detached', timeout: 20_000 });
    await ui.treeRow(/py-e2e.*running at/).waitFor({ timeout: 10_000 });
    await ui.screenshot('engine-back');
  });

  test('Ctrl+C on code-server (VS Code gone without deactivating the extension) leaves no container running', async () => {
    await ensurePyE2e();
    await ui.ensureRunning('py-e2e');
    assert.equal(session.containers().length, 1, 'py-e2e runs');
    await session.interruptVsCode();
    await until('the containers to be removed', () => session.containers().length === 0, 15_000).catch(() => undefined);
    assert.deepEqual(session.containers(), []);
  });
});
