import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import * as ts from 'typescript';

// src/ui/ids.ts imports vscode, so its constants are read from its source text here.
const ROOT = path.resolve(__dirname, '..', '..', '..');
const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  contributes: { commands: Array<{ command: string }>; views: Record<string, Array<{ id: string }>>; menus: Record<string, Array<{ when?: string }>>; viewsWelcome: Array<{ when?: string; view: string }>; configuration: { properties: Record<string, unknown> } };
};

function constArray(name: string): string[] {
  const source = ts.createSourceFile('ids.ts', fs.readFileSync(path.join(ROOT, 'src/ui/ids.ts'), 'utf8'), ts.ScriptTarget.Latest, true);
  let found: string[] | undefined;
  source.forEachChild(function visit(node) {
    if (ts.isVariableDeclaration(node) && node.name.getText() === name && node.initializer) {
      const array = ts.isAsExpression(node.initializer) ? node.initializer.expression : node.initializer;
      if (ts.isArrayLiteralExpression(array)) found = array.elements.filter(ts.isStringLiteral).map((e) => e.text);
    }
    node.forEachChild(visit);
  });
  assert.ok(found, `${name} is a string array in src/ui/ids.ts`);
  return found;
}

/** The setting names in SETTINGS (`${PREFIX}.name` templates) of src/ui/ids.ts. */
function settingNames(): string[] {
  const source = ts.createSourceFile('ids.ts', fs.readFileSync(path.join(ROOT, 'src/ui/ids.ts'), 'utf8'), ts.ScriptTarget.Latest, true);
  let found: string[] | undefined;
  source.forEachChild(function visit(node) {
    if (ts.isVariableDeclaration(node) && node.name.getText() === 'SETTINGS' && node.initializer) {
      const object = ts.isAsExpression(node.initializer) ? node.initializer.expression : node.initializer;
      if (ts.isObjectLiteralExpression(object)) {
        found = object.properties.filter(ts.isPropertyAssignment).map((p) => p.initializer.getText().replace(/^`\$\{PREFIX\}\.(.*)`$/, 'localServerless.$1'));
      }
    }
    node.forEachChild(visit);
  });
  assert.ok(found, 'SETTINGS is an object literal in src/ui/ids.ts');
  return found;
}

describe('the typed ids match the manifest', () => {
  it('every contributed command is a COMMANDS name and every name is contributed', () => {
    const contributed = manifest.contributes.commands.map((c) => c.command).sort();
    assert.deepEqual(constArray('COMMANDS').map((n) => `localServerless.${n}`).sort(), contributed);
  });

  it('the view id is the one contributed view', () => {
    const views = Object.values(manifest.contributes.views).flat().map((v) => v.id);
    assert.deepEqual(views, ['localServerless.functions']);
    assert.match(fs.readFileSync(path.join(ROOT, 'src/ui/ids.ts'), 'utf8'), /VIEW_ID = `\$\{PREFIX\}\.functions`/);
  });

  it('every localServerless.* context key in a when clause is one the code sets', () => {
    const keys = new Set([...constArray('CONTEXT_KEYS').map((k) => `localServerless.${k}`), 'localServerless.functions']); // and the view id, in `view == …`
    const whens = [...Object.values(manifest.contributes.menus).flat(), ...manifest.contributes.viewsWelcome].map((m) => m.when ?? '');
    const used = new Set(whens.flatMap((w) => w.match(/localServerless\.\w+/g) ?? []));
    assert.deepEqual([...used].filter((k) => !keys.has(k)), []);
  });

  it('every setting the code reads (SETTINGS) is contributed, and the ones that choose where things go are restricted', () => {
    const contributed = Object.keys(manifest.contributes.configuration.properties);
    const read = settingNames();
    assert.ok(read.length >= 5, read.join(', '));
    assert.deepEqual(read.filter((name) => !contributed.includes(name)), []);
    const restricted = (manifest as unknown as { capabilities: { untrustedWorkspaces: { restrictedConfigurations: string[] } } }).capabilities.untrustedWorkspaces.restrictedConfigurations;
    // The engine address, the host's network for builds, and where images are pushed: an untrusted workspace chooses none.
    assert.deepEqual([...restricted].sort(), ['localServerless.buildNetwork', 'localServerless.dockerHost', 'localServerless.registry']);
    // A build in the host's network reaches the host's 127.0.0.1: no workspace, trusted or not, turns it on.
    const properties = manifest.contributes.configuration.properties as Record<string, { scope?: string; default?: unknown }>;
    assert.equal(properties['localServerless.buildNetwork'].scope, 'machine');
    assert.equal(properties['localServerless.buildNetwork'].default, 'default');
  });

  it('no source file outside src/ui/ids.ts spells a command, view or context key as a literal', () => {
    const ids = [...constArray('COMMANDS'), 'functions', ...constArray('CONTEXT_KEYS')].map((n) => `'localServerless.${n}'`);
    const files = fs.readdirSync(path.join(ROOT, 'src'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts') && !f.endsWith('ids.ts'));
    const offending = files.filter((f) => ids.some((id) => fs.readFileSync(path.join(ROOT, 'src', f), 'utf8').includes(id)));
    assert.deepEqual(offending, []);
  });
});
