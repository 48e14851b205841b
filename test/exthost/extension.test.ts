import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { poll } from '../support/poll';
import type { LocalServerlessApi } from '../../src/extension';
// Types only: the nodes come from the bundled extension, whose classes differ from out/src's.
import type { FunctionNode, TreeNode } from '../../src/ui/functionsTree';

const EXTENSION_ID = 'local-serverless.local-serverless';

async function api(): Promise<LocalServerlessApi> {
  const extension = vscode.extensions.getExtension<LocalServerlessApi | undefined>(EXTENSION_ID);
  assert.ok(extension, `${EXTENSION_ID} is installed`);
  const exported = await extension.activate();
  assert.ok(exported, 'the extension returns its test API in Test mode');
  return exported;
}

function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  return poll(what, probe, { timeoutMs, intervalMs: 100 });
}

async function functionNodes(tree: LocalServerlessApi['tree']): Promise<FunctionNode[]> {
  return ((await tree.getChildren()) as TreeNode[]).filter((n): n is FunctionNode => n.kind === 'function');
}

const workspaceRoot = () => vscode.workspace.workspaceFolders![0].uri.fsPath;

describe('Local Serverless in a real VS Code', () => {
  // Tests run through extensionTestsPath, which is ExtensionMode.Test: only there does activate hand
  // out its API (anything holding the registry could build and run without the trust check).
  it('activates in the examples workspace and gives the tests its API, since they run in Test mode', async () => {
    const exported = await vscode.extensions.getExtension<LocalServerlessApi | undefined>(EXTENSION_ID)!.activate();
    assert.ok(exported, 'activate returned the test API');
    assert.equal(typeof exported.registry.get, 'function');
    assert.equal(typeof exported.tree.getChildren, 'function');
    // A figure for the log, not an assertion: activation time is measured by the benchmark.
    console.log(`    activation took ${exported.activationMs.toFixed(0)} ms`);
  });

  it('registers every command of its manifest', async () => {
    const manifest = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as { contributes: { commands: Array<{ command: string }> } };
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = manifest.contributes.commands.map((c) => c.command).filter((c) => !registered.has(c));
    assert.deepEqual(missing, []);
  });

  it('lists the example functions in the Functions view with runtime and state', async () => {
    const { tree } = await api();
    const nodes = await until('both example functions', async () => {
      const found = await functionNodes(tree);
      return found.length >= 2 ? found : undefined;
    });
    const items = nodes.map((n) => tree.getTreeItem(n));
    const byName = new Map(items.map((i) => [i.label, i]));
    assert.match(String(byName.get('hello-node')?.description), /^Node\.js · /);
    assert.match(String(byName.get('hello-python')?.description), /^Python · /);
    assert.match(String(byName.get('hello-node')?.contextValue), /^function\.(notBuilt|stopped|running|exited) autoReload\.on$/);
    const events = await tree.getChildren(nodes.find((n) => n.runner.spec.name === 'hello-node'));
    assert.deepEqual(events.map((e) => tree.getTreeItem(e).label), ['hello']);
  });

  it('New Function writes a complete Node.js function and opens its handler', async () => {
    const { tree } = await api();
    const folder = await vscode.commands.executeCommand<string>('localServerless.newFunction', 'ext-made', 'node');
    assert.equal(folder, path.join(workspaceRoot(), 'ext-made'));
    for (const file of ['handler.js', 'server.js', 'Dockerfile', '.dockerignore', 'package.json', 'fn.json', 'events/hello.json']) {
      assert.ok(fs.existsSync(path.join(folder, file)), `${file} written`);
    }
    assert.equal(vscode.window.activeTextEditor?.document.uri.fsPath, path.join(folder, 'handler.js'));
    await until('the new function in the tree', async () => (await functionNodes(tree)).find((n) => n.runner.spec.name === 'ext-made'));
  });

  it('New Function refuses a name that escapes the workspace and writes nothing', async () => {
    const before = fs.readdirSync(path.dirname(workspaceRoot()));
    const result = await vscode.commands.executeCommand('localServerless.newFunction', '../escaped', 'node');
    assert.equal(result, undefined);
    assert.deepEqual(fs.readdirSync(path.dirname(workspaceRoot())), before);
  });

  it('an unknown field in fn.json is a diagnostic on that field, and the function shows as misconfigured and is not run', async () => {
    const { tree, registry } = await api();
    const fnJson = path.join(workspaceRoot(), 'hello-python', 'fn.json');
    const original = fs.readFileSync(fnJson, 'utf8');
    try {
      fs.writeFileSync(fnJson, original.replace('"port": 8080,', '"port": 8080,\n  "memroyMb": 128,'));
      const uri = vscode.Uri.file(fnJson);
      const diagnostic = await until('a diagnostic on fn.json', () => vscode.languages.getDiagnostics(uri).find((d) => d.source === 'Local Serverless'));
      const document = await vscode.workspace.openTextDocument(uri);
      assert.equal(document.getText(diagnostic.range), '"memroyMb"');
      assert.match(diagnostic.message, /Unknown field "memroyMb"/);
      const node = await until('the misconfigured state', async () => (await functionNodes(tree)).find((n) => n.runner.spec.name === 'hello-python' && n.runner.state.kind === 'misconfigured'));
      assert.match(String(tree.getTreeItem(node).contextValue), /^function\.misconfigured /);
      await vscode.commands.executeCommand('localServerless.buildAndRun', uri);
      // Asked of the engine itself, not of the command's return value (undefined for any failure).
      const containers = execFileSync('docker', ['ps', '-aq', '--filter', `label=local-serverless.owner=${registry.ownerId}`, '--filter', 'label=local-serverless.function=hello-python'], { encoding: 'utf8' }).trim();
      assert.equal(containers, '', 'nothing is run with half a config');
      assert.equal(registry.get('hello-python')?.state.kind, 'misconfigured');
    } finally {
      fs.writeFileSync(fnJson, original);
    }
    await until('the diagnostic to clear', () => vscode.languages.getDiagnostics(vscode.Uri.file(fnJson)).length === 0 || undefined);
  });

  it('an fn.json problem shows once in Problems while the file is open (the JSON language server reports schema errors, we do not repeat them)', async () => {
    const fnJson = path.join(workspaceRoot(), 'hello-node', 'fn.json');
    const original = fs.readFileSync(fnJson, 'utf8');
    const uri = vscode.Uri.file(fnJson);
    const onKey = () => vscode.languages.getDiagnostics(uri).filter((d) => /memroyMb/.test(d.message) || /not allowed/.test(d.message));
    try {
      await vscode.window.showTextDocument(uri);
      fs.writeFileSync(fnJson, original.replace('"port": 8080,', '"port": 8080,\n  "memroyMb": 128,'));
      await until('the JSON language server\'s report', () => vscode.languages.getDiagnostics(uri).find((d) => d.source !== 'Local Serverless' && /not allowed/i.test(d.message)));
      await new Promise((r) => setTimeout(r, 1_500)); // our discovery runs 300 ms after the change: give it time to (wrongly) repeat it
      assert.equal(onKey().length, 1, onKey().map((d) => `${d.source}: ${d.message}`).join('\n'));
    } finally {
      fs.writeFileSync(fnJson, original);
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    }
  });

  it('an envFile that leads outside the workspace folder is a diagnostic on the field, and the function is misconfigured', async () => {
    const { tree } = await api();
    const folder = path.join(workspaceRoot(), 'leaky');
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'ls-outside-'));
    fs.writeFileSync(path.join(outside, 'credentials'), 'SECRET=1\n');
    fs.mkdirSync(folder);
    try {
      fs.copyFileSync(path.join(workspaceRoot(), 'hello-node', 'Dockerfile'), path.join(folder, 'Dockerfile'));
      fs.symlinkSync(path.join(outside, 'credentials'), path.join(folder, '.env'));
      const fnJson = path.join(folder, 'fn.json');
      fs.writeFileSync(fnJson, '{\n  "envFile": ".env"\n}\n');
      await vscode.commands.executeCommand('localServerless.refresh');
      const diagnostic = await until('a diagnostic on envFile', () => vscode.languages.getDiagnostics(vscode.Uri.file(fnJson)).find((d) => /outside the workspace folder/.test(d.message)));
      assert.equal(diagnostic.range.start.line, 1, 'on the envFile line');
      assert.match(diagnostic.message, /move the file into the workspace/);
      await until('leaky misconfigured', async () => (await functionNodes(tree)).find((n) => n.runner.spec.name === 'leaky' && n.runner.state.kind === 'misconfigured'));
    } finally {
      fs.rmSync(folder, { recursive: true, force: true });
      fs.rmSync(outside, { recursive: true, force: true });
      await vscode.commands.executeCommand('localServerless.refresh');
    }
  });

  it('a dockerHost in the workspace settings that is not an address does not break the extension: the view names it and where it is set', async () => {
    const { tree } = await api();
    const config = vscode.workspace.getConfiguration('localServerless');
    await config.update('dockerHost', 'docker.example.com', vscode.ConfigurationTarget.Workspace);
    try {
      const row = await until('the invalid address row', async () => ((await tree.getChildren()) as TreeNode[]).map((n) => tree.getTreeItem(n)).find((i) => /docker\.example\.com/.test(String(i.label))));
      assert.match(String(row.label), /"docker\.example\.com" \(setting localServerless\.dockerHost in (workspace|folder) settings/);
      assert.match(String(row.tooltip), /unix:\/\/\/path\/to\/docker\.sock/);
      assert.ok((await functionNodes(tree)).length >= 2, 'the functions are still listed');
    } finally {
      await config.update('dockerHost', undefined, vscode.ConfigurationTarget.Workspace);
    }
    await until('the engine back', async () => ((await tree.getChildren()) as TreeNode[]).every((n) => n.kind !== 'message') || undefined);
  });

  it('Build and Run from a handler file starts the function, Invoke answers beside the editor, Stop removes it', async () => {
    const { registry } = await api();
    const handler = vscode.Uri.file(path.join(workspaceRoot(), 'hello-node', 'handler.js'));
    await vscode.window.showTextDocument(handler);
    const url = await vscode.commands.executeCommand<string>('localServerless.buildAndRun', handler);
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/hello-node$/, 'its URL on the window\'s gateway');
    assert.equal(registry.get('hello-node')?.state.kind, 'running');

    const status = await vscode.commands.executeCommand<number>('localServerless.invoke', handler, '{"name":"extension host"}');
    assert.equal(status, 200);
    const result = await until('the result editor', () => vscode.window.visibleTextEditors.find((e) => e.document.uri.scheme === 'local-serverless-result'));
    assert.match(result.document.getText(), /"message": "Hello, extension host!"/);
    assert.match(result.document.getText(), /^\/\/ 200 OK in [\d.]+ ms/m);

    const saved = await vscode.commands.executeCommand<string>('localServerless.saveEvent', handler, 'from-ext-host');
    assert.equal(saved, path.join(workspaceRoot(), 'hello-node', 'events', 'from-ext-host.json'));
    assert.deepEqual(JSON.parse(fs.readFileSync(saved, 'utf8')), { name: 'extension host' }, 'the last payload is what was saved');

    await vscode.commands.executeCommand('localServerless.stop', handler);
    assert.equal(registry.get('hello-node')?.state.kind, 'stopped');
  });

  it('Export to Knative writes deploy/knative.yaml beside the function, stamped, and opens it beside the editor; again, it is left as it was', async () => {
    await api();
    const handler = vscode.Uri.file(path.join(workspaceRoot(), 'hello-node', 'handler.js'));
    const deploy = path.join(workspaceRoot(), 'hello-node', 'deploy');
    try {
      const file = await vscode.commands.executeCommand<string>('localServerless.exportKnative', handler);
      assert.equal(file, path.join(deploy, 'knative.yaml'));
      const text = fs.readFileSync(file, 'utf8');
      assert.match(text, /^# local-serverless-export sha256:[0-9a-f]{64}\n/);
      assert.match(text, /^kind: Service$/m);
      assert.match(text, /# {3}kubectl apply -f hello-node\/deploy\/knative\.yaml$/m);
      const editor = vscode.window.visibleTextEditors.find((e) => e.document.uri.fsPath === file);
      assert.ok(editor, 'the manifest is open');
      assert.notEqual(editor.viewColumn, vscode.ViewColumn.One, 'beside the editor');
      const written = fs.statSync(file).mtimeMs;
      assert.equal(await vscode.commands.executeCommand<string>('localServerless.exportKnative', handler), file);
      assert.equal(fs.statSync(file).mtimeMs, written, 'the same output is not written again');
    } finally {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      fs.rmSync(deploy, { recursive: true, force: true });
    }
  });

  it('Add Dockerfile turns a folder of Node.js code into a function', async () => {
    const { registry } = await api();
    const folder = path.join(workspaceRoot(), 'plain-node-app');
    fs.mkdirSync(folder, { recursive: true });
    fs.writeFileSync(path.join(folder, 'package.json'), JSON.stringify({ name: 'plain-node-app', scripts: { start: 'node app.js' } }));
    fs.writeFileSync(path.join(folder, 'app.js'), "require('http').createServer((q, s) => s.end('{}')).listen(process.env.PORT || 8080);\n");
    assert.equal(await vscode.commands.executeCommand('localServerless.addDockerfile', vscode.Uri.file(folder)), folder);
    const dockerfile = fs.readFileSync(path.join(folder, 'Dockerfile'), 'utf8');
    assert.match(dockerfile, /^FROM node:20-bookworm-slim/m);
    assert.match(dockerfile, /CMD \["node", "app\.js"\]/);
    assert.ok(fs.existsSync(path.join(folder, '.dockerignore')));
    await until('the folder to be a function', () => registry.get('plain-node-app'));
  });
});
