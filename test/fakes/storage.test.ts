import { describe, expect, it } from 'vitest';
import { createFakeStorage } from '../../sim/fakes/storage.ts';
import { createDurableObjectHost, ALARM_MAX_RETRIES } from '../../sim/fakes/durable-object.ts';
import { createFakeClock } from '../../sim/fakes/clock.ts';

describe('storage fake', () => {
  it('structured-clones values: later mutation of the object does not change what was stored', async () => {
    const storage = await createFakeStorage();
    const value = { list: [1] };
    await storage.put('k', value);
    value.list.push(2);
    const read = await storage.get<{ list: number[] }>('k');
    read!.list.push(3);
    expect(await storage.get('k')).toEqual({ list: [1] });
  });

  it('lists in key order with prefix, limit and reverse', async () => {
    const storage = await createFakeStorage();
    await storage.put({ 'b:2': 2, 'a:1': 1, 'b:1': 1, c: 0 });
    expect([...(await storage.list({ prefix: 'b:' })).keys()]).toEqual(['b:1', 'b:2']);
    expect([...(await storage.list({ reverse: true, limit: 2 })).keys()]).toEqual(['c', 'b:2']);
  });

  it('a throwing transaction rolls back both key-value and SQL writes', async () => {
    const storage = await createFakeStorage();
    storage.sql.exec('CREATE TABLE t (v INTEGER)');
    await storage.put('k', 'before');
    await expect(
      storage.transaction(async (txn) => {
        await txn.put('k', 'during');
        storage.sql.exec('INSERT INTO t VALUES (?)', 1);
        throw new Error('abort');
      }),
    ).rejects.toThrowError('abort');
    expect(await storage.get('k')).toBe('before');
    expect(storage.sql.exec('SELECT COUNT(*) AS n FROM t').one()).toEqual({ n: 0 });
    storage.transactionSync(() => storage.sql.exec('INSERT INTO t VALUES (?)', 2));
    expect(storage.sql.exec('SELECT v FROM t').toArray()).toEqual([{ v: 2 }]);
  });
});

describe('Durable Object host', () => {
  it('a restart keeps storage and loses memory', async () => {
    const storage = await createFakeStorage();
    const clock = createFakeClock();
    const host = createDurableObjectHost<{ memory: string[]; alarm?(): Promise<void> }>({ storage, clock, create: () => ({ memory: [] }) });
    (await host.instance()).memory.push('x');
    await storage.put('kept', true);
    const fresh = await host.restart();
    expect(fresh.memory).toEqual([]);
    expect(await storage.get('kept')).toBe(true);
  });

  it('delivers the one alarm at its time (setting it again replaces it) and retries a throwing handler with backoff, at most 6 times', async () => {
    const storage = await createFakeStorage();
    const clock = createFakeClock();
    const calls: number[] = [];
    const host = createDurableObjectHost({
      storage,
      clock,
      create: () => ({
        async alarm() {
          calls.push(clock.now());
          throw new Error('handler fails');
        },
      }),
    });
    await host.instance();
    const t0 = clock.now();
    await storage.setAlarm(t0 + 50_000);
    await storage.setAlarm(t0 + 1_000);
    await clock.tickAsync(10 * 60_000);
    const offsets = calls.map((t) => t - t0);
    expect(offsets).toEqual([1000, 3000, 7000, 15000, 31000, 63000, 127000]);
    expect(offsets).toHaveLength(1 + ALARM_MAX_RETRIES);
  });

  it('a restarted object receives the alarm; the dropped one never does', async () => {
    const storage = await createFakeStorage();
    const clock = createFakeClock();
    const got: string[] = [];
    let n = 0;
    const host = createDurableObjectHost({ storage, clock, create: () => { const name = `instance-${++n}`; return { async alarm() { got.push(name); } }; } });
    await host.instance();
    await storage.setAlarm(clock.now() + 1000);
    await host.restart();
    await clock.tickAsync(2000);
    expect(got).toEqual(['instance-2']);
  });
});

describe('Durable Object host: restart during an alarm', () => {
  it('delivers an alarm again when the instance running its handler was replaced (at least once)', async () => {
    const storage = await createFakeStorage();
    const clock = createFakeClock();
    const runs: string[] = [];
    let n = 0;
    const host = createDurableObjectHost({
      storage,
      clock,
      create: () => {
        const name = `instance-${++n}`;
        return {
          async alarm() {
            runs.push(name);
            if (name === 'instance-1') await new Promise(() => {}); // dies mid-handler
          },
        };
      },
    });
    await host.instance();
    await storage.setAlarm(clock.now() + 1000);
    await clock.tickAsync(1500);
    await host.restart();
    await clock.tickAsync(5000);
    expect(runs).toEqual(['instance-1', 'instance-2']);
  });
});
