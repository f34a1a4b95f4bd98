import { describe, expect, it } from 'vitest';
import { createFakeStorage } from '../../sim/fakes/storage.ts';

describe('storage fake: key-value', () => {
  it('structured-clones values: later mutation of the object does not change what was stored', async () => {
    const storage = await createFakeStorage();
    const value = { list: [1], at: new Map([['a', 1]]) };
    await storage.put('k', value);
    value.list.push(2);
    const read = await storage.get<{ list: number[]; at: Map<string, number> }>('k');
    read!.list.push(3);
    expect(await storage.get('k')).toEqual({ list: [1], at: new Map([['a', 1]]) });
    expect(read!.at).toBeInstanceOf(Map);
  });

  it('refuses values that cannot be structured-cloned, as the platform does', async () => {
    const storage = await createFakeStorage();
    await expect(storage.put('k', { f: () => 1 })).rejects.toThrow();
    expect(await storage.get('k')).toBeUndefined();
  });

  it('gets and deletes one key or many', async () => {
    const storage = await createFakeStorage();
    await storage.put({ a: 1, b: 2, c: 3 });
    expect(await storage.get(['a', 'c', 'missing'])).toEqual(new Map([['a', 1], ['c', 3]]));
    expect(await storage.delete('a')).toBe(true);
    expect(await storage.delete('a')).toBe(false);
    expect(await storage.delete(['b', 'c', 'missing'])).toBe(2);
    expect((await storage.list()).size).toBe(0);
  });

  it('lists in key order with prefix, start (inclusive), end (exclusive), limit and reverse', async () => {
    const storage = await createFakeStorage();
    await storage.put({ 'b:2': 2, 'a:1': 1, 'b:1': 1, c: 0, 'b:3': 3 });
    const keys = async (options?: Parameters<typeof storage.list>[0]) => [...(await storage.list(options)).keys()];
    expect(await keys()).toEqual(['a:1', 'b:1', 'b:2', 'b:3', 'c']);
    expect(await keys({ prefix: 'b:' })).toEqual(['b:1', 'b:2', 'b:3']);
    expect(await keys({ start: 'b:2', end: 'c' })).toEqual(['b:2', 'b:3']);
    expect(await keys({ reverse: true, limit: 2 })).toEqual(['c', 'b:3']);
    expect(await keys({ prefix: 'b:', reverse: true, limit: 2 })).toEqual(['b:3', 'b:2']);
  });

  it('completes on microtasks alone', async () => {
    const storage = await createFakeStorage();
    let done = false;
    void storage.put('k', 1).then(() => storage.get('k')).then(() => storage.list()).then(() => (done = true));
    for (let i = 0; i < 10 && !done; i++) await Promise.resolve();
    expect(done).toBe(true);
  });
});

describe('storage fake: SQL', () => {
  it('binds parameters and returns a cursor: iterable, toArray, one()', async () => {
    const storage = await createFakeStorage();
    storage.sql.exec('CREATE TABLE t (id TEXT PRIMARY KEY, n INTEGER, blob BLOB)');
    storage.sql.exec('INSERT INTO t VALUES (?, ?, ?), (?, ?, ?)', 'a', 1, null, 'b', 2, new Uint8Array([7]));
    const cursor = storage.sql.exec<{ id: string; n: number }>('SELECT id, n FROM t ORDER BY id');
    expect([...cursor]).toEqual([{ id: 'a', n: 1 }, { id: 'b', n: 2 }]);
    expect(cursor.toArray()).toHaveLength(2);
    expect(() => cursor.one()).toThrow(/exactly one row/);
    expect(storage.sql.exec('SELECT n FROM t WHERE id = ?', 'b').one()).toEqual({ n: 2 });
    expect(storage.sql.exec('SELECT blob FROM t WHERE id = ?', 'b').one().blob).toEqual(new Uint8Array([7]));
    // A cached statement must not keep the previous call's bindings.
    expect(storage.sql.exec('SELECT n FROM t WHERE id = ?', 'a').one()).toEqual({ n: 1 });
  });

  it('rowsWritten counts this statement only: a read after a write wrote nothing', async () => {
    const storage = await createFakeStorage();
    storage.sql.exec('CREATE TABLE t (n INTEGER)');
    expect(storage.sql.exec('INSERT INTO t VALUES (1), (2), (3)').rowsWritten).toBe(3);
    expect(storage.sql.exec('SELECT * FROM t').rowsWritten).toBe(0);
    expect(storage.sql.exec('UPDATE t SET n = n + 1 WHERE n > ?', 1).rowsWritten).toBe(2);
  });

  it('runs several statements in one exec; the bindings and the cursor belong to the last', async () => {
    const storage = await createFakeStorage();
    const rows = storage.sql.exec('CREATE TABLE t (n INTEGER); INSERT INTO t VALUES (1); SELECT n FROM t WHERE n = ?;', 1).toArray();
    expect(rows).toEqual([{ n: 1 }]);
    expect(storage.sql.exec('SELECT COUNT(*) AS c FROM t').one()).toEqual({ c: 1 });
    // Two calls to exec, whatever they held: what a run asked of SQLite.
    expect(storage.queries).toBe(2);
  });

  it('rows keep the columns in query order; a schema change or its rollback gives a cached SELECT * its new columns', async () => {
    const storage = await createFakeStorage();
    storage.sql.exec('CREATE TABLE t (b INTEGER, a TEXT)');
    storage.sql.exec('INSERT INTO t VALUES (1, ?), (2, ?)', 'x', 'y');
    const all = () => storage.sql.exec('SELECT * FROM t ORDER BY b').toArray();
    expect(all().map((row) => Object.keys(row))).toEqual([['b', 'a'], ['b', 'a']]);
    expect(storage.sql.exec('SELECT a AS n, b AS n FROM t WHERE b = 1').one()).toEqual({ n: 1 });
    storage.sql.exec('ALTER TABLE t ADD COLUMN c INTEGER');
    expect(all()).toEqual([{ b: 1, a: 'x', c: null }, { b: 2, a: 'y', c: null }]);
    expect(() =>
      storage.transactionSync(() => {
        storage.sql.exec('ALTER TABLE t DROP COLUMN c');
        expect(all()[0]).toEqual({ b: 1, a: 'x' });
        throw new Error('roll back');
      }),
    ).toThrow('roll back');
    expect(all()[0]).toEqual({ b: 1, a: 'x', c: null });
  });

  it('a bad query throws and leaves the storage usable', async () => {
    const storage = await createFakeStorage();
    expect(() => storage.sql.exec('SELEKT 1')).toThrow();
    expect(() => storage.sql.exec('SELECT * FROM missing')).toThrow(/no such table/);
    expect(storage.sql.exec('SELECT 1 AS one').one()).toEqual({ one: 1 });
  });

  it('each storage has its own database', async () => {
    const [a, b] = await Promise.all([createFakeStorage(), createFakeStorage()]);
    a.sql.exec('CREATE TABLE t (n INTEGER)');
    expect(() => b.sql.exec('SELECT * FROM t')).toThrow(/no such table/);
  });
});

