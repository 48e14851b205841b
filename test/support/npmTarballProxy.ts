import { execFile } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { promisify } from 'node:util';

const UPSTREAM = 'https://registry.npmjs.org';
/** One tarball fetch is bounded: a registry that stops answering fails the build instead of hanging it. */
const FETCH_TIMEOUT_MS = 30_000;

/**
 * Serves npm tarballs on the host's 127.0.0.1 by fetching them from registry.npmjs.org with this
 * process's trust store (NODE_EXTRA_CA_CERTS included). A build that runs in the host's network
 * installs from it: its RUN steps then need no route to the registry and no trust in whatever
 * intercepts TLS on the way (a machine whose egress re-signs TLS with a CA only the host trusts).
 * Tarballs are kept in memory, so a second install in the same test run fetches nothing upstream.
 */
export class NpmTarballProxy {
  private readonly cache = new Map<string, Buffer>();
  /** Paths asked for, in order: tells a test that the build really installed through the proxy. */
  readonly requested: string[] = [];

  private constructor(private readonly server: http.Server) {}

  static async start(): Promise<NpmTarballProxy> {
    const server = http.createServer();
    const proxy = new NpmTarballProxy(server);
    server.on('request', (req, res) => void proxy.serve(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  /** `http://127.0.0.1:<port>`: what lockfile `resolved` URLs point at. */
  get origin(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** A lockfile whose tarballs come from the proxy: each `resolved` on registry.npmjs.org points here instead. */
  rewriteLockfile(text: string): string {
    return text.replaceAll(`"resolved": "${UPSTREAM}/`, `"resolved": "${this.origin}/`);
  }

  /**
   * Writes a package-lock.json for `folder`'s package.json, made by the host's npm (bounded: 90 s),
   * its tarballs on this proxy: an `npm install` in the host's network then installs from here alone.
   */
  async lock(folder: string): Promise<void> {
    await promisify(execFile)('npm', ['install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund', '--omit-lockfile-registry-resolved=false'], {
      cwd: folder,
      timeout: 90_000,
      shell: process.platform === 'win32',
    });
    const lockfile = path.join(folder, 'package-lock.json');
    await fs.writeFile(lockfile, this.rewriteLockfile(await fs.readFile(lockfile, 'utf8')));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = req.url ?? '/';
    this.requested.push(path);
    // Only tarballs: package metadata is the lockfile's business, so nothing else should be asked for.
    if (req.method !== 'GET' || !path.endsWith('.tgz')) {
      res.writeHead(404).end();
      return;
    }
    try {
      let body = this.cache.get(path);
      if (!body) {
        body = await fetchBuffer(`${UPSTREAM}${path}`);
        this.cache.set(path, body);
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
      res.end(body);
    } catch (error) {
      res.writeHead(502, { 'content-type': 'text/plain' }).end(String(error));
    }
  }
}

/** Whether registry.npmjs.org answers this process (its `/-/ping`) within `timeoutMs`. */
export async function npmRegistryReachable(timeoutMs = 5_000): Promise<boolean> {
  return new Promise((resolve) => {
    const request = https.request(`${UPSTREAM}/-/ping`, { timeout: timeoutMs }, (res) => {
      res.resume();
      resolve((res.statusCode ?? 0) < 500);
    });
    request.on('timeout', () => request.destroy(new Error('timed out')));
    request.on('error', () => resolve(false));
    request.end();
  });
}

function fetchBuffer(url: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const request = https.get(url, { timeout: FETCH_TIMEOUT_MS }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`${url}: ${res.statusCode}`));
        return;
      }
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve(Buffer.concat(chunks)));
      res.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error(`${url}: no answer in ${FETCH_TIMEOUT_MS} ms`)));
    request.on('error', reject);
  });
}
