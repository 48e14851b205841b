import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ARTIFACTS, REPO_ROOT } from '../harness/codeServer';
import { openSession, until, type Session } from './session';
import type { Workbench } from './ui';

/**
 * The Getting Started walkthrough, walked for real: each step's command in code-server against the
 * real engine, on a folder that starts empty, and a picture of each for the walkthrough. The pictures
 * go to .test-artifacts/walkthrough-media/ (cropped, compressed with pngquant when it is installed);
 * with LOCAL_SERVERLESS_WALKTHROUGH_MEDIA=1 they also replace media/walkthrough/*.png, the images
 * the extension ships. Then the walkthrough itself is opened and each step checked for its image.
 */
const MEDIA = path.join(REPO_ROOT, 'media', 'walkthrough');
const CROPPED = path.join(ARTIFACTS, 'walkthrough-media');
const WRITE_MEDIA = process.env.LOCAL_SERVERLESS_WALKTHROUGH_MEDIA === '1';
const VIEWPORT = { width: 1280, height: 800 };
/** Editors that fit the pictures: lines wrapped (at 56 columns at most) rather than cut, no minimap or breadcrumbs beside them. */
const SETTINGS = { 'editor.wordWrap': 'bounded', 'editor.wordWrapColumn': 56, 'editor.minimap.enabled': false, 'breadcrumbs.enabled': false, 'editor.lightbulb.enabled': 'off' };

/** An empty folder with a name that reads well in the window's title. */
function emptyFolder(): string {
  const folder = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ls-walkthrough-')), 'my-functions');
  fs.mkdirSync(folder);
  return folder;
}

/** PNG screenshots of VS Code are flat colours: 256 of them lose nothing one sees, at a quarter of the bytes. */
function compress(file: string): void {
  try {
    execFileSync('pngquant', ['--force', '--skip-if-larger', '--strip', '--output', file, '256', file], { stdio: 'pipe' });
  } catch (error) {
    const { code, status } = error as { code?: string; status?: number };
    if (code === 'ENOENT') console.log('# pngquant is not installed: the walkthrough images are left uncompressed');
    else if (status !== 98 && status !== 99) throw error; // 98: compressing would not make it smaller; 99: quality
  }
}

