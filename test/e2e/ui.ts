import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';

/** Small, readable steps a person takes in the VS Code workbench, for the end-to-end tests. */
export class Workbench {
  private shotIndex = 0;

  constructor(readonly page: Page, private readonly shotsDir: string) {
    fs.mkdirSync(shotsDir, { recursive: true });
  }

  async ready(): Promise<void> {
    await this.page.waitForSelector('.monaco-workbench .part.activitybar', { timeout: 90_000 });
    await this.page.waitForSelector('.monaco-workbench .part.statusbar', { timeout: 90_000 });
  }

  async screenshot(name: string): Promise<string> {
    const file = path.join(this.shotsDir, `${String(++this.shotIndex).padStart(2, '0')}-${name}.png`);
    await this.page.screenshot({ path: file });
    return file;
  }

  /** F1, type the command's title, Enter. */
  async runCommand(title: string): Promise<void> {
    await this.page.keyboard.press('Escape');
    await this.page.keyboard.press('F1');
    const input = this.page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill(`>${title}`);
    await this.page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor({ timeout: 10_000 });
    await this.page.keyboard.press('Enter');
  }

  /**
   * Picks the quick pick item showing `text` the way a keyboard user does: type to filter, then
   * Enter once that item is on top (clicking a row races the list's re-rendering).
   */
  async pick(text: string): Promise<void> {
    const input = this.page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible', timeout: 15_000 });
    await this.page.locator('.quick-input-widget .quick-input-list .monaco-list-row').first().waitFor({ timeout: 15_000 });
    await input.fill(text);
    await this.page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: text }).first().waitFor({ timeout: 15_000 });
    await this.page.locator('.quick-input-widget .quick-input-list .monaco-list-row.focused', { hasText: text }).waitFor({ timeout: 5_000 });
    await this.page.keyboard.press('Enter');
  }

  async typeIntoInputBox(text: string): Promise<void> {
    const input = this.page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill(text);
    await this.page.keyboard.press('Enter');
  }

  /** Opens a workspace file through Quick Open (Ctrl+P), as a person would. */
  async openFile(relativePath: string): Promise<void> {
    await this.page.keyboard.press('Escape');
    await this.page.keyboard.press('Control+P');
    const input = this.page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill(relativePath);
    await this.page.locator('.quick-input-list .monaco-list-row', { hasText: path.basename(relativePath) }).first().waitFor({ timeout: 15_000 });
    await this.page.keyboard.press('Enter');
    await this.page.locator('.tabs-container .tab.active', { hasText: path.basename(relativePath) }).waitFor({ timeout: 10_000 });
  }

  /** Opens the Functions view from the activity bar, unless it is open already. */
  async showFunctionsView(): Promise<void> {
    // Clicking the activity bar icon of the view already shown would close the side bar: look first.
    if (await this.page.locator('.part.sidebar .title-label', { hasText: /Local Serverless/i }).first().isVisible()) return;
    await this.page.locator('.activitybar [aria-label^="Local Serverless"]').first().click();
  }

  /**
   * Makes sure `name` runs, whatever earlier tests did: Build and Run from the palette unless its
   * row already says it runs. Lets a test that needs a running function stand alone.
   */
  async ensureRunning(name: string): Promise<void> {
    await this.showFunctionsView();
    await this.treeRow(name).waitFor({ timeout: 30_000 });
    const running = this.treeRow(new RegExp(`${name}.*running at`));
    if (await running.isVisible()) return;
    await this.runCommand('Local Serverless: Build and Run');
    await this.pick(name);
    await running.waitFor({ timeout: 90_000 });
  }

  treeRow(text: string | RegExp) {
    return this.page.locator('.pane-body .monaco-list-row', { hasText: text }).first();
  }

  /** Waits until some editor (or the Output panel) shows `needle`; returns the text it found. */
  async waitForEditorText(needle: string | RegExp, scope = '.monaco-editor .view-lines', timeoutMs = 30_000): Promise<string> {
    const source = typeof needle === 'string' ? needle : needle.source;
    const isRegex = typeof needle !== 'string';
    const handle = await this.page.waitForFunction(({ scope, source, isRegex }) => {
      // Runs in the page; typed loosely so the project needs no DOM typings.
      const doc = (globalThis as unknown as { document: { querySelectorAll(s: string): ArrayLike<{ innerText: string }> } }).document;
      for (const el of Array.from(doc.querySelectorAll(scope))) {
        // Monaco renders spaces as U+00A0.
        const text = el.innerText.replace(/\u00a0/g, ' ');
        if (isRegex ? new RegExp(source).test(text) : text.includes(source)) return text;
      }
      return undefined;
    }, { scope, source, isRegex }, { timeout: timeoutMs });
    return (await handle.jsonValue()) as string;
  }

  /** Shows one output channel in the Output panel, picked by name. */
  async showOutputChannel(name: string): Promise<void> {
    await this.runCommand('Output: Show Output Channels...');
    await this.pick(name);
  }

  /**
   * Runs an action from the side bar view's title overflow menu. A container holding one view shows
   * that view's title actions in the side bar title, behind "Views and More Actions...".
   */
  async viewTitleMenuAction(title: string): Promise<void> {
    const titleBar = this.page.locator('.part.sidebar .composite.title').first();
    await titleBar.hover();
    await titleBar.locator('[aria-label*="More Actions"]').first().click();
    await this.page.locator('.monaco-menu .action-item', { hasText: title }).first().click();
  }

  /** Answers a modal dialog by clicking the button labelled `button`. */
  async answerDialog(button: string): Promise<void> {
    const dialog = this.page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: 10_000 });
    await dialog.locator('.monaco-button', { hasText: button }).first().click();
    await dialog.waitFor({ state: 'detached', timeout: 10_000 });
  }

  async outputPanelText(needle: string | RegExp, timeoutMs = 30_000): Promise<string> {
    return this.waitForEditorText(needle, '.part.panel .monaco-editor .view-lines', timeoutMs);
  }
}
