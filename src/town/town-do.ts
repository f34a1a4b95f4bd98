/**
 * The TownDO: one coordinator per town (a Durable Object). It owns the town's records, the event
 * log, the drain state and the alarm loop that reconciles and dispatches work into the container.
 */
import type { AgentCompletedReport, AgentDoneReport, AgentRole, Clock, DurableStorage, Fetch, Logger, Random, TownRpc } from '../ports.ts';
import type { Action, DispatchAction } from './actions.ts';
import {
  ALARM_ACTIVE_MS,
  ALARM_IDLE_MS,
  DISPATCH_BACKOFF_MS,
  DISPATCH_TIMEOUT_MS,
  DRAIN_EXPIRY_MS,
  MAX_DISPATCH_ATTEMPTS,
  NONCE_HANDOFF_DELAY_MS,
} from './constants.ts';
import { abortAfter } from '../lib/timeout.ts';
import { DrainState, type DrainSnapshot } from './drain-state.ts';
import { ensureContainerReady } from './ensure-container-ready.ts';
import { EventLog, type TownEvent } from './events.ts';
import type { Agent, Bead, TownState } from './model.ts';
import { reconcile } from './reconciler.ts';
import { TownStore } from './store.ts';

export interface TownDOEnv {
  townId: string;
  storage: DurableStorage;
  clock: Clock;
  random: Random;
  logger: Logger;
  /** The container stub: requests go to `http://container/...`. */
  container: Fetch;
}

/** A dispatch whose records are written and whose container call is still to be made. */
interface PendingDispatch {
  agent: Agent;
  bead: Bead;
  remoteUrl: string | undefined;
  rule: string;
}

export class TownDO implements TownRpc {
  private readonly store: TownStore;
  private readonly events: EventLog;
  private readonly drain: DrainState;

  constructor(private readonly env: TownDOEnv) {
    this.store = new TownStore(env.storage.sql);
    this.events = new EventLog(env.storage.sql);
    this.drain = new DrainState(env.storage);
  }

  /** Loads persisted state. Production runs it inside `blockConcurrencyWhile`. */
  async init(): Promise<void> {
    this.store.migrate();
    this.events.migrate();
    await this.drain.load();
  }

  private now(): number {
    return this.env.clock.now();
  }

  // --- setup and reads ---------------------------------------------------------------------------

  async addRig(rig: { rigId: string; gitUrl: string }): Promise<void> {
    this.store.insertRig({ ...rig, createdAt: this.now() });
    await this.ensureAlarm();
  }

  async createBead(input: { type: 'issue'; rigId: string; title: string; beadId?: string; blockedBy?: string[] }): Promise<Bead> {
    const now = this.now();
    const bead: Bead = {
      beadId: input.beadId ?? `bead-${this.env.random.uuid()}`,
      type: input.type,
      status: 'open',
      rigId: input.rigId,
      title: input.title,
      assignee: null,
      blockedBy: input.blockedBy ?? [],
      sourceBeadId: null,
      branch: null,
      dispatchAttempts: 0,
      nextDispatchAt: null,
      createdAt: now,
      updatedAt: now,
    };
    this.store.insertBead(bead);
    await this.ensureAlarm();
    return bead;
  }

  async createAgent(input: { role: AgentRole; rigId: string; agentId?: string }): Promise<Agent> {
    const agent = this.newAgent(input.role, input.rigId, input.agentId);
    await this.ensureAlarm();
    return agent;
  }

  async listBeads(): Promise<Bead[]> {
    return this.store.beads();
  }

  async listAgents(): Promise<Agent[]> {
    return this.store.agents();
  }

  async getDrainState(): Promise<DrainSnapshot> {
    return this.drain.snapshot;
  }

  // --- drain -------------------------------------------------------------------------------------

  async recordContainerEviction(): Promise<string> {
    const nonce = this.env.random.uuid();
    this.events.append({ type: 'container_eviction', nonce }, this.now());
    await this.drain.start(nonce, this.now());
    this.env.logger.warn('container eviction recorded: draining', { nonce });
    await this.ensureAlarm();
    return nonce;
  }

  async acknowledgeContainerReady(nonce: string): Promise<boolean> {
    const { draining, drainNonce } = this.drain.snapshot;
    if (!draining) return true;
    if (nonce !== drainNonce) {
      this.env.logger.warn('container-ready with a stale nonce ignored');
      return false;
    }
    await this.drain.clear();
    this.env.logger.warn('replacement container acknowledged: drain ended');
    await this.ensureAlarm();
    return true;
  }

