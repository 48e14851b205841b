// Before anything that loads kubernetes-models (ES modules only: see the file).
import '../support/esmOnlyPackages';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Service as KnativeService } from '@kubernetes-models/knative/serving.knative.dev/v1/Service';
import { UserFacingError } from '../../src/core/errors';
import { envFileKeys } from '../../src/core/export/envFileKeys';
import { exportFolderOf } from '../../src/core/export/exportFolder';
import { chooseImage, withDefaultTag, type ImageChoice } from '../../src/core/export/image';
import { applyCommand, createSecretCommand, shellQuote } from '../../src/core/export/kubectl';
import {
  cpuQuantity, KNATIVE_ANNOTATIONS, knativeService, kubernetesName, kubernetesObjects, renderKnativeExport, renderKubernetesExport, type ExportInput,
} from '../../src/core/export/manifests';
import { decideWrite, isUnedited, stamped, STAMP_PREFIX } from '../../src/core/export/stamp';
import { planManifestWrite, writeManifest } from '../../src/core/export/writeManifest';
import { findOnPath } from '../../src/core/findOnPath';
import { actionRefusal } from '../../src/core/functionStates';
import { describeFunction, type FunctionSpec } from '../../src/core/functionSpec';

const SECRET_VALUE = 's3cr3t-value-that-must-never-leave-the-env-file';

let base: string;
let workspace: string;
let folder: string;
let outside: string;

beforeEach(async () => {
  base = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'ls-export-')));
  workspace = path.join(base, 'workspace');
  folder = path.join(workspace, 'fns', 'hello');
  outside = path.join(base, 'outside');
  await fs.mkdir(folder, { recursive: true });
  await fs.mkdir(outside);
});
afterEach(async () => {
  await fs.rm(base, { recursive: true, force: true });
});

const FULL_FN_JSON = JSON.stringify({
  name: 'hello',
  port: 3000,
  invoke: { method: 'GET', path: '/hi' },
  env: { GREETING: 'hi', LOG_LEVEL: 'debug' },
  envFile: '.env',
  memoryMb: 256,
  cpus: 0.5,
  timeoutSeconds: 45,
  sync: ['**/*.js'],
  rebuild: ['Dockerfile'],
  scale: { min: 2, max: 5, concurrency: 10, queue: 50, idleSeconds: 120 },
  image: 'registry.example.com/team/hello',
});

function spec(configText?: string, dockerfileText = 'FROM node:20-bookworm-slim\nEXPOSE 8080\n'): FunctionSpec {
  const described = describeFunction({ folder, workspaceFolder: workspace, dockerfileText, configText });
  assert.deepEqual(described.problems, [], 'the fixture is a valid function');
  return described;
}

function input(fn: FunctionSpec, file: string, image: ImageChoice = chooseImage({ name: fn.name, fnImage: fn.image }), keys?: string[]): ExportInput {
  return { fn, image, envFileKeys: keys, manifestFile: path.join(folder, 'deploy', file) };
}

/** The YAML documents of a manifest, as plain data. */
function documents(text: string): unknown[] {
  const docs = parseAllDocuments(text);
  assert.ok(Array.isArray(docs), 'parses as a stream of documents');
  for (const doc of docs) assert.deepEqual(doc.errors, []);
  return docs.map((doc) => doc.toJS());
}

