import { createClock } from '@sinonjs/fake-timers';
import { describe, expect, it } from 'vitest';
import type { Clock } from '../../src/ports.ts';
import { createFakeStorage } from '../../sim/fakes/storage.ts';
import { ALARM_MAX_RETRIES, createDurableObjectHost } from '../../sim/fakes/durable-object.ts';

const T0 = 1_000_000;

async function setup<T extends { alarm?(): Promise<void> }>(create: (n: number) => T) {
  const timers = createClock(T0, 1e7);
  const clock: Clock = {
    now: () => timers.now,
    setTimeout: (cb, ms) => timers.setTimeout(cb, ms),
    clearTimeout: (h) => timers.clearTimeout(h as never),
    setInterval: (cb, ms) => timers.setInterval(cb, ms),
    clearInterval: (h) => timers.clearInterval(h as never),
  };
  const storage = await createFakeStorage();
  let n = 0;
  const errors: number[] = [];
  const host = createDurableObjectHost({ storage, clock, create: () => create(++n), onAlarmError: (_e, attempt) => errors.push(attempt) });
  return { host, storage, timers, errors };
}

describe('Durable Object host: instances', () => {
  it('creates the instance lazily, once', async () => {
    let created = 0;
    const { host } = await setup<{ id: number; alarm?(): Promise<void> }>(() => ({ id: ++created }));
    expect(created).toBe(0);
    const [a, b] = await Promise.all([host.instance(), host.instance()]);
    expect(a).toBe(b);
    expect(created).toBe(1);
  });

  it('a restart keeps storage and loses memory', async () => {
    const { host, storage } = await setup<{ memory: string[]; alarm?(): Promise<void> }>(() => ({ memory: [] }));
    const first = await host.instance();
    first.memory.push('x');
    await storage.put('kept', true);
    storage.sql.exec('CREATE TABLE kept (n INTEGER)');
    const fresh = await host.restart();
    expect(fresh.memory).toEqual([]);
    expect(fresh).not.toBe(first);
    expect(await host.instance()).toBe(fresh);
    expect(await host.storage.get('kept')).toBe(true);
    expect(host.storage.sql.exec('SELECT COUNT(*) AS n FROM kept').one()).toEqual({ n: 0 });
  });
});

describe('Durable Object host: alarms', () => {
  it('delivers the one alarm at its time; setting it again replaces it', async () => {
    const { host, storage, timers } = await setup(() => ({ async alarm() { fired.push(timers.now - T0); } }));
    const fired: number[] = [];
    await host.instance();
    await storage.setAlarm(T0 + 50_000);
    await storage.setAlarm(T0 + 1_000);
    await timers.tickAsync(60_000);
    expect(fired).toEqual([1_000]);
  });

  it('creates the instance to deliver an alarm when there is none yet', async () => {
    const fired: number[] = [];
    const { storage, timers } = await setup((n) => ({ async alarm() { fired.push(n); } }));
    await storage.setAlarm(T0 + 10);
    await timers.tickAsync(10);
    expect(fired).toEqual([1]);
  });

  it('an alarm in the past fires at once', async () => {
    const fired: number[] = [];
    const { host, storage, timers } = await setup(() => ({ async alarm() { fired.push(timers.now); } }));
    await host.instance();
    await storage.setAlarm(T0 - 5_000);
    await timers.tickAsync(0);
    expect(fired).toEqual([T0]);
  });

  it('a deleted alarm never fires', async () => {
    const fired: number[] = [];
    const { host, storage, timers } = await setup(() => ({ async alarm() { fired.push(timers.now); } }));
    await host.instance();
    await storage.setAlarm(T0 + 1_000);
    await storage.deleteAlarm();
    await timers.tickAsync(10_000);
    expect(fired).toEqual([]);
  });

  it('the alarm is cleared before the handler runs, and the handler may set the next one', async () => {
    const seen: (number | null)[] = [];
    const fired: number[] = [];
    const { host, storage, timers } = await setup(() => ({
      async alarm() {
        seen.push(await storage.getAlarm());
        fired.push(timers.now - T0);
        if (fired.length < 3) await storage.setAlarm(timers.now + 5_000);
      },
    }));
    await host.instance();
    await storage.setAlarm(T0 + 1_000);
    await timers.tickAsync(60_000);
    expect(seen).toEqual([null, null, null]);
    expect(fired).toEqual([1_000, 6_000, 11_000]);
    expect(await storage.getAlarm()).toBeNull();
  });

  it('retries a throwing handler with backoff from 2 s, doubling, at most 6 times', async () => {
    const fired: number[] = [];
    const { host, storage, timers, errors } = await setup(() => ({
      async alarm() {
        fired.push(timers.now - T0);
        throw new Error('handler fails');
      },
    }));
    await host.instance();
    await storage.setAlarm(T0 + 1_000);
    await timers.tickAsync(60 * 60_000);
    expect(fired).toEqual([1_000, 3_000, 7_000, 15_000, 31_000, 63_000, 127_000]);
    expect(fired).toHaveLength(1 + ALARM_MAX_RETRIES);
    expect(errors).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('a retry that succeeds ends the retries', async () => {
    const fired: number[] = [];
    const { host, storage, timers } = await setup(() => ({
      async alarm() {
        fired.push(timers.now - T0);
        if (fired.length < 3) throw new Error('flaky');
      },
    }));
    await host.instance();
    await storage.setAlarm(T0);
    await timers.tickAsync(60 * 60_000);
    expect(fired).toEqual([0, 2_000, 6_000]);
  });

  it('a restarted object receives the alarm; the dropped one never does', async () => {
    const got: number[] = [];
    const { host, storage, timers } = await setup((n) => ({ async alarm() { got.push(n); } }));
    await host.instance();
    await storage.setAlarm(T0 + 1_000);
    await host.restart();
    await timers.tickAsync(2_000);
    expect(got).toEqual([2]);
  });

  it('an alarm whose handler died with a restart is delivered again to the new instance (at least once)', async () => {
    const runs: number[] = [];
    const { host, storage, timers } = await setup((n) => ({
      async alarm() {
        runs.push(n);
        if (n === 1) await new Promise(() => {}); // dies mid-handler
      },
    }));
    await host.instance();
    await storage.setAlarm(T0 + 1_000);
    await timers.tickAsync(1_500);
    await host.restart();
    await timers.tickAsync(5_000);
    expect(runs).toEqual([1, 2]);
  });

  it('runs one handler at a time: an alarm set by someone else during a slow handler waits for it', async () => {
    const spans: [number, number][] = [];
    let calls = 0;
    const { host, storage, timers } = await setup(() => ({
      async alarm() {
        const start = timers.now - T0;
        calls++;
        // The first run is slow (10 s); an RPC arms the alarm 1 s into it.
        if (calls === 1) await new Promise((resolve) => timers.setTimeout(resolve, 10_000));
        spans.push([start, timers.now - T0]);
      },
    }));
    await host.instance();
    await storage.setAlarm(T0);
    await timers.tickAsync(1_000);
    await storage.setAlarm(timers.now + 2_000);
    await timers.tickAsync(60_000);
    expect(spans).toEqual([
      [0, 10_000],
      [10_000, 10_000],
    ]);
  });
});
