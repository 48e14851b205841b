import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  activityHeader, ActivityHistory, ActivitySeries, chartColumns, currentFigures, isActivityReady, isActivitySnapshot, liveInstances, type FunctionFigures,
} from '../../src/core/activitySeries';
import { activityPageHtml, escapeHtml } from '../../src/core/activityPage';
import type { FunctionStats } from '../../src/services/gatewayTypes';

/** Figures as the gateway sends them (a whole FunctionStats, so the test also checks that it fits FunctionFigures). */
function stats(time: number, over: Partial<FunctionStats> = {}): FunctionStats {
  return { name: 'hello', time, instances: [], queued: 0, requestsPerSecond: 0, served: 0, refused: 0, timedOut: 0, failed: 0, coldStarts: 0, ...over };
}
const instance = (state: 'starting' | 'ready' | 'draining', i = 0) => ({ id: `c${i}`, label: `hello-${i}`, state, inFlight: 0, served: 0 });

describe('activity series', () => {
  it('FunctionStats fits the figures the core reads', () => {
    const figures: FunctionFigures = stats(0);
    assert.equal(figures.name, 'hello');
  });

  it('counts ready and starting instances, not draining ones', () => {
    assert.equal(liveInstances(stats(0, { instances: [instance('ready', 1), instance('starting', 2), instance('draining', 3)] })), 2);
  });

  it('keeps the samples of the last two minutes behind the newest, and no more than its bound', () => {
    const series = new ActivitySeries('hello', 120_000, 600);
    for (let t = 0; t <= 300_000; t += 500) series.add(stats(t));
    const times = series.snapshot(0).times;
    assert.equal(times.at(-1), 300_000);
    assert.equal(times[0], 180_000);
    assert.equal(series.size, 241);

    const bounded = new ActivitySeries('hello', 120_000, 10);
    for (let t = 0; t < 100; t++) bounded.add(stats(t));
    assert.deepEqual(bounded.snapshot(0).times, [90, 91, 92, 93, 94, 95, 96, 97, 98, 99]);
  });

  it('marks cold starts by the growth of the gateway counter, counting again from zero after the gateway restarts', () => {
    const series = new ActivitySeries('hello');
    series.add(stats(1000, { coldStarts: 4 }));
    series.add(stats(1500, { coldStarts: 4 }));
    series.add(stats(2000, { coldStarts: 7 }));
    series.add(stats(2500, { coldStarts: 1 }));
    assert.deepEqual(series.snapshot(0).coldStarts, [0, 0, 3, 1]);
  });

  it('ignores a sample older than the newest', () => {
    const series = new ActivitySeries('hello');
    series.add(stats(2000, { requestsPerSecond: 5 }));
    series.add(stats(1000, { requestsPerSecond: 9 }));
    assert.deepEqual(series.snapshot(0).requestsPerSecond, [5]);
  });

  it('the snapshot is columnar, with missing percentiles as null', () => {
    const series = new ActivitySeries('hello');
    series.add(stats(1000, { requestsPerSecond: 3, p50Ms: 12, p95Ms: 40, instances: [instance('ready')] }));
    series.add(stats(1500, { requestsPerSecond: 0 }));
    const snap = series.snapshot(1600);
    assert.deepEqual(snap, {
      kind: 'snapshot', name: 'hello', hostNow: 1600, windowMs: 120_000,
      times: [1000, 1500], requestsPerSecond: [3, 0], p50Ms: [12, null], p95Ms: [40, null], instances: [1, 0], coldStarts: [0, 0],
    });
    assert.ok(isActivitySnapshot(snap));
  });

  it('the history keeps a window per function and the last figures whole', () => {
    const history = new ActivityHistory();
    assert.deepEqual(history.add([stats(1000, { name: 'a', coldStarts: 2 }), stats(1000, { name: 'b' })]), ['a', 'b']);
    history.add([stats(1500, { name: 'a', coldStarts: 5 })]);
    assert.equal(history.latest('a')?.coldStarts, 5);
    assert.deepEqual(history.snapshot('a', 2000).coldStarts, [0, 3]);
    assert.deepEqual(history.snapshot('unknown', 2000).times, []);
    history.forget('a');
    assert.equal(history.latest('a'), undefined);
    assert.deepEqual(history.snapshot('a', 2000).times, []);
  });

  it('the header says the figures now, in plain words', () => {
    const series = new ActivitySeries('hello');
    assert.equal(activityHeader(series.snapshot(0)), 'hello: no requests through the gateway yet');
    series.add(stats(1000, { requestsPerSecond: 41.96, p50Ms: 12.345, instances: [instance('ready', 1), instance('ready', 2), instance('starting', 3)] }));
    assert.equal(activityHeader(series.snapshot(0)), 'hello: 3 instances · 42 req/s · p50 12.3 ms');
    series.add(stats(1500, { requestsPerSecond: 0.5, instances: [instance('ready', 1)] }));
    assert.equal(activityHeader(series.snapshot(0)), 'hello: 1 instance · 0.5 req/s · p50 –');
    assert.deepEqual(currentFigures(series.snapshot(0)), { instances: 1, requestsPerSecond: 0.5, p50Ms: null });
  });

  it('chart columns are in seconds, hold the newest values up to now, and put cold starts on the instance line', () => {
    const series = new ActivitySeries('hello');
    series.add(stats(1000, { coldStarts: 0 }));
    series.add(stats(2000, { coldStarts: 2, requestsPerSecond: 8, p50Ms: 5, instances: [instance('ready', 1), instance('starting', 2)] }));
    const columns = chartColumns(series.snapshot(0), 5000);
    assert.deepEqual(columns, {
      x: [1, 2, 5], rps: [0, 8, 8], p50: [null, 5, 5], p95: [null, null, null], instances: [0, 2, 2], coldStartMarks: [null, 2, null],
    });
    assert.deepEqual(chartColumns(series.snapshot(0), 2000).x, [1, 2], 'no hold point when now is the newest sample');
    assert.deepEqual(chartColumns(new ActivitySeries('x').snapshot(0), 5000).x, []);
  });

  it('the webview accepts only a well-formed snapshot, and the extension only a ready message', () => {
    const good = new ActivitySeries('hello').snapshot(1);
    assert.ok(isActivitySnapshot(good));
    for (const bad of [
      null, 'snapshot', { ...good, kind: 'other' }, { ...good, name: 3 }, { ...good, times: [1] },
      { ...good, times: [1], requestsPerSecond: [1], p50Ms: [null], p95Ms: [null], instances: ['<b>'], coldStarts: [0] },
      { ...good, times: [Infinity], requestsPerSecond: [1], p50Ms: [null], p95Ms: [null], instances: [1], coldStarts: [0] },
      { ...good, times: Array(601).fill(1), requestsPerSecond: Array(601).fill(1), p50Ms: Array(601).fill(null), p95Ms: Array(601).fill(null), instances: Array(601).fill(1), coldStarts: Array(601).fill(0) },
    ]) assert.equal(isActivitySnapshot(bad), false, JSON.stringify(bad)?.slice(0, 80));
    assert.ok(isActivityReady({ kind: 'ready' }));
    assert.equal(isActivityReady({ kind: 'run', command: 'x' }), false);
    assert.equal(isActivityReady(undefined), false);
  });
});

