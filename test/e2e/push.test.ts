import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openSession, type Session } from './session';
import type { Workbench } from './ui';

/** The open reference registry the test set-up starts on 127.0.0.1 (scripts/setup-registry.sh). */
const REGISTRY = process.env.REGISTRY_OPEN;

describe('Push Image and Export to Knative in a real VS Code against the real Docker engine and a real registry', { skip: REGISTRY ? false : 'no registry: scripts/setup-registry.sh did not run (REGISTRY_OPEN is unset)' }, () => {
  let session: Session;
  let ui: Workbench;
  const repository = `${REGISTRY}/e2e-${Date.now().toString(36)}/hello-node`;

  before(async () => {
    // fn.json names where its image goes (the workspace is trusted in this test).
    session = await openSession('push', {
      prepare: (workspace) => {
        const file = path.join(workspace, 'hello-node', 'fn.json');
        fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(fs.readFileSync(file, 'utf8')) as object, image: repository }, null, 2));
      },
    });
    ({ ui } = session);
    await ui.showFunctionsView();
    await ui.treeRow('hello-node').waitFor({ timeout: 30_000 });
  });

  after(async () => {
    await session?.close();
  });

  test('Push Image from the tree shows its progress and says where the image went, with its digest', async () => {
    await ui.treeRow('hello-node').click({ button: 'right' });
    const item = ui.page.locator('.context-view .action-item', { hasText: 'Push Image' }).first();
    await item.waitFor({ timeout: 10_000 });
    await ui.page.waitForTimeout(300); // the menu fades in; a click during that is lost
    await item.hover();
    await ui.page.keyboard.press('Enter');
    await ui.runCommand('Notifications: Show Notifications');
    await ui.page.locator('.notifications-center .notification-list-item', { hasText: /Pushing hello-node to / }).first().waitFor({ timeout: 30_000 });
    await ui.screenshot('push-progress');
    const pushedNote = ui.page.locator('.notifications-center .notification-list-item', { hasText: /Pushed .*hello-node:[0-9a-f]{12}@sha256:[0-9a-f]{64}/ }).first();
    await pushedNote.waitFor({ timeout: 120_000 });
    assert.match(await pushedNote.innerText(), new RegExp(repository.replace(/[.]/g, '\\.')));
    await ui.screenshot('pushed');
  });

  test('Export to Knative writes the manifest with the pushed digest and opens it beside the editor', async () => {
    await ui.runCommand('Local Serverless: Export to Knative');
    await ui.pick('hello-node');
    await ui.page.locator('.tabs-container .tab', { hasText: 'knative.yaml' }).first().waitFor({ timeout: 30_000 });
    const text = await ui.waitForEditorText('autoscaling.knative.dev/min-scale');
    assert.match(text, /image: .*hello-node:[0-9a-f]{12}@sha256:[0-9a-f]{64}/);
    assert.ok(fs.existsSync(path.join(session.workspace, 'hello-node', 'deploy', 'knative.yaml')));
    await ui.screenshot('knative-exported');
  });
});
