import * as path from 'node:path';

/**
 * Host paths become container paths (tar entries for a sync or a build, debugger path mappings) in
 * a few places; those places take the host's path implementation as a parameter, node:path by
 * default, so the unit tests can give them Windows paths (`path.win32`) on any machine.
 */
export type PathApi = path.PlatformPath;

/**
 * `file` below `folder` as the container (and a tar entry) names it: relative, with forward slashes
 * whatever the host's separator. Undefined for the folder itself and for anything outside it: `..`,
 * another drive, another UNC share. On Windows the comparison ignores case, as the file system does
 * (`c:\` and `C:\` are one drive), and the file's own spelling is kept.
 */
export function containerRelativePath(folder: string, file: string, p: PathApi = path): string | undefined {
  const relative = p.relative(folder, file);
  if (!relative || !relativeIsInside(relative, p)) return undefined;
  return relative.split(p.sep).join('/');
}

/** Whether a path that `p.relative` gave stays below its start: not `..`, not `../…`, not absolute (another drive or share). */
export function relativeIsInside(relative: string, p: PathApi = path): boolean {
  return relative !== '..' && !relative.startsWith(`..${p.sep}`) && !p.isAbsolute(relative);
}
