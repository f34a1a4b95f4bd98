/**
 * Hosts one Durable Object on the fake storage, the way the platform does: one live instance at a
 * time, created on first use, and the alarm delivered at its time - cleared before the handler
 * runs, retried with backoff (2 s, doubling, at most 6 retries) when the handler throws, and one
 * handler at a time (an alarm due meanwhile waits for the running one). A restart drops the
 * instance (its memory is lost) and creates a new one on the same storage; an alarm whose handler
 * was still running is delivered again (at least once).
 */
import type { Clock, TimerHandle } from '../../src/ports.ts';
import type { FakeDurableStorage } from './storage.ts';

export const ALARM_RETRY_FIRST_MS = 2000;
export const ALARM_MAX_RETRIES = 6;

export interface DurableObjectHost<T> {
  readonly storage: FakeDurableStorage;
  /** The live instance, created (and initialised) on first use. */
  instance(): Promise<T>;
  /** Drops the live instance; the next one starts from storage alone. */
  restart(): Promise<T>;
}

export function createDurableObjectHost<T extends { alarm?(): Promise<void> }>(options: {
  storage: FakeDurableStorage;
  clock: Clock;
  /** Builds an instance; it may be async (an `init` under `blockConcurrencyWhile`). */
  create: (storage: FakeDurableStorage) => T | Promise<T>;
  onAlarmError?: (error: unknown, attempt: number) => void;
}): DurableObjectHost<T> {
  const { storage, clock } = options;
  let current: Promise<T> | undefined;
  let generation = 0;
  let timer: TimerHandle | undefined;
  /** A handler of this generation has started and not finished. */
  let running = false;
  /** The alarm came due while a handler ran: the platform delivers it once that handler ends. */
  let dueWhileRunning: number | undefined;

  const instance = (): Promise<T> => {
    if (!current) {
      const created = (async () => options.create(storage))();
      current = created;
      // A failed construction is not memoised: the next use tries again, as the platform does.
      created.catch(() => {
        if (current === created) current = undefined;
      });
    }
    return current;
  };

  const schedule = (time: number | null, retry = 0): void => {
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = undefined;
    dueWhileRunning = undefined;
    if (time === null) return;
    timer = clock.setTimeout(() => fire(retry), Math.max(0, time - clock.now()));
  };

  const fire = (retry: number): void => {
    timer = undefined;
    // One alarm handler at a time per object, as on the platform.
    if (running) dueWhileRunning = retry;
    else void deliver(retry);
  };

  const deliver = async (retry: number): Promise<void> => {
    const mine = generation;
    storage.consumeAlarm();
    running = true;
    let failure: { error: unknown } | undefined;
    try {
      const object = await instance();
      if (mine === generation && object.alarm) await object.alarm();
    } catch (error) {
      failure = { error };
    }
    // A restart took this handler's place; it redelivers the alarm (see `restart`).
    if (mine !== generation) return;
    running = false;
    if (failure) options.onAlarmError?.(failure.error, retry + 1);
    const due = dueWhileRunning;
    dueWhileRunning = undefined;
    if (due !== undefined) return deliver(due);
    if (!failure) return;
    // A handler that set the next alarm before throwing has said when to run again.
    if (retry < ALARM_MAX_RETRIES && (await storage.getAlarm()) === null && timer === undefined) {
      schedule(clock.now() + ALARM_RETRY_FIRST_MS * 2 ** retry, retry + 1);
    }
  };

  storage.onAlarmChange((time) => schedule(time));

  return {
    storage,
    instance,
    async restart() {
      const interrupted = running;
      const due = dueWhileRunning;
      generation++;
      current = undefined;
      running = false;
      dueWhileRunning = undefined;
      if (due !== undefined) {
        schedule(clock.now(), due);
        return instance();
      }
      // Alarms are delivered at least once: one whose handler died with the instance is retried.
      if (interrupted && (await storage.getAlarm()) === null && timer === undefined) {
        schedule(clock.now() + ALARM_RETRY_FIRST_MS, 1);
      }
      return instance();
    },
  };
}
