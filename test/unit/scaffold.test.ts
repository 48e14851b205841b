import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readDockerfile } from '../../src/core/dockerfile';
import { parseFnConfig, type FnConfig } from '../../src/core/fnConfig';
import { listTemplates, loadTemplate, outputName, planWrites, renderTemplate, type RenderedFile } from '../../src/core/scaffold';

// Compiled to out/test/unit/, so the repository root is three levels up.
const TEMPLATES = path.resolve(__dirname, '..', '..', '..', 'templates');
const VARIABLES = { name: 'my-fn', port: 8080 };

function file(files: RenderedFile[], relativePath: string): string {
  const found = files.find((f) => f.relativePath === relativePath);
  assert.ok(found, `no ${relativePath} among ${files.map((f) => f.relativePath).join(', ')}`);
  return found.content;
}

/** Index of the first Dockerfile line matching `pattern`. */
function lineIndex(dockerfile: string, pattern: RegExp): number {
  const index = dockerfile.split('\n').findIndex((line) => pattern.test(line));
  assert.ok(index >= 0, `no line matches ${pattern} in\n${dockerfile}`);
  return index;
}

describe('outputName', () => {
  it('maps stored template names to the names written', () => {
    assert.equal(outputName('Dockerfile.tmpl'), 'Dockerfile');
    assert.equal(outputName('_dockerignore'), '.dockerignore');
    assert.equal(outputName('sub/_env.example'), 'sub/.env.example');
    assert.equal(outputName('handler.js'), 'handler.js');
    assert.equal(outputName('my_module.py'), 'my_module.py');
  });
});

describe('listTemplates', () => {
  it('lists the node, node-cloudevents and python templates with a label and entry file', async () => {
    const templates = await listTemplates(TEMPLATES);
    assert.deepEqual(templates.map((t) => t.runtime), ['node', 'node-cloudevents', 'python']);
    assert.equal(templates[1].label, 'Node.js CloudEvents (Functions Framework)');
    for (const template of templates) {
      assert.ok(template.label.length > 0);
      assert.ok(template.files.some((f) => f.relativePath === template.entry), `${template.runtime} entry ${template.entry} exists`);
      assert.ok(!template.files.some((f) => f.relativePath === 'template.json'), 'the manifest is not a template file');
    }
  });
});

for (const [runtime, expected] of [
  ['node', ['Dockerfile', '.dockerignore', 'handler.js', 'server.js', 'package.json', 'fn.json', 'events/hello.json']],
  ['node-cloudevents', ['Dockerfile', '.dockerignore', 'index.js', 'package.json', 'fn.json', 'events/hello.json']],
  ['python', ['Dockerfile', '.dockerignore', 'handler.py', 'server.py', 'requirements.txt', 'fn.json', 'events/hello.json']],
] as const) {
  const language = runtime === 'python' ? 'python' : 'node';
  describe(`the ${runtime} template`, () => {
    let rendered: RenderedFile[];
    before(async () => {
      rendered = renderTemplate(await loadTemplate(TEMPLATES, runtime), VARIABLES);
    });

    it('writes the files a function needs', () => {
      const names = rendered.map((f) => f.relativePath);
      for (const name of expected) assert.ok(names.includes(name), `${name} in ${names.join(', ')}`);
    });

    it('leaves no {{placeholder}} in any file', () => {
      for (const f of rendered) assert.ok(!f.content.includes('{{'), `${f.relativePath} still has a placeholder`);
    });

    it('writes an fn.json that parses without problems and carries the name and port', () => {
      const text = file(rendered, 'fn.json');
      assert.ok(text.includes('my-fn'));
      const { config, problems } = parseFnConfig(text);
      assert.deepEqual(problems, []);
      assert.equal(config.name, 'my-fn');
      assert.equal(config.port, 8080);
    });

    it('writes a Dockerfile that exposes the port and is recognised as this runtime', () => {
      const facts = readDockerfile(file(rendered, 'Dockerfile'));
      assert.deepEqual(facts.exposedPorts, [8080]);
      assert.equal(facts.runtime, language);
    });

    it('installs dependencies in a layer before copying the code', () => {
      const dockerfile = file(rendered, 'Dockerfile');
      const copyAll = lineIndex(dockerfile, /^COPY \. \.\s*$/);
      const copyDeps = language === 'node' ? lineIndex(dockerfile, /^COPY package\*\.json /) : lineIndex(dockerfile, /^COPY requirements\.txt /);
      const install = language === 'node' ? lineIndex(dockerfile, /^RUN npm (install|ci)\b/) : lineIndex(dockerfile, /^RUN pip install\b.*-r requirements\.txt/);
      assert.ok(copyDeps < install, 'dependency manifest copied before install');
      assert.ok(install < copyAll, 'install runs before COPY . .');
    });

    it('is pure: rendering twice gives equal output', async () => {
      const template = await loadTemplate(TEMPLATES, runtime);
      assert.deepEqual(renderTemplate(template, VARIABLES), renderTemplate(template, VARIABLES));
    });
  });
}

