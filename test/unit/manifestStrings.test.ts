import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { evaluateWhen } from '../support/whenClause';

/**
 * The manifest as people meet it: its words come from package.nls.json (as VS Code's own extensions
 * do it, so a package.nls.<lang>.json can translate them), the welcome views say what to do in each
 * state, and the walkthrough's buttons and images exist.
 */
const ROOT = path.resolve(__dirname, '..', '..', '..');
const raw = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
const nls = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.nls.json'), 'utf8')) as Record<string, string>;

/** What VS Code (and vsce, for the Marketplace) does: every string that is exactly `%key%` is replaced by the key's English. */
function resolve<T>(value: T): T {
  if (typeof value === 'string') {
    const key = /^%([^%]+)%$/.exec(value)?.[1];
    return (key !== undefined && key in nls ? nls[key] : value) as T;
  }
  if (Array.isArray(value)) return value.map(resolve) as T;
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v)])) as T;
  return value;
}

interface Step { id: string; title: string; description: string; media: { image: string; altText: string }; completionEvents?: string[] }
interface Manifest {
  displayName: string; description: string; icon: string; preview: boolean; extensionKind: string[]; categories: string[]; repository?: unknown;
  contributes: {
    commands: Array<{ command: string; title: string; category: string }>;
    viewsWelcome: Array<{ view: string; contents: string; when: string }>;
    walkthroughs: Array<{ id: string; title: string; description: string; steps: Step[] }>;
  };
}
const manifest = resolve(raw) as unknown as Manifest;

/** Every string in the manifest with the path to it, e.g. `contributes.commands[3].title`. */
function strings(value: unknown, at = ''): Array<[string, string]> {
  if (typeof value === 'string') return [[at, value]];
  if (Array.isArray(value)) return value.flatMap((v, i) => strings(v, `${at}[${i}]`));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => strings(v, at ? `${at}.${k}` : k));
  return [];
}

/** Where people read a manifest string: these must come from package.nls.json. */
const USER_VISIBLE = [
  /^(displayName|description)$/,
  /^capabilities\.untrustedWorkspaces\.description$/,
  /^contributes\.viewsContainers\.\w+\[\d+\]\.title$/,
  /^contributes\.views\.\w+\[\d+\]\.name$/,
  /^contributes\.viewsWelcome\[\d+\]\.contents$/,
  /^contributes\.walkthroughs\[\d+\]\.(title|description)$/,
  /^contributes\.walkthroughs\[\d+\]\.steps\[\d+\]\.(title|description|media\.altText)$/,
  /^contributes\.commands\[\d+\]\.(title|category)$/,
  /^contributes\.configuration\.title$/,
  /^contributes\.configuration\.properties\.[\w.]+\.(description|markdownDescription|enumDescriptions\[\d+\])$/,
  /^contributes\.debuggers\[\d+\]\.label$/,
  /^contributes\.debuggers\[\d+\]\.configurationAttributes\..*\.description$/,
  /^contributes\.debuggers\[\d+\]\.initialConfigurations\[\d+\]\.name$/,
  /^contributes\.debuggers\[\d+\]\.configurationSnippets\[\d+\]\.(label|description|body\.name)$/,
];

/** Commands of VS Code itself that the welcome views and the walkthrough may link to. */
const BUILT_IN_COMMANDS = ['workbench.action.files.openFolder', 'workbench.action.openSettings', 'workbench.action.openWalkthrough'];

function commandLinks(markdown: string): Array<{ command: string; args?: unknown }> {
  return [...markdown.matchAll(/\]\(command:([\w.-]+)(?:\?([^)]*))?\)/g)].map(([, command, query]) => ({ command, args: query ? JSON.parse(decodeURIComponent(query)) : undefined }));
}

