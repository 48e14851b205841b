import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import {
  DEBUG_DIR,
  DEBUG_TYPE,
  NODE_PRELOAD,
  PYTHON_SITECUSTOMIZE,
  debugRuntimeOf,
  debugpyMountFor,
  nodeAttachConfiguration,
  pathMappingsFor,
  planDebugInstance,
  pythonAttachConfiguration,
} from '../../src/core/debug';
import { loadTemplate, renderTemplate } from '../../src/core/scaffold';

// Compiled to out/test/unit/, so the repository root is three levels up.
const TEMPLATES = path.resolve(__dirname, '..', '..', '..', 'templates');
const FOLDER = '/home/ada/functions/hello';

async function templateDockerfile(runtime: string): Promise<string> {
  const rendered = renderTemplate(await loadTemplate(TEMPLATES, runtime), { name: 'hello', port: 8080 });
  const dockerfile = rendered.find((file) => file.relativePath === 'Dockerfile');
  assert.ok(dockerfile, `the ${runtime} template has a Dockerfile`);
  return dockerfile.content;
}

describe('pathMappingsFor: where the function\'s files are in the container', () => {
  for (const runtime of ['node', 'python']) {
    it(`maps the whole folder to /app for the ${runtime} template's Dockerfile`, async () => {
      const text = await templateDockerfile(runtime);
      // The template really is the WORKDIR /app + COPY . . case (and copies package files first for node).
      assert.match(text, /^WORKDIR \/app$/m);
      assert.match(text, /^COPY \. \.$/m);
      assert.deepEqual(pathMappingsFor(FOLDER, text, '/somewhere-else'), [{ localRoot: FOLDER, remoteRoot: '/app' }]);
    });
  }

  it('maps a sub-folder copied to an absolute destination', () => {
    const text = 'FROM node:20\nCOPY src/ /srv/app/\nCMD ["node", "/srv/app/index.js"]\n';
    assert.deepEqual(pathMappingsFor(FOLDER, text, '/'), [{ localRoot: path.join(FOLDER, 'src'), remoteRoot: '/srv/app' }]);
  });

  it('resolves a relative WORKDIR against the one before it', () => {
    const text = 'FROM node:20\nWORKDIR /a\nWORKDIR b\nCOPY . .\n';
    assert.deepEqual(pathMappingsFor(FOLDER, text, '/'), [{ localRoot: FOLDER, remoteRoot: '/a/b' }]);
  });

  it('resolves a relative destination against the WORKDIR at that line, not the last one', () => {
    const text = 'FROM node:20\nWORKDIR /first\nCOPY . ./code\nWORKDIR /later\nCMD ["node", "x.js"]\n';
    assert.deepEqual(pathMappingsFor(FOLDER, text, '/later'), [{ localRoot: FOLDER, remoteRoot: '/first/code' }]);
  });

  it('reads the JSON form of COPY', () => {
    const text = 'FROM python:3.11\nCOPY ["src", "/x"]\n';
    assert.deepEqual(pathMappingsFor(FOLDER, text, '/'), [{ localRoot: path.join(FOLDER, 'src'), remoteRoot: '/x' }]);
  });

  it('reads ADD like COPY, and lower-case keywords', () => {
    assert.deepEqual(pathMappingsFor(FOLDER, 'from node:20\nworkdir /w\nadd lib /opt/lib\n', '/'), [{ localRoot: path.join(FOLDER, 'lib'), remoteRoot: '/opt/lib' }]);
  });

  it('ignores COPY --from another stage (those files are not the function\'s sources)', () => {
    const text = 'FROM node:20\nWORKDIR /app\nCOPY --from=build /out /app\n';
    assert.deepEqual(pathMappingsFor(FOLDER, text, '/app'), [{ localRoot: FOLDER, remoteRoot: '/app' }]);
    // The destination of the --from copy is not used: the fallback is the container's working directory.
    assert.deepEqual(pathMappingsFor(FOLDER, 'FROM node:20\nCOPY --from=build /out /dist\n', '/work'), [{ localRoot: FOLDER, remoteRoot: '/work' }]);
  });

  it('keeps a COPY with --chown (and other flags that are not --from)', () => {
    const text = 'FROM node:20\nWORKDIR /home/node/app\nCOPY --chown=node:node . .\n';
    assert.deepEqual(pathMappingsFor(FOLDER, text, '/'), [{ localRoot: FOLDER, remoteRoot: '/home/node/app' }]);
    const flags = 'FROM node:20\nWORKDIR /srv\nCOPY --chown=node:node --chmod=755 --link src ./src\n';
    assert.deepEqual(pathMappingsFor(FOLDER, flags, '/'), [{ localRoot: path.join(FOLDER, 'src'), remoteRoot: '/srv/src' }]);
  });

  it('counts only the final stage of a multi-stage build', () => {
    const text = [
      'FROM node:20 AS build',
      'WORKDIR /build',
      'COPY . .',
      'RUN npm run build',
      'FROM node:20-slim',
      'WORKDIR /app',
      'COPY --from=build /build/dist ./dist',
      'COPY src ./src',
      'CMD ["node", "src/index.js"]',
    ].join('\n');
    assert.deepEqual(pathMappingsFor(FOLDER, text, '/app'), [{ localRoot: path.join(FOLDER, 'src'), remoteRoot: '/app/src' }]);
  });

  it('starts the final stage at / again: a WORKDIR of an earlier stage does not leak', () => {
    const text = 'FROM node:20 AS build\nWORKDIR /build\nFROM node:20\nCOPY app /srv\n';
    assert.deepEqual(pathMappingsFor(FOLDER, text, '/'), [{ localRoot: path.join(FOLDER, 'app'), remoteRoot: '/srv' }]);
  });

  it('ignores file copies (package.json, requirements.txt)', () => {
    const text = 'FROM node:20\nWORKDIR /app\nCOPY package.json ./\nCOPY requirements.txt /tmp/\n';
    assert.deepEqual(pathMappingsFor(FOLDER, text, '/app'), [{ localRoot: FOLDER, remoteRoot: '/app' }]);
  });

  it('ignores globs, URLs and sources outside the build context', () => {
    const text = 'FROM node:20\nCOPY package*.json ./\nCOPY src/*/ /x/\nADD https://example.com/tool /opt/tool\nCOPY ../shared /shared\n';
    assert.deepEqual(pathMappingsFor(FOLDER, text, '/fallback'), [{ localRoot: FOLDER, remoteRoot: '/fallback' }]);
  });

  it('falls back to the folder at the container\'s working directory when nothing recognisable is copied', () => {
    assert.deepEqual(pathMappingsFor(FOLDER, 'FROM node:20\nCMD ["node", "-e", "1"]\n', '/usr/src/app'), [{ localRoot: FOLDER, remoteRoot: '/usr/src/app' }]);
    assert.deepEqual(pathMappingsFor(FOLDER, '', ''), [{ localRoot: FOLDER, remoteRoot: '/' }], 'no working directory: /');
  });

  it('puts the broadest mapping first, whatever the order of the COPY lines', () => {
    const text = 'FROM node:20\nWORKDIR /app\nCOPY lib/deep/ ./vendor/deep/\nCOPY lib ./lib\nCOPY . .\n';
    const mappings = pathMappingsFor(FOLDER, text, '/app');
    assert.deepEqual(mappings, [
      { localRoot: FOLDER, remoteRoot: '/app' },
      { localRoot: path.join(FOLDER, 'lib'), remoteRoot: '/app/lib' },
      { localRoot: path.join(FOLDER, 'lib', 'deep'), remoteRoot: '/app/vendor/deep' },
    ]);
    // What the debugger uses (the first mapping) is the whole folder.
    assert.equal(nodeAttachConfiguration('hello', 40000, mappings).localRoot, FOLDER);
  });

  it('joins continuation lines and skips comments', () => {
    const text = 'FROM node:20\n# COPY nothing /nowhere\nWORKDIR \\\n  /app\nCOPY --chown=node \\\r\n  . .\n';
    assert.deepEqual(pathMappingsFor(FOLDER, text, '/'), [{ localRoot: FOLDER, remoteRoot: '/app' }]);
  });

  it('expands an ENV or ARG in WORKDIR and in the destination', () => {
    const text = 'FROM node:20\nARG HOME_DIR=/srv\nENV APP=${HOME_DIR}/app\nWORKDIR $APP\nCOPY . .\n';
    assert.deepEqual(pathMappingsFor(FOLDER, text, '/srv/app'), [{ localRoot: FOLDER, remoteRoot: '/srv/app' }]);
  });

  // A common layout: dependencies installed in a base stage, the code copied in a stage built FROM it.
  // The final stage inherits WORKDIR /app (and any files copied into `base`), so `COPY . .` lands in /app.
  it('resolves the final stage against the WORKDIR it inherits from an earlier stage (FROM base)', () => {
    const text = [
      'FROM node:20 AS base',
      'WORKDIR /app',
      'COPY package*.json ./',
      'RUN npm ci',
      'FROM base',
      'COPY . .',
      'CMD ["node", "index.js"]',
    ].join('\n');
    assert.deepEqual(pathMappingsFor(FOLDER, text, '/app'), [{ localRoot: FOLDER, remoteRoot: '/app' }]);
  });
});