describe('template specifics', () => {
  it('the python Dockerfile disables bytecode files and output buffering', async () => {
    const dockerfile = file(renderTemplate(await loadTemplate(TEMPLATES, 'python'), VARIABLES), 'Dockerfile');
    assert.match(dockerfile, /^ENV .*\bPYTHONDONTWRITEBYTECODE=1\b/m);
    assert.match(dockerfile, /^ENV .*\bPYTHONUNBUFFERED=1\b/m);
  });

  it('the node package.json is valid JSON named after the function', async () => {
    const pkg = JSON.parse(file(renderTemplate(await loadTemplate(TEMPLATES, 'node'), VARIABLES), 'package.json')) as { name: string };
    assert.equal(pkg.name, 'my-fn');
  });

  it('the sample event is valid JSON', async () => {
    for (const runtime of ['node', 'node-cloudevents', 'python']) {
      const text = file(renderTemplate(await loadTemplate(TEMPLATES, runtime), VARIABLES), 'events/hello.json');
      assert.doesNotThrow(() => JSON.parse(text), `${runtime} events/hello.json`);
    }
  });

  it('renders the requested port everywhere', async () => {
    const rendered = renderTemplate(await loadTemplate(TEMPLATES, 'node'), { name: 'p', port: 3123 });
    assert.deepEqual(readDockerfile(file(rendered, 'Dockerfile')).exposedPorts, [3123]);
    assert.equal(parseFnConfig(file(rendered, 'fn.json')).config.port, 3123);
  });
});

