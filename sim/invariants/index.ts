/**
 * Installs the checks on a world's kernel: the observer's per-step safety judgements and the
 * liveness monitors. Liveness is judged in two phases: while faults run nothing is owed; once
 * they heal, the town must converge before a stated deadline.
 */
import type { Kernel } from '../kernel/kernel.ts';
import type { Scenario } from '../scenario/schema.ts';
import type { Observer } from '../world/observer.ts';
import { formatVirtualTime } from '../kernel/trace.ts';

export { INVARIANTS, type InvariantInfo, type InvariantName } from './catalog.ts';

const MINUTE = 60_000;
/** The drain expires after 15 minutes and the expiry is evaluated on the next alarm, at most one idle period (60 s) later. */
export const DRAIN_EXPIRY_BOUND_MS = 15 * MINUTE + 60_000;
/** The nonce hand-off starts 11 minutes after the drain did. */
const HANDOFF_DELAY_MS = 11 * MINUTE;
/** Slack for the alarm's own work (a health check may take its 5 s timeout) before the deadline is called. */
const ALARM_SLACK_MS = 10_000;

export interface LivenessPlan {
  scenario: Scenario;
  evictAt: number | undefined;
  /** Virtual ms since start when faults stop. */
  healAt: number;
  /** Virtual ms since start when the run ends. */
  endAt: number;
}

/**
 * When the drain must have ended. The hand-off is the normal end: 11 minutes after the drain
 * started, once a replacement can be reached (the old instance is gone, or a new one is up) and
 * faults have healed, the next alarms (at most two idle periods, one of which may be spent booting
 * the replacement) deliver the nonce. The expiry is the safety net when no hand-off is possible.
 */
export function drainDeadline(drainStartedAt: number, replacementFrom: number | undefined, healAt: number, coldStartMaxMs: number): number {
  const expiry = Math.max(drainStartedAt + DRAIN_EXPIRY_BOUND_MS, healAt + MINUTE) + ALARM_SLACK_MS;
  if (replacementFrom === undefined) return expiry;
  const handoff = Math.max(drainStartedAt + HANDOFF_DELAY_MS, replacementFrom, healAt) + 2 * MINUTE + coldStartMaxMs + 3 * ALARM_SLACK_MS;
  return Math.min(handoff, expiry);
}

export function installInvariants(kernel: Kernel, observer: Observer, plan: LivenessPlan): void {
  const start = kernel.now() - kernel.elapsed();
  const coldStartMax = plan.scenario.platform.coldStartMs.max;
  kernel.afterEachStep(async () => {
    await observer.afterStep();
    const drain = observer.drain;
    if (!drain.draining || drain.drainStartedAt === null) return;
    const startedAt = drain.drainStartedAt - start;
    const replacementFrom = observer.replacementReachableFrom(drain.drainStartedAt);
    const deadline = drainDeadline(startedAt, replacementFrom === undefined ? undefined : replacementFrom - start, plan.healAt, coldStartMax);
    if (kernel.elapsed() > deadline) {
      observer.violate(
        'drain-ends',
        `the drain that started at ${formatVirtualTime(startedAt)} to end by ${formatVirtualTime(deadline)}${replacementFrom === undefined ? ' (its expiry)' : ' (hand-off to the replacement)'}`,
        'the town is still draining',
      );
    }
  });
  observer.finalChecks = async (endAt: number) => {
    const town = await observer.town.instance();
    const beads = await town.listBeads();
    const drainEnd = observer.lastDrainEnd?.at ?? 0;
    const since = Math.max(plan.healAt, drainEnd);
    const bound = plan.scenario.convergeWithinMinutes * MINUTE;
    if (observer.drain.draining || endAt - since < bound) return;
    for (const bead of beads) {
      if (bead.type !== 'issue' || bead.status !== 'open') continue;
      // The spec's dispatch backoff (2/5/10/30 min after failed attempts) may outlast the bound:
      // a bead still waiting it out at the end is not owed yet. One whose backoff ran out is.
      if (bead.nextDispatchAt !== null && bead.nextDispatchAt - start > endAt - MINUTE - ALARM_SLACK_MS) continue;
      const dispatched = observer.dispatchedAt(bead.beadId);
      if (dispatched === undefined || dispatched < since) {
        observer.violate(
          'work-resumes',
          `open issue ${bead.beadId} to be dispatched within ${plan.scenario.convergeWithinMinutes} min of ${formatVirtualTime(since)}`,
          dispatched === undefined ? 'it was never dispatched' : `its last dispatch was at ${formatVirtualTime(dispatched)}`,
        );
        return;
      }
    }
  };
}