describe('planDebugInstance: Node.js', () => {
  const preloadPath = `${DEBUG_DIR}/inspect.js`;

  it('preloads the inspector through NODE_OPTIONS, from a file it writes into the container', () => {
    const plan = planDebugInstance('node', {}, {});
    assert.deepEqual(plan.env, { NODE_OPTIONS: `--require ${preloadPath}` });
    assert.deepEqual(plan.files, [{ path: preloadPath, content: NODE_PRELOAD }]);
    assert.equal(plan.containerPort, 9229);
    assert.deepEqual(plan.mounts, []);
  });

  it('keeps the image\'s own NODE_OPTIONS after ours', () => {
    const plan = planDebugInstance('node', { NODE_OPTIONS: '  --max-old-space-size=512 ', PATH: '/usr/bin' }, {});
    assert.deepEqual(plan.env, { NODE_OPTIONS: `--require ${preloadPath} --max-old-space-size=512` });
  });

  it('prefers fn.json\'s NODE_OPTIONS over the image\'s', () => {
    const plan = planDebugInstance('node', { NODE_OPTIONS: '--max-old-space-size=512' }, { NODE_OPTIONS: '--enable-source-maps' });
    assert.equal(plan.env.NODE_OPTIONS, `--require ${preloadPath} --enable-source-maps`);
  });

  it('mounts no debugpy into a Node.js function', () => {
    assert.deepEqual(planDebugInstance('node', {}, {}, [debugpyMountFor('/usr/lib/python3/dist-packages')]).mounts, []);
  });
});

