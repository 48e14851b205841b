import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import * as ts from 'typescript';

/**
 * Runtime strings go through vscode.l10n (English only for now; l10n/bundle.l10n.json lists them for
 * translators). The core and services have no vscode: their messages stay English, and are not
 * checked here. Pragmatic, not perfect: it reads the places where the UI hands text to VS Code.
 */

// Compiled to out/test/unit/, so the repository root is three levels up.
const ROOT = path.resolve(__dirname, '..', '..', '..');
const BUNDLE = path.join(ROOT, 'l10n', 'bundle.l10n.json');

function tsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return tsFiles(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

const parse = (file: string) => ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
const relative = (file: string) => path.relative(ROOT, file).split(path.sep).join('/');
const where = (node: ts.Node) => {
  const source = node.getSourceFile();
  return `${relative(source.fileName)}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
};

/** The UI layer: what shows text to the user. */
const UI_FILES = [...tsFiles(path.join(ROOT, 'src', 'ui')), path.join(ROOT, 'src', 'extension.ts')];

/**
 * Calls whose arguments are shown to the user as they are (notify.ts's wrappers, errors the command
 * wrapper shows, status bar, channels), with the positions of those arguments (all when not given).
 */
const SHOWN_ARGUMENTS = new Map<string, number[] | undefined>([
  ['showError', undefined], ['showInfo', undefined], ['askModal', undefined], ['setStatusBarMessage', [0]], ['UserFacingError', undefined], ['Error', undefined],
  ['resolveFunction', undefined], ['MessageNode', [0, 1]], ['appendLine', undefined], ['appendMarkdown', undefined], ['createWebviewPanel', [1]],
]);
/** Properties of the objects handed to VS Code (quick picks, input boxes, progress, code lenses, tree items) that it shows. */
const SHOWN_PROPERTIES = new Set(['title', 'prompt', 'placeHolder', 'tooltip', 'openLabel', 'message', 'label', 'description', 'detail', 'text']);
/**
 * Literals that are no words to translate: product and runtime names, file and folder names, markdown.
 * Each is matched as the whole literal text (after removing `$(icon)` and `${…}` parts).
 */
const NOT_WORDS = new Set([
  'debugpy', 'Node.js', 'Python', 'Dockerfile', 'Kubernetes', 'Knative', 'events/', '[push] ',
  // An example function name in New Function's input box.
  'hello',
  // Named in the load test summary, which the core writes in English.
  'empty body',
]);

/** The literal text of a string or template (its `${…}` left out), or undefined for anything else. */
function literalText(node: ts.Expression): string | undefined {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  if (ts.isTemplateExpression(node)) return [node.head.text, ...node.templateSpans.map((s) => s.literal.text)].join('');
  return undefined;
}

/** The literals in an expression that would reach the user untranslated: conditionals and `+` are looked through. */
function rawText(node: ts.Expression): ts.Expression[] {
  if (ts.isParenthesizedExpression(node)) return rawText(node.expression);
  if (ts.isConditionalExpression(node)) return [...rawText(node.whenTrue), ...rawText(node.whenFalse)];
  if (ts.isBinaryExpression(node) && (node.operatorToken.kind === ts.SyntaxKind.PlusToken || node.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken || node.operatorToken.kind === ts.SyntaxKind.BarBarToken)) {
    return [...rawText(node.left), ...rawText(node.right)];
  }
  const text = literalText(node);
  if (text === undefined) return [];
  const words = text.replace(/\$\([a-z-~]+\)/g, '');
  return /[A-Za-z]{2,}/.test(words) && !NOT_WORDS.has(words) ? [node] : [];
}

/** Untranslated literals shown to the user in one file. */
function bypasses(file: string): string[] {
  const found: string[] = [];
  const flag = (expression: ts.Expression | undefined) => {
    if (!expression) return;
    for (const raw of rawText(expression)) found.push(`${where(raw)} ${raw.getText().slice(0, 80)}`);
  };
  const calleeName = (expression: ts.Expression) => ts.isIdentifier(expression) ? expression.text : ts.isPropertyAccessExpression(expression) ? expression.name.text : '';
  const visit = (node: ts.Node): void => {
    if ((ts.isCallExpression(node) || ts.isNewExpression(node)) && SHOWN_ARGUMENTS.has(calleeName(node.expression))) {
      const positions = SHOWN_ARGUMENTS.get(calleeName(node.expression));
      (node.arguments ?? []).forEach((argument, i) => { if (!positions || positions.includes(i)) flag(argument); });
    }
    if (ts.isPropertyAssignment(node) && (ts.isIdentifier(node.name) || ts.isStringLiteral(node.name)) && SHOWN_PROPERTIES.has(node.name.text)) {
      flag(node.initializer);
    }
    if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.EqualsToken && ts.isPropertyAccessExpression(node.left) && SHOWN_PROPERTIES.has(node.left.name.text)) {
      flag(node.right);
    }
    // A default parameter that becomes a progress title, say.
    if (ts.isParameter(node) && node.initializer && ts.isIdentifier(node.name) && SHOWN_PROPERTIES.has(node.name.text)) flag(node.initializer);
    ts.forEachChild(node, visit);
  };
  visit(parse(file));
  return found;
}

/** A `vscode.l10n.t(…)` or `l10n.t(…)` call (engineAdvice.ts takes vscode.l10n as `l10n`). */
function isL10nCall(node: ts.Node): node is ts.CallExpression {
  if (!ts.isCallExpression(node) || !ts.isPropertyAccessExpression(node.expression) || node.expression.name.text !== 't') return false;
  const owner = node.expression.expression;
  return (ts.isIdentifier(owner) && owner.text === 'l10n') || (ts.isPropertyAccessExpression(owner) && owner.name.text === 'l10n' && ts.isIdentifier(owner.expression) && owner.expression.text === 'vscode');
}

interface L10nCall { where: string; key: string | undefined; argumentCount: number }

function l10nCalls(files: string[]): L10nCall[] {
  const calls: L10nCall[] = [];
  for (const file of files) {
    const visit = (node: ts.Node): void => {
      if (isL10nCall(node)) {
        const first = node.arguments[0];
        // Only a plain literal can be extracted into the bundle (a template with `${…}` cannot).
        const key = first && (ts.isStringLiteral(first) || ts.isNoSubstitutionTemplateLiteral(first)) ? first.text : undefined;
        calls.push({ where: where(node), key, argumentCount: node.arguments.length - 1 });
      }
      ts.forEachChild(node, visit);
    };
    visit(parse(file));
  }
  return calls;
}

describe('localisable strings', () => {
  it('no literal shown to the user in src/ui bypasses vscode.l10n', () => {
    assert.deepEqual(UI_FILES.flatMap(bypasses), []);
  });

  it('sees a bypass (sanity check of the test above)', () => {
    const sample = path.join(ROOT, 'out', 'l10n-sample.ts');
    fs.mkdirSync(path.dirname(sample), { recursive: true });
    fs.writeFileSync(sample, [
      "void showInfo(`Removed ${n} containers`);",
      "void withProgressSafe({ location, title: 'Cleaning up' }, task);",
      "await vscode.window.showQuickPick(items, { placeHolder: fromTree ? 'Pick one' : vscode.l10n.t('Pick') });",
      "item.tooltip = `Invoke ${name}`;",
      "throw new UserFacingError('Open a folder first');",
      "void showInfo(vscode.l10n.t('Removed {0} containers', n));",
      "const lens = { title: `$(send) ${vscode.l10n.t('Invoke')}`, description: 'Node.js' };",
    ].join('\n'));
    try {
      assert.deepEqual(bypasses(sample).map((line) => line.split(' ')[0].replace(/^.*:/, '')), ['1', '2', '3', '4', '5']);
    } finally {
      fs.rmSync(sample);
    }
  });

  it('every vscode.l10n.t call in src takes a plain literal, and its placeholders match its arguments', () => {
    const calls = l10nCalls(tsFiles(path.join(ROOT, 'src')));
    assert.ok(calls.length > 100, `found ${calls.length} calls`);
    assert.deepEqual(calls.filter((c) => c.key === undefined).map((c) => c.where), [], 'a template with ${…} or a variable cannot be extracted: use a literal with {0} and pass the value');
    const mismatched = calls.filter((c) => {
      const used = new Set([...(c.key as string).matchAll(/\{(\d+)\}/g)].map((m) => Number(m[1])));
      return used.size !== c.argumentCount || [...used].some((i) => i >= c.argumentCount);
    });
    assert.deepEqual(mismatched.map((c) => `${c.where} ${c.key} (${c.argumentCount} arguments)`), []);
  });

  it('l10n/bundle.l10n.json holds exactly the keys used in src (npx @vscode/l10n-dev export --outDir ./l10n ./src)', () => {
    const bundle = JSON.parse(fs.readFileSync(BUNDLE, 'utf8')) as Record<string, unknown>;
    const used = new Set(l10nCalls(tsFiles(path.join(ROOT, 'src'))).map((c) => c.key as string));
    assert.deepEqual([...used].filter((key) => !(key in bundle)).sort(), [], 'used in src, missing from the bundle');
    assert.deepEqual(Object.keys(bundle).filter((key) => !used.has(key)).sort(), [], 'in the bundle, used nowhere');
    for (const [key, value] of Object.entries(bundle)) assert.equal(value, key, 'English only: each message is its own key');
  });

  it('the manifest points VS Code at the bundle, and the package ships it', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { l10n?: string };
    assert.equal(manifest.l10n, './l10n');
    assert.match(fs.readFileSync(path.join(ROOT, '.vscodeignore'), 'utf8'), /^!l10n\/\*\*$/m);
  });
});
