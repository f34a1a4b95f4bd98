/**
 * drainAll: what the container does between SIGTERM and exit, in four phases.
 *   1. notify the town (10 s timeout), so the reconciler stops dispatching;
 *   2. nudge running polecats and refineries to commit, push and call gt_done (10 s for all);
 *   3. wait (poll every 5 s, up to 10 minutes) for them to finish;
 *   4. force-save the stragglers: freeze all of them first, then snapshot only the frozen ones.
 * It never throws: every phase is guarded, so the caller always reaches stopAll and exit. And it
 * never outlives its deadline (see DRAIN_DEADLINE_MS): a hung nudge, abort or push is abandoned,
 * not waited for, because a container alive at the nonce hand-off would end its own drain.
 */
import type { Clock, GitWorkspace, Logger } from '../ports.ts';
import { abortAfter, sleep, withTimeout } from '../lib/timeout.ts';
import type { AgentProcess, AgentRegistry } from './agents.ts';
import {
  DRAIN_DEADLINE_MS,
  DRAIN_POLL_MS,
  DRAIN_WAIT_LIMIT_MS,
  FORCE_SAVE_RESERVE_MS,
  FREEZE_TIMEOUT_MS,
  NOTIFY_TIMEOUT_MS,
  NUDGE_MESSAGES,
  NUDGE_TIMEOUT_MS,
  SNAPSHOT_TIMEOUT_MS,
} from './constants.ts';
import type { IdleTimers } from './idle-timers.ts';
import { snapshotWorkspace } from './snapshot.ts';
import type { WorkerClient } from './worker-client.ts';

export interface DrainContext {
  registry: AgentRegistry;
  idleTimers: IdleTimers;
  townId: () => string | undefined;
  worker: WorkerClient;
  git: GitWorkspace;
  clock: Clock;
  logger: Logger;
}

export async function drainAll(ctx: DrainContext): Promise<void> {
  const deadline = ctx.clock.now() + DRAIN_DEADLINE_MS;
  await guarded(ctx, 'notify', () => notifyTown(ctx));
  await guarded(ctx, 'nudge', () => nudgeAgents(ctx));
  await guarded(ctx, 'wait', () => waitForAgents(ctx, deadline - FORCE_SAVE_RESERVE_MS));
  await guarded(ctx, 'force-save', () => forceSaveStragglers(ctx, deadline));
}

async function guarded(ctx: DrainContext, phase: string, run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (error) {
    ctx.logger.error(`drain phase ${phase} failed; continuing`, { error: String(error) });
  }
}

/** Phase 1. A hung worker must not stall the drain: the call is abandoned after 10 s. */
export async function notifyTown(ctx: DrainContext): Promise<void> {
  const townId = ctx.townId();
  if (!townId) {
    ctx.logger.info('no agents: nobody to notify of the eviction');
    return;
  }
  const timeout = abortAfter(ctx.clock, NOTIFY_TIMEOUT_MS, 'eviction notify timed out');
  try {
    const response = await ctx.worker.post(`/api/towns/${townId}/container-eviction`, undefined, timeout.signal);
    if (!response.ok) ctx.logger.warn('eviction notify refused', { status: response.status });
  } catch (error) {
    ctx.logger.warn('eviction notify failed; draining anyway', { error: String(error) });
  } finally {
    timeout.cancel();
  }
}

/**
 * Phase 2. Idle timers were cleared when the drain began (see ProcessManager.drainAll): one armed
 * before SIGTERM would otherwise fire during the nudge and end the agent as completed half-way
 * through its commit and push. Every agent is nudged at once, and a nudge its session has not
 * taken within the phase's 10 s is abandoned: that agent is left to the wait and the force-save.
 */
export async function nudgeAgents(ctx: DrainContext): Promise<void> {
  const nudges = ctx.registry.all().map(async (agent) => {
    if (agent.status !== 'running' || (agent.role !== 'polecat' && agent.role !== 'refinery')) return;
    try {
      await agent.session?.sendMessage(NUDGE_MESSAGES[agent.role]);
    } catch (error) {
      ctx.logger.warn('nudge failed', { agent: agent.agentId, error: String(error) });
    }
  });
  await withTimeout(ctx.clock, NUDGE_TIMEOUT_MS, Promise.all(nudges), 'nudges').catch((error: unknown) =>
    ctx.logger.warn('a nudge went unanswered; draining on', { error: String(error) }),
  );
}

/** Phase 3: until no agent runs, 10 minutes have passed, or the force-save reserve begins. */
export async function waitForAgents(ctx: DrainContext, latest: number): Promise<void> {
  const deadline = Math.min(ctx.clock.now() + DRAIN_WAIT_LIMIT_MS, latest);
  while (ctx.registry.all().some((a) => a.status === 'running') && ctx.clock.now() < deadline) {
    await sleep(ctx.clock, DRAIN_POLL_MS);
  }
}

/**
 * Phase 4. Every straggler is frozen before any snapshot starts, so git never races a live
 * session or its idle timer; an agent whose freeze failed may still be acting and is not
 * snapshotted at all. Freezes run at once (one at a time, hung aborts would add up past the
 * deadline); snapshots run one at a time, and one failure does not stop the next.
 */
export async function forceSaveStragglers(ctx: DrainContext, deadline: number): Promise<void> {
  const stragglers = ctx.registry.all().filter((a) => a.status === 'running');
  const freezes = stragglers.map(async (agent): Promise<AgentProcess | undefined> => {
    try {
      await freeze(ctx, agent, deadline);
      return agent;
    } catch (error) {
      ctx.logger.error('could not freeze agent; skipping its snapshot', { agent: agent.agentId, error: String(error) });
      return undefined;
    }
  });
  const frozen = (await Promise.all(freezes)).filter((agent) => agent !== undefined);
  for (const agent of frozen) {
    const left = deadline - ctx.clock.now();
    if (left <= 0) {
      ctx.logger.error('drain deadline reached: WIP snapshot skipped', { agent: agent.agentId });
      continue;
    }
    try {
      await withTimeout(ctx.clock, Math.min(SNAPSHOT_TIMEOUT_MS, left), snapshotWorkspace(ctx.git, agent.agentId, agent.workdir, ctx.logger), 'WIP snapshot');
      ctx.logger.info('WIP snapshot saved', { agent: agent.agentId });
    } catch (error) {
      ctx.logger.error('WIP snapshot failed', { agent: agent.agentId, error: String(error) });
    }
  }
}

async function freeze(ctx: DrainContext, agent: AgentProcess, deadline: number): Promise<void> {
  ctx.idleTimers.clear(agent.agentId);
  agent.subscription?.abort();
  const limit = Math.min(FREEZE_TIMEOUT_MS, deadline - ctx.clock.now());
  if (agent.session) await withTimeout(ctx.clock, limit, agent.session.abort(), 'session abort');
  agent.status = 'exited';
  agent.exitReason = 'container eviction';
}
