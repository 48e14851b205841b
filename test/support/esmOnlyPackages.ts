import * as fs from 'node:fs';
import Module from 'node:module';
import * as path from 'node:path';

/**
 * kubernetes-models 5 and @kubernetes-models/* are ES modules whose `exports` name their files under
 * the `import` condition only. The extension's bundle (esbuild, from `import` statements) resolves them
 * that way; the unit tests run tsc's CommonJS output, whose require() resolves with the `require`
 * condition, finds no match and throws ERR_PACKAGE_PATH_NOT_EXPORTED. Node 20.19+ can require() an ES
 * module once it has its file, so this resolves those packages' subpaths as `import` would, for the
 * tests only. Import it before any module that loads the models.
 */
const PACKAGES = /^((?:@kubernetes-models\/[^/]+)|kubernetes-models)(\/.*)?$/;

interface ModuleInternals {
  _resolveFilename(request: string, parent: unknown, isMain: boolean, options?: unknown): string;
}
const internals = Module as unknown as ModuleInternals;
const original = internals._resolveFilename;

internals._resolveFilename = function resolveFilename(request, parent, isMain, options) {
  try {
    return original.call(this, request, parent, isMain, options);
  } catch (error) {
    const match = PACKAGES.exec(request);
    if ((error as NodeJS.ErrnoException).code !== 'ERR_PACKAGE_PATH_NOT_EXPORTED' || !match) throw error;
    const found = resolveImport(match[1], `.${match[2] ?? ''}`, (parent as { paths?: string[] } | undefined)?.paths ?? []);
    if (!found) throw error;
    return found;
  }
};

/** The file `import` would load for `subpath` of package `name`, from its `exports` (exact keys, then `*` patterns). */
function resolveImport(name: string, subpath: string, searchPaths: string[]): string | undefined {
  for (const dir of searchPaths) {
    const root = path.join(dir, name);
    const manifestFile = path.join(root, 'package.json');
    if (!fs.existsSync(manifestFile)) continue;
    const exportsField = (JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as { exports?: Record<string, { import?: string } | string> }).exports ?? {};
    const target = (entry: { import?: string } | string | undefined) => (typeof entry === 'string' ? entry : entry?.import);
    const exact = target(exportsField[subpath]);
    if (exact) return path.join(root, exact);
    for (const [key, entry] of Object.entries(exportsField)) {
      const star = key.indexOf('*');
      if (star < 0) continue;
      const [prefix, suffix] = [key.slice(0, star), key.slice(star + 1)];
      if (!subpath.startsWith(prefix) || !subpath.endsWith(suffix) || subpath.length < key.length - 1) continue;
      const file = target(entry);
      if (file) return path.join(root, file.replace('*', subpath.slice(prefix.length, subpath.length - suffix.length)));
    }
    return undefined;
  }
  return undefined;
}
