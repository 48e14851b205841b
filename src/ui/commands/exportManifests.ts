import { configuredRegistry } from '../registrySetting';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CancelledError, UserFacingError } from '../../core/errors';
import { envFileKeys } from '../../core/export/envFileKeys';
import { exportFolderOf } from '../../core/export/exportFolder';
import { chooseImage } from '../../core/export/image';
import type * as Manifests from '../../core/export/manifests';
import type { ExportInput, RenderedExport } from '../../core/export/manifests';
import { planManifestWrite, writeManifest } from '../../core/export/writeManifest';
import { relativeTo } from '../../core/export/workspacePath';
import { findOnPath } from '../../core/findOnPath';
import { actionRefusal } from '../../core/functionStates';
import type { FunctionRegistry } from '../../services/functionRegistry';
import type { FunctionRunner } from '../../services/functionRunner';
import { SETTINGS } from '../ids';
import { askModal, showInfo } from '../notify';
import { resolveFunction } from './pickFunction';

export type ExportKind = 'kubernetes' | 'knative';

/** `title`: a product name, the same in every language. */
const KINDS: Record<ExportKind, { title: string; baseName: string; render: (manifests: typeof Manifests, input: ExportInput) => RenderedExport }> = {
  kubernetes: { title: 'Kubernetes', baseName: 'kubernetes', render: (manifests, input) => manifests.renderKubernetesExport(input) },
  knative: { title: 'Knative', baseName: 'knative', render: (manifests, input) => manifests.renderKnativeExport(input) },
};

/**
 * The renderers, with kubernetes-models' validators and yaml: their own bundle (dist/exporter.js, see
 * scripts/esbuild.mjs), so VS Code parses them on the first export rather than at every activation.
 */
function manifests(): typeof Manifests {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('../../core/export/manifests') as typeof Manifests;
}

export interface ExportDependencies {
  /**
   * The image Push Image last sent for this function (a full reference, with its digest when known),
   * or undefined: the export then runs fn.json's `image`, or the registry setting's, with `:latest`.
   */
  imageFor?: (runner: FunctionRunner) => string | undefined;
}

/**
 * Export to Kubernetes / Export to Knative: writes the function's manifest beside it (the
 * `localServerless.exportFolder` setting, `deploy` by default), opens it beside the editor, and offers
 * the `kubectl apply -f` line. Our own unedited output is replaced silently; anything else is the
 * user's, and is replaced only when they say so (or the new one is written beside it). Nothing is
 * written through a link that leaves the function's folder. Resolves with the file written.
 */
