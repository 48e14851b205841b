/**
 * The Function Activity webview's page. It holds no data and no inline script or style: the
 * function's name and figures arrive by message and go in as textContent, so the strictest policy
 * holds — only the extension's own files, nothing remote, nothing inline.
 */

export interface ActivityPageResources {
  /** `webview.cspSource`: the origin the webview serves the extension's files from. */
  cspSource: string;
  /** `webview.asWebviewUri` of dist/activity.js. */
  script: string;
  /** Of dist/uPlot.min.css and media/activity.css. */
  styles: string[];
}

export function activityContentSecurityPolicy(cspSource: string): string {
  return `default-src 'none'; script-src ${cspSource}; style-src ${cspSource}; img-src ${cspSource}`;
}

/** Text safe inside a double-quoted attribute or between tags. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function activityPageHtml({ cspSource, script, styles }: ActivityPageResources): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(activityContentSecurityPolicy(cspSource))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
${styles.map((href) => `<link rel="stylesheet" href="${escapeHtml(href)}">`).join('\n')}
<title>Function Activity</title>
</head>
<body>
<header>
<h1 id="title">Function Activity</h1>
<p id="now">Waiting for figures from the gateway…</p>
</header>
<section><h2>Requests per second</h2><div id="rps"></div></section>
<section><h2>Latency (ms)</h2><div id="latency"></div></section>
<section><h2>Instances (ready or starting) and cold starts</h2><div id="instances"></div></section>
<script src="${escapeHtml(script)}"></script>
</body>
</html>
`;
}
