/**
 * Runs the extension-host suite (test/exthost, mocha with the real `vscode` API) in the first VS Code
 * that works here: the desktop build through @vscode/test-electron when it can be downloaded,
 * otherwise code-server driven by Chromium (the `extensionTestsPath` route of the smoke-test driver).
 * Says which one ran. Exit code 0 only when every test passed.
 */
import * as path from 'node:path';
import { format } from 'node:util';
import { copyExamples, launchChromium, REPO_ROOT, startCodeServer } from './codeServer';

const testsPath = path.join(REPO_ROOT, 'out/test/exthost/index.js');
const TIMEOUT_MS = 300_000;

async function viaElectron(workspace: string): Promise<number> {
  const { downloadAndUnzipVSCode, runTests } = await import('@vscode/test-electron');
  const vscodeExecutablePath = await downloadAndUnzipVSCode({ version: 'stable', timeout: 15_000 });
  console.log('extension-host tests: running in desktop VS Code (@vscode/test-electron)');
  return runTests({ vscodeExecutablePath, extensionDevelopmentPath: REPO_ROOT, extensionTestsPath: testsPath, launchArgs: [workspace, '--disable-workspace-trust'] });
}

async function viaCodeServer(workspace: string): Promise<number> {
  const server = await startCodeServer();
  const browser = await launchChromium();
  try {
    const authority = new URL(server.baseUrl).host;
    const payload = [
      ['extensionDevelopmentPath', `vscode-remote://${authority}${REPO_ROOT}`],
      ['extensionTestsPath', `vscode-remote://${authority}${testsPath}`],
    ];
    const page = await browser.newPage();
    let finish!: (code: number | string) => void;
    const exited = new Promise<number | string>((resolve) => (finish = resolve));
    // The workbench forwards the extension host's console here, and its exit code below.
    await page.exposeFunction('codeAutomationLog', (_type: string, args: unknown[]) => {
      const line = format(...(Array.isArray(args) ? args : [args]));
      // The workbench also forwards its own chatter (gallery look-ups that fail offline, sockets); keep the suite's output.
      if (!/open-vsx|workbench\.js|^\[|socket|connection token|builtin extensions cache|ENOTFOUND/.test(line)) console.log(line);
    });
    await page.exposeFunction('codeAutomationExit', (code: number) => finish(code));
    console.log(`extension-host tests: running in code-server (${server.baseUrl}), the desktop VS Code cannot be downloaded here`);
    await page.goto(`${server.baseUrl}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`);
    const timer = setTimeout(() => finish('timeout'), TIMEOUT_MS);
    const code = await exited;
    clearTimeout(timer);
    if (code === 'timeout') console.log(`extension-host tests did not finish within ${TIMEOUT_MS / 1000} s; code-server log: ${server.logFile}`);
    return typeof code === 'number' ? code : 1;
  } finally {
    await browser.close();
    await server.stop();
  }
}

async function main(): Promise<number> {
  const workspace = copyExamples();
  if (process.env.LOCAL_SERVERLESS_TEST_HOST !== 'code-server') {
    try {
      return await viaElectron(workspace);
    } catch (error) {
      console.log(`desktop VS Code unavailable (${(error as Error).message.split('\n')[0]})`);
    }
  }
  return viaCodeServer(workspace);
}

main().then((code) => process.exit(code), (error) => {
  console.error(error);
  process.exit(2);
});