  /** The nonce, once the drain is old enough for the old container to be gone; else null. */
  private handoffNonce(): string | null {
    const age = this.drain.age(this.now());
    return age !== null && age > NONCE_HANDOFF_DELAY_MS ? this.drain.snapshot.drainNonce : null;
  }

  async isDraining(): Promise<boolean> {
    return this.drain.snapshot.draining;
  }

  async getDrainNonce(): Promise<string | null> {
    return this.drain.snapshot.drainNonce;
  }

  /**
   * Proof of life from an agent. Returns the drain nonce read in the same step as the touch, so no
   * eviction can land between the two. It never clears the drain: the old container keeps
   * heartbeating while it drains. And the nonce is handed out only after the hand-off delay, as
   * on the health check: a heartbeat the old container sent just before SIGTERM can land after
   * the eviction was recorded, and must not carry the nonce back to it.
   */
  async touchAgentHeartbeat(agentId: string, _watermark?: number): Promise<{ drainNonce: string | null }> {
    // Heartbeats keep coming while agents work: they revive an alarm whose retries ran out.
    await this.ensureAlarm();
    // From here on synchronous: the touch and the nonce read are one atomic step.
    const agent = this.store.agent(agentId);
    if (agent) {
      this.store.touchAgent(agentId, this.now());
      if (agent.status === 'idle') this.store.setAgentStatus(agentId, 'working');
    }
    return { drainNonce: this.handoffNonce() };
  }

  async agentDone(agentId: string, report: AgentDoneReport): Promise<void> {
    this.events.append({ type: 'agent_done', agentId, ...report }, this.now());
    await this.ensureAlarm();
  }

  async agentCompleted(agentId: string, report: AgentCompletedReport): Promise<void> {
    this.events.append({ type: 'agent_completed', agentId, reason: report.reason }, this.now());
    await this.ensureAlarm();
  }

  // --- the alarm loop ----------------------------------------------------------------------------

  async alarm(): Promise<void> {
    await ensureContainerReady(
      { townId: this.env.townId, rigs: this.store.rigs(), hasActiveWork: this.store.hasActiveWork(), drain: this.drain.snapshot },
      this.env,
    );
    this.applyPendingEvents();
    await this.expireDrain();
    const actions = reconcile(this.store.load(), { draining: this.drain.snapshot.draining, now: this.now() });
    const dispatches = this.applyActions(actions);
    for (const dispatch of dispatches) {
      // Each dispatch awaits the container, and while it does other requests run: an eviction
      // recorded meanwhile must stop the rest of this tick's dispatches, not just the next tick's.
      if (this.drain.snapshot.draining) this.deferDispatch(dispatch);
      else await this.dispatch(dispatch);
    }
    await this.env.storage.setAlarm(this.now() + this.cadence());
  }

  private cadence(): number {
    return this.store.hasActiveWork() ? ALARM_ACTIVE_MS : ALARM_IDLE_MS;
  }

  private async ensureAlarm(): Promise<void> {
    if ((await this.env.storage.getAlarm()) === null) await this.env.storage.setAlarm(this.now() + this.cadence());
  }

  /** The safety net: a drain nobody acknowledged ends on its own after 15 minutes. */
  private async expireDrain(): Promise<void> {
    const age = this.drain.age(this.now());
    if (age !== null && age > DRAIN_EXPIRY_MS) {
      await this.drain.clear();
      this.env.logger.warn('drain expired without an acknowledgement', { minutes: Math.round(age / 60_000) });
    }
  }

  private applyPendingEvents(): void {
    const now = this.now();
    for (const stored of this.events.unprocessed()) {
      try {
        this.env.storage.transactionSync(() => {
          this.applyEvent(stored.read(), now);
          this.events.markProcessed(stored.eventId, now);
        });
      } catch (error) {
        // Rolled back whole; marked so that one bad event cannot stop every later tick.
        this.env.logger.error('town event could not be applied; skipped', { eventId: stored.eventId, type: stored.type, error: String(error) });
        this.events.markProcessed(stored.eventId, now);
      }
    }
  }