describe('planDebugInstance: Python', () => {
  it('puts the debug folder first on PYTHONPATH, asks for debugpy on 5678, and writes sitecustomize.py there', () => {
    const plan = planDebugInstance('python', {}, {});
    assert.equal(plan.env.PYTHONPATH, DEBUG_DIR);
    assert.equal(plan.env.LOCAL_SERVERLESS_DEBUGPY, '5678');
    assert.equal(plan.containerPort, 5678);
    assert.deepEqual(plan.files, [{ path: `${DEBUG_DIR}/sitecustomize.py`, content: PYTHON_SITECUSTOMIZE }]);
  });

  it('keeps the image\'s PYTHONPATH after the debug folder', () => {
    const plan = planDebugInstance('python', { PYTHONPATH: '/app/lib' }, {});
    assert.equal(plan.env.PYTHONPATH, `${DEBUG_DIR}:/app/lib`);
  });

  it('prefers fn.json\'s PYTHONPATH over the image\'s, still after the debug folder', () => {
    const plan = planDebugInstance('python', { PYTHONPATH: '/app/lib' }, { PYTHONPATH: '/mine:/also' });
    assert.equal(plan.env.PYTHONPATH, `${DEBUG_DIR}:/mine:/also`);
    assert.ok(plan.env.PYTHONPATH.split(':')[0] === DEBUG_DIR, 'ours first, so our sitecustomize is the one Python imports');
  });

  it('passes the debugpy mounts through, read from debugpyMountFor', () => {
    const mounts = [debugpyMountFor('/usr/lib/python3/dist-packages')];
    assert.deepEqual(mounts, [{ source: '/usr/lib/python3/dist-packages', target: '/opt/local-serverless/pylib' }]);
    assert.deepEqual(planDebugInstance('python', {}, {}, mounts).mounts, mounts);
  });

  it('makes the sitecustomize look for debugpy where it is mounted', () => {
    assert.match(PYTHON_SITECUSTOMIZE, /sys\.path\.append\("\/opt\/local-serverless\/pylib"\)/);
  });
});

describe('debugRuntimeOf', () => {
  it('accepts node and python', () => {
    assert.deepEqual(debugRuntimeOf('node'), { ok: true, runtime: 'node' });
    assert.deepEqual(debugRuntimeOf('python'), { ok: true, runtime: 'python' });
  });

  it('refuses any other base image, saying what would work', () => {
    const result = debugRuntimeOf('other');
    assert.equal(result.ok, false);
    assert.ok(!result.ok);
    assert.match(result.message, /Node\.js and Python/);
    assert.match(result.message, /node or python image/);
  });
});

describe('attach configurations', () => {
  const mappings = [
    { localRoot: FOLDER, remoteRoot: '/app' },
    { localRoot: path.join(FOLDER, 'lib'), remoteRoot: '/opt/lib' },
  ];

  it('attaches VS Code\'s Node debugger to 127.0.0.1 on the published port, re-attaching after a restart', () => {
    const config = nodeAttachConfiguration('hello', 41234, mappings);
    assert.equal(config.type, 'node');
    assert.equal(config.request, 'attach');
    assert.equal(config.address, '127.0.0.1');
    assert.equal(config.port, 41234);
    assert.equal(config.localRoot, FOLDER);
    assert.equal(config.remoteRoot, '/app');
    assert.ok(config.restart, 'restart is set');
    assert.equal(config.localServerlessFunction, 'hello');
    assert.match(String(config.name), /hello/);
  });

  it('attaches our own debug type to debugpy on 127.0.0.1, with every mapping', () => {
    const config = pythonAttachConfiguration('hello', 41235, mappings);
    assert.equal(config.type, 'local-serverless');
    assert.equal(config.type, DEBUG_TYPE);
    assert.equal(config.request, 'attach');
    assert.deepEqual(config.connect, { host: '127.0.0.1', port: 41235 });
    assert.deepEqual(config.pathMappings, mappings);
    assert.equal(config.localServerlessFunction, 'hello');
  });
});
