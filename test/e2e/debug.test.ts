import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openSession, until, type Session } from './session';
import type { Workbench } from './ui';

/** Short timeouts, so a reply that comes after a long stop at a breakpoint shows the clocks paused. */
function shortTimeouts(workspace: string): void {
  for (const name of ['hello-node', 'hello-python']) {
    const file = path.join(workspace, name, 'fn.json');
    const config = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    fs.writeFileSync(file, JSON.stringify({ ...config, timeoutSeconds: 2 }, null, 2));
  }
}

/** Figures a run prints for the closing note: read off the function's channel. */
const figures: string[] = [];

describe('Debug Function in a real VS Code against the real Docker engine', () => {
  let session: Session;
  let ui: Workbench;

  before(async () => {
    session = await openSession('debug', { prepare: shortTimeouts });
    ({ ui } = session);
    await ui.showFunctionsView();
    await ui.treeRow('hello-node').waitFor({ timeout: 30_000 });
  });

  after(async () => {
    for (const line of figures) console.log(`# ${line}`);
    await session?.close();
  });

  /** Clicks the editor's gutter (the glyph margin, left of the line numbers) beside `line`, as a person sets a breakpoint. */
  async function clickGutter(line: number, lenses = true): Promise<void> {
    const editor = ui.page.locator('.editor-group-container.active .monaco-editor').first();
    // The code lenses above the handler move the lines down when they appear: click once they are there.
    if (lenses) await editor.locator('.codelens-decoration', { hasText: 'Invoke' }).first().waitFor({ timeout: 30_000 });
    await ui.page.waitForTimeout(300);
    const number = editor.locator('.margin-view-overlays .line-numbers', { hasText: new RegExp(`^${line}$`) }).first();
    await number.waitFor({ timeout: 10_000 });
    const box = await number.boundingBox();
    assert.ok(box, 'the line number is on screen');
    await number.hover();
    await ui.page.mouse.click(box.x - 8, box.y + box.height / 2);
    await editor.locator('.codicon-debug-breakpoint').first().waitFor({ timeout: 10_000 });
  }

  /** The editor shows the debugger stopped on `line` (the top stack frame's decoration). */
  async function stoppedOn(line: number, timeoutMs = 60_000): Promise<void> {
    const editor = ui.page.locator('.editor-group-container.active .monaco-editor').first();
    await editor.locator('.codicon-debug-stackframe').first().waitFor({ timeout: timeoutMs });
    const current = editor.locator('.view-overlays .debug-top-stack-frame-line').first();
    await current.waitFor({ timeout: 5_000 });
    const numberTop = await editor.locator('.margin-view-overlays .line-numbers', { hasText: new RegExp(`^${line}$`) }).first().boundingBox();
    const frameTop = await current.boundingBox();
    assert.ok(numberTop && frameTop && Math.abs(numberTop.y - frameTop.y) < 4, `stopped on line ${line}`);
  }

  /** The debug toolbar's Continue, as a person clicks it. */
  async function clickContinue(): Promise<void> {
    await ui.page.locator('.debug-toolbar .action-label.codicon-debug-continue').first().click();
  }

  async function invokeWithSavedEvent(name: string, event = 'events/hello.json'): Promise<void> {
    await ui.runCommand('Local Serverless: Invoke Function');
    await ui.pick(name);
    await ui.pick(event);
  }

  /** Replaces `from` by `to` in the active editor through Find and Replace, then saves with Ctrl+S. */
  async function editAndSave(from: string, to: string): Promise<number> {
    const editor = ui.page.locator('.editor-group-container.active .monaco-editor .view-lines').first();
    await editor.click();
    await ui.page.keyboard.press('Control+H');
    const find = ui.page.locator('.editor-widget.find-widget textarea[aria-label="Find"], .editor-widget.find-widget .find-part .input').first();
    await find.waitFor({ timeout: 5_000 });
    // The widget keeps what was typed last time: replace it, do not add to it.
    await ui.page.keyboard.press('Control+A');
    await ui.page.keyboard.type(from);
    await ui.page.locator('.editor-widget.find-widget .replace-part textarea, .editor-widget.find-widget .replace-part .input').first().click();
    await ui.page.keyboard.press('Control+A');
    await ui.page.keyboard.type(to);
    await ui.page.keyboard.press('Control+Alt+Enter');
    await ui.page.keyboard.press('Escape');
    await editor.click();
    const saved = Date.now();
    await ui.page.keyboard.press('Control+S');
    return saved;
  }

  async function debugFromPalette(name: string): Promise<void> {
    await ui.runCommand('Local Serverless: Debug Function');
    await ui.pick(name);
  }

  async function channelText(name: string, pattern: RegExp): Promise<string> {
    await ui.showOutputChannel(`Local Serverless: ${name}`);
    return ui.outputPanelText(pattern, 60_000);
  }

  for (const runtime of [
    { name: 'hello-node', file: 'hello-node/handler.js', line: 5, edit: ['Hello, ', 'Howdy, '] as const, label: 'Node.js', start: 'palette' },
    // F5 in the handler, with no launch.json: our debug type is the one for Python files here.
    { name: 'hello-python', file: 'hello-python/handler.py', line: 7, edit: ['Hello, ', 'Howdy, '] as const, label: 'Python', start: 'F5' },
  ]) {
    test(`${runtime.label} (Debug Function from ${runtime.start === 'F5' ? 'F5' : 'the palette'}): a breakpoint set in the gutter stops an Invoke, Continue gives the reply, and after a save it stops again in the new code`, async () => {
      const { name } = runtime;
      // Build and Run first, for the figure it is compared with (from the command to the row saying it runs).
      const buildAndRunStarted = Date.now();
      await ui.ensureRunning(name);
      const buildAndRunMs = Date.now() - buildAndRunStarted;
      await ui.openFile(runtime.file);
      await clickGutter(runtime.line);
      await ui.screenshot(`${name}-breakpoint-set`);

      const debugStarted = Date.now();
      if (runtime.start === 'F5') {
        // F5 goes to the focused editor: wait for the focus before pressing it, or the key is lost.
        await ui.page.locator('.editor-group-container.active .monaco-editor .view-lines').first().click();
        await ui.page.locator('.editor-group-container.active .monaco-editor.focused').first().waitFor({ timeout: 10_000 });
        await ui.page.keyboard.press('F5');
        // Should VS Code ask which debugger (another one interested in Python), ours is the one.
        const picker = ui.page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'Local Serverless' }).first();
        if (await picker.waitFor({ timeout: 3_000 }).then(() => true, () => false)) await picker.click();
      } else {
        await debugFromPalette(name);
      }
      await ui.showFunctionsView();
      await ui.treeRow(new RegExp(`${name}.*debugging`)).waitFor({ timeout: 90_000 });
      await ui.page.locator('.debug-toolbar').first().waitFor({ timeout: 30_000 });
      const debugMs = Date.now() - debugStarted;
      const attached = await channelText(name, /debugger attached to \S+ after [\d.]+ s/);
      figures.push(`${name}: in the UI, Build and Run → running ${buildAndRunMs} ms; Debug Function (${runtime.start}) → debugging and the debug toolbar up ${debugMs} ms; the channel: ${/debugger attached to \S+ after [\d.]+ s/.exec(attached)?.[0]}, ${/running at \S+ \(\S+; build [\d.]+ s, start [\d.]+ s\)/.exec(attached)?.[0] ?? ''}`);

      await ui.openFile(runtime.file);
      await invokeWithSavedEvent(name);
      await stoppedOn(runtime.line);
      // The call stack and the variables show the event.
      const scope = ui.page.locator('.monaco-list-row', { hasText: /^Locals?\b/ }).first();
      await scope.waitFor({ timeout: 15_000 });
      if ((await scope.getAttribute('aria-expanded')) !== 'true') await scope.click();
      await ui.page.locator('.monaco-list-row', { hasText: /^event\s*[:=]/ }).first().waitFor({ timeout: 15_000 });
      await ui.screenshot(`${name}-stopped-at-breakpoint`);
      // Held longer than timeoutSeconds (2 s): the clocks are paused, so the reply still comes.
      await new Promise((r) => setTimeout(r, 3_000));
      await clickContinue();
      await ui.waitForEditorText('"message": "Hello, Local Serverless!"', '.monaco-editor .view-lines', 30_000);
      await ui.screenshot(`${name}-reply-after-continue`);

      await ui.openFile(runtime.file);
      const saved = await editAndSave(...runtime.edit);
      await until('the saved edit', () => fs.readFileSync(path.join(session.workspace, runtime.file), 'utf8').includes('Howdy, '), 10_000);
      const synced = await channelText(name, /changed → sync .* new code serving after \d+ ms/);
      figures.push(`${name}: save → ${/changed → sync .* new code serving after \d+ ms/.exec(synced)?.[0]}`);
      await ui.openFile(runtime.file);
      const invoked = Date.now();
      await invokeWithSavedEvent(name);
      await stoppedOn(runtime.line);
      figures.push(`${name}: from Ctrl+S to stopped in the new code ${Date.now() - saved} ms (of which the invoke ${Date.now() - invoked} ms)`);
      await ui.screenshot(`${name}-stopped-in-new-code`);
      await clickContinue();
      await ui.waitForEditorText('"message": "Howdy, Local Serverless!"', '.monaco-editor .view-lines', 30_000);

      // Ending the session leaves the function running, without the debugger.
      await ui.page.locator('.debug-toolbar .action-label.codicon-debug-disconnect, .debug-toolbar .action-label.codicon-debug-stop').first().click();
      await ui.showFunctionsView();
      await ui.page.locator('.pane-body .monaco-list-row', { hasText: new RegExp(`${name}.*debugging`) }).first().waitFor({ state: 'detached', timeout: 60_000 });
      await ui.treeRow(new RegExp(`${name}.*running at`)).waitFor({ timeout: 30_000 });
    });
  }

  test('an image that does not reload (existing-python-app, no fn.json): a save rebuilds, the session moves to the new instance by itself and stops in the new code', async () => {
    const name = 'existing-python-app';
    const file = 'existing-python-app/app.py';
    await ui.openFile(file);
    await clickGutter(14, false);
    // From the editor title, beside Build and Run.
    await ui.page.locator('.editor-actions [aria-label^="Debug Function"]').first().click();
    await ui.showFunctionsView();
    await ui.treeRow(new RegExp(`${name}.*debugging`)).waitFor({ timeout: 120_000 });
    await ui.openFile(file);
    await invokeWithSavedEvent(name, 'events/order.json');
    await stoppedOn(14);
    await clickContinue();
    await ui.waitForEditorText('"service": "existing-python-app"', '.monaco-editor .view-lines', 30_000);

    await ui.openFile(file);
    const saved = await editAndSave('"service": "existing-python-app"', '"service": "edited-app"');
    await until('the saved edit', () => fs.readFileSync(path.join(session.workspace, file), 'utf8').includes('"service": "edited-app"'), 10_000);
    const moved = await channelText(name, /debugger attached again to \S+ \(new instance\)/);
    figures.push(`${name}: save → ${/changed → rebuild .* new code serving after \d+ ms/.exec(moved)?.[0] ?? '(rebuild line not found)'}; then the session moved to the new instance`);
    await ui.openFile(file);
    await invokeWithSavedEvent(name, 'events/order.json');
    await stoppedOn(14);
    figures.push(`${name}: from Ctrl+S to stopped in the rebuilt instance ${Date.now() - saved} ms`);
    await ui.screenshot(`${name}-stopped-after-rebuild`);
    await clickContinue();
    await ui.waitForEditorText('"service": "edited-app"', '.monaco-editor .view-lines', 30_000);
    await ui.page.locator('.debug-toolbar .action-label.codicon-debug-disconnect, .debug-toolbar .action-label.codicon-debug-stop').first().click();
    await ui.showFunctionsView();
    await ui.page.locator('.pane-body .monaco-list-row', { hasText: new RegExp(`${name}.*debugging`) }).first().waitFor({ state: 'detached', timeout: 60_000 });
  });

  test('Stop Function ends the debug session', async () => {
    // From the "Debug" code lens on the handler (in the first editor group, where the handlers are open).
    const tab = ui.page.locator('.tabs-container .tab', { hasText: 'handler.js' }).first();
    if (await tab.isVisible()) await tab.click();
    else await ui.openFile('hello-node/handler.js');
    await ui.page.locator('.editor-group-container.active .codelens-decoration a', { hasText: /^\s*Debug$/ }).first().click();
    await ui.showFunctionsView();
    await ui.treeRow(/hello-node.*debugging/).waitFor({ timeout: 90_000 });
    await ui.page.locator('.debug-toolbar').first().waitFor({ timeout: 30_000 });
    await ui.runCommand('Local Serverless: Stop Function');
    await ui.pick('hello-node');
    await ui.page.locator('.debug-toolbar').first().waitFor({ state: 'hidden', timeout: 30_000 });
    await ui.showFunctionsView();
    await ui.treeRow(/hello-node.*stopped/).waitFor({ timeout: 30_000 });
  });
});
