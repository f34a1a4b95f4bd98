/**
 * Keeps the town's container awake (and boots a stopped one) with a health check each tick, and
 * hands the drain nonce to a replacement container that has no agents and so sends no heartbeats.
 */
import type { Clock, Fetch, Logger } from '../ports.ts';
import { abortAfter } from '../lib/timeout.ts';
import { HEALTH_CHECK_TIMEOUT_MS, NONCE_HANDOFF_DELAY_MS, RECENT_RIG_MS } from './constants.ts';
import type { DrainSnapshot } from './drain-state.ts';
import type { Rig } from './model.ts';

export interface ContainerReadiness {
  townId: string;
  rigs: Rig[];
  hasActiveWork: boolean;
  drain: DrainSnapshot;
}

export async function ensureContainerReady(town: ContainerReadiness, deps: { clock: Clock; container: Fetch; logger: Logger }): Promise<void> {
  if (town.rigs.length === 0) return;
  const now = deps.clock.now();
  const newestRig = Math.max(...town.rigs.map((r) => r.createdAt));
  // An idle town may let its container sleep, but never while draining: the nonce hand-off below
  // is the only way an idle replacement learns it may end the drain.
  if (!town.hasActiveWork && !town.drain.draining && now - newestRig > RECENT_RIG_MS) return;

  const headers = new Headers();
  const { drain } = town;
  if (drain.draining && drain.drainNonce !== null && drain.drainStartedAt !== null && now - drain.drainStartedAt > NONCE_HANDOFF_DELAY_MS) {
    // Only after the old container has had time to drain and exit: before that, the health check
    // would reach the old container, which would acknowledge its own eviction.
    headers.set('X-Drain-Nonce', drain.drainNonce);
    headers.set('X-Town-Id', town.townId);
  }
  const timeout = abortAfter(deps.clock, HEALTH_CHECK_TIMEOUT_MS, 'health check timed out');
  try {
    await deps.container(new Request('http://container/health', { headers, signal: timeout.signal }));
  } catch (error) {
    deps.logger.warn('health check failed; the next tick retries', { error: String(error) });
  } finally {
    timeout.cancel();
  }
}
