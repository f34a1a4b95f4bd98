import type { Clock } from '../ports.ts';

/**
 * An AbortSignal that aborts after `ms` on the given clock.
 *
 * `AbortSignal.timeout` runs on real time and is not faked by fake-timers, so every timeout in the
 * system is built from the clock port instead. Call `cancel()` once the guarded call settles so
 * the timer does not outlive it.
 */
export function abortAfter(clock: Clock, ms: number, reason = `timed out after ${ms} ms`): {
  signal: AbortSignal;
  cancel(): void;
} {
  const controller = new AbortController();
  const timer = clock.setTimeout(() => controller.abort(new TimeoutError(reason)), ms);
  return { signal: controller.signal, cancel: () => clock.clearTimeout(timer) };
}

/** Resolves after `ms` on the given clock. */
export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, ms));
}

export class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
}