  private applyEvent(event: TownEvent, now: number): void {
    switch (event.type) {
      case 'container_eviction':
        return; // audit only: the drain state was set when the eviction was recorded
      case 'agent_done':
        return this.onAgentDone(event.agentId, event.branch, now);
      case 'agent_completed':
        return this.onAgentCompleted(event.agentId, now);
    }
  }

  /** The agent called gt_done: a polecat's issue goes to review, a refinery's merge lands. */
  private onAgentDone(agentId: string, branch: string | undefined, now: number): void {
    const agent = this.store.agent(agentId);
    const bead = agent?.hookedBeadId ? this.store.bead(agent.hookedBeadId) : undefined;
    if (!agent || !bead) return;
    if (agent.role === 'polecat' && bead.type === 'issue') {
      this.store.setBeadStatus(bead.beadId, 'in_review', now);
      this.store.insertBead({
        beadId: `mr-${bead.beadId}-${this.env.random.uuid().slice(0, 8)}`,
        type: 'merge_request',
        status: 'open',
        rigId: bead.rigId,
        title: `merge ${bead.title}`,
        assignee: null,
        blockedBy: [],
        sourceBeadId: bead.beadId,
        branch: branch ?? null,
        dispatchAttempts: 0,
        nextDispatchAt: null,
        createdAt: now,
        updatedAt: now,
      });
    } else if (agent.role === 'refinery' && bead.type === 'merge_request') {
      this.store.setBeadStatus(bead.beadId, 'closed', now);
      if (bead.sourceBeadId) this.store.setBeadStatus(bead.sourceBeadId, 'closed', now);
    } else {
      this.store.setBeadStatus(bead.beadId, 'closed', now);
    }
    this.store.setBeadAssignee(bead.beadId, null, now);
    this.store.setAgentHook(agentId, null);
    this.store.setAgentStatus(agentId, 'idle');
  }

  /** The agent's process ended. Work it did not finish goes back to the queue. */
  private onAgentCompleted(agentId: string, now: number): void {
    const agent = this.store.agent(agentId);
    if (!agent) return;
    const bead = agent.hookedBeadId ? this.store.bead(agent.hookedBeadId) : undefined;
    // Open too: a failed dispatch leaves the bead open but still assigned, waiting for this agent.
    if (bead && (bead.status === 'in_progress' || bead.status === 'open')) {
      this.store.setBeadStatus(bead.beadId, 'open', now);
      this.store.setBeadAssignee(bead.beadId, null, now);
    }
    this.store.setAgentHook(agentId, null);
    this.store.setAgentStatus(agentId, 'idle');
  }

  /** Writes every action's record changes; returns the dispatches whose container calls remain. */
  private applyActions(actions: Action[]): PendingDispatch[] {
    const now = this.now();
    const dispatches: PendingDispatch[] = [];
    for (const action of actions) {
      switch (action.type) {
        case 'transition_bead':
          this.store.setBeadStatus(action.beadId, action.to, now);
          if (action.clearAssignee) this.store.setBeadAssignee(action.beadId, null, now);
          break;
        case 'transition_agent':
          this.store.setAgentStatus(action.agentId, action.to);
          break;
        case 'unhook_agent':
          this.store.setAgentHook(action.agentId, null);
          break;
        case 'dispatch_agent': {
          const pending = this.prepareDispatch(action, now);
          if (pending) dispatches.push(pending);
          break;
        }
      }
    }
    return dispatches;
  }

  /** Binds an agent to the bead: bead in progress, agent working, hooked and assigned. */
  private prepareDispatch(action: DispatchAction, now: number): PendingDispatch | undefined {
    const bead = this.store.bead(action.beadId);
    if (!bead) return undefined;
    const agent = action.agentId ? this.store.agent(action.agentId) : this.idleAgentOrNew(action.role, action.rigId);
    if (!agent || agent.status !== 'idle') return undefined;
    this.store.setAgentHook(agent.agentId, bead.beadId);
    this.store.setAgentStatus(agent.agentId, 'working');
    this.store.touchAgent(agent.agentId, now);
    this.store.setBeadAssignee(bead.beadId, agent.agentId, now);
    this.store.setBeadStatus(bead.beadId, 'in_progress', now);
    const rig = this.store.rigs().find((r) => r.rigId === bead.rigId);
    const remoteUrl = agent.role === 'polecat' || agent.role === 'refinery' ? rig?.gitUrl : undefined;
    return { agent: { ...agent, hookedBeadId: bead.beadId }, bead, remoteUrl, rule: action.rule };
  }

