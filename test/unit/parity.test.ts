import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { PARITY_TABLE, renderParityTable } from '../../src/core/export/parity';

const ROOT = path.resolve(__dirname, '..', '..', '..');

interface SchemaNode {
  properties?: Record<string, SchemaNode>;
}

/** Every field of fn.json: top-level properties, and the properties of objects that list theirs (`invoke.method`, `scale.min`). */
function schemaFields(node: SchemaNode, prefix = ''): string[] {
  return Object.entries(node.properties ?? {}).flatMap(([key, child]) =>
    child.properties ? schemaFields(child, `${prefix}${key}.`) : [`${prefix}${key}`]);
}

const SCHEMA = JSON.parse(fs.readFileSync(path.join(ROOT, 'media', 'fn.schema.json'), 'utf8')) as SchemaNode;

describe('the parity table: where each fn.json field goes locally, on Kubernetes and on Knative', () => {
  it('reads nested fields of the schema (sanity check of this test)', () => {
    const fields = schemaFields(SCHEMA);
    for (const field of ['port', 'env', 'invoke.path', 'scale.min', 'scale.idleSeconds']) assert.ok(fields.includes(field), field);
    assert.ok(!fields.includes('scale') && !fields.includes('invoke'), 'objects with fields of their own are listed by field');
  });

  it('has a row for every field of media/fn.schema.json: a new field needs a row here and in the README', () => {
    const rows = new Set(PARITY_TABLE.map((row) => row.field));
    const missing = schemaFields(SCHEMA).filter((field) => !rows.has(field));
    assert.deepEqual(missing, [], `add a row to src/core/export/parity.ts for: ${missing.join(', ')}`);
  });

  it('names no field the schema lacks, and each once', () => {
    const fields = new Set(schemaFields(SCHEMA));
    const fieldsOfRows = PARITY_TABLE.map((row) => row.field);
    assert.deepEqual(fieldsOfRows.filter((field) => !fields.has(field)), []);
    assert.equal(new Set(fieldsOfRows).size, fieldsOfRows.length, 'no field twice');
  });

  it('fills every cell', () => {
    for (const row of PARITY_TABLE) {
      for (const cell of [row.local, row.kubernetes, row.knative]) assert.ok(cell.trim(), `${row.field} has an empty cell`);
    }
  });

  it('README.md holds the table exactly as rendered (copy renderParityTable()\'s output there)', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const table = renderParityTable();
    assert.ok(readme.includes(table), `README.md's "Beyond one machine: export" must hold:\n${table}`);
  });
});