export function exportManifest(kind: ExportKind, registry: FunctionRegistry, dependencies: ExportDependencies = {}) {
  const { title, baseName, render } = KINDS[kind];
  const terminals = new Map<string, vscode.Terminal>();
  return async (arg?: unknown): Promise<string> => {
    const runner = await resolveFunction(registry, arg, vscode.l10n.t('Function to export to {0}', title));
    // The core's refusal (English: it has no vscode).
    const refusal = actionRefusal(runner.spec.name, runner.state.kind, 'export');
    if (refusal) throw new UserFacingError(refusal);
    runner.assertConfigured();
    const kubectl = findOnPath('kubectl');
    const spec = runner.spec;
    const root = spec.workspaceFolder ?? vscode.workspace.getWorkspaceFolder(vscode.Uri.file(spec.folder))?.uri.fsPath ?? spec.folder;
    const fn = { ...spec, workspaceFolder: root };
    const folder = exportFolderOf(spec.folder, vscode.workspace.getConfiguration(undefined, vscode.Uri.file(spec.folder)).get<string>(SETTINGS.exportFolder));
    // A restricted setting: VS Code leaves out an untrusted workspace's own value (and exports need trust anyway).
    const image = chooseImage({ name: spec.name, pushed: dependencies.imageFor?.(runner), fnImage: spec.image, registry: configuredRegistry()?.value });
    const keys = spec.envFile === undefined ? undefined : await envFileKeys(spec.folder, spec.envFile, root);
    const renderer = manifests();
    const renderFor = (manifestFile: string) => render(renderer, { fn, image, envFileKeys: keys, manifestFile });

    let file = path.join(folder, `${baseName}.yaml`);
    let rendered = renderFor(file);
    let decision = await planManifestWrite(spec.folder, file, rendered.text);
    refuseUnsavedEditor(root, file);
    if (decision === 'ask') {
      const besideName = `${baseName}.new.yaml`;
      const beside = vscode.l10n.t('Write Beside as {0}', besideName);
      const answer = await askModal(
        vscode.l10n.t('{0} holds changes made since Local Serverless wrote it (or was not written by it). Replace it with {1}\'s {2} export?', relativeTo(root, file), spec.name, title),
        vscode.l10n.t('"{0}" keeps it as it is and writes the export next to it, to compare.', beside),
        vscode.l10n.t('Replace'), beside,
      );
      if (!answer) throw new CancelledError();
      if (answer === beside) {
        file = path.join(folder, besideName);
        rendered = renderFor(file);
        decision = await planManifestWrite(spec.folder, file, rendered.text);
        refuseUnsavedEditor(root, file);
        if (decision === 'ask') throw new UserFacingError(vscode.l10n.t('{0} holds changes too: move or delete it, then export again.', relativeTo(root, file)));
      }
    }
    if (decision !== 'unchanged') await writeManifest(spec.folder, file, rendered.text);
    await vscode.window.showTextDocument(vscode.Uri.file(file), { viewColumn: vscode.ViewColumn.Beside, preview: false });
    void offerApply(rendered, relativeTo(root, file), image.source === 'placeholder', (await kubectl) !== undefined, () => terminalIn(terminals, root));
    return file;
  };
}

/** An editor holding unsaved changes to the manifest would fight the file we write: those changes are the user's. */
function refuseUnsavedEditor(root: string, file: string): void {
  const open = vscode.workspace.textDocuments.find((document) => document.uri.scheme === 'file' && document.uri.fsPath === file);
  if (open?.isDirty) throw new UserFacingError(vscode.l10n.t('{0} has unsaved changes in an editor: save or revert them, then export again.', relativeTo(root, file)));
}

/** The notification after an export: the apply line, to copy or (with kubectl on PATH) to run in a terminal. */
async function offerApply(rendered: RenderedExport, shownFile: string, placeholderImage: boolean, hasKubectl: boolean, terminal: () => vscode.Terminal): Promise<void> {
  const copy = vscode.l10n.t('Copy Command');
  const run = vscode.l10n.t('Run in Terminal');
  // Sentences, each whole, shown one after the other.
  const parts = [vscode.l10n.t('Wrote {0}. Apply it with: {1}', shownFile, rendered.applyCommand)];
  if (rendered.secretCommand) parts.push(vscode.l10n.t('First create the Secret with the env file\'s values: {0}', rendered.secretCommand));
  if (placeholderImage) parts.push(vscode.l10n.t('Its image is a placeholder (REGISTRY/…): run Push Image, or set "image" in fn.json or the localServerless.registry setting, then export again.'));
  if (!hasKubectl) parts.push(vscode.l10n.t('kubectl is not on PATH: copy the command and run it where kubectl reaches your cluster.'));
  const answer = await showInfo(parts.join(' '), ...(hasKubectl ? [copy, run] : [copy]));
  if (answer === copy) {
    await vscode.env.clipboard.writeText(rendered.applyCommand);
    vscode.window.setStatusBarMessage(vscode.l10n.t('Copied {0}', rendered.applyCommand), 4000);
  } else if (answer === run) {
    const shell = terminal();
    shell.show();
    shell.sendText(rendered.applyCommand, true);
  }
}

/** One kubectl terminal per workspace folder (the commands' paths are relative to it), made again once closed. */
function terminalIn(terminals: Map<string, vscode.Terminal>, cwd: string): vscode.Terminal {
  const existing = terminals.get(cwd);
  if (existing && existing.exitStatus === undefined && vscode.window.terminals.includes(existing)) return existing;
  const created = vscode.window.createTerminal({ name: `kubectl: ${path.basename(cwd)}`, cwd });
  terminals.set(cwd, created);
  return created;
}
