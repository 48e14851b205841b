import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { NpmTarballProxy, npmRegistryReachable } from '../support/npmTarballProxy';
import { poll } from '../support/poll';
import { openSession, until, type Session } from './session';
import type { Locator } from 'playwright-core';
import type { Workbench } from './ui';

const NAME = 'ce-e2e';
/** A function that replies with a CloudEvent, in the mode it was sent (test 5): none of the templates does. */
const REPLIER = 'ce-reply';
const TEMPLATE = 'Node.js CloudEvents (Functions Framework)';
/** Each test is bounded; the one that builds includes the only npm install (a few seconds here, more on a cold cache). */
const BOUND = { timeout: 240_000 };

/**
 * ce-reply, in the workspace before VS Code opens it: a CloudEvents receiver on Node's own http
 * module (no dependencies, so its build installs nothing), as a Knative function answers: a
 * binary-mode event gets a binary-mode reply (ce-* headers, the data as the body), a structured one a
 * structured reply (one application/cloudevents+json body).
 */
function writeReplier(workspace: string): void {
  const folder = path.join(workspace, REPLIER);
  fs.mkdirSync(path.join(folder, 'events'), { recursive: true });
  fs.writeFileSync(path.join(folder, 'fn.json'), JSON.stringify({ name: REPLIER, port: 8080, protocol: 'cloudevents', invoke: { method: 'POST', path: '/' }, sync: ['*.js'] }, null, 2));
  fs.writeFileSync(path.join(folder, 'Dockerfile'), [
    'FROM node:20-bookworm-slim',
    'WORKDIR /app',
    'COPY server.js ./',
    'USER node',
    'EXPOSE 8080',
    'CMD ["node", "server.js"]',
    '',
  ].join('\n'));
  fs.writeFileSync(path.join(folder, 'server.js'), [
    "'use strict';",
    "const http = require('node:http');",
    'const server = http.createServer((req, res) => {',
    "  let body = '';",
    "  req.setEncoding('utf8');",
    "  req.on('data', (chunk) => (body += chunk));",
    "  req.on('end', () => {",
    "    const structured = (req.headers['content-type'] || '').startsWith('application/cloudevents+json');",
    "    const event = structured ? JSON.parse(body) : { id: req.headers['ce-id'], type: req.headers['ce-type'], data: body ? JSON.parse(body) : undefined };",
    "    console.log(`ce-reply: ${event.type} (id ${event.id}, ${structured ? 'structured' : 'binary'})`);",
    "    const reply = { specversion: '1.0', id: `reply-to-${event.id}`, type: `${event.type}.reply`, source: '/ce-reply', subject: 'greeting' };",
    "    const data = { greeting: `Hello, ${(event.data && event.data.name) || 'world'}!` };",
    '    if (structured) {',
    "      res.writeHead(200, { 'content-type': 'application/cloudevents+json' });",
    "      res.end(JSON.stringify({ ...reply, datacontenttype: 'application/json', data }));",
    '    } else {',
    "      const headers = { 'content-type': 'application/json' };",
    '      for (const [name, value] of Object.entries(reply)) headers[`ce-${name}`] = value;',
    '      res.writeHead(200, headers);',
    '      res.end(JSON.stringify(data));',
    '    }',
    '  });',
    '});',
    'server.listen(8080);',
    "process.on('SIGTERM', () => process.exit(0));",
    '',
  ].join('\n'));
  fs.writeFileSync(path.join(folder, 'events', 'hello.json'), JSON.stringify({ type: 'com.example.greeting', source: '/e2e/replier', data: { name: 'Binary' } }, null, 2));
  fs.writeFileSync(path.join(folder, 'events', 'structured.json'), JSON.stringify({ $mode: 'structured', type: 'com.example.greeting', source: '/e2e/replier', id: 'structured-e2e-2', data: { name: 'Structured' } }, null, 2));
}

