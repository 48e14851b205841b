// Renders design/icon.svg to media/icon.png, the 128 px Marketplace icon, in the Chromium the tests use
// (CHROMIUM_PATH, else /usr/bin/chromium): `node scripts/render-icon.mjs`.
import * as fs from 'node:fs';
import { chromium } from 'playwright-core';

const SIZE = 128;
const svg = fs.readFileSync(new URL('../design/icon.svg', import.meta.url));
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
try {
  const page = await browser.newPage({ viewport: { width: SIZE, height: SIZE }, deviceScaleFactor: 1 });
  await page.setContent(`<body style="margin:0;background:transparent"><img src="data:image/svg+xml;base64,${svg.toString('base64')}" width="${SIZE}" height="${SIZE}" style="display:block"></body>`);
  await page.waitForFunction(() => globalThis.document.images[0].complete);
  await page.screenshot({ path: new URL('../media/icon.png', import.meta.url).pathname, omitBackground: true, clip: { x: 0, y: 0, width: SIZE, height: SIZE } });
} finally {
  await browser.close();
}
