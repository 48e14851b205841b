import * as path from 'node:path';
import * as vscode from 'vscode';
import { problemsToPublish, type ConfigProblem } from '../core/fnConfig';
import { discoveryExcludeGlob, markDuplicateNames, type FunctionSpec } from '../core/functionSpec';
import { readFunction } from '../core/readFunction';
import type { FunctionRegistry } from '../services/functionRegistry';
import { setContext, SETTINGS } from './ids';

const DEBOUNCE_MS = 300;

/**
 * Finds the workspace's functions (folders holding a Dockerfile), keeps the registry in step as
 * Dockerfiles and fn.json files come and go (and the files that say a function's protocol), and puts fn.json problems on the field as diagnostics.
 * Each problem shows once: while an fn.json is open, VS Code's JSON language server reports its
 * syntax and schema problems (jsonValidation) and we publish only the ones it cannot find.
 */
export class FunctionDiscovery implements vscode.Disposable {
  private readonly diagnostics = vscode.languages.createDiagnosticCollection('local-serverless');
  private readonly watcher = vscode.workspace.createFileSystemWatcher('**/{Dockerfile,fn.json,.env*,package.json,requirements.txt,func.yaml}');
  private readonly disposables: vscode.Disposable[] = [this.diagnostics, this.watcher];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private specs: FunctionSpec[] = [];

  constructor(private readonly registry: FunctionRegistry, private readonly log: vscode.LogOutputChannel) {
    const schedule = () => this.schedule();
    // An npm install writes a package.json per package: none of those is a function's.
    const scheduleFor = (uri: vscode.Uri) => { if (!/[\\/]node_modules[\\/]/.test(uri.fsPath)) this.schedule(); };
    this.disposables.push(
      this.watcher.onDidCreate(scheduleFor),
      this.watcher.onDidChange(scheduleFor),
      this.watcher.onDidDelete(scheduleFor),
      vscode.workspace.onDidChangeWorkspaceFolders(schedule),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('files.exclude') || e.affectsConfiguration(SETTINGS.exclude)) schedule();
        if (e.affectsConfiguration('json.validate.enable')) this.publishDiagnostics();
      }),
      // Opening or closing fn.json hands its schema problems to the JSON language server or back.
      vscode.workspace.onDidOpenTextDocument((d) => { if (isFnJson(d.uri)) this.publishDiagnostics(); }),
      vscode.workspace.onDidCloseTextDocument((d) => { if (isFnJson(d.uri)) this.publishDiagnostics(); }),
    );
  }

  schedule(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refresh(), DEBOUNCE_MS);
  }

  /** Runs discovery now; concurrent calls share one run. */
  refresh(): Promise<void> {
    this.running ??= this.discover().finally(() => (this.running = undefined));
    return this.running;
  }

  private async discover(): Promise<void> {
    const started = Date.now();
    const filesExclude = vscode.workspace.getConfiguration('files').get<Record<string, unknown>>('exclude') ?? {};
    const extra = vscode.workspace.getConfiguration().get<string[]>(SETTINGS.exclude) ?? [];
    const dockerfiles = await vscode.workspace.findFiles('**/Dockerfile', discoveryExcludeGlob(filesExclude, extra));
    const specs = await Promise.all(dockerfiles.map((uri) => this.describe(uri)));
    const unique = markDuplicateNames(specs.filter((s): s is FunctionSpec => s !== undefined));
    this.specs = unique;
    this.publishDiagnostics();
    this.registry.setSpecs(unique);
    await setContext('hasFunctions', unique.length > 0);
    await setContext('discovered', true);
    this.log.info(`found ${unique.length} function(s) in ${Date.now() - started} ms`);
  }

  private async describe(dockerfile: vscode.Uri): Promise<FunctionSpec | undefined> {
    try {
      return await readFunction(dockerfile.fsPath, vscode.workspace.getWorkspaceFolder(dockerfile)?.uri.fsPath ?? path.dirname(dockerfile.fsPath));
    } catch (error) {
      this.log.warn(`cannot read ${dockerfile.fsPath}: ${String(error)}`);
      return undefined;
    }
  }

  /**
   * Positions come with the problems (computed in the core from the text discovery read), so no
   * document is opened here: opening one would cost the host a copy of a big file and make the
   * JSON language server check files the user never opened.
   */
  private publishDiagnostics(): void {
    this.diagnostics.clear();
    for (const spec of this.specs) {
      const uri = vscode.Uri.file(spec.configFile ?? spec.dockerfile);
      const problems = problemsToPublish(spec.problems, jsonServerChecks(uri));
      if (!problems.length && !spec.warnings.length) continue;
      const toDiagnostic = (severity: vscode.DiagnosticSeverity) => (problem: ConfigProblem) => {
        const { start, end } = problem.range ?? { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
        const diagnostic = new vscode.Diagnostic(new vscode.Range(start.line, start.character, end.line, end.character), problem.message, severity);
        diagnostic.source = 'Local Serverless';
        return diagnostic;
      };
      this.diagnostics.set(uri, [...problems.map(toDiagnostic(vscode.DiagnosticSeverity.Error)), ...spec.warnings.map(toDiagnostic(vscode.DiagnosticSeverity.Warning))]);
    }
  }

  dispose(): void {
    clearTimeout(this.timer);
    for (const d of this.disposables) d.dispose();
  }
}

function isFnJson(uri: vscode.Uri): boolean {
  return path.basename(uri.fsPath) === 'fn.json';
}

/** Whether VS Code's JSON language server is checking this file now: it checks the JSON documents open in the host. */
function jsonServerChecks(uri: vscode.Uri): boolean {
  const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  return !!document && (document.languageId === 'json' || document.languageId === 'jsonc')
    && vscode.workspace.getConfiguration('json', document).get<boolean>('validate.enable', true)
    && vscode.extensions.getExtension('vscode.json-language-features') !== undefined;
}
