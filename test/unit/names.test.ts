import assert from 'node:assert/strict';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { imageTag, ownerId, resolveInside, validateFunctionName, workspaceId, type OwnerParts } from '../../src/core/names';

describe('validateFunctionName', () => {
  for (const name of ['hello', 'my-fn_2', 'a', 'v1.2', '0day', 'x'.repeat(63)]) {
    it(`accepts ${JSON.stringify(name)}`, () => {
      assert.equal(validateFunctionName(name), undefined);
    });
  }

  for (const name of ['', '   ', '../x', 'a/b', 'a\\b', '.', '..', 'Hello', '.hidden', '-dash', '_under', 'with space', 'é', 'x'.repeat(64)]) {
    it(`rejects ${JSON.stringify(name)} with a message`, () => {
      const message = validateFunctionName(name);
      assert.equal(typeof message, 'string');
      assert.ok(message!.length > 0);
    });
  }

  it('tells the user about slashes when the name is a path', () => {
    assert.match(validateFunctionName('../x')!, /slash/);
    assert.match(validateFunctionName('a/b')!, /slash/);
  });

  it('tells the user about lowercase when the name has uppercase letters', () => {
    assert.match(validateFunctionName('Hello')!, /lowercase/);
  });
});

describe('resolveInside', () => {
  const root = path.join(os.tmpdir(), 'ls-workspace-root');

  it('resolves a plain name to a folder directly under the root', () => {
    assert.equal(resolveInside(root, 'hello'), path.join(root, 'hello'));
  });

  it('allows nested folders that stay inside the root', () => {
    assert.equal(resolveInside(root, 'functions/hello'), path.join(root, 'functions', 'hello'));
  });

  for (const name of ['../evil', '..', '.', '', 'a/../../evil', path.join(os.tmpdir(), 'elsewhere'), '/etc']) {
    it(`refuses ${JSON.stringify(name)}`, () => {
      assert.throws(() => resolveInside(root, name), /outside the workspace folder/);
    });
  }

  it('does not treat a sibling folder sharing the root as prefix as inside', () => {
    assert.throws(() => resolveInside(root, `../${path.basename(root)}-other/x`), /outside/);
  });
});

describe('workspaceId', () => {
  it('is 12 lowercase hex characters', () => {
    assert.match(workspaceId('/home/user/project'), /^[0-9a-f]{12}$/);
  });

  it('is stable for the same folder, including equivalent spellings of its path', () => {
    const id = workspaceId('/home/user/project');
    assert.equal(workspaceId('/home/user/project'), id);
    assert.equal(workspaceId('/home/user/./project/'), id);
  });

  it('differs between folders', () => {
    assert.notEqual(workspaceId('/home/user/project-a'), workspaceId('/home/user/project-b'));
  });
});

describe('ownerId (which VS Code instance owns a container or image)', () => {
  const desktop: OwnerParts = {
    folder: '/home/user/project',
    uriScheme: 'vscode',
    remoteName: '',
    globalStoragePath: '/home/user/.config/Code/User/globalStorage/local-serverless.local-serverless',
    host: '',
  };

  it('is 12 lowercase hex characters, like the image tags and labels before it', () => {
    assert.match(ownerId(desktop), /^[0-9a-f]{12}$/);
  });

  it('is stable for the same instance and folder, so a reloaded window adopts its containers', () => {
    assert.equal(ownerId({ ...desktop }), ownerId(desktop));
    assert.equal(ownerId({ ...desktop, folder: '/home/user/./project/' }), ownerId(desktop));
  });

  it('differs between instances open on the same folder: Insiders, code-server, a remote, a second dev container', () => {
    const ids = new Set([
      ownerId(desktop),
      ownerId({ ...desktop, uriScheme: 'vscode-insiders', globalStoragePath: '/home/user/.config/Code - Insiders/User/globalStorage/local-serverless.local-serverless' }),
      ownerId({ ...desktop, uriScheme: 'code-oss', globalStoragePath: '/tmp/a/user-data/User/globalStorage/local-serverless.local-serverless' }),
      ownerId({ ...desktop, globalStoragePath: '/tmp/b/user-data/User/globalStorage/local-serverless.local-serverless' }),
      ownerId({ ...desktop, remoteName: 'dev-container', host: '3f2a9c1b7d0e' }),
      ownerId({ ...desktop, remoteName: 'dev-container', host: '88e1d0c4b2a7' }),
    ]);
    assert.equal(ids.size, 6);
  });

  it('differs between folders', () => {
    assert.notEqual(ownerId(desktop), ownerId({ ...desktop, folder: '/home/user/other' }));
  });

  it('never equals the folder-only id older versions used, so they cannot mistake our containers for theirs', () => {
    assert.notEqual(ownerId(desktop), workspaceId(desktop.folder));
  });
});

describe('imageTag', () => {
  // Docker reference grammar (repository path components + tag), as in distribution/reference.
  const DOCKER_REF = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*:[\w][\w.-]{0,127}$/;
  const wsId = workspaceId('/home/user/project');

  it('names the function and the workspace, tagged dev', () => {
    assert.equal(imageTag('hello', wsId), `local-serverless/hello-${wsId}:dev`);
  });

  for (const name of ['hello', 'My_Function', 'Hello World!', '..weird', '___', '', 'ÜberFn']) {
    it(`gives a lowercase, valid docker reference for ${JSON.stringify(name)}`, () => {
      const tag = imageTag(name, wsId);
      assert.equal(tag, tag.toLowerCase());
      assert.match(tag, DOCKER_REF);
      assert.ok(tag.endsWith(`-${wsId}:dev`));
    });
  }

  it('gives different images to different workspaces', () => {
    assert.notEqual(imageTag('hello', workspaceId('/a')), imageTag('hello', workspaceId('/b')));
  });
});