describe('manifest strings come from package.nls.json', () => {
  it('every string people read is a %key%, and every key is in package.nls.json', () => {
    const visible = strings(raw).filter(([at]) => USER_VISIBLE.some((pattern) => pattern.test(at)));
    assert.ok(visible.length > 60, `found ${visible.length}`);
    assert.deepEqual(visible.filter(([, value]) => !/^%[^%]+%$/.test(value)).map(([at, value]) => `${at}: ${value}`), []);
    const missing = visible.map(([, value]) => value.slice(1, -1)).filter((key) => !(key in nls));
    assert.deepEqual(missing, []);
  });

  it('package.nls.json holds no key the manifest does not use, and no empty English', () => {
    const used = new Set(strings(raw).map(([, value]) => /^%([^%]+)%$/.exec(value)?.[1]).filter(Boolean));
    assert.deepEqual(Object.keys(nls).filter((key) => !used.has(key)), []);
    assert.deepEqual(Object.entries(nls).filter(([, english]) => !english.trim()).map(([key]) => key), []);
  });

  it('the palette shows "Local Serverless: <title>", the titles the end-to-end tests type', () => {
    const palette = new Map(manifest.contributes.commands.map((c) => [c.command, `${c.category}: ${c.title}`]));
    assert.equal(palette.get('localServerless.newFunction'), 'Local Serverless: New Function');
    assert.equal(palette.get('localServerless.buildAndRun'), 'Local Serverless: Build and Run');
    assert.equal(palette.get('localServerless.invoke'), 'Local Serverless: Invoke Function');
    assert.equal(palette.get('localServerless.loadTest'), 'Local Serverless: Load Test Function');
    assert.equal(palette.get('localServerless.debugFunction'), 'Local Serverless: Debug Function');
    assert.ok(manifest.contributes.commands.every((c) => c.category === 'Local Serverless' && c.title.length > 0));
    assert.equal(manifest.displayName, 'Local Serverless');
  });
});

describe('Marketplace fields', () => {
  it('a preview, workspace-side extension with a 128 px PNG icon, categories beyond Other, and no invented repository', () => {
    assert.equal(manifest.preview, true);
    assert.deepEqual(manifest.extensionKind, ['workspace']);
    assert.ok(manifest.categories.some((c) => c !== 'Other'), manifest.categories.join(', '));
    assert.equal(manifest.repository, undefined);
    const png = fs.readFileSync(path.join(ROOT, manifest.icon));
    assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
    assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [128, 128], 'width and height in the IHDR chunk');
    assert.ok(fs.existsSync(path.join(ROOT, 'CHANGELOG.md')));
  });

  it('the VSIX holds the icon, the walkthrough\'s images, the English strings and the CHANGELOG, not the icon\'s SVG', async () => {
    // vsce's own reading of .vscodeignore (in which a negation wins over every other line, whatever the order).
    const { listFiles, PackageManager } = await import('@vscode/vsce');
    const shipped = new Set(await listFiles({ cwd: ROOT, packageManager: PackageManager.None }));
    assert.ok(shipped.has('package.json'), [...shipped].join(', '));
    const walkthroughImages = manifest.contributes.walkthroughs.flatMap((w) => w.steps.map((s) => s.media.image));
    const wanted = [manifest.icon, 'package.nls.json', 'CHANGELOG.md', 'README.md', ...walkthroughImages];
    assert.deepEqual(wanted.filter((file) => !shipped.has(file)), []);
    assert.deepEqual([...shipped].filter((file) => file.startsWith('design/') || file.endsWith('.test.js')), []);
  });
});

