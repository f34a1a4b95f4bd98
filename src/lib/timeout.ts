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

/** Settles like `work`, or rejects with a TimeoutError after `ms` on the clock, whichever comes first. */
export async function withTimeout<T>(clock: Clock, ms: number, work: Promise<T>, what: string): Promise<T> {
  let timer: unknown;
  const expired = new Promise<never>((_, reject) => {
    timer = clock.setTimeout(() => reject(new TimeoutError(`${what} timed out after ${ms} ms`)), Math.max(0, ms));
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    clock.clearTimeout(timer);
  }
}