  private idleAgentOrNew(role: AgentRole, rigId: string): Agent {
    const idle = this.store.agents().find((a) => a.role === role && a.rigId === rigId && a.status === 'idle' && a.hookedBeadId === null);
    return idle ?? this.newAgent(role, rigId);
  }

  private newAgent(role: AgentRole, rigId: string, agentId?: string): Agent {
    const agent: Agent = {
      agentId: agentId ?? `${role}-${this.env.random.uuid().slice(0, 8)}`,
      role,
      rigId,
      status: 'idle',
      hookedBeadId: null,
      lastActivityAt: null,
      createdAt: this.now(),
    };
    this.store.insertAgent(agent);
    return agent;
  }

  /** Starts the agent in the container; a failure is counted against the bead, with backoff. */
  private async dispatch({ agent, bead, remoteUrl, rule }: PendingDispatch): Promise<void> {
    const body = {
      townId: this.env.townId,
      rigId: bead.rigId,
      agentId: agent.agentId,
      role: agent.role,
      beadId: bead.beadId,
      prompt: `${bead.type === 'merge_request' ? 'Review and merge' : 'Work on'}: ${bead.title}`,
      branch: `gt/${agent.agentId}/${bead.beadId}`,
      ...(remoteUrl ? { remoteUrl } : {}),
    };
    let failure: string | undefined;
    // Without a bound, one start the network swallows holds this alarm tick, and with it every
    // later tick, forever (PC6).
    const timeout = abortAfter(this.env.clock, DISPATCH_TIMEOUT_MS, 'agent start timed out');
    try {
      const response = await this.env.container(
        new Request('http://container/agents/start', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
          signal: timeout.signal,
        }),
      );
      if (!response.ok) failure = `container answered ${response.status}`;
    } catch (error) {
      failure = String(error);
    } finally {
      timeout.cancel();
    }
    if (failure === undefined) {
      this.store.setDispatchBackoff(bead.beadId, 0, null, this.now());
      return;
    }
    this.dispatchFailed(agent, bead, failure, rule);
  }

  /** Undoes a prepared dispatch without counting an attempt: Rule 2 or 6 sends it after the drain. */
  private deferDispatch({ agent, bead }: PendingDispatch): void {
    const now = this.now();
    this.store.setAgentStatus(agent.agentId, 'idle');
    if (bead.type === 'issue') this.store.setBeadStatus(bead.beadId, 'open', now);
    this.env.logger.warn('dispatch deferred: the town started draining during this tick', { bead: bead.beadId });
  }

  private dispatchFailed(agent: Agent, bead: Bead, reason: string, rule: string): void {
    const now = this.now();
    const attempts = (this.store.bead(bead.beadId)?.dispatchAttempts ?? 0) + 1;
    this.store.setAgentStatus(agent.agentId, 'idle');
    if (attempts >= MAX_DISPATCH_ATTEMPTS) {
      this.env.logger.warn('dispatch failed for the last time: bead failed', { bead: bead.beadId, reason, rule });
      this.store.setBeadStatus(bead.beadId, 'failed', now);
      this.store.setBeadAssignee(bead.beadId, null, now);
      this.store.setAgentHook(agent.agentId, null);
      this.store.setDispatchBackoff(bead.beadId, attempts, null, now);
      return;
    }
    const backoff = DISPATCH_BACKOFF_MS[Math.min(attempts, DISPATCH_BACKOFF_MS.length) - 1] as number;
    this.env.logger.warn('dispatch failed; retrying later', { bead: bead.beadId, reason, attempts, retryInMs: backoff });
    // An issue waits open, still hooked to its agent (Rule 2 retries); a merge request stays in
    // progress with its refinery hooked (Rule 6 retries).
    if (bead.type === 'issue') this.store.setBeadStatus(bead.beadId, 'open', now);
    this.store.setDispatchBackoff(bead.beadId, attempts, now + backoff, now);
  }
}

/** Work that keeps the alarm on its fast cadence (spec §3). The TownDO asks `TownStore.hasActiveWork()`, the same rule in SQL. */
export function hasActiveWork(state: TownState): boolean {
  return (
    state.agents.some((a) => a.status === 'working' || a.status === 'stalled' || (a.status === 'idle' && a.hookedBeadId !== null)) ||
    state.beads.some((b) => b.type === 'merge_request' && (b.status === 'open' || b.status === 'in_progress'))
  );
}
