import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import * as ts from 'typescript';

// Compiled to out/test/unit/, so the repository root is three levels up.
const ROOT = path.resolve(__dirname, '..', '..', '..');
const SRC = path.join(ROOT, 'src');

interface ModuleImport {
  /** Path relative to the repository root, with forward slashes. */
  file: string;
  specifier: string;
  /** `import type` / `export type`: erased at compile time, so it loads nothing at run time. */
  typeOnly: boolean;
}

function tsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return tsFiles(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

/** Every import, export-from, require() and import() of a file, read with the TypeScript parser. */
function importsOf(file: string): ModuleImport[] {
  const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const relative = path.relative(ROOT, file).split(path.sep).join('/');
  const found: ModuleImport[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const allNamedAreTypes = !!clause && !clause.name && !!clause.namedBindings && ts.isNamedImports(clause.namedBindings)
        && clause.namedBindings.elements.length > 0 && clause.namedBindings.elements.every((e) => e.isTypeOnly);
      found.push({ file: relative, specifier: node.moduleSpecifier.text, typeOnly: !!clause?.isTypeOnly || allNamedAreTypes });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push({ file: relative, specifier: node.moduleSpecifier.text, typeOnly: node.isTypeOnly });
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) && ts.isStringLiteral(node.moduleReference.expression)) {
      found.push({ file: relative, specifier: node.moduleReference.expression.text, typeOnly: node.isTypeOnly });
    } else if (ts.isCallExpression(node) && node.arguments.length === 1 && ts.isStringLiteral(node.arguments[0])
      && (node.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(node.expression) && node.expression.text === 'require'))) {
      found.push({ file: relative, specifier: node.arguments[0].text, typeOnly: false });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** The package an import specifier loads: "dockerode/lib/x" → "dockerode", "@scope/pkg/x" → "@scope/pkg". */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

const ALL = tsFiles(SRC).flatMap(importsOf);
const under = (folder: string) => (i: ModuleImport) => i.file.startsWith(`src/${folder}/`);
const describeImport = (i: ModuleImport) => `${i.file} imports '${i.specifier}'`;

describe('architecture', () => {
  it('reads imports of every kind (sanity check of this test)', () => {
    assert.ok(ALL.some((i) => i.file === 'src/extension.ts' && i.specifier === 'vscode' && !i.typeOnly));
    assert.ok(ALL.some((i) => i.file === 'src/engine/dockerEngine.ts' && packageOf(i.specifier) === 'dockerode'));
    assert.ok(ALL.some((i) => i.typeOnly), 'type-only imports are recognised');
    assert.ok(ALL.some((i) => !i.typeOnly && i.specifier.startsWith('.')), 'value imports are recognised');
  });

  for (const layer of ['core', 'services', 'engine', 'watch']) {
    it(`src/${layer} never loads vscode (type-only imports are allowed)`, () => {
      const offending = ALL.filter(under(layer)).filter((i) => i.specifier === 'vscode' && !i.typeOnly);
      assert.deepEqual(offending.map(describeImport), []);
    });
  }

  it('src/core does not depend on the UI, services, engine or watch layers', () => {
    const offending = ALL.filter(under('core')).filter((i) => {
      if (!i.specifier.startsWith('.')) return false;
      const target = path.relative(ROOT, path.resolve(ROOT, path.dirname(i.file), i.specifier)).split(path.sep).join('/');
      return target.startsWith('src/') && !target.startsWith('src/core/');
    });
    assert.deepEqual(offending.map(describeImport), []);
  });

  it('only src/engine imports dockerode', () => {
    const offending = ALL.filter((i) => packageOf(i.specifier) === 'dockerode' && !under('engine')(i));
    assert.deepEqual(offending.map(describeImport), []);
  });

  it('only src/watch imports chokidar', () => {
    const offending = ALL.filter((i) => packageOf(i.specifier) === 'chokidar' && !under('watch')(i));
    assert.deepEqual(offending.map(describeImport), []);
  });

  it('notifications and progress titles go through src/ui/notify.ts, which strips link syntax from workspace text', () => {
    const direct = /\bwindow\.(showErrorMessage|showWarningMessage|showInformationMessage|withProgress)\s*\(/;
    const offending = tsFiles(SRC)
      .map((file) => path.relative(ROOT, file).split(path.sep).join('/'))
      .filter((file) => file !== 'src/ui/notify.ts' && direct.test(fs.readFileSync(path.join(ROOT, file), 'utf8')));
    assert.deepEqual(offending, []);
    assert.match(fs.readFileSync(path.join(SRC, 'ui', 'notify.ts'), 'utf8'), direct, 'the check itself sees a direct call');
  });
});
