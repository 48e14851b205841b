import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseEnvFile, parseFnConfig, type ConfigProblem } from '../../src/core/fnConfig';

/** The text a problem's range covers: what the editor would underline. */
function underlined(text: string, problem: ConfigProblem): string {
  return text.slice(problem.offset, problem.offset + problem.length);
}

describe('parseFnConfig', () => {
  it('reads JSONC with comments and trailing commas', () => {
    const text = `{
      // the function's name
      "name": "hello",
      /* container port */
      "port": 3000,
      "invoke": { "method": "GET", "path": "/health", },
      "env": { "GREETING": "hi", },
      "sync": ["**/*.js",],
    }`;
    const { config, problems } = parseFnConfig(text);
    assert.deepEqual(problems, []);
    assert.deepEqual(config, {
      name: 'hello',
      port: 3000,
      invoke: { method: 'GET', path: '/health' },
      env: { GREETING: 'hi' },
      sync: ['**/*.js'],
    });
  });

  it('accepts an empty object', () => {
    assert.deepEqual(parseFnConfig('{}'), { config: {}, problems: [] });
  });

  it('locates an unknown field exactly at its key', () => {
    const text = '{\n  "name": "hello",\n  "unknownKey": 1\n}';
    const { config, problems } = parseFnConfig(text);
    assert.deepEqual(config, {});
    assert.equal(problems.length, 1);
    assert.equal(underlined(text, problems[0]), '"unknownKey"');
    assert.match(problems[0].message, /Unknown field "unknownKey"/);
  });

  it('locates an unknown field inside a nested object at its key', () => {
    const text = '{ "invoke": { "path": "/", "methd": "GET" } }';
    const { problems } = parseFnConfig(text);
    assert.equal(problems.length, 1);
    assert.equal(underlined(text, problems[0]), '"methd"');
    assert.match(problems[0].message, /"invoke"/);
  });

  it('locates a value of the wrong type at the value', () => {
    const text = '{ "name": "hello", "port": "abc" }';
    const { config, problems } = parseFnConfig(text);
    assert.deepEqual(config, {});
    assert.equal(problems.length, 1);
    assert.equal(underlined(text, problems[0]), '"abc"');
    assert.match(problems[0].message, /"port"/);
  });

  it('locates a wrong item inside an array at that item', () => {
    const text = '{ "sync": ["ok", 42] }';
    const { problems } = parseFnConfig(text);
    assert.equal(problems.length, 1);
    assert.equal(underlined(text, problems[0]), '42');
  });

  it('reports every problem, not only the first', () => {
    const text = '{ "port": 0, "name": "Bad Name", "extra": true }';
    const { problems } = parseFnConfig(text);
    const covered = problems.map((p) => underlined(text, p)).sort();
    assert.deepEqual(covered, ['"Bad Name"', '"extra"', '0']);
  });

  it('rejects an invoke method that is not an HTTP method', () => {
    const text = '{ "invoke": { "method": "FETCH" } }';
    const { problems } = parseFnConfig(text);
    assert.equal(problems.length, 1);
    assert.equal(underlined(text, problems[0]), '"FETCH"');
  });

  it('reports invalid JSON as a problem saying so', () => {
    const text = '{ "name": "hello" "port": 8080 }';
    const { config, problems } = parseFnConfig(text);
    assert.deepEqual(config, {});
    assert.ok(problems.length > 0);
    assert.match(problems[0].message, /not valid JSON/);
    assert.ok(problems[0].offset >= 0 && problems[0].offset <= text.length);
    assert.ok(problems[0].length >= 1);
  });

  it('reports an empty file as a problem', () => {
    const { problems } = parseFnConfig('');
    assert.equal(problems.length, 1);
    assert.match(problems[0].message, /empty|not valid JSON/);
  });

  it('reports a top-level value that is not an object', () => {
    const { config, problems } = parseFnConfig('[1, 2]');
    assert.deepEqual(config, {});
    assert.equal(problems.length, 1);
  });
});

describe('parseEnvFile', () => {
  it('reads KEY=VALUE lines, skipping comments and blank lines', () => {
    const text = '# database\n\nDB_HOST=localhost\n   \n  # indented comment\nDB_PORT=5432\n';
    assert.deepEqual(parseEnvFile(text), { DB_HOST: 'localhost', DB_PORT: '5432' });
  });

  it('removes matching double or single quotes and keeps what is inside them', () => {
    const text = 'A="hello world"\nB=\'it # is not a comment\'\nC="mismatched\'';
    assert.deepEqual(parseEnvFile(text), { A: 'hello world', B: 'it # is not a comment', C: '"mismatched\'' });
  });

  it('accepts an export prefix', () => {
    assert.deepEqual(parseEnvFile('export TOKEN=abc\nexport  OTHER = x'), { TOKEN: 'abc', OTHER: 'x' });
  });

  it('drops a trailing comment after an unquoted value', () => {
    assert.deepEqual(parseEnvFile('LEVEL=debug # verbose for now'), { LEVEL: 'debug' });
  });

  it('keeps "=" and "#" inside an unquoted value', () => {
    assert.deepEqual(parseEnvFile('URL=https://x.test/?a=1#frag'), { URL: 'https://x.test/?a=1#frag' });
  });

  it('handles CRLF line endings', () => {
    assert.deepEqual(parseEnvFile('A=1\r\nB=2\r\n'), { A: '1', B: '2' });
  });

  it('allows empty values', () => {
    assert.deepEqual(parseEnvFile('EMPTY=\nQUOTED=""'), { EMPTY: '', QUOTED: '' });
  });

  it('ignores lines that are not assignments', () => {
    assert.deepEqual(parseEnvFile('just some text\n1BAD=x\nGOOD=y'), { GOOD: 'y' });
  });

  it('lets a later line override an earlier one', () => {
    assert.deepEqual(parseEnvFile('A=1\nA=2'), { A: '2' });
  });
});
