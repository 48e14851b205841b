import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { openSession, type Session } from './session';

/** An empty folder, with `.vscode/settings.json` holding `settings` when given. */
function emptyFolder(settings?: Record<string, unknown>): string {
  const folder = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ls-welcome-')), 'my-functions');
  fs.mkdirSync(folder);
  if (settings) {
    fs.mkdirSync(path.join(folder, '.vscode'));
    fs.writeFileSync(path.join(folder, '.vscode', 'settings.json'), JSON.stringify(settings));
  }
  return folder;
}

describe('the Functions view\'s welcome content in a real VS Code', () => {
  const sessions: Session[] = [];
  after(async () => {
    for (const session of sessions) await session.close();
  });

  test('a window with no folder says to open one; Open Folder asks for it, and New Function is not offered', async () => {
    const session = await openSession('welcome-no-folder', { noFolder: true, workspace: emptyFolder() });
    sessions.push(session);
    const { ui } = session;
    await ui.showFunctionsView();
    const welcome = ui.page.locator('.part.sidebar .welcome-view-content', { hasText: 'Functions live in a folder' });
    await welcome.waitFor({ timeout: 30_000 });
    assert.equal(await ui.page.locator('.part.sidebar .welcome-view-content', { hasText: 'New Function' }).count(), 0);
    assert.equal(await ui.page.locator('.part.sidebar .title-actions [aria-label^="New Function"]').count(), 0, 'no New Function in the title bar');
    await ui.screenshot('no-folder');
    await welcome.locator('.monaco-button', { hasText: 'Open Folder' }).click();
    // code-server asks through its own file dialog, a quick input at the home folder.
    await ui.page.locator('.quick-input-widget .quick-input-title, .quick-input-widget .quick-input-header', { hasText: /Open Folder/ }).first().waitFor({ timeout: 15_000 });
    await ui.screenshot('open-folder-asked');
    await ui.page.keyboard.press('Escape');
  });

  test('an engine that cannot be reached: what to do, Retry, the setting and the README; gone once the engine is', async () => {
    const workspace = emptyFolder({ 'localServerless.dockerHost': 'unix:///tmp/no-engine-here.sock' });
    const session = await openSession('welcome-engine-unreachable', { workspace });
    sessions.push(session);
    const { ui } = session;
    await ui.showFunctionsView();
    const welcome = ui.page.locator('.part.sidebar .welcome-view-content', { hasText: 'Docker engine cannot be reached' });
    await welcome.waitFor({ timeout: 30_000 });
    // New Function needs no engine: offered below.
    await ui.page.locator('.part.sidebar .welcome-view-content', { hasText: 'No functions in this workspace yet' }).waitFor({ timeout: 10_000 });
    // With a folder, the title bar offers New Function (the no-folder test looks for the same button).
    await ui.page.locator('.part.sidebar .title-actions [aria-label^="New Function"]').first().waitFor({ timeout: 10_000 });
    await ui.screenshot('engine-unreachable');

    await welcome.locator('.monaco-button', { hasText: 'Retry' }).click();
    await ui.page.waitForTimeout(1_000);
    await welcome.waitFor({ timeout: 10_000 });

    await welcome.locator('.monaco-button', { hasText: 'Set the Engine Address' }).click();
    await ui.page.locator('.settings-editor', { hasText: 'Docker Engine API endpoint' }).first().waitFor({ timeout: 15_000 });
    await ui.screenshot('engine-setting');

    await welcome.locator('a', { hasText: 'open the README' }).click();
    // The README in the VSIX, in VS Code's Markdown preview (no network needed): its Platforms section is there.
    await ui.page.locator('.tabs-container .tab.active', { hasText: 'README' }).waitFor({ timeout: 15_000 });
    await ui.page.frameLocator('iframe.webview').frameLocator('iframe').locator('h2', { hasText: 'Platforms' }).first().waitFor({ timeout: 15_000 });
    await ui.screenshot('readme');

    fs.writeFileSync(path.join(workspace, '.vscode', 'settings.json'), '{}');
    await welcome.waitFor({ state: 'detached', timeout: 20_000 });
    await ui.page.locator('.part.sidebar .welcome-view-content', { hasText: 'No functions in this workspace yet' }).waitFor({ timeout: 10_000 });
    await ui.screenshot('engine-back');
  });
});
