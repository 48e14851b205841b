import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openSession, until, type Session } from './session';
import type { Workbench } from './ui';

/**
 * hello-node with a scale block (up to 3 instances of 1 request each, back to zero after 4 s idle)
 * and a handler that takes 300 ms, so a load test needs all three.
 */
function scaleHelloNode(workspace: string): void {
  const folder = path.join(workspace, 'hello-node');
  const config = JSON.parse(fs.readFileSync(path.join(folder, 'fn.json'), 'utf8')) as Record<string, unknown>;
  fs.writeFileSync(path.join(folder, 'fn.json'), JSON.stringify({ ...config, scale: { min: 0, max: 3, concurrency: 1, idleSeconds: 4 } }, null, 2));
  const handler = path.join(folder, 'handler.js');
  fs.writeFileSync(handler, fs.readFileSync(handler, 'utf8').replace(/(exports\.handler = async \(event, context\) => \{)/, '$1\n  await new Promise((r) => setTimeout(r, 300));'));
}

describe('scaling behind the gateway in a real VS Code against the real Docker engine', () => {
  let session: Session;
  let ui: Workbench;
  /** What Open in Browser opened first, to compare after a reload. */
  let firstUrl = '';

  before(async () => {
    session = await openSession('scaling', { prepare: scaleHelloNode });
    ({ ui } = session);
    await ui.showFunctionsView();
    await ui.treeRow('hello-node').waitFor({ timeout: 30_000 });
  });

  after(async () => {
    await session?.close();
  });

  test('Load Test Function from the palette: the activity chart opens beside, the tree reaches 3 instances, then goes back to zero when idle', async () => {
    await ui.ensureRunning('hello-node');
    await ui.runCommand('Local Serverless: Load Test Function');
    await ui.pick('hello-node');
    // Each step waits for its own prompt: typing into the one before it (still closing) would be lost.
    const quickInput = ui.page.locator('.quick-input-widget');
    await quickInput.locator('input[placeholder^="Payload for each request to hello-node"]').waitFor({ timeout: 10_000 });
    await ui.pick('hello');
    await quickInput.locator('.quick-input-title', { hasText: 'Load test hello-node: requests' }).waitFor({ timeout: 10_000 });
    await ui.typeIntoInputBox('60');
    await quickInput.locator('.quick-input-title', { hasText: 'Load test hello-node: concurrency' }).waitFor({ timeout: 10_000 });
    await ui.typeIntoInputBox('6');
    // The chart opens by itself beside the editor while the load runs.
    const chart = ui.page.frameLocator('iframe.webview').frameLocator('iframe').locator('canvas').first();
    await chart.waitFor({ timeout: 30_000 });
    await ui.treeRow(/hello-node.*3 instances/).waitFor({ timeout: 60_000 });
    await ui.treeRow('hello-node').locator('.monaco-tl-twistie').click().catch(() => undefined);
    await ui.screenshot('three-instances-and-activity-chart');
    const summary = await ui.waitForEditorText(/instances\s+peak 3 \(ready or starting\)/, '.monaco-editor .view-lines', 90_000);
    assert.match(summary, /requests\s+60 requests, concurrency 6/);
    assert.match(summary, /replies\s+60: 2xx 60, non-2xx 0/);
    assert.match(summary, /errors\s+0 without a reply/);
    await ui.screenshot('load-test-summary');
    await ui.treeRow(/hello-node.*scaled to zero — starts on the next request/).waitFor({ timeout: 30_000 });
    await until('no instance left', () => session.containers().length === 0, 15_000);
    await ui.screenshot('scaled-to-zero');
  });

  test('Open in Browser reaches the function through the gateway from a remote window (code-server\'s /proxy/ path)', async () => {
    const popup = ui.page.context().waitForEvent('page', { timeout: 30_000 });
    await ui.runCommand('Local Serverless: Open in Browser');
    await ui.pick('hello-node');
    const page = await popup;
    await page.waitForLoadState('domcontentloaded');
    assert.match(page.url(), /\/proxy\/\d+\/hello-node\/$/, `the URL a remote browser reaches: ${page.url()}`);
    firstUrl = page.url();
    // The function scaled to zero: this request starts it, and the gateway holds it until it answers.
    await page.waitForFunction(() => (globalThis as unknown as { document: { body: { innerText: string } } }).document.body.innerText.includes('Hello, world!'), undefined, { timeout: 60_000 });
    await page.close();
  });

  test('the gateway URL stays the same after the window reloads (a new extension host)', async () => {
    assert.ok(firstUrl, 'the Open in Browser test ran first');
    await ui.runCommand('Developer: Reload Window');
    await ui.ready();
    // The reloaded window restores the side bar it had (the Functions view): clicking the view's icon
    // before that restore lands would close it again.
    await ui.page.locator('.part.sidebar .title-label', { hasText: /Local Serverless/i }).first().waitFor({ timeout: 30_000 }).catch(() => undefined);
    await ui.showFunctionsView();
    await ui.treeRow('hello-node').waitFor({ timeout: 60_000 });
    // The reload removed its instances (VS Code closing its window): it runs again on Build and Run.
    await ui.ensureRunning('hello-node');
    const popup = ui.page.context().waitForEvent('page', { timeout: 30_000 });
    await ui.runCommand('Local Serverless: Open in Browser');
    await ui.pick('hello-node');
    const page = await popup;
    await page.waitForLoadState('domcontentloaded');
    assert.equal(page.url(), firstUrl, 'the same URL: the gateway took its port again');
    await page.waitForFunction(() => (globalThis as unknown as { document: { body: { innerText: string } } }).document.body.innerText.includes('Hello, world!'), undefined, { timeout: 60_000 });
    await page.close();
  });
});