describe('Export to Kubernetes', () => {
  it('a minimal function (a Dockerfile, no fn.json): one replica, the default port, no resources, a placeholder image', () => {
    const fn = spec();
    const { deployment, service, autoscaler } = kubernetesObjects({ fn, image: chooseImage({ name: fn.name }) });
    for (const model of [deployment, service, autoscaler]) model.validate();
    assert.equal(deployment.metadata?.name, 'hello');
    assert.equal(deployment.spec?.replicas, 1, 'scale.min 0 becomes 1 under an HPA');
    assert.deepEqual(deployment.spec?.selector.matchLabels, { app: 'hello' });
    const container = deployment.spec?.template.spec?.containers[0];
    assert.equal(container?.name, 'hello');
    assert.equal(container?.image, 'REGISTRY/hello:latest');
    assert.deepEqual(container?.ports, [{ containerPort: 8080 }]);
    assert.deepEqual(container?.env, [{ name: 'PORT', value: '8080' }]);
    assert.equal(container?.envFrom, undefined);
    assert.equal(container?.resources, undefined);
    assert.deepEqual(container?.readinessProbe, { tcpSocket: { port: 8080 } });
    assert.equal(service.spec?.type, 'ClusterIP');
    assert.deepEqual(service.spec?.ports, [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 8080 }]);
    assert.deepEqual(service.spec?.selector, { app: 'hello' });
    assert.equal(autoscaler.spec?.minReplicas, 1);
    assert.equal(autoscaler.spec?.maxReplicas, 1);
    assert.deepEqual(autoscaler.spec?.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: 'hello' });

    const rendered = renderKubernetesExport(input(fn, 'kubernetes.yaml'));
    assert.match(rendered.text, /# scale\.min is 0 \(locally the function goes to zero when idle\), but an HPA keeps at least 1 replica/);
    assert.match(rendered.text, /# REGISTRY is a placeholder: run Push Image, or set "image" in fn\.json or the/);
    assert.match(rendered.text, /fn\.json sets no "cpus", so the pods have no CPU request/);
    assert.match(rendered.text, /Generated by Local Serverless from fns\/hello\/Dockerfile \(no fn\.json\), function "hello"/);
    assert.equal(rendered.secretCommand, undefined);
    assert.doesNotMatch(rendered.text, /kubectl create secret/);
  });

  it('a full fn.json: env, envFile, memoryMb, cpus, timeoutSeconds, scale and image', () => {
    const fn = spec(FULL_FN_JSON);
    const { deployment, service, autoscaler } = kubernetesObjects({ fn, image: chooseImage({ name: fn.name, fnImage: fn.image }) });
    for (const model of [deployment, service, autoscaler]) model.validate();
    assert.equal(deployment.spec?.replicas, 2);
    const container = deployment.spec?.template.spec?.containers[0];
    assert.equal(container?.image, 'registry.example.com/team/hello:latest');
    assert.deepEqual(container?.ports, [{ containerPort: 3000 }]);
    assert.deepEqual(container?.env, [{ name: 'PORT', value: '3000' }, { name: 'GREETING', value: 'hi' }, { name: 'LOG_LEVEL', value: 'debug' }]);
    assert.deepEqual(container?.envFrom, [{ secretRef: { name: 'hello-env' } }]);
    assert.deepEqual(container?.resources, { requests: { memory: '256Mi', cpu: '500m' }, limits: { memory: '256Mi', cpu: '500m' } });
    assert.deepEqual(container?.readinessProbe, { tcpSocket: { port: 3000 } });
    assert.deepEqual(service.spec?.ports, [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 3000 }]);
    assert.equal(autoscaler.spec?.minReplicas, 2);
    assert.equal(autoscaler.spec?.maxReplicas, 5);
    assert.deepEqual(autoscaler.spec?.metrics, [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }]);
    assert.equal(autoscaler.spec?.behavior?.scaleDown?.stabilizationWindowSeconds, 120);

    const rendered = renderKubernetesExport(input(fn, 'kubernetes.yaml', undefined, ['API_KEY']));
    assert.equal(rendered.secretCommand, 'kubectl create secret generic hello-env --from-env-file=fns/hello/.env');
    assert.equal(rendered.applyCommand, 'kubectl apply -f fns/hello/deploy/kubernetes.yaml');
    assert.ok(rendered.text.includes(`#   ${rendered.secretCommand}\n`), 'the header holds the exact secret line');
    assert.ok(rendered.text.includes(`#   ${rendered.applyCommand}\n`), 'the header holds the exact apply line');
    assert.match(rendered.text, /its keys: API_KEY/);
    assert.match(rendered.text, /Generated by Local Serverless from fns\/hello\/fn\.json, function "hello"/);
    assert.doesNotMatch(rendered.text, /no CPU request/);
  });

  it('round-trips: the three YAML documents parse back to exactly the validated objects', () => {
    for (const fn of [spec(), spec(FULL_FN_JSON)]) {
      const objects = kubernetesObjects({ fn, image: chooseImage({ name: fn.name, fnImage: fn.image }) });
      const text = renderKubernetesExport(input(fn, 'kubernetes.yaml')).text;
      assert.deepEqual(documents(text), [objects.deployment, objects.service, objects.autoscaler].map((o) => o.toJSON()));
      // What parses back also passes the schemas.
      const [deployment] = documents(text);
      new Deployment(deployment as ConstructorParameters<typeof Deployment>[0]).validate();
    }
  });

  it('caps the HPA\'s scale-down window at its 3600 s limit and says so', () => {
    const fn = spec(JSON.stringify({ scale: { idleSeconds: 7200 } }));
    assert.equal(kubernetesObjects({ fn, image: chooseImage({ name: 'hello' }) }).autoscaler.spec?.behavior?.scaleDown?.stabilizationWindowSeconds, 3600);
    assert.match(renderKubernetesExport(input(fn, 'kubernetes.yaml')).text, /scale\.idleSeconds \(7200\) is over the HPA's limit of 3600 s/);
  });

  it('names objects as Kubernetes allows: dots and underscores become dashes, a leading digit gets a prefix', () => {
    assert.equal(kubernetesName('hello'), 'hello');
    assert.equal(kubernetesName('my_func.v2'), 'my-func-v2');
    assert.equal(kubernetesName('my__func'), 'my-func');
    assert.equal(kubernetesName('9lives'), 'fn-9lives');
    assert.equal(kubernetesName('a'.repeat(70)).length, 63);
    const fn = spec(JSON.stringify({ name: 'my_func.v2', envFile: '.env' }));
    const { deployment } = kubernetesObjects({ fn, image: chooseImage({ name: fn.name }) });
    assert.equal(deployment.metadata?.name, 'my-func-v2');
    assert.deepEqual(deployment.spec?.template.spec?.containers[0].envFrom, [{ secretRef: { name: 'my-func-v2-env' } }]);
  });

  it('writes CPU counts as Kubernetes quantities', () => {
    assert.equal(cpuQuantity(0.5), '500m');
    assert.equal(cpuQuantity(2), '2');
    assert.equal(cpuQuantity(1.25), '1250m');
    assert.equal(cpuQuantity(0.0001), '1m');
  });

  it('the models\' validate() is a real schema check (sanity check of the tests above)', () => {
    const broken = new Deployment({ metadata: { name: 'x' }, spec: { replicas: 'three' as unknown as number, selector: {}, template: {} } });
    assert.throws(() => broken.validate(), /replicas/);
  });
});

