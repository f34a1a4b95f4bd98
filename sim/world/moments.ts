/**
 * Protocol moments the search anchors faults to. A fault at a uniformly random time rarely lands
 * in the narrow windows where the protocol races: a SIGTERM while a heartbeat or an agent start is
 * in flight, a second SIGTERM in the middle of a WIP snapshot. Anchored to the n-th occurrence of
 * such a moment, plus a short delay, it lands there often. The observer reports the moments as
 * they cross the ports.
 */
import type { Choices } from '../kernel/api.ts';

export type MomentKind = 'dispatch' | 'heartbeat' | 'completion' | 'snapshot';

interface Waiter {
  kind: MomentKind;
  nth: number;
  then: () => void;
}

export class Moments {
  private readonly counts = new Map<MomentKind, number>();
  private waiters: Waiter[] = [];

  /** Calls `then` once, at the `nth` occurrence of `kind` since the start of the run. */
  at(kind: MomentKind, nth: number, then: () => void): void {
    this.waiters.push({ kind, nth, then });
  }

  saw(kind: MomentKind): void {
    const count = (this.counts.get(kind) ?? 0) + 1;
    this.counts.set(kind, count);
    const due = this.waiters.filter((w) => w.kind === kind && w.nth === count);
    if (due.length === 0) return;
    this.waiters = this.waiters.filter((w) => !due.includes(w));
    for (const waiter of due) waiter.then();
  }
}

/** Steps of the log scale `delayAfter` draws from. */
const DELAY_STEPS = 1_000;

/**
 * A delay after a moment, from 0 to `maxMs` on a log scale: each order of magnitude is about as
 * likely as the next. What follows a moment is in flight for anything from a few milliseconds (a
 * WIP push, a notify round trip) to seconds; a uniform delay up to seconds lands inside the short
 * ones almost never. Measured on the WIP snapshot anchor of a second SIGTERM (600 seeds): a WIP
 * push is in flight for 90-450 ms (median 220), and where one followed the anchored snapshot, a
 * uniform delay of 0-3 s landed inside it about one time in eight, this scale two times in three.
 * The mapping is monotone and 0 at the lowest draw, so the shrinker still lowers a delay by
 * lowering its recorded value.
 */
export function delayAfter(choices: Choices, stream: string, maxMs: number): number {
  const step = choices.int(stream, 0, DELAY_STEPS);
  return Math.round((maxMs + 1) ** (step / DELAY_STEPS)) - 1;
}
