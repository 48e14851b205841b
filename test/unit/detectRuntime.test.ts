import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { detectProject, renderDockerfile as renderWith, type DetectedProject } from '../../src/core/detectRuntime';
import { loadTemplate, renderTemplate, type RenderedFile } from '../../src/core/scaffold';

const TEMPLATES = path.resolve(__dirname, '../../../templates');
/** Add Dockerfile's output for `project`, from the real templates. */
const renderDockerfile = async (project: DetectedProject, templates = TEMPLATES) => renderWith(await loadTemplate(templates, project.runtime), project);

const roots: string[] = [];
after(() => Promise.all(roots.map((root) => fs.rm(root, { recursive: true, force: true }))));

/** A temp folder holding `files` (relative path → content). */
async function folderWith(files: Record<string, string>): Promise<string> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'ls-detect-'));
  roots.push(root);
  for (const [relative, content] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(root, relative)), { recursive: true });
    await fs.writeFile(path.join(root, relative), content);
  }
  return root;
}

const pkg = (fields: Record<string, unknown>) => JSON.stringify({ name: 'app', version: '1.0.0', ...fields });
const readsPortJs = 'require("http").createServer((q, s) => s.end("hi")).listen(process.env.PORT || 3000);\n';

function file(files: RenderedFile[], name: string): string {
  const found = files.find((f) => f.relativePath === name);
  assert.ok(found, `${name} is rendered`);
  return found.content;
}

/** Dockerfile instructions, comments and blank lines left out. */
function instructions(dockerfile: string): string[] {
  return dockerfile.split('\n').filter((line) => line.trim() && !line.trim().startsWith('#'));
}

describe('detectProject: Node.js', () => {
  it('uses the file of a "node <file>" start script', async () => {
    const folder = await folderWith({
      'package.json': pkg({ main: 'index.js', scripts: { start: 'node src/server.js' } }),
      'index.js': '',
      'src/server.js': readsPortJs,
    });
    assert.deepEqual(await detectProject(folder), { runtime: 'node', entry: 'src/server.js', hasLockfile: false, port: 8080 });
  });

  it('normalises ./ in the start script and resolves a missing extension', async () => {
    const folder = await folderWith({ 'package.json': pkg({ scripts: { start: 'node ./lib/start' } }), 'lib/start.js': '' });
    assert.equal((await detectProject(folder))?.entry, 'lib/start.js');
  });

  it('uses main when there is no "node <file>" start script', async () => {
    const folder = await folderWith({
      'package.json': pkg({ main: 'lib/main.js', scripts: { start: 'nodemon lib/main.js' } }),
      'lib/main.js': readsPortJs,
      'server.js': '',
    });
    assert.equal((await detectProject(folder))?.entry, 'lib/main.js');
  });

  it('skips a main that does not exist (npm init\'s index.js) for an app.js that does', async () => {
    const folder = await folderWith({ 'package.json': pkg({ main: 'index.js' }), 'app.js': readsPortJs });
    assert.equal((await detectProject(folder))?.entry, 'app.js');
  });

  it('falls back to index.js, then server.js, then app.js', async () => {
    assert.equal((await detectProject(await folderWith({ 'package.json': pkg({}), 'server.js': '', 'app.js': '' })))?.entry, 'server.js');
    assert.equal((await detectProject(await folderWith({ 'package.json': pkg({}), 'index.js': '', 'app.js': '' })))?.entry, 'index.js');
  });

  it('notes a package-lock.json', async () => {
    const folder = await folderWith({ 'package.json': pkg({}), 'package-lock.json': '{}', 'index.js': '' });
    assert.equal((await detectProject(folder))?.hasLockfile, true);
  });

  it('keeps 8080 for code that reads PORT, and takes one clear literal port otherwise', async () => {
    const reads = await folderWith({ 'package.json': pkg({}), 'index.js': 'const { PORT = 3000 } = process.env;\napp.listen(PORT);\n' });
    assert.equal((await detectProject(reads))?.port, 8080);
    const literal = await folderWith({ 'package.json': pkg({}), 'index.js': 'const app = express();\napp.listen(3000, () => {});\n' });
    assert.equal((await detectProject(literal))?.port, 3000);
    const unclear = await folderWith({ 'package.json': pkg({}), 'index.js': 'a.listen(3000);\nb.listen(3001);\n' });
    assert.equal((await detectProject(unclear))?.port, 8080);
  });

  it('ignores a start script that points outside the folder', async () => {
    const folder = await folderWith({ 'package.json': pkg({ scripts: { start: 'node ../other/server.js' } }), 'app.js': '' });
    assert.equal((await detectProject(folder))?.entry, 'app.js');
  });
});

describe('detectProject: Python', () => {
  it('finds requirements.txt and app.py', async () => {
    const folder = await folderWith({
      'requirements.txt': 'flask==3.0.3\n',
      'app.py': 'import os\nfrom flask import Flask\napp = Flask(__name__)\nif __name__ == "__main__":\n    app.run(host="0.0.0.0", port=int(os.environ.get("PORT", 5000)))\n',
    });
    assert.deepEqual(await detectProject(folder), { runtime: 'python', entry: 'app.py', hasRequirements: true, port: 8080 });
  });

  it('finds main.py alone, without requirements.txt', async () => {
    const folder = await folderWith({ 'main.py': 'print("hi")\n' });
    assert.deepEqual(await detectProject(folder), { runtime: 'python', entry: 'main.py', hasRequirements: false, port: 8080 });
  });

  it('takes a literal port when the code does not read PORT', async () => {
    const folder = await folderWith({ 'pyproject.toml': '[project]\nname = "x"\n', 'main.py': 'uvicorn.run(app, host="0.0.0.0", port=8000)\n' });
    assert.equal((await detectProject(folder))?.port, 8000);
  });

  it('prefers the file that runs itself when both app.py and main.py exist', async () => {
    const folder = await folderWith({ 'app.py': 'app = object()\n', 'main.py': 'if __name__ == "__main__":\n    pass\n' });
    assert.equal((await detectProject(folder))?.entry, 'main.py');
  });
});