describe('activity page', () => {
  const page = activityPageHtml({ cspSource: 'https://file+.vscode-resource.vscode-cdn.net', script: 'https://x/dist/activity.js', styles: ['https://x/dist/uPlot.min.css', 'https://x/media/a"b.css'] });

  it('has the strict policy: nothing but the extension own files, nothing inline', () => {
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(page)?.[1];
    assert.equal(csp, "default-src &#39;none&#39;; script-src https://file+.vscode-resource.vscode-cdn.net; style-src https://file+.vscode-resource.vscode-cdn.net; img-src https://file+.vscode-resource.vscode-cdn.net");
    assert.doesNotMatch(page, /<script>|<style|\sstyle="|\son\w+=/, 'no inline script, style or handler');
    assert.equal(page.match(/<script /g)?.length, 1);
    assert.match(page, /<script src="https:\/\/x\/dist\/activity\.js"><\/script>/);
  });

  it('escapes what it puts into attributes', () => {
    assert.match(page, /href="https:\/\/x\/media\/a&#34;b\.css"/);
    assert.equal(escapeHtml(`<a href='x'>&</a>`), '&#60;a href=&#39;x&#39;&#62;&#38;&#60;/a&#62;');
  });

  it('has an element for the title, the header line and each chart', () => {
    for (const id of ['title', 'now', 'rps', 'latency', 'instances']) assert.match(page, new RegExp(`id="${id}"`));
  });
});
