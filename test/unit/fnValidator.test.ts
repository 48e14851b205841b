import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';

const ROOT = path.resolve(__dirname, '..', '..', '..');

describe('the fn.json validator compiled ahead of time', () => {
  it('is up to date with media/fn.schema.json (else run: node scripts/gen-fn-validator.mjs)', () => {
    const fresh = execFileSync(process.execPath, [path.join(ROOT, 'scripts/gen-fn-validator.mjs'), '--print'], { encoding: 'utf8' });
    assert.equal(fs.readFileSync(path.join(ROOT, 'src/core/generated/fnValidator.ts'), 'utf8'), fresh);
  });
});
