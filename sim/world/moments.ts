/**
 * Protocol moments the search anchors faults to. A fault at a uniformly random time rarely lands
 * in the narrow windows where the protocol races: a SIGTERM while a heartbeat or an agent start is
 * in flight, a second SIGTERM in the middle of a WIP snapshot. Anchored to the n-th occurrence of
 * such a moment, plus a short delay, it lands there often. The observer reports the moments as
 * they cross the ports.
 */
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
