'use strict';
// Serves handler.js over HTTP on $PORT: JSON in, JSON out. Edit handler.js, not this file.
// SIGHUP reloads the handler without restarting the process (Local Serverless sends it after syncing files).
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

const port = Number(process.env.PORT || 8080);
// How many reloads are done, so Local Serverless knows when the new code serves (it waits for the count to change).
const reloadsFile = path.join(process.env.TMPDIR || '/tmp', '.local-serverless-reloads');
let reloads = 0;
let handler = loadHandler();
countReload();

function loadHandler() {
  for (const key of Object.keys(require.cache)) {
    if (key.startsWith(__dirname + path.sep) && key !== __filename && !key.includes(`${path.sep}node_modules${path.sep}`)) delete require.cache[key];
  }
  return require('./handler').handler;
}

function countReload() {
  try {
    fs.writeFileSync(reloadsFile, `${reloads}\n`);
  } catch {
    // Not writable: Local Serverless then does not wait for the reload.
  }
}

function send(res, status, value) {
  const body = JSON.stringify(value === undefined ? null : value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

const server = http.createServer(async (req, res) => {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const raw = Buffer.concat(chunks).toString('utf8');
  let event;
  try {
    event = raw.trim() ? JSON.parse(raw) : {};
  } catch (err) {
    return send(res, 400, { error: `Request body is not JSON: ${err.message}` });
  }
  try {
    send(res, 200, await handler(event, { method: req.method, path: req.url, headers: req.headers }));
  } catch (err) {
    console.error(err);
    send(res, 500, { error: String((err && err.message) || err) });
  }
});
server.keepAliveTimeout = 65_000;
server.listen(port, () => console.log(`hello-node listening on port ${port}`));

process.on('SIGHUP', () => {
  try {
    handler = loadHandler();
    console.log('hello-node reloaded handler');
  } catch (err) {
    console.error('hello-node reload failed, keeping the previous handler:', err);
  }
  reloads++;
  countReload();
});
// Exit promptly so stops and rebuilds never wait for Docker's 10 s kill timeout.
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 1000).unref();
});
