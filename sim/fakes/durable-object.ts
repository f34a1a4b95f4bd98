/**
 * Hosts one Durable Object on the fake storage, the way the platform does: one live instance at a
 * time, created on first use, and the alarm delivered at its time - cleared before the handler
 * runs, retried with backoff (2 s, doubling, at most 6 retries) when the handler throws. A restart
 * drops the instance (its memory is lost) and creates a new one on the same storage; an alarm
 * whose handler was still running is delivered again (at least once).
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
  create: (storage: FakeDurableStorage) => T | Promise<T>;
  onAlarmError?: (error: unknown, attempt: number) => void;
}): DurableObjectHost<T> {
  const { storage, clock } = options;
  let current: Promise<T> | undefined;
  let generation = 0;
  let timer: TimerHandle | undefined;
  /** An alarm handler has started and not finished: a restart now must deliver it again. */
  let alarmRunning = false;

  const instance = () => (current ??= Promise.resolve(options.create(storage)));

  const deliver = async (retry: number) => {
    timer = undefined;
    const mine = generation;
    storage.consumeAlarm();
    const object = await instance();
    if (mine !== generation || !object.alarm) return;
    alarmRunning = true;
    try {
      await object.alarm();
      if (mine === generation) alarmRunning = false;
    } catch (error) {
      if (mine === generation) alarmRunning = false;
      options.onAlarmError?.(error, retry + 1);
      if (retry < ALARM_MAX_RETRIES && mine === generation && (await storage.getAlarm()) === null) {
        schedule(clock.now() + ALARM_RETRY_FIRST_MS * 2 ** retry, retry + 1);
      }
    }
  };

  const schedule = (time: number | null, retry = 0) => {
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = undefined;
    if (time === null) return;
    timer = clock.setTimeout(() => void deliver(retry), Math.max(0, time - clock.now()));
  };

  storage.onAlarmChange((time) => schedule(time));

  return {
    storage,
    instance,
    async restart() {
      generation++;
      current = undefined;
      // Alarms are delivered at least once: one whose handler died with the instance is retried.
      if (alarmRunning && (await storage.getAlarm()) === null && timer === undefined) {
        alarmRunning = false;
        schedule(clock.now() + ALARM_RETRY_FIRST_MS, 1);
      }
      return instance();
    },
  };
}