describe('the node-cloudevents template (Functions Framework)', () => {
  let rendered: RenderedFile[];
  before(async () => {
    rendered = renderTemplate(await loadTemplate(TEMPLATES, 'node-cloudevents'), VARIABLES);
  });

  it('depends on a Functions Framework that runs on Node.js 20, and names index.js as main', () => {
    const pkg = JSON.parse(file(rendered, 'package.json')) as { name: string; main: string; dependencies: Record<string, string> };
    assert.equal(pkg.name, 'my-fn');
    assert.equal(pkg.main, 'index.js', 'Functions Framework loads the package\'s main');
    // 5.x says node >=10, but its dependencies decide: cloudevents 10 wants Node.js 20 to 24, express 5 wants 18 or later.
    assert.match(pkg.dependencies['@google-cloud/functions-framework'], /^\^5\.\d+\.\d+$/);
  });

  it('starts one node process running Functions Framework, as the node user, with PORT set', () => {
    const dockerfile = file(rendered, 'Dockerfile');
    const cmd = /^CMD (\[.*\])\s*$/m.exec(dockerfile);
    assert.ok(cmd, dockerfile);
    const argv = JSON.parse(cmd[1]) as string[];
    // Not npm or npx: a debugger preloaded through NODE_OPTIONS must land in the function's process.
    assert.equal(argv[0], 'node');
    assert.equal(argv[1], 'node_modules/@google-cloud/functions-framework/build/src/main.js');
    assert.deepEqual(argv.slice(2).sort(), ['--signature-type=cloudevent', '--target=handler']);
    assert.match(dockerfile, /^USER node\s*$/m);
    assert.match(dockerfile, /^ENV .*\bPORT=8080\b/m);
    assert.match(dockerfile, /^RUN npm install --omit=dev --no-audit --no-fund\s*$/m);
    // Functions Framework cannot reload on SIGHUP: no reload label, so a sync restarts the container.
    assert.doesNotMatch(dockerfile, /local-serverless\.reload/);
  });

  it('keeps node_modules out of the build context', () => {
    assert.ok(file(rendered, '.dockerignore').split('\n').includes('node_modules'));
  });

  it('declares the Functions Framework protocol with the cloudevent signature, and what syncs and rebuilds', () => {
    const json = JSON.parse(file(rendered, 'fn.json')) as Record<string, unknown>;
    assert.equal(json.protocol, 'functions-framework');
    assert.equal(json.signatureType, 'cloudevent');
    const { config } = parseFnConfig(file(rendered, 'fn.json')) as { config: FnConfig };
    assert.deepEqual(config.sync, ['**/*.js']);
    assert.deepEqual(config.rebuild, ['Dockerfile', 'package*.json', '.dockerignore']);
  });

  it('has a sample event in the CloudEvents JSON format', () => {
    assert.deepEqual(JSON.parse(file(rendered, 'events/hello.json')), {
      type: 'com.example.greeting',
      source: '/local-serverless/examples',
      subject: 'hello',
      data: { name: 'world' },
    });
  });

  it('registers a cloudEvent handler named as the CMD targets, which replies with the attributes and data', async () => {
    // index.js runs against a stand-in for the framework: what it registers, and what that returns.
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ls-cloudevents-'));
    try {
      const stub = path.join(dir, 'node_modules', '@google-cloud', 'functions-framework');
      await fs.mkdir(stub, { recursive: true });
      await fs.writeFile(path.join(stub, 'index.js'), 'exports.registered = {};\nexports.cloudEvent = (name, fn) => { exports.registered[name] = fn; };\n');
      await fs.writeFile(path.join(dir, 'index.js'), file(rendered, 'index.js'));
      const load = createRequire(path.join(dir, 'index.js'));
      load('./index.js');
      const framework = load('@google-cloud/functions-framework') as { registered: Record<string, (event: object) => unknown> };
      assert.deepEqual(Object.keys(framework.registered), ['handler']);
      const logged: string[] = [];
      const log = console.log;
      console.log = (...args: unknown[]) => void logged.push(args.join(' '));
      let reply: unknown;
      try {
        reply = await framework.registered.handler({ specversion: '1.0', id: 'e-1', type: 'com.example.greeting', source: '/tests', subject: 'hello', myext: 'x', data: { name: 'Ada' } });
      } finally {
        console.log = log;
      }
      assert.deepEqual(reply, {
        message: 'Hello, Ada!',
        from: 'my-fn',
        attributes: { specversion: '1.0', id: 'e-1', type: 'com.example.greeting', source: '/tests', subject: 'hello', myext: 'x' },
        data: { name: 'Ada' },
      });
      assert.deepEqual(logged, ['my-fn: com.example.greeting from /tests (id e-1, subject hello)']);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

describe('planWrites', () => {
  let dir: string;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ls-scaffold-'));
  });
  after(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('creates missing files, skips identical ones and flags different ones as conflicts', async () => {
    await fs.mkdir(path.join(dir, 'events'));
    await fs.writeFile(path.join(dir, 'same.txt'), 'same content');
    await fs.writeFile(path.join(dir, 'events', 'changed.json'), '{"edited":true}');
    const planned = await planWrites(dir, [
      { relativePath: 'new.txt', content: 'x' },
      { relativePath: 'same.txt', content: 'same content' },
      { relativePath: 'events/changed.json', content: '{}' },
      { relativePath: 'missing-folder/file.txt', content: 'y' },
    ]);
    assert.deepEqual(planned.map((p) => [p.relativePath, p.action]), [
      ['new.txt', 'create'],
      ['same.txt', 'identical'],
      ['events/changed.json', 'conflict'],
      ['missing-folder/file.txt', 'create'],
    ]);
    assert.equal(planned[2].content, '{}', 'the planned content is the new content');
  });

  it('plans every file as create in a folder that does not exist yet', async () => {
    const rendered = renderTemplate(await loadTemplate(TEMPLATES, 'node'), VARIABLES);
    const planned = await planWrites(path.join(dir, 'not-yet'), rendered);
    assert.ok(planned.every((p) => p.action === 'create'));
  });

  it('does not write anything', async () => {
    const target = path.join(dir, 'untouched');
    await planWrites(target, [{ relativePath: 'a.txt', content: 'a' }]);
    await assert.rejects(fs.access(target));
  });
});

describe('bundled examples', () => {
  // examples/hello-* are what New Function writes: render again and compare, so they never drift apart.
  for (const [runtime, name] of [['node', 'hello-node'], ['python', 'hello-python']] as const) {
    it(`examples/${name} is exactly the ${runtime} template rendered for "${name}"`, async () => {
      const examples = path.resolve(__dirname, '../../../examples', name);
      for (const file of renderTemplate(await loadTemplate(path.resolve(__dirname, '../../../templates'), runtime), { name, port: 8080 })) {
        assert.equal(await fs.readFile(path.join(examples, file.relativePath), 'utf8'), file.content, `${name}/${file.relativePath}`);
      }
    });
  }
});
