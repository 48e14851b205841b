import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { actionRefusal, EVENT_CONTEXT_VALUE, FUNCTION_STATE_KINDS, functionContextValue, type FunctionStateKind } from '../../src/core/functionStates';
import { evaluateWhen } from '../support/whenClause';

const ROOT = path.resolve(__dirname, '..', '..', '..');
interface MenuItem { command: string; when?: string; group?: string }
const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { contributes: { menus: Record<string, MenuItem[]> } };
const ITEM_MENU = manifest.contributes.menus['view/item/context'];
const VIEW = 'localServerless.functions';

/** The commands (without the prefix) a right-click (`menu`) or the hover buttons (`inline`) offer on an item with `contextValue`. */
function offered(contextValue: string, where: 'menu' | 'inline', view = VIEW): string[] {
  return ITEM_MENU
    .filter((item) => (item.group ?? '').startsWith('inline') === (where === 'inline'))
    .filter((item) => evaluateWhen(item.when ?? 'true', { view, viewItem: contextValue }))
    .map((item) => item.command.replace(/^localServerless\./, ''))
    .sort();
}

type Offer = { menu: string[]; inline: string[] };
const sorted = (offer: Offer): Offer => ({ menu: [...offer.menu].sort(), inline: [...offer.inline].sort() });

/**
 * What each state offers (auto-reload toggles aside, checked below). Invoke is offered wherever Build
 * and Run is: on a function that is not running it builds and starts it first (DESIGN.md "Invoking"),
 * and on a job it runs the job with the payload. Save Payload as Event goes with Invoke.
 */
/** Export to Kubernetes and to Knative read only fn.json: offered in every state but misconfigured and a job's (a job serves nothing). */
const EXPORTS = ['exportKnative', 'exportKubernetes'];
const NOT_RUNNING: Offer = { menu: ['buildAndRun', 'debugFunction', 'invoke', 'loadTest', 'pushImage', 'copyPushedDigest', 'saveEvent', 'showLogs', ...EXPORTS], inline: ['buildAndRun', 'invoke'] };
/** A job has no server: nothing to load-test, no URL, nothing to export. Its image can still be pushed. */
const JOB: Offer = { menu: ['buildAndRun', 'invoke', 'pushImage', 'copyPushedDigest', 'saveEvent', 'showLogs'], inline: ['buildAndRun', 'invoke'] };
const SERVING: Offer = {
  menu: ['buildAndRun', 'debugFunction', 'copyUrl', 'invoke', 'loadTest', 'openInBrowser', 'pushImage', 'copyPushedDigest', 'saveEvent', 'showActivity', 'showLogs', 'stop', ...EXPORTS],
  inline: ['buildAndRun', 'invoke', 'stop'],
};
const ONLY_STOP: Offer = { menu: ['showLogs', 'stop'], inline: ['stop'] };
const EXPECTED: Record<FunctionStateKind, Offer> = {
  notBuilt: NOT_RUNNING,
  stopped: NOT_RUNNING,
  exited: NOT_RUNNING,
  failed: NOT_RUNNING,
  building: { menu: [...ONLY_STOP.menu, ...EXPORTS], inline: ONLY_STOP.inline },
  running: SERVING,
  scaledToZero: SERVING,
  misconfigured: { menu: ['openConfig', 'showLogs'], inline: ['openConfig'] },
  job: JOB,
  jobRunning: ONLY_STOP,
};
const AUTO_RELOAD_TOGGLE_STATES: readonly FunctionStateKind[] = ['running', 'scaledToZero'];

