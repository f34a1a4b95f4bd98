/**
 * The clock port on a `@sinonjs/fake-timers` clock that is installed nowhere: it never replaces
 * the real globals, so tests and the simulator can run beside real timers. Time moves only when
 * told to.
 */
import FakeTimers from '@sinonjs/fake-timers';
import type { Clock } from '../../src/ports.ts';

/** 2026-01-01T00:00:00Z: where virtual time starts unless told otherwise. */
export const DEFAULT_START = Date.UTC(2026, 0, 1);

export interface FakeClock extends Clock {
  /** The underlying fake-timers clock. */
  readonly timers: FakeTimers.Clock;
  /** Runs every timer due within `ms`, synchronously. */
  tick(ms: number): void;
  /** Like `tick`, but lets promises settle between timers (uses real macrotasks: tests only). */
  tickAsync(ms: number): Promise<void>;
}

export function createFakeClock(start: number = DEFAULT_START): FakeClock {
  // A high loop limit: long simulated runs fire far more than the default 1000 timers.
  const timers = FakeTimers.createClock(start, 1e7);
  return {
    timers,
    now: () => timers.now,
    setTimeout: (callback, ms) => timers.setTimeout(callback, ms),
    clearTimeout: (handle) => timers.clearTimeout(handle as FakeTimers.TimerId),
    setInterval: (callback, ms) => timers.setInterval(callback, ms),
    clearInterval: (handle) => timers.clearInterval(handle as FakeTimers.TimerId),
    tick: (ms) => void timers.tick(ms),
    tickAsync: async (ms) => void (await timers.tickAsync(ms)),
  };
}
