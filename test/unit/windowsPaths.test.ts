import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { containerRelativePath } from '../../src/core/containerPath';
import { nodeAttachConfiguration, pathMappingsFor, pythonAttachConfiguration } from '../../src/core/debug';
import { envFileInContext } from '../../src/core/envFile';
import { isInside } from '../../src/core/insideFolder';
import { savedEventPath } from '../../src/core/savedEvents';
import { planUpdate } from '../../src/core/updatePlan';

/**
 * Windows paths, on any machine: the functions that turn host paths into container paths take the
 * host's path implementation, and are given path.win32 here. Not run on Windows itself (see README).
 */
const win = path.win32;
const FOLDER = 'C:\\Users\\ada\\fns\\hello';
const HANDLER = 'C:\\Users\\ada\\fns\\hello\\src\\handler.js';

describe('Windows paths: a saved file becomes a path in the container (sync) and a tar entry', () => {
  it('C:\\Users\\ada\\fns\\hello\\src\\handler.js is src/handler.js in the container', () => {
    assert.equal(containerRelativePath(FOLDER, HANDLER, win), 'src/handler.js');
    assert.equal(containerRelativePath(FOLDER, `${FOLDER}\\Dockerfile`, win), 'Dockerfile');
  });

  it('never hands a backslash on: deep paths, dot files, names with spaces', () => {
    for (const [file, expected] of [
      [`${FOLDER}\\src\\lib\\deep\\util.js`, 'src/lib/deep/util.js'],
      [`${FOLDER}\\.env.local`, '.env.local'],
      [`${FOLDER}\\my docs\\read me.md`, 'my docs/read me.md'],
    ]) {
      const relative = containerRelativePath(FOLDER, file, win);
      assert.equal(relative, expected);
      assert.doesNotMatch(String(relative), /\\/);
    }
  });

  it('mixed separators (C:/Users/ada and C:\\Users\\ada) name the same place', () => {
    assert.equal(containerRelativePath('C:/Users/ada/fns/hello', HANDLER, win), 'src/handler.js');
    assert.equal(containerRelativePath(FOLDER, 'C:\\Users\\ada\\fns\\hello/src\\handler.js', win), 'src/handler.js');
    assert.equal(containerRelativePath(`${FOLDER}\\`, 'C:/Users/ada/fns/hello/src/handler.js', win), 'src/handler.js');
  });

  it('drive letters and names compare without case, as the file system does; the file keeps its spelling', () => {
    assert.equal(containerRelativePath('c:\\users\\ada\\fns\\hello', HANDLER, win), 'src/handler.js');
    assert.equal(containerRelativePath(FOLDER, 'c:\\Users\\ada\\fns\\hello\\src\\Handler.JS', win), 'src/Handler.JS');
  });

  it('UNC paths: a share on another machine works, another share is outside', () => {
    const share = '\\\\fileserver\\projects\\fns\\hello';
    assert.equal(containerRelativePath(share, `${share}\\src\\handler.js`, win), 'src/handler.js');
    assert.equal(containerRelativePath(share, '\\\\fileserver\\other\\fns\\hello\\src\\handler.js', win), undefined);
    assert.equal(containerRelativePath(share, '\\\\otherserver\\projects\\fns\\hello\\src\\handler.js', win), undefined);
  });

  it('outside the folder is refused: ..\\, a sibling that starts the same, another drive, the folder itself', () => {
    assert.equal(containerRelativePath(FOLDER, `${FOLDER}\\..\\secrets\\key.pem`, win), undefined);
    assert.equal(containerRelativePath(FOLDER, 'C:\\Users\\ada\\fns\\hello-other\\handler.js', win), undefined);
    assert.equal(containerRelativePath(FOLDER, 'D:\\Users\\ada\\fns\\hello\\src\\handler.js', win), undefined);
    assert.equal(containerRelativePath('D:\\fns\\hello', HANDLER, win), undefined);
    assert.equal(containerRelativePath(FOLDER, FOLDER, win), undefined);
    assert.equal(containerRelativePath(FOLDER, `${FOLDER}\\`, win), undefined);
    // A name that only starts with two dots is inside.
    assert.equal(containerRelativePath(FOLDER, `${FOLDER}\\..handler.js`, win), '..handler.js');
  });

  it('the same rules on POSIX (node:path here), where a backslash is part of a name', () => {
    assert.equal(containerRelativePath('/home/ada/fns/hello', '/home/ada/fns/hello/src/handler.js', path.posix), 'src/handler.js');
    assert.equal(containerRelativePath('/home/ada/fns/hello', '/home/ada/fns/hello/../x', path.posix), undefined);
    assert.equal(containerRelativePath('/home/ada/fns/hello', '/home/ada/fns/hello/odd\\name.js', path.posix), 'odd\\name.js');
  });

  it('the paths a Windows watcher reports match fn.json\'s sync and rebuild rules', () => {
    const change = (file: string) => ({ path: containerRelativePath(FOLDER, file, win) as string, kind: 'change' as const });
    assert.deepEqual(planUpdate([change(HANDLER), change(`${FOLDER}\\src\\lib\\util.js`)], { sync: ['src/**'], rebuild: ['package.json'] }), { kind: 'sync', files: ['src/handler.js', 'src/lib/util.js'] });
    assert.deepEqual(planUpdate([change(`${FOLDER}\\package.json`)], { sync: ['src/**'], rebuild: ['package.json'] }), { kind: 'rebuild', reason: 'package.json matches "rebuild"' });
  });

  it('isInside: the same answers for the checks that keep reads and writes in the folder', () => {
    assert.equal(isInside(FOLDER, HANDLER, win), true);
    assert.equal(isInside(FOLDER, FOLDER, win), true);
    assert.equal(isInside('c:/users/ada/fns/hello', HANDLER, win), true);
    assert.equal(isInside(FOLDER, `${FOLDER}\\..\\..\\.ssh\\id_rsa`, win), false);
    assert.equal(isInside(FOLDER, 'D:\\fns\\hello\\src\\handler.js', win), false);
    assert.equal(isInside('\\\\fileserver\\projects', '\\\\fileserver\\other\\x', win), false);
  });
});