describe('Export to Knative', () => {
  it('a minimal function: scale bounds 0..1, no concurrency limit, the default timeout, the idle window', () => {
    const fn = spec();
    const service = knativeService({ fn, image: chooseImage({ name: fn.name }) });
    service.validate();
    assert.equal(service.apiVersion, 'serving.knative.dev/v1');
    assert.equal(service.metadata?.name, 'hello');
    assert.deepEqual(service.spec?.template?.metadata?.annotations, {
      [KNATIVE_ANNOTATIONS.minScale]: '0',
      [KNATIVE_ANNOTATIONS.maxScale]: '1',
      [KNATIVE_ANNOTATIONS.scaleToZeroRetention]: '300s',
    });
    assert.equal(service.spec?.template?.spec?.containerConcurrency, 0);
    assert.equal(service.spec?.template?.spec?.timeoutSeconds, 30);
    const container = service.spec?.template?.spec?.containers[0];
    assert.equal(container?.name, 'hello');
    assert.deepEqual(container?.ports, [{ containerPort: 8080 }]);
    assert.equal(container?.env, undefined, 'no PORT: Knative sets it');
  });

  it('a full fn.json: annotations are strings, containerConcurrency, timeoutSeconds, env, envFrom, resources', () => {
    const fn = spec(FULL_FN_JSON);
    const service = knativeService({ fn, image: { reference: 'registry.example.com/team/hello@sha256:' + 'a'.repeat(64), source: 'pushed' } });
    service.validate();
    assert.deepEqual(service.spec?.template?.metadata?.annotations, {
      'autoscaling.knative.dev/min-scale': '2',
      'autoscaling.knative.dev/max-scale': '5',
      'autoscaling.knative.dev/scale-to-zero-pod-retention-period': '120s',
    });
    assert.equal(service.spec?.template?.spec?.containerConcurrency, 10);
    assert.equal(service.spec?.template?.spec?.timeoutSeconds, 45);
    const container = service.spec?.template?.spec?.containers[0];
    assert.equal(container?.image, `registry.example.com/team/hello@sha256:${'a'.repeat(64)}`);
    assert.deepEqual(container?.env, [{ name: 'GREETING', value: 'hi' }, { name: 'LOG_LEVEL', value: 'debug' }]);
    assert.deepEqual(container?.envFrom, [{ secretRef: { name: 'hello-env' } }]);
    assert.deepEqual(container?.resources, { requests: { memory: '256Mi', cpu: '500m' }, limits: { memory: '256Mi', cpu: '500m' } });

    const rendered = renderKnativeExport(input(fn, 'knative.yaml'));
    assert.equal(rendered.applyCommand, 'kubectl apply -f fns/hello/deploy/knative.yaml');
    assert.match(rendered.text, /scale-to-zero\/, "Scale to zero last pod retention/);
  });

  it('round-trips, and what parses back passes the Knative schema', () => {
    for (const fn of [spec(), spec(FULL_FN_JSON)]) {
      const text = renderKnativeExport(input(fn, 'knative.yaml')).text;
      const parsed = documents(text);
      assert.deepEqual(parsed, [knativeService({ fn, image: chooseImage({ name: fn.name, fnImage: fn.image }) }).toJSON()]);
      new KnativeService(parsed[0] as ConstructorParameters<typeof KnativeService>[0]).validate();
    }
  });

  it('rounds a fractional timeout up, and warns past Knative\'s default 600 s ceiling', () => {
    const fn = spec(JSON.stringify({ timeoutSeconds: 700.5 }));
    assert.equal(knativeService({ fn, image: chooseImage({ name: 'hello' }) }).spec?.template?.spec?.timeoutSeconds, 701);
    const text = renderKnativeExport(input(fn, 'knative.yaml')).text;
    assert.match(text, /fn\.json says 700\.5: Knative takes whole seconds/);
    assert.match(text, /max-revision-timeout-seconds \(600\)/);
  });

  it('leaves out a PORT set in fn.json\'s env, and says why', () => {
    const fn = spec(JSON.stringify({ env: { PORT: '9000', A: 'b' } }));
    assert.deepEqual(knativeService({ fn, image: chooseImage({ name: 'hello' }) }).spec?.template?.spec?.containers[0].env, [{ name: 'A', value: 'b' }]);
    assert.match(renderKnativeExport(input(fn, 'knative.yaml')).text, /sets PORT, which Knative sets itself/);
  });
});

describe('env file values never reach a manifest', () => {
  it('only the keys are read, and neither export holds a value', async () => {
    await fs.writeFile(path.join(folder, '.env'), `# secrets\nAPI_KEY=${SECRET_VALUE}\nexport DB_URL="postgres://user:${SECRET_VALUE}@db/app"\n`);
    const fn = spec(FULL_FN_JSON);
    const keys = await envFileKeys(folder, fn.envFile!, workspace);
    assert.deepEqual(keys, ['API_KEY', 'DB_URL']);
    for (const rendered of [renderKubernetesExport(input(fn, 'kubernetes.yaml', undefined, keys)), renderKnativeExport(input(fn, 'knative.yaml', undefined, keys))]) {
      assert.ok(!rendered.text.includes(SECRET_VALUE), 'no env file value in the manifest');
      assert.ok(!rendered.text.includes('postgres://'), 'no env file value in the manifest');
      assert.match(rendered.text, /its keys: API_KEY, DB_URL/);
      assert.match(rendered.text, /# {3}kubectl create secret generic hello-env --from-env-file=fns\/hello\/\.env\n/);
    }
  });

  it('an env file that cannot be read (missing, or a link out of the workspace) gives no keys, and the export still names the Secret', async () => {
    assert.equal(await envFileKeys(folder, '.env', workspace), undefined);
    await fs.writeFile(path.join(outside, 'creds'), `TOKEN=${SECRET_VALUE}\n`);
    await fs.symlink(path.join(outside, 'creds'), path.join(folder, '.env'));
    assert.equal(await envFileKeys(folder, '.env', workspace), undefined);
    const text = renderKubernetesExport(input(spec(FULL_FN_JSON), 'kubernetes.yaml')).text;
    assert.match(text, /Create the Secret from it first/);
    assert.doesNotMatch(text, /its keys/);
  });
});

describe('the image an export runs', () => {
  it('prefers the pushed reference, then fn.json\'s image, then the registry setting, then a placeholder', () => {
    const pushed = 'r.example/t/hello@sha256:' + 'b'.repeat(64);
    assert.deepEqual(chooseImage({ name: 'hello', pushed, fnImage: 'x/y', registry: 'r' }), { reference: pushed, source: 'pushed' });
    assert.deepEqual(chooseImage({ name: 'hello', fnImage: 'registry.example.com/team/hello', registry: 'r' }), { reference: 'registry.example.com/team/hello:latest', source: 'fnJson' });
    assert.deepEqual(chooseImage({ name: 'hello', registry: 'registry.example.com/team/' }), { reference: 'registry.example.com/team/hello:latest', source: 'registry' });
    assert.deepEqual(chooseImage({ name: 'hello', registry: '  ' }), { reference: 'REGISTRY/hello:latest', source: 'placeholder' });
  });

  it('keeps a tag or digest fn.json already names, and a registry port is not a tag', () => {
    assert.equal(withDefaultTag('localhost:5000/hello'), 'localhost:5000/hello:latest');
    assert.equal(withDefaultTag('localhost:5000/hello:v2'), 'localhost:5000/hello:v2');
    assert.equal(withDefaultTag('r/hello@sha256:abc'), 'r/hello@sha256:abc');
  });

  it('the comment says what the choice means', () => {
    const fn = spec();
    const text = (source: ImageChoice['source']) => renderKubernetesExport(input(fn, 'kubernetes.yaml', { reference: 'r/hello:latest', source })).text;
    assert.match(text('pushed'), /The image Push Image sent: what runs locally/);
    assert.match(text('fnJson'), /fn\.json's "image" with :latest/);
    assert.match(text('registry'), /The localServerless\.registry setting/);
  });
});

describe('kubectl lines', () => {
  it('quote only what needs quoting', () => {
    assert.equal(applyCommand('fns/hello/deploy/kubernetes.yaml'), 'kubectl apply -f fns/hello/deploy/kubernetes.yaml');
    assert.equal(applyCommand('my fns/it\'s/deploy/k.yaml'), `kubectl apply -f 'my fns/it'\\''s/deploy/k.yaml'`);
    assert.equal(createSecretCommand('hello-env', 'a b/.env'), `kubectl create secret generic hello-env '--from-env-file=a b/.env'`);
    assert.equal(shellQuote('$(rm -rf ~)'), `'$(rm -rf ~)'`);
  });
});

describe('the stamp that tells our output from the user\'s edits', () => {
  const generated = stamped('apiVersion: v1\nkind: Service\n');

  it('starts with the hash of the rest', () => {
    assert.ok(generated.startsWith(STAMP_PREFIX));
    assert.ok(isUnedited(generated));
  });

  it('create, unchanged, replace (our own unedited output) and ask (edited, or never ours)', () => {
    assert.equal(decideWrite(undefined, generated), 'create');
    assert.equal(decideWrite(generated, generated), 'unchanged');
    assert.equal(decideWrite(stamped('apiVersion: v1\nkind: Deployment\n'), generated), 'replace');
    assert.equal(decideWrite(generated.replace('kind: Service', 'kind: Service # mine'), generated), 'ask');
    assert.equal(decideWrite('apiVersion: v1\nkind: Service\n', generated), 'ask');
    assert.equal(decideWrite(`${STAMP_PREFIX}not-a-hash\nkind: Service\n`, generated), 'ask');
  });

  it('line endings changed by an editor or git are not edits', () => {
    assert.equal(decideWrite(stamped('a: 1\nb: 2\n').replace(/\n/g, '\r\n'), generated), 'replace');
  });
});

describe('where manifests are written', () => {
  it('the export folder is relative to the function folder and stays inside it', () => {
    assert.equal(exportFolderOf(folder, undefined), path.join(folder, 'deploy'));
    assert.equal(exportFolderOf(folder, ' '), path.join(folder, 'deploy'));
    assert.equal(exportFolderOf(folder, 'k8s/prod'), path.join(folder, 'k8s', 'prod'));
    assert.equal(exportFolderOf(folder, '.'), folder);
    assert.throws(() => exportFolderOf(folder, '../../elsewhere'), (e: unknown) => e instanceof UserFacingError && /leads out of the function's folder/.test(e.message));
    assert.throws(() => exportFolderOf(folder, '/etc'), (e: unknown) => e instanceof UserFacingError && /absolute path/.test(e.message));
    assert.throws(() => exportFolderOf(folder, 'C:\\deploy'), /absolute path/);
  });

  it('writes a new file, creating its folder, then finds it unchanged or ours to replace', async () => {
    const target = path.join(folder, 'deploy', 'kubernetes.yaml');
    const first = stamped('kind: Service\n');
    assert.equal(await planManifestWrite(folder, target, first), 'create');
    await writeManifest(folder, target, first);
    assert.equal(await fs.readFile(target, 'utf8'), first);
    assert.equal(await planManifestWrite(folder, target, first), 'unchanged');
    assert.equal(await planManifestWrite(folder, target, stamped('kind: Deployment\n')), 'replace');
    await fs.appendFile(target, '# my note\n');
    assert.equal(await planManifestWrite(folder, target, stamped('kind: Deployment\n')), 'ask');
  });

  it('says so when the manifest\'s place holds a folder', async () => {
    await fs.mkdir(path.join(folder, 'deploy', 'kubernetes.yaml'), { recursive: true });
    await assert.rejects(planManifestWrite(folder, path.join(folder, 'deploy', 'kubernetes.yaml'), 'x'), (e: unknown) => e instanceof UserFacingError && /is a folder, not a file/.test(e.message));
  });

  it('refuses a deploy folder that is a link out of the function folder, and writes nothing there', async () => {
    await fs.symlink(outside, path.join(folder, 'deploy'));
    const target = path.join(folder, 'deploy', 'kubernetes.yaml');
    for (const attempt of [() => planManifestWrite(folder, target, 'x'), () => writeManifest(folder, target, 'x')]) {
      const error = await attempt().then(() => undefined, (e: unknown) => e);
      assert.ok(error instanceof UserFacingError, String(error));
      assert.match(error.message, /would be written outside .*because deploy is a symbolic link/);
    }
    assert.deepEqual(await fs.readdir(outside), []);
  });

  it('refuses a manifest that is itself a link (even a dangling one), and leaves its target alone', async () => {
    await fs.mkdir(path.join(folder, 'deploy'));
    await fs.writeFile(path.join(outside, 'victim'), 'untouched');
    await fs.symlink(path.join(outside, 'victim'), path.join(folder, 'deploy', 'kubernetes.yaml'));
    await fs.symlink(path.join(outside, 'nothing-yet'), path.join(folder, 'deploy', 'knative.yaml'));
    for (const name of ['kubernetes.yaml', 'knative.yaml']) {
      const error = await writeManifest(folder, path.join(folder, 'deploy', name), 'x').then(() => undefined, (e: unknown) => e);
      assert.ok(error instanceof UserFacingError, String(error));
      assert.match(error.message, /is a symbolic link/);
    }
    assert.equal(await fs.readFile(path.join(outside, 'victim'), 'utf8'), 'untouched');
    assert.deepEqual((await fs.readdir(outside)).sort(), ['victim']);
  });

  it('refuses an export folder reached through a linked parent folder', async () => {
    await fs.mkdir(path.join(outside, 'k8s'));
    await fs.symlink(outside, path.join(folder, 'infra'));
    const error = await writeManifest(folder, path.join(folder, 'infra', 'k8s', 'kubernetes.yaml'), 'x').then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof UserFacingError);
    assert.deepEqual(await fs.readdir(path.join(outside, 'k8s')), []);
  });
});

describe('finding kubectl on PATH', () => {
  it('finds an executable file in a PATH folder, and nothing else', async () => {
    const bin = path.join(base, 'bin');
    const other = path.join(base, 'other');
    await fs.mkdir(bin);
    await fs.mkdir(other);
    await fs.writeFile(path.join(other, 'kubectl'), '#!/bin/sh\n', { mode: 0o644 }); // not executable
    await fs.mkdir(path.join(other, 'kubectl-dir'));
    assert.equal(await findOnPath('kubectl', { PATH: other }, 'linux'), undefined);
    await fs.writeFile(path.join(bin, 'kubectl'), '#!/bin/sh\n', { mode: 0o755 });
    assert.equal(await findOnPath('kubectl', { PATH: `${other}:${bin}` }, 'linux'), path.join(bin, 'kubectl'));
    assert.equal(await findOnPath('kubectl', {}, 'linux'), undefined);
  });

  it('skips empty and relative PATH entries (the current folder may be an untrusted repository)', async () => {
    await fs.writeFile(path.join(folder, 'kubectl'), '#!/bin/sh\n', { mode: 0o755 });
    const cwd = process.cwd();
    process.chdir(folder);
    try {
      assert.equal(await findOnPath('kubectl', { PATH: `:.:fns` }, 'linux'), undefined);
    } finally {
      process.chdir(cwd);
    }
  });

  it('reads Windows\' Path in any case, with PATHEXT, without failing on a folder that does not exist', async () => {
    assert.equal(await findOnPath('kubectl', { Path: 'C:\\nowhere', PATHEXT: '.EXE' }, 'win32'), undefined);
  });
});

describe('exports refuse what they cannot express', () => {
  it('a one-shot job has no server to export', () => {
    for (const kind of ['job', 'jobRunning']) assert.match(actionRefusal('nightly', kind, 'export') ?? '', /^nightly is a one-shot job .* for functions that serve requests\.$/);
    for (const kind of ['notBuilt', 'running', 'scaledToZero', 'stopped', 'exited', 'failed', 'building']) assert.equal(actionRefusal('f', kind, 'export'), undefined);
  });
});
