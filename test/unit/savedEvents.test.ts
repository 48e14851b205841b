import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { parsePayload } from '../../src/core/invoke';
import { readFunction } from '../../src/core/readFunction';
import { deleteSavedEvent, eventNameProblem, listSavedEvents, PayloadHistory, readSavedEvent, savedEventPath, writeSavedEvent } from '../../src/core/savedEvents';

const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'ls-events-')));
after(() => fs.rmSync(root, { recursive: true, force: true }));

describe('saved events and the payload history, in the core', () => {
  it('Save as Event lays the payload out without changing a value, and Invoke reads it back as saved', async () => {
    const folder = path.join(root, 'fn');
    fs.mkdirSync(folder);
    const typed = '{"id":12345678901234567890,"ratio":1.0,"tags":["a"]}';
    const parsed = parsePayload(typed);
    assert.ok(parsed.ok);
    const file = savedEventPath(folder, ' big ');
    await writeSavedEvent(folder, file, parsed.body);
    const saved = await readSavedEvent(folder, file);
    assert.match(saved, /"id": 12345678901234567890,/);
    assert.match(saved, /"ratio": 1\.0,/);
    assert.deepEqual(await listSavedEvents(folder), [path.join(folder, 'events', 'big.json')]);
  });

  it('an event name must make a plain file name', () => {
    assert.equal(eventNameProblem('order-created.v2'), undefined);
    for (const bad of ['../escape', 'a/b', '', '.hidden']) assert.match(eventNameProblem(bad) ?? '', /letters, digits/, bad);
  });

  it('the payload history keeps the last payload per function, in the store it is given', async () => {
    const store = new Map<string, unknown>();
    const history = new PayloadHistory({ get: <T>(k: string) => store.get(k) as T | undefined, update: async (k, v) => void store.set(k, v) });
    await history.remember('a', '{"n":1}');
    await history.remember('b', '{"n":2}');
    await history.remember('a', '{"n":3}');
    assert.equal(history.last('a'), '{"n":3}');
    assert.equal(history.last('b'), '{"n":2}');
    assert.equal(history.last('c'), undefined);
  });

  it('readFunction reads Dockerfile and fn.json from disk, and an oversized fn.json is left unread', async () => {
    const folder = path.join(root, 'big');
    fs.mkdirSync(folder);
    fs.writeFileSync(path.join(folder, 'Dockerfile'), 'FROM python:3.11-slim\nEXPOSE 9000\n');
    fs.writeFileSync(path.join(folder, 'fn.json'), '{"name":"big"}');
    const spec = await readFunction(path.join(folder, 'Dockerfile'), root);
    assert.equal(spec.name, 'big');
    assert.equal(spec.port, 9000);
    assert.deepEqual(spec.problems, []);
    fs.writeFileSync(path.join(folder, 'fn.json'), `{"name":"renamed","env":{"A":"${'x'.repeat(1_100_000)}"}}`);
    const oversized = await readFunction(path.join(folder, 'Dockerfile'), root);
    assert.equal(oversized.name, 'big', 'the name falls back to the folder: the file was not read');
    assert.match(oversized.problems[0].message, /1 MB/);
  });

  describe('Delete Event', () => {
    const makeFunction = (name: string) => {
      const folder = path.join(root, name);
      fs.mkdirSync(path.join(folder, 'events'), { recursive: true });
      fs.writeFileSync(path.join(folder, 'fn.json'), '{}');
      return folder;
    };

    it('deletes a saved event, and the event is gone from the list', async () => {
      const folder = makeFunction('del-plain');
      fs.writeFileSync(path.join(folder, 'events', 'a.json'), '{}');
      fs.writeFileSync(path.join(folder, 'events', 'b.json'), '{}');
      await deleteSavedEvent(folder, path.join(folder, 'events', 'a.json'));
      assert.deepEqual(await listSavedEvents(folder), [path.join(folder, 'events', 'b.json')]);
    });

    it('deletes nothing outside the events folder, whatever path it is handed', async () => {
      const folder = makeFunction('del-outside');
      for (const file of [path.join(folder, 'fn.json'), path.join(folder, 'events', '..', 'fn.json'), path.join(folder, 'events', 'notes.txt')]) {
        if (file.endsWith('.txt')) fs.writeFileSync(file, 'x');
        await assert.rejects(deleteSavedEvent(folder, file), /only files in its events folder are deleted/);
        assert.ok(fs.existsSync(file), file);
      }
    });

    it('refuses when the events folder is a link leading out of the function folder, and the file out there stays', async () => {
      const folder = path.join(root, 'del-linked');
      const elsewhere = path.join(root, 'elsewhere-events');
      fs.mkdirSync(folder);
      fs.mkdirSync(elsewhere);
      fs.writeFileSync(path.join(elsewhere, 'precious.json'), '{}');
      fs.symlinkSync(elsewhere, path.join(folder, 'events'));
      await assert.rejects(deleteSavedEvent(folder, path.join(folder, 'events', 'precious.json')), /symbolic link that leads out of the function folder/);
      assert.ok(fs.existsSync(path.join(elsewhere, 'precious.json')));
    });

    it('deletes through an events link that stays inside the function folder, as the tree lists it', async () => {
      const folder = path.join(root, 'del-inner-link');
      fs.mkdirSync(path.join(folder, 'fixtures', 'events'), { recursive: true });
      fs.writeFileSync(path.join(folder, 'fixtures', 'events', 'x.json'), '{}');
      fs.symlinkSync(path.join(folder, 'fixtures', 'events'), path.join(folder, 'events'));
      assert.deepEqual(await listSavedEvents(folder), [path.join(folder, 'events', 'x.json')]);
      await deleteSavedEvent(folder, path.join(folder, 'events', 'x.json'));
      assert.ok(!fs.existsSync(path.join(folder, 'fixtures', 'events', 'x.json')));
    });

    it('an event file that is a link loses the link, never the file it points to', async () => {
      const folder = makeFunction('del-file-link');
      const target = path.join(root, 'outside-target.json');
      fs.writeFileSync(target, '{"keep":true}');
      fs.symlinkSync(target, path.join(folder, 'events', 'linked.json'));
      await deleteSavedEvent(folder, path.join(folder, 'events', 'linked.json'));
      assert.ok(!fs.existsSync(path.join(folder, 'events', 'linked.json')));
      assert.equal(fs.readFileSync(target, 'utf8'), '{"keep":true}');
    });

    it('says so when the event is already gone', async () => {
      const folder = makeFunction('del-gone');
      await assert.rejects(deleteSavedEvent(folder, path.join(folder, 'events', 'gone.json')), /no longer exists/);
    });
  });
});