describe('Windows paths: the env file stays out of the build context', () => {
  it('an env file in the function folder is named as the build context names it', () => {
    assert.deepEqual(envFileInContext(FOLDER, '.env', win), '.env');
    assert.deepEqual(envFileInContext(FOLDER, 'config\\.env', win), 'config/.env');
    assert.deepEqual(envFileInContext(FOLDER, 'config/.env', win), 'config/.env');
    assert.deepEqual(envFileInContext(FOLDER, `${FOLDER}\\config\\.env`, win), 'config/.env');
    assert.deepEqual(envFileInContext(FOLDER, 'c:\\users\\ada\\fns\\hello\\.env', win), '.env');
  });

  it('one outside the folder is not in the context at all', () => {
    assert.equal(envFileInContext(FOLDER, '..\\..\\.env', win), undefined);
    assert.equal(envFileInContext(FOLDER, 'D:\\secrets\\.env', win), undefined);
    assert.equal(envFileInContext(FOLDER, '\\\\fileserver\\secrets\\.env', win), undefined);
  });
});

describe('Windows paths: saved events', () => {
  it('events\\<name>.json in the function folder, shown as events/<name>.json', () => {
    const file = savedEventPath(FOLDER, 'order', win);
    assert.equal(file, 'C:\\Users\\ada\\fns\\hello\\events\\order.json');
    assert.equal(containerRelativePath(FOLDER, file, win), 'events/order.json');
    assert.equal(savedEventPath('C:/Users/ada/fns/hello', ' order ', win), 'C:\\Users\\ada\\fns\\hello\\events\\order.json');
  });
});

describe('Windows paths: Debug Function maps the container\'s folders back to the Windows folder', () => {
  it('COPY src/ /srv/app/: the debugger\'s local root is C:\\…\\hello\\src', () => {
    const mappings = pathMappingsFor(FOLDER, 'FROM node:20\nWORKDIR /srv\nCOPY src/ /srv/app/\nCMD ["node", "app/handler.js"]\n', '/srv', win);
    assert.deepEqual(mappings, [{ localRoot: 'C:\\Users\\ada\\fns\\hello\\src', remoteRoot: '/srv/app' }]);
  });

  it('the whole folder, nested folders, WORKDIR-relative destinations: local roots in Windows form, remote roots in POSIX form', () => {
    const dockerfile = 'FROM python:3.12\nWORKDIR /app\nCOPY . .\nCOPY lib/shared ./shared\nCOPY ["vendor/tools", "/opt/tools"]\n';
    assert.deepEqual(pathMappingsFor(FOLDER, dockerfile, '/app', win), [
      { localRoot: FOLDER, remoteRoot: '/app' },
      { localRoot: 'C:\\Users\\ada\\fns\\hello\\lib\\shared', remoteRoot: '/app/shared' },
      { localRoot: 'C:\\Users\\ada\\fns\\hello\\vendor\\tools', remoteRoot: '/opt/tools' },
    ]);
  });

  it('a Dockerfile that copies nothing recognisable maps the folder to the working directory', () => {
    assert.deepEqual(pathMappingsFor(FOLDER, 'FROM node:20\n', '/usr/src/app', win), [{ localRoot: FOLDER, remoteRoot: '/usr/src/app' }]);
  });

  it('a UNC folder maps the same way', () => {
    const share = '\\\\fileserver\\projects\\fns\\hello';
    assert.deepEqual(pathMappingsFor(share, 'FROM node:20\nCOPY src/ /srv/app/\n', '/', win), [{ localRoot: `${share}\\src`, remoteRoot: '/srv/app' }]);
  });

  it('the attach configurations carry the Windows local root and the POSIX remote root', () => {
    const mappings = pathMappingsFor(FOLDER, 'FROM node:20\nCOPY src/ /srv/app/\n', '/', win);
    const node = nodeAttachConfiguration('hello', 40001, mappings);
    assert.equal(node.localRoot, 'C:\\Users\\ada\\fns\\hello\\src');
    assert.equal(node.remoteRoot, '/srv/app');
    const python = pythonAttachConfiguration('hello', 40002, mappings);
    assert.deepEqual(python.pathMappings, [{ localRoot: 'C:\\Users\\ada\\fns\\hello\\src', remoteRoot: '/srv/app' }]);
  });
});