describe('welcome views', () => {
  const welcomes = manifest.contributes.viewsWelcome;
  const shown = (context: Record<string, string | boolean>) => welcomes.filter((w) => evaluateWhen(w.when, context)).map((w) => w.contents);

  it('links only to contributed commands and a few of VS Code\'s own', () => {
    const contributed = new Set(manifest.contributes.commands.map((c) => c.command));
    const linked = [...welcomes.map((w) => w.contents), ...manifest.contributes.walkthroughs.flatMap((w) => w.steps.map((s) => s.description))].flatMap(commandLinks);
    assert.deepEqual(linked.filter((l) => !contributed.has(l.command) && !BUILT_IN_COMMANDS.includes(l.command)), []);
  });

  it('a window with no folder says to open one, with Open Folder, and offers nothing that needs a folder', () => {
    for (const engineUnreachable of [true, false]) {
      const contents = shown({ workspaceFolderCount: '0', 'localServerless.discovered': true, 'localServerless.hasFunctions': false, 'localServerless.engineUnreachable': engineUnreachable });
      assert.equal(contents.length, 1, contents.join('\n---\n'));
      assert.match(contents[0], /open one/);
      assert.deepEqual(commandLinks(contents[0]).map((l) => l.command), ['workbench.action.files.openFolder']);
    }
    // Nor does the view's title bar offer New Function there (it would only say to open a folder).
    const titleBar = (raw as { contributes: { menus: Record<string, Array<{ command: string; when: string }>> } }).contributes.menus['view/title'];
    const newFunction = titleBar.find((m) => m.command === 'localServerless.newFunction');
    assert.ok(newFunction);
    assert.equal(evaluateWhen(newFunction.when, { view: 'localServerless.functions', workspaceFolderCount: '0' }), false);
    assert.equal(evaluateWhen(newFunction.when, { view: 'localServerless.functions', workspaceFolderCount: '1' }), true);
  });

  it('an engine that cannot be reached: Retry, the dockerHost setting and the README', () => {
    const contents = shown({ workspaceFolderCount: '1', 'localServerless.discovered': true, 'localServerless.hasFunctions': false, 'localServerless.engineUnreachable': true });
    assert.equal(contents.length, 2, 'the engine, then No functions yet (New Function needs no engine)');
    assert.match(contents[0], /Docker engine cannot be reached/);
    assert.deepEqual(commandLinks(contents[0]), [
      { command: 'localServerless.retryConnection', args: undefined },
      { command: 'workbench.action.openSettings', args: ['localServerless.dockerHost'] },
      // The README in the VSIX: extension.open asks the Marketplace first, and does nothing when it cannot be reached.
      { command: 'localServerless.openReadme', args: undefined },
    ]);
  });

  it('a folder with no functions offers New Function and the walkthrough; one with functions shows the tree', () => {
    const contents = shown({ workspaceFolderCount: '1', 'localServerless.discovered': true, 'localServerless.hasFunctions': false, 'localServerless.engineUnreachable': false });
    assert.equal(contents.length, 1);
    assert.deepEqual(commandLinks(contents[0]), [
      { command: 'localServerless.newFunction', args: undefined },
      { command: 'workbench.action.openWalkthrough', args: [`${raw.publisher as string}.${raw.name as string}#gettingStarted`, false] },
    ]);
    assert.deepEqual(shown({ workspaceFolderCount: '1', 'localServerless.discovered': true, 'localServerless.hasFunctions': true }), []);
  });
});

describe('the Getting Started walkthrough', () => {
  const [walkthrough] = manifest.contributes.walkthroughs;
  const commands = new Set(manifest.contributes.commands.map((c) => c.command));

  it('walks New Function → Build and Run → Invoke → edit and save → Load Test → Debug, each step with a button and its completion', () => {
    assert.equal(walkthrough.id, 'gettingStarted');
    assert.deepEqual(walkthrough.steps.map((s) => s.id), ['newFunction', 'buildAndRun', 'invoke', 'editAndSave', 'loadTest', 'debugFunction']);
    for (const step of walkthrough.steps) {
      // A link alone on the last line is what VS Code draws as the step's button.
      const lastLine = step.description.split('\n').at(-1) ?? '';
      assert.match(lastLine, /^\[[^\]]+\]\(command:localServerless\.\w+\)$/, step.id);
      const [button] = commandLinks(lastLine);
      assert.ok(commands.has(button.command), `${step.id}: ${button.command} is contributed`);
      assert.deepEqual(step.completionEvents, [`onCommand:${button.command}`], step.id);
    }
  });

  it('every step has an image from the real UI: a PNG in media/walkthrough, not too large for the VSIX, with alt text', () => {
    let total = 0;
    for (const step of walkthrough.steps) {
      assert.match(step.media.image, /^media\/walkthrough\/[\w-]+\.png$/, step.id);
      const png = fs.readFileSync(path.join(ROOT, step.media.image));
      assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG', step.media.image);
      total += png.length;
      assert.ok(step.media.altText.length > 20, `${step.id} has alt text`);
    }
    assert.ok(total < 600 * 1024, `walkthrough images take ${Math.round(total / 1024)} KiB`);
  });
});
