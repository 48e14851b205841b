import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_CONFIG_BYTES, parseEnvFile, parseFnConfig, problemsToPublish, type ConfigProblem } from '../../src/core/fnConfig';
import { describeFunction, markDuplicateNames } from '../../src/core/functionSpec';

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

describe('parseFnConfig on hostile input', () => {
  /** `{"env":{"E00000":0,…}}`: every value a number where a string is wanted. */
  const wrongEnv = (entries: number) => `{"env":{${Array.from({ length: entries }, (_, i) => `"E${String(i).padStart(5, '0')}":${i}`).join(',')}}}`;

  it('refuses a file over 1 MB with one problem at the start saying so, without reading it', () => {
    const text = `{"env":{"A":"${'x'.repeat(MAX_CONFIG_BYTES)}"}}`;
    const { config, problems } = parseFnConfig(text);
    assert.deepEqual(config, {});
    assert.equal(problems.length, 1);
    assert.equal(problems[0].offset, 0);
    assert.match(problems[0].message, /fn\.json is 1\.0 MB, over the 1 MB limit/);
  });

  it('counts the limit in bytes, as the file is on disk', () => {
    const text = `{"env":{"A":"${'é'.repeat(MAX_CONFIG_BYTES / 2)}"}}`; // under the limit in characters, over it in UTF-8 bytes
    assert.match(parseFnConfig(text).problems[0].message, /over the 1 MB limit/);
  });

  it('lists the first 100 problems in document order and says how many more there are', () => {
    const text = wrongEnv(250);
    const { problems } = parseFnConfig(text);
    assert.equal(problems.length, 101);
    assert.deepEqual(problems.slice(0, 100).map((p) => underlined(text, p)), Array.from({ length: 100 }, (_, i) => String(i)));
    assert.match(problems[0].message, /"env\.E00000" must be string/);
    assert.equal(problems[100].message, '150 more problems in fn.json are not listed: fix the 100 above first.');
  });

  it('lists exactly 100 problems with no summary when there are 100', () => {
    const { problems } = parseFnConfig(wrongEnv(100));
    assert.equal(problems.length, 100);
    assert.ok(problems.every((p) => /must be string/.test(p.message)));
  });

  it('caps 60,000 wrong entries (0.85 MB) the same way, each listed problem on its own entry', () => {
    const text = wrongEnv(60_000);
    assert.ok(Buffer.byteLength(text) < MAX_CONFIG_BYTES);
    const { config, problems } = parseFnConfig(text);
    assert.deepEqual(config, {});
    assert.equal(problems.length, 101);
    assert.equal(underlined(text, problems[99]), '99');
    assert.match(problems[99].message, /"env\.E00099"/);
    assert.match(problems[100].message, /^59900 more problems/);
  });

  it('caps syntax errors too', () => {
    const text = `{"sync":[${'"a" '.repeat(500)}]}`; // 499 missing commas
    const { problems } = parseFnConfig(text);
    assert.equal(problems.length, 101);
    assert.match(problems[0].message, /not valid JSON/);
    assert.equal(problems[100].message, '399 more problems in fn.json are not listed: fix the 100 above first.');
  });

  it('reports 5,000-deep nesting as one problem on the first bracket too deep, not a crash', () => {
    const text = `{"sync":${'['.repeat(5_000)}${']'.repeat(5_000)}}`;
    const { config, problems } = parseFnConfig(text);
    assert.deepEqual(config, {});
    assert.equal(problems.length, 1);
    assert.match(problems[0].message, /nests deeper than 64 levels/);
    assert.equal(problems[0].offset, '{"sync":'.length + 63, 'the 65th open bracket, counting the top-level object');
  });

  it('reports nesting that would overflow the parser (100,000 deep, under the size cap) the same way', () => {
    const text = `{"env":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}`;
    const { problems } = parseFnConfig(text);
    assert.equal(problems.length, 1);
    assert.match(problems[0].message, /nests deeper than 64 levels/);
  });

  it('does not count brackets inside strings or comments as nesting', () => {
    const text = `{\n  // ${'['.repeat(100)}\n  "env": { "A": "${'{'.repeat(100)}" }\n}`;
    assert.deepEqual(parseFnConfig(text), { config: { env: { A: '{'.repeat(100) } }, problems: [] });
  });

  it('gives each problem its line and column, as the editor counts them', () => {
    const text = '{\r\n  "name": "hello",\n  "port": "abc"\n}';
    const [problem] = parseFnConfig(text).problems;
    assert.deepEqual(problem.range, { start: { line: 2, character: 10 }, end: { line: 2, character: 15 } });
  });

  it('locates a wrong value under a key that looks like a number, and the last of duplicate keys', () => {
    const text = '{ "env": { "1": "ok", "2": 2, "2": 3 } }';
    const { problems } = parseFnConfig(text);
    assert.equal(problems.length, 1);
    assert.equal(underlined(text, problems[0]), '3');
  });

  it('treats "__proto__" as an ordinary unknown field', () => {
    for (const text of ['{ "__proto__": { "port": 80 } }', '{ /* JSONC */ "__proto__": { "port": 80 } }']) {
      const { config, problems } = parseFnConfig(text);
      assert.deepEqual(config, {});
      assert.equal(problems.length, 1, text);
      assert.match(problems[0].message, /Unknown field "__proto__"/);
      assert.equal(underlined(text, problems[0]), '"__proto__"');
    }
  });
});

describe('problemsToPublish', () => {
  const messages = (problems: ConfigProblem[]) => problems.map((p) => p.message);

  it('while the JSON language server checks an open fn.json, leaves it the schema problems and keeps ours', () => {
    // Both folders are named "same", so both functions default to that name.
    const specs = ['a', 'b'].map((parent) => describeFunction({ folder: `/ws/${parent}/same`, dockerfileText: 'FROM node:20\n', configText: '{ "port": "abc" }' }));
    const { problems } = markDuplicateNames(specs)[1];
    assert.equal(problems.length, 2);
    assert.deepEqual(messages(problemsToPublish(problems, true)), [problems[1].message]);
    assert.match(problems[1].message, /already named "same"/);
    assert.deepEqual(problemsToPublish(problems, false), problems);
  });

  it('keeps the size and depth problems and leaves syntax problems and their count to the JSON server', () => {
    const oversized = parseFnConfig(`{"env":{"A":"${'x'.repeat(MAX_CONFIG_BYTES)}"}}`).problems;
    const deep = parseFnConfig(`{"sync":${'['.repeat(100)}${']'.repeat(100)}}`).problems;
    const broken = parseFnConfig(`{"sync":[${'"a" '.repeat(200)}]}`).problems;
    assert.deepEqual(problemsToPublish(oversized, true), oversized);
    assert.deepEqual(problemsToPublish(deep, true), deep);
    assert.deepEqual(problemsToPublish(broken, true), []);
    assert.equal(problemsToPublish(broken, false).length, 101);
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
