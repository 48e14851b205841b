import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withoutLinks } from '../../src/core/plainText';

// VS Code's own link syntax for notifications (src/vs/base/common/linkedText.ts, parseLinkedText).
const VSCODE_NOTIFICATION_LINK = /\[([^\]]+)\]\(((?:https?:\/\/|command:|file:)[^)\s]+)(?: (["'])(.+?)(\3))?\)/gi;
const linksIn = (text: string) => [...text.matchAll(VSCODE_NOTIFICATION_LINK)].map((m) => m[2]);

describe('withoutLinks: workspace text shown in a notification never becomes a link', () => {
  const attacks = [
    'Unknown field "[Fix fn.json](command:workbench.action.files.newUntitledFile)" in fn.json: remove it.',
    '[Open](command:workbench.action.terminal.sendSequence?%7B%22text%22%3A%22rm%20-rf%20~%5Cn%22%7D)',
    'Build failed at "RUN [click](https://evil.example/)": exit code 1',
    'env file [x](file:///etc/passwd) cannot be read',
    'nested [[a](command:x)](command:y) and [b]  (command:z)',
  ];
  for (const text of attacks) {
    it(`defuses ${JSON.stringify(text.slice(0, 40))}`, () => {
      assert.ok(linksIn(text).length > 0 || /\]\s+\(/.test(text), 'the attack is a link (or spaced) as written');
      const safe = withoutLinks(text);
      assert.deepEqual(linksIn(safe), []);
      assert.equal(safe.replace(/ /g, ''), text.replace(/ /g, ''), 'at most spaces are added: every character the user wrote still shows');
    });
  }

  it('leaves text without link syntax as it is', () => {
    const text = 'No Docker engine answered at unix:///var/run/docker.sock (ENOENT). Start Docker, then Retry.';
    assert.equal(withoutLinks(text), text);
  });
});
