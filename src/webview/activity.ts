/**
 * The Function Activity webview: three uPlot charts (requests per second, p50/p95 latency, instances
 * with cold starts marked) over the last two minutes, and a header with the figures now. It fetches
 * nothing: the extension posts a snapshot (validated here before use) whenever the gateway's figures
 * change, and the time axis moves on once a second in between. Text goes in with textContent only.
 */
import uPlot from 'uplot';
import { activityHeader, chartColumns, isActivitySnapshot, type ActivitySnapshot } from '../core/activitySeries';

declare function acquireVsCodeApi(): { postMessage(message: unknown): void };

const CHART_HEIGHT = 160;
const vscodeApi = acquireVsCodeApi();

interface Colors {
  foreground: string;
  lines: string;
  blue: string;
  orange: string;
  purple: string;
  red: string;
  green: string;
}

/** The theme's colours (canvas cannot read CSS variables, so they are read here and again when the theme changes). */
function themeColors(): Colors {
  const style = getComputedStyle(document.body);
  const read = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
  const foreground = read('--vscode-editor-foreground', '#cccccc');
  return {
    foreground,
    lines: read('--vscode-charts-lines', 'rgba(128, 128, 128, 0.35)'),
    blue: read('--vscode-charts-blue', '#3794ff'),
    orange: read('--vscode-charts-orange', '#d18616'),
    purple: read('--vscode-charts-purple', '#b180d7'),
    red: read('--vscode-charts-red', '#f14c4c'),
    green: read('--vscode-charts-green', '#89d185'),
  };
}

const element = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const title = element<HTMLHeadingElement>('title');
const now = element<HTMLParagraphElement>('now');
const hosts = { rps: element<HTMLDivElement>('rps'), latency: element<HTMLDivElement>('latency'), instances: element<HTMLDivElement>('instances') };

let snapshot: ActivitySnapshot | undefined;
/** The host's clock minus this one's, from the last snapshot: the axis follows the gateway's time. */
let clockOffset = 0;
let charts: { rps: uPlot; latency: uPlot; instances: uPlot } | undefined;
let xRange: [number, number] = [0, 1];

function axes(colors: Colors, integers: boolean): uPlot.Axis[] {
  const axis = { stroke: colors.foreground, grid: { stroke: colors.lines, width: 1 }, ticks: { stroke: colors.lines, width: 1 } };
  return [axis, { ...axis, size: 56, ...(integers ? { incrs: [1, 2, 5, 10, 20, 50, 100] } : {}) }];
}

function options(colors: Colors, series: uPlot.Series[], integers = false): uPlot.Options {
  return {
    width: Math.max(document.body.clientWidth - 24, 200),
    height: CHART_HEIGHT,
    scales: {
      x: { time: true, range: () => xRange },
      y: { range: (_u, _min, max) => [0, Math.max(integers ? max + 1 : max * 1.1, 1)] },
    },
    axes: axes(colors, integers),
    series: [{}, ...series],
    legend: { show: true },
  };
}

function createCharts(): void {
  const colors = themeColors();
  const line = (label: string, stroke: string): uPlot.Series => ({ label, stroke, width: 2, spanGaps: false, points: { show: false } });
  charts?.rps.destroy();
  charts?.latency.destroy();
  charts?.instances.destroy();
  const empty = [[], [], []] as unknown as uPlot.AlignedData;
  charts = {
    rps: new uPlot(options(colors, [line('req/s', colors.blue)]), [[], []], hosts.rps),
    latency: new uPlot(options(colors, [line('p50 ms', colors.green), line('p95 ms', colors.orange)]), empty, hosts.latency),
    instances: new uPlot(options(colors, [
      { ...line('instances', colors.purple), paths: uPlot.paths.stepped?.({ align: 1 }) },
      { label: 'cold starts', stroke: colors.red, fill: colors.red, width: 0, paths: () => null, points: { show: true, size: 9, stroke: colors.red, fill: colors.red } },
    ], true), empty, hosts.instances),
  };
  render();
}

function render(): void {
  if (!snapshot) return;
  const at = Date.now() + clockOffset;
  xRange = [(at - snapshot.windowMs) / 1000, at / 1000];
  const c = chartColumns(snapshot, at);
  title.textContent = `Function Activity: ${snapshot.name}`;
  now.textContent = activityHeader(snapshot);
  if (!charts) return createCharts();
  charts.rps.setData([c.x, c.rps]);
  charts.latency.setData([c.x, c.p50, c.p95] as uPlot.AlignedData);
  charts.instances.setData([c.x, c.instances, c.coldStartMarks] as uPlot.AlignedData);
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  if (!isActivitySnapshot(event.data)) return;
  snapshot = event.data;
  clockOffset = snapshot.hostNow - Date.now();
  render();
});

// The axis moves on while the gateway is quiet (it sends nothing while nothing changes).
setInterval(render, 1000);

// Charts follow the panel's width, and the theme's colours when it changes (VS Code swaps the body's classes).
new ResizeObserver(() => {
  const width = Math.max(document.body.clientWidth - 24, 200);
  for (const chart of charts ? Object.values(charts) : []) chart.setSize({ width, height: CHART_HEIGHT });
}).observe(document.body);
new MutationObserver(() => charts && createCharts()).observe(document.body, { attributes: true, attributeFilter: ['class'] });

vscodeApi.postMessage({ kind: 'ready' });