/**
 * The Node.js CloudEvents template, as a person uses it: New Function from the palette, Build and
 * Run, Invoke with its saved event (binary mode) and with a structured-mode event; then a function
 * that replies with CloudEvents, for the result view's "CloudEvent reply" block (the template's
 * handler runs on the Functions Framework's cloudEvent signature, whose reply is plain JSON: the
 * value it returns, here the attributes and data it was given).
 *
 * The template's build: its Dockerfile runs `npm install`, which no container here completes (the
 * machine's egress re-signs TLS with a CA only the host trusts; see
 * test/integration/functionsFramework.test.ts). So, as that test does:
 * - `localServerless.buildNetwork: "host"`, the setting a person on such a machine sets. It is
 *   machine-scoped, so in code-server's window (a remote one) it belongs in the Remote settings,
 *   where the Settings editor writes it: VS Code ignores it in the local user settings.json there.
 * - after New Function, the test (on the host) writes the package-lock.json a person would commit
 *   after a first `npm install`, its tarballs on a proxy on the host's 127.0.0.1
 *   (test/support/npmTarballProxy.ts): the image's own `npm install` (template unchanged) installs
 *   from it, which only a build in the host's network can reach.
 */
describe('a CloudEvents function on the Functions Framework, from New Function to Invoke, in a real VS Code against the real Docker engine', () => {
  let session: Session;
  let ui: Workbench;
  let workspace: string;
  let proxy: NpmTarballProxy;
  /** Why these tests cannot run here, when they cannot (said in the skip). */
  let unavailable: string | undefined;
  const folder = () => path.join(workspace, NAME);

  /** This run's images of its two functions: tagged per VS Code instance, so each run builds its own. */
  const ourImages = () => execFileSync('docker', ['images', '--format', '{{.Repository}}:{{.Tag}}'], { encoding: 'utf8' })
    .split('\n').filter((tag) => new RegExp(`^local-serverless/(${NAME}|${REPLIER})-[0-9a-f]+:`).test(tag));
  let imagesBefore: Set<string>;

  before(async () => {
    imagesBefore = new Set(ourImages());
    proxy = await NpmTarballProxy.start();
    if (!(await npmRegistryReachable())) unavailable = 'registry.npmjs.org does not answer from this machine: Functions Framework cannot be installed';
    session = await openSession('cloudevents', { machineSettings: { 'localServerless.buildNetwork': 'host' }, prepare: writeReplier });
    ({ ui, workspace } = session);
    await ui.showFunctionsView();
    await ui.treeRow('hello-node').waitFor({ timeout: 30_000 });
  });

  after(async () => {
    await session?.close();
    await proxy?.close();
    const images = ourImages().filter((tag) => !imagesBefore?.has(tag));
    if (images.length) execFileSync('docker', ['rmi', ...images], { stdio: 'pipe', timeout: 30_000 });
  });

  /** New Function from the palette: the name, then the template; its handler opens and the view lists it. */
  async function scaffold(): Promise<void> {
    await ui.runCommand('Local Serverless: New Function');
    await ui.typeIntoInputBox(NAME);
    await ui.pick(TEMPLATE);
    await until('index.js', () => fs.existsSync(path.join(folder(), 'index.js')));
    await ui.page.locator('.tabs-container .tab.active', { hasText: 'index.js' }).waitFor({ timeout: 15_000 });
    await ui.treeRow(NAME).waitFor({ timeout: 15_000 });
  }

  /** Each test below makes sure what it needs exists, so each stands alone (--test-name-pattern). */
  async function ensureScaffolded(): Promise<void> {
    if (!fs.existsSync(path.join(folder(), 'index.js'))) await scaffold();
  }

  /** Build and Run from the editor title of index.js, after the host has locked the dependencies on the proxy. */
  async function buildAndRun(): Promise<void> {
    await ensureScaffolded();
    if (!fs.existsSync(path.join(folder(), 'package-lock.json'))) await proxy.lock(folder());
    await ui.openFile(`${NAME}/index.js`);
    await ui.page.locator('.editor-actions [aria-label^="Build and Run"]').first().click();
    await ui.treeRow(new RegExp(`${NAME}.*running at http://127\\.0\\.0\\.1:\\d+`)).waitFor({ timeout: 150_000 });
  }

  async function ensureRunning(): Promise<void> {
    await ensureScaffolded();
    await ui.showFunctionsView();
    if (!(await ui.treeRow(new RegExp(`${NAME}.*running at`)).isVisible())) await buildAndRun();
  }

  /** The result view's text, once it shows the reply (`needle`) to an event sent in `mode`. */
  function resultText(mode: 'binary' | 'structured', needle: string): Promise<string> {
    const escaped = needle.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    return ui.waitForEditorText(new RegExp(`CloudEvent sent in ${mode} mode[\\s\\S]*${escaped}`));
  }

  /**
   * The Functions view's row of `fn`'s saved event `event` (its function's row expanded first). Each
   * function with events/hello.json has a "hello" row: this is the one under `fn`'s row.
   */
  async function savedEventRow(fn: string, event: string): Promise<Locator> {
    const fnRow = ui.treeRow(new RegExp(`^${fn}(?!-\\d)`));
    await fnRow.waitFor({ timeout: 10_000 });
    if ((await fnRow.getAttribute('aria-expanded')) !== 'true') await fnRow.locator('.monaco-tl-twistie').click();
    const rows = ui.page.locator('.pane-body .monaco-list-row');
    return poll(`${fn}'s saved event ${event} in the Functions view`, async () => {
      const shown = await rows.evaluateAll((els) => els.map((el) => ({ level: el.getAttribute('aria-level'), index: Number(el.getAttribute('data-index')), text: (el as unknown as { innerText: string }).innerText })));
      shown.sort((a, b) => a.index - b.index);
      const start = shown.findIndex((row) => row.level === '1' && row.text.startsWith(fn));
      const end = shown.findIndex((row, i) => i > start && row.level === '1');
      const mine = start < 0 ? undefined : shown.slice(start + 1, end < 0 ? undefined : end).find((row) => row.level === '2' && row.text.startsWith(event));
      return mine && ui.page.locator(`.pane-body .monaco-list-row[data-index="${mine.index}"]`);
    }, { timeoutMs: 10_000, intervalMs: 100 });
  }

  /**
   * The tooltip of `fn`'s row, hovered as a person does. Right after New Function a hover sometimes
   * opens no tooltip (about one run in three here; the row is the same element, not re-rendered), so
   * the mouse leaves and comes back, as a person would: four tries in all.
   */
  async function tooltipOf(fn: string, row: Locator): Promise<string> {
    for (let attempt = 1; ; attempt++) {
      await ui.page.mouse.move(0, 0);
      await row.hover();
      const hover = ui.page.locator('.monaco-hover, .workbench-hover-container', { hasText: fn }).first();
      try {
        await hover.waitFor({ timeout: 4_000 });
        // MarkdownString.appendText writes each space as &nbsp;.
        return (await hover.innerText({ timeout: 2_000 })).replace(/\u00a0/g, ' ');
      } catch (error) {
        if (attempt === 4) throw error;
      }
    }
  }

  /**
   * The function's channel in the Output panel, filtered (the panel's filter box) to lines with
   * `filter`, shows a line matching each of `lines`. Whitespace is ignored on both sides: the panel
   * wraps a long line at a space or inside a word. A screenshot while filtered, when named.
   */
  async function channelShows(filter: string, lines: RegExp[], shot?: string): Promise<void> {
    await ui.showOutputChannel(`Local Serverless: ${NAME}`);
    const box = ui.page.locator('.part.panel input[placeholder^="Filter"]').first();
    await box.fill(filter);
    const sources = lines.map((line) => line.source.replace(/ /g, ''));
    await ui.page.waitForFunction((sources) => {
      // Runs in the page; typed loosely so the project needs no DOM typings.
      const doc = (globalThis as unknown as { document: { querySelectorAll(s: string): ArrayLike<{ innerText: string }> } }).document;
      const text = Array.from(doc.querySelectorAll('.part.panel .monaco-editor .view-lines')).map((el) => el.innerText).join('').replace(/\s+/g, '');
      return sources.every((source) => new RegExp(source).test(text));
    }, sources, { timeout: 15_000 });
    if (shot) await ui.screenshot(shot);
    await box.fill('');
  }

  /**
   * A screenshot of the whole reply: the result editor's group maximized, its lines wrapped, the
   * panel hidden; then the layout as it was (wrapping off again, so the next reply reads unwrapped).
   */
  async function screenshotReply(fn: string, name: string): Promise<void> {
    // Invoke shows the reply without taking the focus: a click on its tab gives the result editor the
    // focus, which the palette's commands below act on (and give back when they close).
    await ui.page.locator('.tabs-container .tab', { hasText: `${fn} response` }).first().click();
    await ui.page.locator('.editor-group-container.active .tab.active', { hasText: `${fn} response` }).waitFor({ timeout: 5_000 });
    await ui.page.locator('.editor-group-container.active .monaco-editor.focused').waitFor({ timeout: 5_000 });
    await ui.runCommand('View: Toggle Word Wrap');
    await ui.runCommand('View: Toggle Maximize Editor Group');
    await ui.runCommand('View: Hide Panel');
    await ui.page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 5_000 });
    await ui.screenshot(name);
    await ui.runCommand('View: Toggle Maximize Editor Group');
    await ui.runCommand('View: Toggle Word Wrap');
    await ui.runCommand('View: Toggle Panel Visibility');
    // Settled before the next step opens the palette: the panel shown (it takes the focus) and the palette gone.
    await ui.page.locator('.part.panel .monaco-editor').first().waitFor({ timeout: 5_000 });
    await ui.page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 5_000 });
  }

  test('New Function from the palette with the CloudEvents template opens its handler; the view tags it Functions Framework cloudevent', BOUND, async (t) => {
    if (unavailable) return t.skip(unavailable);
    fs.rmSync(folder(), { recursive: true, force: true });
    await scaffold();
    const row = ui.treeRow(NAME);
    assert.match(await row.innerText(), /Node\.js · FF cloudevent · not built/);
    const shown = await tooltipOf(NAME, row);
    await ui.screenshot('scaffolded-tagged');
    assert.match(shown, /Protocol: Functions Framework, signature type cloudevent \(from fn\.json\)\. Invoke sends a CloudEvent: binary mode \(ce-\* headers\) unless the saved event has "\$mode": "structured"\./, shown);
    await ui.page.keyboard.press('Escape');
  });

  test('Build and Run from the editor title: its npm install runs in the host network (localServerless.buildNetwork) from the lockfile, and the function runs', BOUND, async (t) => {
    if (unavailable) return t.skip(unavailable);
    await ensureScaffolded();
    await buildAndRun();
    await channelShows('files in context', [new RegExp(`\\[build\\] ${NAME}: building \\S+ \\(\\d+ files in context, host network\\)`)], 'build-in-host-network');
    const tarballs = proxy.requested.filter((p) => p.endsWith('.tgz'));
    assert.ok(tarballs.some((p) => p.includes('/functions-framework-5.')), `the image's npm install fetched Functions Framework through the host: ${tarballs.length} tarballs`);
    assert.match(await ui.treeRow(NAME).innerText(), /FF cloudevent · running at/);
    // The channel unfiltered again: the build's end, and the function running on the gateway.
    await ui.outputPanelText(new RegExp(`${NAME} running at http://127\\.0\\.0\\.1:\\d+/${NAME}/ \\(${NAME}-1; build [\\d.]+ s`), 10_000);
    await ui.screenshot('built-and-running');
  });

  test('Invoke from the tree with events/hello.json sends it in binary mode; the reply shows the attributes the function got apart from its data', BOUND, async (t) => {
    if (unavailable) return t.skip(unavailable);
    await ensureRunning();
    await (await savedEventRow(NAME, 'hello')).click();
    const text = await resultText('binary', '"message": "Hello, world!"');
    const sent = /CloudEvent sent in binary mode: type com\.example\.greeting, source \/local-serverless\/examples, id ([0-9a-f-]{36})/.exec(text);
    assert.ok(sent, `the request line names the event sent in binary mode:\n${text}`);
    assert.match(text, /200 OK in [\d.]+ ms/);
    assert.match(text, /"from": "ce-e2e"/);
    // The handler replies with the attributes it received (from the ce-* headers) and the data (the body).
    assert.match(text, /"attributes": \{[\s\S]*"specversion": "1\.0"[\s\S]*"type": "com\.example\.greeting"[\s\S]*\}/);
    assert.match(text, /"source": "\/local-serverless\/examples"/);
    assert.match(text, new RegExp(`"id": "${sent[1]}"`), 'the id Invoke made is the one the function got');
    assert.match(text, /"subject": "hello"/);
    assert.match(text, /"time": "\d{4}-\d{2}-\d{2}T[\d:.]+Z"/);
    assert.match(text, /"data": \{\s*"name": "world"\s*\}/);
    // The function's own log line for the event, and Invoke's summary.
    await channelShows(sent[1], [
      new RegExp(`\\[ce-e2e-1\\] ce-e2e: com\\.example\\.greeting from /local-serverless/examples \\(id ${sent[1]}, subject hello\\)`),
      new RegExp(`invoke POST / \\(CloudEvent com\\.example\\.greeting, binary, id ${sent[1]}\\) → 200 in [\\d.]+ ms`),
    ]);
    await screenshotReply(NAME, 'binary-event-reply');
  });

  test('a saved event with "$mode": "structured", invoked from the palette, is sent as one application/cloudevents+json body; the reply shows its attributes and data', BOUND, async (t) => {
    if (unavailable) return t.skip(unavailable);
    await ensureRunning();
    fs.writeFileSync(path.join(folder(), 'events', 'structured.json'), JSON.stringify({
      $mode: 'structured',
      type: 'com.example.structured',
      source: '/e2e/structured',
      id: 'structured-e2e-1',
      subject: 'in-one-body',
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      data: { name: 'Structured' },
    }, null, 2));
    await ui.runCommand('Local Serverless: Invoke Function');
    await ui.pick(NAME);
    await ui.pick('events/structured.json');
    const text = await resultText('structured', '"message": "Hello, Structured!"');
    assert.match(text, /CloudEvent sent in structured mode: type com\.example\.structured, source \/e2e\/structured, id structured-e2e-1/);
    assert.match(text, /"type": "com\.example\.structured"/);
    assert.match(text, /"source": "\/e2e\/structured"/);
    assert.match(text, /"id": "structured-e2e-1"/);
    assert.match(text, /"subject": "in-one-body"/);
    assert.match(text, /"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"/);
    assert.match(text, /"data": \{\s*"name": "Structured"\s*\}/);
    await channelShows('structured-e2e-1', [
      /\[ce-e2e-1\] ce-e2e: com\.example\.structured from \/e2e\/structured \(id structured-e2e-1, subject in-one-body\)/,
      /invoke POST \/ \(CloudEvent com\.example\.structured, structured, id structured-e2e-1\) → 200 in [\d.]+ ms/,
    ]);
    await screenshotReply(NAME, 'structured-event-reply');
  });

  test('a function that replies with a CloudEvent: the result view shows the reply\'s attributes apart from its data, in binary and in structured mode', BOUND, async () => {
    await ui.showFunctionsView();
    assert.match(await ui.treeRow(REPLIER).innerText(), /Node\.js · CloudEvents · /);
    await ui.ensureRunning(REPLIER);
    await (await savedEventRow(REPLIER, 'hello')).click();
    const binary = await ui.waitForEditorText(/CloudEvent reply, binary mode[\s\S]*"greeting": "Hello, Binary!"/);
    const id = /CloudEvent sent in binary mode: type com\.example\.greeting, source \/e2e\/replier, id ([0-9a-f-]{36})/.exec(binary)?.[1];
    assert.ok(id, binary);
    assert.match(binary, new RegExp([
      '// CloudEvent reply, binary mode \\(specversion 1\\.0\\):',
      '//   type: com\\.example\\.greeting\\.reply',
      '//   source: /ce-reply',
      `//   id: reply-to-${id}`,
      '//   subject: greeting',
      '// data \\(application/json\\):',
      '\\{',
      '  "greeting": "Hello, Binary!"',
      '\\}',
    ].join('\\n')), binary);
    await screenshotReply(REPLIER, 'binary-cloudevent-reply');

    await ui.runCommand('Local Serverless: Invoke Function');
    await ui.pick(REPLIER);
    await ui.pick('events/structured.json');
    const structured = await ui.waitForEditorText(/CloudEvent reply, structured mode[\s\S]*"greeting": "Hello, Structured!"/);
    assert.match(structured, /CloudEvent sent in structured mode: type com\.example\.greeting, source \/e2e\/replier, id structured-e2e-2/);
    assert.match(structured, new RegExp([
      '// content-type: application/cloudevents\\+json',
      '[\\s\\S]*',
      '// CloudEvent reply, structured mode \\(specversion 1\\.0\\):',
      '//   type: com\\.example\\.greeting\\.reply',
      '//   source: /ce-reply',
      '//   id: reply-to-structured-e2e-2',
      '//   subject: greeting',
      '// data \\(application/json\\):',
      '\\{',
      '  "greeting": "Hello, Structured!"',
      '\\}',
    ].join('\\n')), structured);
    await screenshotReply(REPLIER, 'structured-cloudevent-reply');
  });
});
