import * as fs from 'node:fs/promises';
import * as path from 'node:path';

/** A file a template produces, relative to the new function's folder. */
export interface RenderedFile {
  relativePath: string;
  content: string;
}

export interface TemplateVariables {
  name: string;
  port: number;
  /** Template-specific values (install command, reload label, main file): default from template.json. */
  [key: string]: string | number;
}

export interface Template {
  runtime: string;
  label: string;
  /** File the user edits, opened after scaffolding. */
  entry: string;
  /** Values of `{{key}}` placeholders other than name and port, from template.json's `defaults`. */
  defaults: Record<string, string>;
  files: RenderedFile[];
}

interface TemplateManifest {
  label: string;
  entry: string;
  defaults?: Record<string, string>;
}

/**
 * Template files are stored under names that keep them inert inside the extension:
 * `Dockerfile.tmpl` would otherwise make the template folder look like a function, and
 * `_dockerignore` would otherwise be a real ignore file. This maps them to their real names.
 */
export function outputName(templateName: string): string {
  const withoutSuffix = templateName.replace(/\.tmpl$/, '');
  return withoutSuffix.replace(/(^|\/)_(?=[^/]+$)/, '$1.');
}

/**
 * Replaces every `{{key}}` with its value: `variables`, else the template's defaults. A line that is
 * only a placeholder whose value is empty disappears, so optional blocks (a reload label) leave no
 * blank line. An unknown key is a mistake in the template and throws. Pure: same inputs, same files.
 * `only` renders just the named output files (Add Dockerfile writes the Dockerfile and .dockerignore).
 */
export function renderTemplate(template: Template, variables: TemplateVariables, only?: readonly string[]): RenderedFile[] {
  const values: Record<string, string | number> = { ...template.defaults, ...variables };
  const valueOf = (key: string): string => {
    if (!(key in values)) throw new Error(`template ${template.runtime} uses {{${key}}}, which has no value`);
    return String(values[key]);
  };
  return template.files
    .map((file) => ({ ...file, relativePath: outputName(file.relativePath) }))
    .filter((file) => !only || only.includes(file.relativePath))
    .map((file) => ({
      relativePath: file.relativePath,
      content: file.content
        .replace(/^\{\{(\w+)\}\}\n/gm, (line, key: string) => (valueOf(key) === '' ? '' : line))
        .replace(/\{\{(\w+)\}\}/g, (_, key: string) => valueOf(key)),
    }));
}

/** Loads one template folder (`templates/<runtime>/`) with its `template.json` manifest. */
export async function loadTemplate(templatesRoot: string, runtime: string): Promise<Template> {
  const dir = path.join(templatesRoot, runtime);
  const manifest = JSON.parse(await fs.readFile(path.join(dir, 'template.json'), 'utf8')) as TemplateManifest;
  const files: RenderedFile[] = [];
  for (const relativePath of await listFiles(dir)) {
    if (relativePath === 'template.json') continue;
    files.push({ relativePath, content: await fs.readFile(path.join(dir, relativePath), 'utf8') });
  }
  return { runtime, label: manifest.label, entry: manifest.entry, defaults: manifest.defaults ?? {}, files };
}

export async function listTemplates(templatesRoot: string): Promise<Template[]> {
  const entries = await fs.readdir(templatesRoot, { withFileTypes: true });
  return Promise.all(entries.filter((e) => e.isDirectory()).sort((a, b) => a.name.localeCompare(b.name)).map((e) => loadTemplate(templatesRoot, e.name)));
}

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await fs.readdir(path.join(dir, prefix), { withFileTypes: true })) {
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await listFiles(dir, relative)));
    else out.push(relative);
  }
  return out.sort();
}

/** What writing a file would do: create it, leave an identical one alone, or replace different content. */
export type WriteAction = 'create' | 'identical' | 'conflict';

export async function planWrites(folder: string, files: RenderedFile[]): Promise<Array<RenderedFile & { action: WriteAction }>> {
  return Promise.all(files.map(async (file) => {
    const existing = await fs.readFile(path.join(folder, file.relativePath), 'utf8').catch(() => undefined);
    const action: WriteAction = existing === undefined ? 'create' : existing === file.content ? 'identical' : 'conflict';
    return { ...file, action };
  }));
}