describe('the Getting Started walkthrough, walked in a real VS Code against the real Docker engine', () => {
  let session: Session;
  let ui: Workbench;
  let workspace: string;

  /**
   * Saves the window (into the e2e screenshots) and `clip` of it as the walkthrough's image for `step`.
   * The walkthrough shows an image about 520 px wide, so each is cut down to what its step is about.
   */
  async function capture(step: string, clip = { x: 0, y: 0, ...VIEWPORT }): Promise<void> {
    // The pointer rests where it hovers nothing, so no tooltip or hover highlight is in the picture.
    await ui.page.mouse.move(VIEWPORT.width - 2, VIEWPORT.height / 2);
    await ui.page.waitForTimeout(400);
    await ui.screenshot(step);
    fs.mkdirSync(CROPPED, { recursive: true });
    const file = path.join(CROPPED, `${step}.png`);
    await ui.page.screenshot({ path: file, clip });
    compress(file);
    if (WRITE_MEDIA) fs.copyFileSync(file, path.join(MEDIA, `${step}.png`));
  }

  /**
   * Waits until an editor (or, with `scope`, the Output panel) shows text matching `pattern`, with every
   * run of white space read as one space: the narrow editors here wrap long lines.
   */
  async function waitForText(pattern: RegExp, scope = '.monaco-editor .view-lines', timeoutMs = 30_000): Promise<string> {
    const handle = await ui.page.waitForFunction(({ scope, source, flags }) => {
      const doc = (globalThis as unknown as { document: { querySelectorAll(s: string): ArrayLike<{ innerText: string }> } }).document;
      for (const el of Array.from(doc.querySelectorAll(scope))) {
        const text = el.innerText.replace(/\s+/g, ' ');
        if (new RegExp(source, flags).test(text)) return text;
      }
      return undefined;
    }, { scope, source: pattern.source, flags: pattern.flags }, { timeout: timeoutMs });
    return (await handle.jsonValue()) as string;
  }
  const OUTPUT = '.part.panel .monaco-editor .view-lines';

  /** The window right of the side bar: the editors above the panel. */
  async function editorsAndPanel(): Promise<{ x: number; y: number; width: number; height: number }> {
    const sidebar = await ui.page.locator('.part.sidebar').boundingBox();
    assert.ok(sidebar);
    const x = Math.round(sidebar.x + sidebar.width);
    return { x, y: Math.round(sidebar.y), width: VIEWPORT.width - x, height: Math.round(sidebar.height) };
  }

  before(async () => {
    workspace = emptyFolder();
    session = await openSession('walkthrough', { workspace, viewport: VIEWPORT, settings: SETTINGS });
    ({ ui } = session);
    await ui.showFunctionsView();
    await ui.page.locator('.pane-body .welcome-view-content', { hasText: 'No functions in this workspace yet' }).waitFor({ timeout: 30_000 });
    await ui.screenshot('welcome-no-functions');
  });

  after(async () => {
    await session?.close();
    fs.rmSync(path.dirname(workspace), { recursive: true, force: true });
  });

  test('1. New Function: a Node.js function hello, its handler open', async () => {
    await ui.runCommand('Local Serverless: New Function');
    await ui.typeIntoInputBox('hello');
    await ui.pick('Node.js 20');
    await until('handler.js', () => fs.existsSync(path.join(workspace, 'hello', 'handler.js')));
    await ui.page.locator('.tabs-container .tab.active', { hasText: 'handler.js' }).waitFor({ timeout: 15_000 });
    await ui.treeRow('hello').waitFor({ timeout: 15_000 });
    await ui.treeRow('hello').locator('.monaco-tl-twistie').click();
    await ui.page.locator('.pane-body .monaco-list-row[aria-level="2"]', { hasText: 'hello' }).first().waitFor({ timeout: 10_000 });
    // The view and the handler, wrapped: the rest of the window is empty yet.
    await capture('new-function', { x: 0, y: 0, width: 920, height: 300 });
  });

  test('2. Build and Run from the editor title: hello runs at its URL, its build and log in the Output panel', async () => {
    // Up to 3 instances of one request each, for the load test's picture.
    const config = path.join(workspace, 'hello', 'fn.json');
    fs.writeFileSync(config, JSON.stringify({ ...JSON.parse(fs.readFileSync(config, 'utf8')) as object, scale: { min: 0, max: 3, concurrency: 1 } }, null, 2) + '\n');
    // A wider side bar, as a person drags it, so the function's row shows its URL.
    const sidebar = await ui.page.locator('.part.sidebar').boundingBox();
    assert.ok(sidebar, 'the side bar is open');
    await ui.page.mouse.move(sidebar.x + sidebar.width + 1, sidebar.y + sidebar.height / 2);
    await ui.page.mouse.down();
    await ui.page.mouse.move(sidebar.x + sidebar.width + 120, sidebar.y + sidebar.height / 2, { steps: 5 });
    await ui.page.mouse.up();
    await ui.openFile('hello/handler.js');
    await ui.page.locator('.editor-actions [aria-label^="Build and Run"]').first().click();
    await ui.treeRow(/hello.*running at http:\/\/127\.0\.0\.1:\d+/).waitFor({ timeout: 120_000 });
    await ui.showOutputChannel('Local Serverless: hello');
    await waitForText(/running at http:\/\/127\.0\.0\.1:\d+/, OUTPUT);
    // Back in the editor, whose title bar holds the Build and Run button.
    await ui.page.locator('.editor-group-container.active .monaco-editor .view-lines').first().click();
    await capture('build-and-run');
  });

  test('3. Invoke Function with the saved event: the reply opens beside the handler', async () => {
    await ui.openFile('hello/handler.js');
    await ui.runCommand('Local Serverless: Invoke Function');
    await ui.pick('hello');
    await ui.pick('events/hello.json');
    const reply = await waitForText(/"message": "Hello, Local Serverless!"/);
    assert.match(reply, /\/\/ 200 OK in [\d.]+ ms/);
    // The editors and the panel: the handler, the reply beside it, the invoke's line in the output.
    await capture('invoke', await editorsAndPanel());
  });

  test('4. Edit and save: the new code serves without a rebuild, and the next invoke shows it', async () => {
    await ui.openFile('hello/handler.js');
    const editor = ui.page.locator('.editor-group-container.active .monaco-editor .view-lines').first();
    await editor.click();
    await ui.page.keyboard.press('Control+H');
    await ui.page.locator('.editor-widget.find-widget').first().waitFor({ timeout: 5_000 });
    await ui.page.keyboard.press('Control+A');
    await ui.page.keyboard.type('Hello, ');
    await ui.page.locator('.editor-widget.find-widget .replace-part textarea, .editor-widget.find-widget .replace-part .input').first().click();
    await ui.page.keyboard.press('Control+A');
    await ui.page.keyboard.type('Hi from the saved code, ');
    await ui.page.keyboard.press('Control+Alt+Enter');
    await ui.page.keyboard.press('Escape');
    await editor.click();
    await ui.page.keyboard.press('Control+S');
    await until('the saved edit', () => fs.readFileSync(path.join(workspace, 'hello', 'handler.js'), 'utf8').includes('Hi from the saved code, '), 10_000);
    await ui.showOutputChannel('Local Serverless: hello');
    await waitForText(/handler\.js changed → sync .* new code serving after \d+ ms/, OUTPUT);
    await ui.runCommand('Local Serverless: Invoke Function');
    await ui.pick('hello');
    await ui.pick('events/hello.json');
    await waitForText(/"message": "Hi from the saved code, Local Serverless!"/);
    await capture('edit-and-save', await editorsAndPanel());
  });

  test('5. Load Test Function: the activity chart beside, the tree reaching 3 instances, the summary', async () => {
    await ui.runCommand('Local Serverless: Load Test Function');
    await ui.pick('hello');
    const quickInput = ui.page.locator('.quick-input-widget');
    await quickInput.locator('input[placeholder^="Payload for each request to hello"]').waitFor({ timeout: 10_000 });
    await ui.pick('hello');
    await quickInput.locator('.quick-input-title', { hasText: 'Load test hello: requests' }).waitFor({ timeout: 10_000 });
    await ui.typeIntoInputBox('2000');
    await quickInput.locator('.quick-input-title', { hasText: 'Load test hello: concurrency' }).waitFor({ timeout: 10_000 });
    await ui.typeIntoInputBox('6');
    const chart = ui.page.frameLocator('iframe.webview').frameLocator('iframe').locator('canvas').first();
    await chart.waitFor({ timeout: 30_000 });
    const summary = await waitForText(/replies 2000: 2xx \d+, non-2xx \d+.*errors \d+ without a reply/, '.monaco-editor .view-lines', 120_000);
    console.log(`# ${/requests .*/.exec(summary)?.[0] ?? summary}`);
    assert.match(summary, /errors 0 without a reply/);
    if (await ui.treeRow('hello').getAttribute('aria-expanded') !== 'true') await ui.treeRow('hello').locator('.monaco-tl-twistie').click();
    await ui.page.locator('.pane-body .monaco-list-row[aria-level="2"]', { hasText: 'hello-3' }).first().waitFor({ timeout: 10_000 });
    await capture('load-test');
  });

  test('6. Debug Function: a breakpoint in the handler stops an invoke, the event in Variables', async () => {
    // Out of the activity chart's webview, which keeps the keys it is sent: a click on the handler's tab.
    await ui.page.locator('.tabs-container .tab', { hasText: 'handler.js' }).first().click();
    await ui.openFile('hello/handler.js');
    const editor = ui.page.locator('.editor-group-container.active .monaco-editor').first();
    await editor.locator('.codelens-decoration', { hasText: 'Invoke' }).first().waitFor({ timeout: 30_000 });
    await ui.page.waitForTimeout(300);
    const line = editor.locator('.margin-view-overlays .line-numbers', { hasText: /^5$/ }).first();
    const box = await line.boundingBox();
    assert.ok(box, 'line 5 is on screen');
    await line.hover();
    await ui.page.mouse.click(box.x - 8, box.y + box.height / 2);
    await editor.locator('.codicon-debug-breakpoint').first().waitFor({ timeout: 10_000 });
    await ui.runCommand('Local Serverless: Debug Function');
    await ui.pick('hello');
    await ui.page.locator('.debug-toolbar').first().waitFor({ timeout: 90_000 });
    await ui.runCommand('Local Serverless: Invoke Function');
    await ui.pick('hello');
    await ui.pick('events/hello.json');
    await ui.page.locator('.editor-group-container.active .monaco-editor .codicon-debug-stackframe').first().waitFor({ timeout: 60_000 });
    const scope = ui.page.locator('.monaco-list-row', { hasText: /^Locals?\b/ }).first();
    await scope.waitFor({ timeout: 15_000 });
    if ((await scope.getAttribute('aria-expanded')) !== 'true') await scope.click();
    await ui.page.locator('.monaco-list-row', { hasText: /^event\s*[:=]/ }).first().waitFor({ timeout: 15_000 });
    // The variables and the line the debugger stopped on.
    await capture('debug', { x: 0, y: 0, width: 880, height: 460 });
    await ui.page.locator('.debug-toolbar .action-label.codicon-debug-continue').first().click();
    await waitForText(/"message": "Hi from the saved code, Local Serverless!"/);
    await ui.page.locator('.debug-toolbar .action-label.codicon-debug-stop, .debug-toolbar .action-label.codicon-debug-disconnect').first().click();
    await ui.page.locator('.debug-toolbar').first().waitFor({ state: 'hidden', timeout: 30_000 });
  });

  test('the walkthrough opens from "Welcome: Open Walkthrough..." and shows every step with its image', async () => {
    // The walkthrough in the whole window, as it opens on a first start.
    await ui.runCommand('View: Close All Editors');
    await ui.runCommand('View: Hide Panel');
    await ui.runCommand('View: Close Primary Side Bar');
    await ui.runCommand('Welcome: Open Walkthrough...');
    await ui.pick('Get Started with Local Serverless');
    const container = ui.page.locator('.gettingStartedContainer');
    await container.waitFor({ timeout: 15_000 });
    const titles = ['Create a function', 'Build and run it', 'Invoke it', 'Change it and save', 'Load test it', 'Debug it'];
    const images = ['new-function', 'build-and-run', 'invoke', 'edit-and-save', 'load-test', 'debug'];
    for (const [index, title] of titles.entries()) {
      const step = container.locator('.getting-started-step', { hasText: title }).first();
      await step.waitFor({ timeout: 10_000 });
      await step.click();
      // The image (a srcset) is the extension's file through code-server, its path URL-encoded: shown once loaded.
      await ui.page.waitForFunction((name) => {
        const doc = (globalThis as unknown as { document: { querySelectorAll(s: string): ArrayLike<{ currentSrc: string; srcset: string; complete: boolean; naturalWidth: number }> } }).document;
        return Array.from(doc.querySelectorAll('.gettingStartedContainer .getting-started-media img'))
          .some((img) => decodeURIComponent(img.currentSrc || img.srcset).includes(`media/walkthrough/${name}.png`) && img.complete && img.naturalWidth > 0);
      }, images[index], { timeout: 10_000 });
      await ui.screenshot(`walkthrough-step-${index + 1}`);
    }
    // A step's button runs its command: Invoke Function asks which function.
    await container.locator('.getting-started-step', { hasText: 'Invoke it' }).first().click();
    await container.locator('.getting-started-step.expanded .monaco-button', { hasText: 'Invoke Function' }).first().click();
    await ui.page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'hello' }).first().waitFor({ timeout: 15_000 });
    await ui.screenshot('walkthrough-button-invoke');
    await ui.page.keyboard.press('Escape');
  });
});
