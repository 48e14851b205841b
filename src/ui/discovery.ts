import * as path from 'node:path';
import * as vscode from 'vscode';
import { envFileLocation, resolveEnvFile } from '../core/envFile';
import { discoveryExcludeGlob, describeFunction, markDuplicateNames, type FunctionSpec } from '../core/functionSpec';
import type { FunctionRegistry } from '../services/functionRegistry';

const DEBOUNCE_MS = 300;

/**
 * Finds the workspace's functions (folders holding a Dockerfile), keeps the registry in step as
 * Dockerfiles and fn.json files come and go, and puts fn.json problems on the field as diagnostics.
 */
export class FunctionDiscovery implements vscode.Disposable {
  private readonly diagnostics = vscode.languages.createDiagnosticCollection('local-serverless');
  private readonly watcher = vscode.workspace.createFileSystemWatcher('**/{Dockerfile,fn.json,.env*}');
  private readonly disposables: vscode.Disposable[] = [this.diagnostics, this.watcher];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly registry: FunctionRegistry, private readonly log: vscode.LogOutputChannel) {
    const schedule = () => this.schedule();
    this.disposables.push(
      this.watcher.onDidCreate(schedule),
      this.watcher.onDidChange(schedule),
      this.watcher.onDidDelete(schedule),
      vscode.workspace.onDidChangeWorkspaceFolders(schedule),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('files.exclude') || e.affectsConfiguration('localServerless.exclude')) schedule();
      }),
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
    const extra = vscode.workspace.getConfiguration('localServerless').get<string[]>('exclude') ?? [];
    const dockerfiles = await vscode.workspace.findFiles('**/Dockerfile', discoveryExcludeGlob(filesExclude, extra));
    const specs = await Promise.all(dockerfiles.map((uri) => this.describe(uri)));
    const unique = markDuplicateNames(specs.filter((s): s is FunctionSpec => s !== undefined));
    await this.publishDiagnostics(unique);
    this.registry.setSpecs(unique);
    await vscode.commands.executeCommand('setContext', 'localServerless.hasFunctions', unique.length > 0);
    await vscode.commands.executeCommand('setContext', 'localServerless.discovered', true);
    this.log.info(`found ${unique.length} function(s) in ${Date.now() - started} ms`);
  }

  private async describe(dockerfile: vscode.Uri): Promise<FunctionSpec | undefined> {
    const folder = path.dirname(dockerfile.fsPath);
    try {
      const dockerfileText = await readText(dockerfile);
      const configText = await readText(vscode.Uri.file(path.join(folder, 'fn.json'))).catch(() => undefined);
      const workspaceFolder = vscode.workspace.getWorkspaceFolder(dockerfile)?.uri.fsPath ?? folder;
      const spec = describeFunction({ folder, workspaceFolder, dockerfileText, configText });
      if (!spec.envFile || configText === undefined) return spec;
      // Checked here so the function shows as misconfigured, with the problem on the field, before anything runs.
      const envFile = await resolveEnvFile(folder, spec.envFile, workspaceFolder);
      return envFile.ok ? spec : { ...spec, problems: [...spec.problems, { message: envFile.message, ...envFileLocation(configText) }] };
    } catch (error) {
      this.log.warn(`cannot read ${dockerfile.fsPath}: ${String(error)}`);
      return undefined;
    }
  }

  private async publishDiagnostics(specs: FunctionSpec[]): Promise<void> {
    this.diagnostics.clear();
    for (const spec of specs) {
      if (!spec.problems.length) continue;
      const uri = vscode.Uri.file(spec.configFile ?? spec.dockerfile);
      const document = await vscode.workspace.openTextDocument(uri).then((d) => d, () => undefined);
      this.diagnostics.set(uri, spec.problems.map((problem) => {
        const range = document
          ? new vscode.Range(document.positionAt(problem.offset), document.positionAt(problem.offset + problem.length))
          : new vscode.Range(0, 0, 0, 0);
        const diagnostic = new vscode.Diagnostic(range, problem.message, vscode.DiagnosticSeverity.Error);
        diagnostic.source = 'Local Serverless';
        return diagnostic;
      }));
    }
  }

  dispose(): void {
    clearTimeout(this.timer);
    for (const d of this.disposables) d.dispose();
  }
}

async function readText(uri: vscode.Uri): Promise<string> {
  return new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
}