describe('detectProject: nothing to detect', () => {
  it('is undefined for an empty folder, a folder of other files, or a requirements.txt with no entry', async () => {
    assert.equal(await detectProject(await folderWith({})), undefined);
    assert.equal(await detectProject(await folderWith({ 'README.md': '# hi\n', 'main.go': 'package main\n' })), undefined);
    assert.equal(await detectProject(await folderWith({ 'requirements.txt': 'flask\n' })), undefined);
  });

  it('is undefined for a folder that does not exist', async () => {
    assert.equal(await detectProject(path.join(os.tmpdir(), 'ls-detect-missing-folder')), undefined);
  });
});

describe('renderDockerfile', () => {
  const node: DetectedProject = { runtime: 'node', entry: 'src/server.js', hasLockfile: false, port: 3000 };

  it('renders a Node.js Dockerfile with the dependencies layer before the code', async () => {
    const lines = instructions(file(await renderDockerfile(node), 'Dockerfile'));
    assert.equal(lines[0], 'FROM node:20-bookworm-slim');
    assert.ok(lines.includes('ENV NODE_ENV=production PORT=3000'));
    const install = lines.indexOf('RUN npm install --omit=dev --no-audit --no-fund');
    assert.ok(lines.indexOf('COPY package*.json ./') >= 0 && lines.indexOf('COPY package*.json ./') < install);
    assert.ok(install >= 0 && install < lines.indexOf('COPY . .'));
    assert.ok(lines.includes('USER node'));
    assert.ok(lines.includes('EXPOSE 3000'));
    assert.equal(lines.at(-1), 'CMD ["node", "src/server.js"]');
    assert.ok(!lines.some((l) => l.startsWith('LABEL')), 'no reload label');
  });

  it('uses npm ci when there is a lockfile', async () => {
    const dockerfile = file(await renderDockerfile({ ...node, hasLockfile: true }), 'Dockerfile');
    assert.match(dockerfile, /^RUN npm ci --omit=dev\b/m);
    assert.doesNotMatch(dockerfile, /npm install/);
  });

  it('renders a Node.js .dockerignore', async () => {
    const ignored = file(await renderDockerfile(node), '.dockerignore').trim().split('\n');
    for (const entry of ['node_modules', '.git', '.env', 'events', 'fn.json']) assert.ok(ignored.includes(entry), entry);
  });

  it('renders a Python Dockerfile that installs requirements.txt before the code', async () => {
    const lines = instructions(file(await renderDockerfile({ runtime: 'python', entry: 'app.py', hasRequirements: true, port: 8080 }), 'Dockerfile'));
    assert.equal(lines[0], 'FROM python:3.11-slim');
    assert.ok(lines.includes('ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PORT=8080'));
    const pip = lines.indexOf('RUN pip install --no-cache-dir --disable-pip-version-check -r requirements.txt');
    assert.ok(lines.indexOf('COPY requirements.txt ./') >= 0 && lines.indexOf('COPY requirements.txt ./') < pip);
    assert.ok(pip >= 0 && pip < lines.indexOf('COPY . .'));
    assert.ok(lines.includes('EXPOSE 8080'));
    assert.equal(lines.at(-1), 'CMD ["python", "app.py"]');
    assert.ok(!lines.some((l) => l.startsWith('LABEL')), 'no reload label');
  });

  it('renders a Python Dockerfile with no pip line when there is no requirements.txt', async () => {
    const files = await renderDockerfile({ runtime: 'python', entry: 'main.py', hasRequirements: false, port: 8000 });
    const lines = instructions(file(files, 'Dockerfile'));
    assert.ok(!lines.some((l) => /pip|requirements\.txt/.test(l)), lines.join('\n'));
    assert.ok(lines.includes('COPY . .'));
    assert.ok(lines.includes('EXPOSE 8000'));
    assert.equal(lines.at(-1), 'CMD ["python", "main.py"]');
    const ignored = file(files, '.dockerignore').trim().split('\n');
    for (const entry of ['__pycache__', '*.pyc', '.venv', '.git', '.env', 'events', 'fn.json']) assert.ok(ignored.includes(entry), entry);
  });

  it('is rendered from the templates New Function uses: a change to a template reaches both', async () => {
    const templates = await fs.mkdtemp(path.join(os.tmpdir(), 'ls-templates-'));
    roots.push(templates);
    await fs.cp(TEMPLATES, templates, { recursive: true });
    for (const runtime of ['node', 'python'] as const) {
      const dockerfile = path.join(templates, runtime, 'Dockerfile.tmpl');
      await fs.writeFile(dockerfile, (await fs.readFile(dockerfile, 'utf8')).replace(/^FROM .*$/m, 'FROM registry.example/base:1'));
      const added = file(await renderDockerfile({ runtime, entry: 'app.js', port: 8080, hasRequirements: true }, templates), 'Dockerfile');
      const scaffolded = file(renderTemplate(await loadTemplate(templates, runtime), { name: 'f', port: 8080 }), 'Dockerfile');
      assert.match(added, /^FROM registry\.example\/base:1$/m, runtime);
      assert.match(scaffolded, /^FROM registry\.example\/base:1$/m, runtime);
      assert.doesNotMatch(added, /\{\{|\}\}/, 'every placeholder filled');
      assert.doesNotMatch(added, /\n\n/, 'an empty optional block leaves no blank line');
    }
  });

});