describe('tree menus follow the function\'s state', () => {
  for (const kind of FUNCTION_STATE_KINDS) {
    for (const autoReload of [true, false]) {
      it(`${kind}, auto-reload ${autoReload ? 'on' : 'off'}: offers ${EXPECTED[kind].menu.join(', ')}`, () => {
        const contextValue = functionContextValue(kind, autoReload);
        const toggle = AUTO_RELOAD_TOGGLE_STATES.includes(kind) ? [autoReload ? 'disableAutoReload' : 'enableAutoReload'] : [];
        const expected = sorted({ menu: [...EXPECTED[kind].menu, ...toggle], inline: EXPECTED[kind].inline });
        assert.deepEqual({ menu: offered(contextValue, 'menu'), inline: offered(contextValue, 'inline') }, expected);
      });
    }
  }

  it('a saved event offers Invoke, Open and Delete, and nothing on hover', () => {
    assert.deepEqual(offered(EVENT_CONTEXT_VALUE, 'menu'), ['deleteEvent', 'invoke', 'openEvent']);
    assert.deepEqual(offered(EVENT_CONTEXT_VALUE, 'inline'), []);
  });

  it('a state the menus do not know yet gets Show Logs only: actions are offered state by state, never to every state', () => {
    assert.deepEqual(offered(functionContextValue('someNewState', true), 'menu'), ['showLogs']);
    assert.deepEqual(offered(functionContextValue('someNewState', true), 'inline'), []);
  });

  it('a state whose name starts like another\'s gets only its own actions', () => {
    // `job` must not match `jobRunning`'s entries, nor `running` match a state named `runningSomething`.
    assert.ok(!offered(functionContextValue('jobRunning', false), 'menu').includes('invoke'));
    assert.deepEqual(offered(functionContextValue('runningSomething', false), 'menu'), ['showLogs']);
  });

  it('message lines and other views get no item actions', () => {
    assert.deepEqual(offered('message', 'menu'), []);
    assert.deepEqual(offered(functionContextValue('running', true), 'menu', 'otherView'), []);
  });

  it('destructive actions come last, in the 9_destructive group', () => {
    for (const item of ITEM_MENU.filter((i) => ['localServerless.stop', 'localServerless.deleteEvent'].includes(i.command) && !i.group?.startsWith('inline'))) {
      assert.match(item.group ?? '', /^9_destructive@/, item.command);
    }
    const groups = ITEM_MENU.filter((i) => !i.group?.startsWith('inline')).map((i) => i.group ?? '');
    assert.ok(groups.every((g) => /^\d_[a-z]+@\d+$/.test(g)), `numbered groups: ${groups.join(', ')}`);
  });
});

describe('the palette refuses what a state does not allow', () => {
  it('Invoke and Build and Run on a running job say to wait or stop it', () => {
    assert.match(actionRefusal('nightly', 'jobRunning', 'invoke') ?? '', /^nightly is running as a job: wait until it finishes, or stop it \(Stop Function\), then invoke it again\.$/);
    assert.match(actionRefusal('nightly', 'jobRunning', 'buildAndRun') ?? '', /then run it again\.$/);
  });

  it('Stop on a function with nothing running says so', () => {
    for (const kind of ['notBuilt', 'stopped', 'job']) assert.equal(actionRefusal('hello', kind, 'stop'), 'hello is not running: there is nothing to stop.');
  });

  it('allows what the menus offer, and Stop where a container may still be left (exited, failed, misconfigured)', () => {
    for (const kind of FUNCTION_STATE_KINDS) {
      for (const action of ['buildAndRun', 'invoke', 'stop'] as const) {
        if (EXPECTED[kind].menu.includes(action)) assert.equal(actionRefusal('f', kind, action), undefined, `${action} on ${kind}`);
      }
    }
    for (const kind of ['exited', 'failed', 'misconfigured']) assert.equal(actionRefusal('f', kind, 'stop'), undefined, kind);
  });
});

describe('the when-clause evaluator used above', () => {
  it('reads ==, !=, =~ with flags, !, && before ||, and quoted values', () => {
    const context = { view: 'v', viewItem: 'function.running autoReload.on', flag: true };
    assert.equal(evaluateWhen('view == v && viewItem =~ /^function\\.running /', context), true);
    assert.equal(evaluateWhen('view != v', context), false);
    assert.equal(evaluateWhen('viewItem =~ /RUNNING/i', context), true);
    assert.equal(evaluateWhen('!flag || view == v && viewItem == x', context), false);
    assert.equal(evaluateWhen('view == x && flag || view == \'v\'', context), true);
    assert.equal(evaluateWhen('missing =~ /.*/', context), false);
  });

  it('refuses syntax it does not know rather than guess', () => {
    assert.throws(() => evaluateWhen('(view == v)', {}), /expected a context key/);
    assert.throws(() => evaluateWhen('view == v extra', {}), /unexpected text/);
  });
});