describe('storage fake: transactions', () => {
  async function withTable() {
    const storage = await createFakeStorage();
    storage.sql.exec('CREATE TABLE t (v INTEGER)');
    await storage.put('k', 'before');
    const count = () => Number(storage.sql.exec('SELECT COUNT(*) AS n FROM t').one().n);
    return { storage, count };
  }

  it('a throwing transaction rolls back both key-value and SQL writes', async () => {
    const { storage, count } = await withTable();
    await expect(
      storage.transaction(async (txn) => {
        await txn.put('k', 'during');
        await txn.put('new', 1);
        storage.sql.exec('INSERT INTO t VALUES (?)', 1);
        throw new Error('abort');
      }),
    ).rejects.toThrowError('abort');
    expect(await storage.get('k')).toBe('before');
    expect(await storage.get('new')).toBeUndefined();
    expect(count()).toBe(0);
  });

  it('a throwing transactionSync rolls back too; a successful one commits and returns its value', async () => {
    const { storage, count } = await withTable();
    expect(() =>
      storage.transactionSync(() => {
        storage.sql.exec('INSERT INTO t VALUES (1)');
        void storage.put('k', 'during');
        throw new Error('abort');
      }),
    ).toThrowError('abort');
    expect(count()).toBe(0);
    expect(await storage.get('k')).toBe('before');
    expect(storage.transactionSync(() => storage.sql.exec('INSERT INTO t VALUES (2)').rowsWritten)).toBe(1);
    expect(count()).toBe(1);
  });

  it('nested transactions roll back only their own part', async () => {
    const { storage, count } = await withTable();
    storage.transactionSync(() => {
      storage.sql.exec('INSERT INTO t VALUES (1)');
      expect(() =>
        storage.transactionSync(() => {
          storage.sql.exec('INSERT INTO t VALUES (2)');
          throw new Error('inner');
        }),
      ).toThrow('inner');
    });
    expect(count()).toBe(1);
  });

  it('async transactions run one at a time: one failing does not undo the other', async () => {
    const { storage, count } = await withTable();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const first = storage.transaction(async () => {
      storage.sql.exec('INSERT INTO t VALUES (1)');
      await gate;
      throw new Error('first fails');
    });
    const second = storage.transaction(async (txn) => {
      storage.sql.exec('INSERT INTO t VALUES (2)');
      await txn.put('second', true);
    });
    release();
    await expect(first).rejects.toThrow('first fails');
    await second;
    expect(storage.sql.exec('SELECT v FROM t').toArray()).toEqual([{ v: 2 }]);
    expect(count()).toBe(1);
    expect(await storage.get('second')).toBe(true);
  });

  it('a rolled-back alarm change is undone, and the host is told', async () => {
    const storage = await createFakeStorage();
    const seen: (number | null)[] = [];
    storage.onAlarmChange((time) => seen.push(time));
    await storage.setAlarm(1000);
    await expect(
      storage.transaction(async () => {
        await storage.setAlarm(5000);
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(await storage.getAlarm()).toBe(1000);
    expect(seen).toEqual([1000, 5000, 1000]);
  });
});

describe('storage fake: the alarm', () => {
  it('one alarm: setting replaces, delete clears, and listeners hear every change', async () => {
    const storage = await createFakeStorage();
    const seen: (number | null)[] = [];
    storage.onAlarmChange((time) => seen.push(time));
    expect(await storage.getAlarm()).toBeNull();
    await storage.setAlarm(1000);
    await storage.setAlarm(2000);
    expect(await storage.getAlarm()).toBe(2000);
    await storage.deleteAlarm();
    expect(await storage.getAlarm()).toBeNull();
    expect(seen).toEqual([1000, 2000, null]);
  });
});
