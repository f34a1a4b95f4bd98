/**
 * The process manager: starts agents in their workspaces, follows their sessions, ends them
 * through the normal completion path (idle -> idle timer -> exited -> completed report), and
 * shuts everything down on drain or stop.
 */
import type { AgentRole, AgentSessions, Clock, GitWorkspace, Logger, SessionEvent } from '../ports.ts';
import { AgentRegistry, isLive, viewOf, type AgentProcess, type AgentView } from './agents.ts';
import { IDLE_TIMEOUT_MS, STOP_TIMEOUT_MS } from './constants.ts';
import { withTimeout } from '../lib/timeout.ts';
import { drainAll } from './drain.ts';
import { IdleTimers } from './idle-timers.ts';
import { agentPath, type WorkerClient } from './worker-client.ts';

export interface StartRequest {
  townId: string;
  rigId: string;
  agentId: string;
  role: AgentRole;
  beadId: string;
  prompt: string;
  remoteUrl?: string | undefined;
  branch: string;
}

export interface ProcessManagerDeps {
  clock: Clock;
  git: GitWorkspace;
  sessions: AgentSessions;
  worker: WorkerClient;
  logger: Logger;
  workRoot: string;
}

export class AgentConflictError extends Error {
  override readonly name = 'AgentConflictError';
}

/** The container is draining or stopping: it takes no new agents. */
export class ContainerClosingError extends Error {
  override readonly name = 'ContainerClosingError';
}

export class ProcessManager {
  readonly registry = new AgentRegistry();
  readonly idleTimers: IdleTimers;
  /** Set when the drain (or a stop) begins; never cleared: this process is on its way out. */
  private closing = false;
  /** Starts still preparing their agent, by agent id: a repeat of one waits for its outcome. */
  private readonly launches = new Map<string, Promise<AgentView>>();

  constructor(private readonly deps: ProcessManagerDeps) {
    this.idleTimers = new IdleTimers(deps.clock);
  }

  agents(): AgentView[] {
    return this.registry.views();
  }

  /** Any town id this container has served (the container learns its town from its agents). */
  townId(): string | undefined {
    return this.registry.all()[0]?.townId;
  }

  async startAgent(request: StartRequest): Promise<AgentView> {
    const existing = this.registry.get(request.agentId);
    // The same start again (the network delivered it twice, PC8): it is already under way. It is
    // answered as such even while closing: a refusal would tell the town that a running agent
    // never started (PC10).
    if (existing && isLive(existing) && !existing.done && existing.beadId === request.beadId) return this.repeatOf(existing);
    // The town may not know yet (its eviction notify can fail): a closing container must not
    // take work it would have to abandon.
    if (this.closing) throw new ContainerClosingError('container is shutting down: no new agents');
    let retiring: Promise<void> | undefined;
    if (existing && isLive(existing)) {
      // The town re-dispatches an agent as soon as it reports gt_done, while its process lingers
      // here until the idle timer. That run's work is pushed: it gives way to the new one. The
      // new run is registered before the old session has closed, so that a repeat of this start
      // arriving meanwhile is taken for a repeat, not for a second start of a second session.
      if (!existing.done) throw new AgentConflictError(`agent ${request.agentId} is already ${existing.status}`);
      retiring = this.retire(existing);
    }
    const agent: AgentProcess = {
      agentId: request.agentId,
      rigId: request.rigId,
      townId: request.townId,
      role: request.role,
      beadId: request.beadId,
      workdir: `${this.deps.workRoot}/${request.agentId}`,
      status: 'starting',
    };
    this.registry.add(agent);
    const launch = this.launch(agent, request, retiring);
    this.launches.set(agent.agentId, launch);
    try {
      return await launch;
    } finally {
      this.launches.delete(agent.agentId);
    }
  }

  /**
   * A repeat gets the answer the start under way gets, once it has one: answering 200 while the
   * first copy is still preparing would tell the town an agent runs that may never start (PC11).
   */
  private async repeatOf(agent: AgentProcess): Promise<AgentView> {
    await this.launches.get(agent.agentId);
    return viewOf(agent);
  }

  /** `retiring`: the finished run this one replaces, whose session must be closed before this one touches the worktree. */
  private async launch(agent: AgentProcess, request: StartRequest, retiring: Promise<void> | undefined): Promise<AgentView> {
    try {
      await retiring;
      await this.deps.git.prepare({ dir: agent.workdir, branch: request.branch, ...(request.remoteUrl ? { remoteUrl: request.remoteUrl } : {}) });
      const session = await this.deps.sessions.start({ agentId: agent.agentId, role: agent.role, workdir: agent.workdir, prompt: request.prompt });
      // Stopped while it was starting (the container began to drain or stop): it must not come
      // to life, and the town must not count it as started. Nor may it stay `starting`, or a
      // repeat of this start would be taken for a run under way (PC8).
      if (agent.status !== 'starting' || this.closing) {
        if (agent.status === 'starting') {
          agent.status = 'exited';
          agent.exitReason = 'container shutdown';
        }
        await session.abort().catch(() => undefined);
        throw new ContainerClosingError(`agent ${agent.agentId} was stopped while starting: the container is shutting down`);
      }
      agent.session = session;
      agent.subscription = new AbortController();
      session.subscribe((event) => this.onSessionEvent(agent, event), agent.subscription.signal);
      agent.status = 'running';
    } catch (error) {
      if (error instanceof ContainerClosingError) throw error;
      agent.status = 'failed';
      agent.exitReason = 'start failed';
      this.deps.logger.error('agent failed to start', { agent: agent.agentId, error: String(error) });
      throw error;
    }
    return viewOf(agent);
  }

  /** Ends a finished run quietly: the town already knows it is done. */
  private async retire(agent: AgentProcess): Promise<void> {
    this.idleTimers.clear(agent.agentId);
    agent.subscription?.abort();
    agent.status = 'exited';
    agent.exitReason = 'completed';
    await agent.session?.close().catch(() => undefined);
  }

  async sendMessage(agentId: string, text: string): Promise<boolean> {
    const agent = this.registry.get(agentId);
    if (!agent?.session || agent.status !== 'running') return false;
    await agent.session.sendMessage(text);
    return true;
  }

  private onSessionEvent(agent: AgentProcess, event: SessionEvent): void {
    if (agent.status !== 'running') return;
    switch (event.type) {
      case 'busy':
        this.idleTimers.clear(agent.agentId);
        return;
      case 'idle': {
        // While draining, idle is not the end: an agent that goes idle without calling gt_done
        // still has unsaved work, and must stay running until the drain force-saves it.
        const timeout = agent.role === 'mayor' ? undefined : IDLE_TIMEOUT_MS[agent.role];
        if (timeout !== undefined && !this.closing) this.idleTimers.arm(agent.agentId, timeout, () => void this.complete(agent));
        return;
      }
      case 'gt_done':
        agent.done = true;
        void this.report(agent, 'done', { ...(event.branch ? { branch: event.branch } : {}), ...(event.summary ? { summary: event.summary } : {}) }).then(
          // While draining, gt_done (work pushed) is the end: no need to wait for an idle timer.
          async () => {
            if (this.closing) await this.complete(agent);
          },
        );
        return;
    }
  }

  /** The normal completion path: idle timer fired (or gt_done while draining), agent still running. */
  private async complete(agent: AgentProcess): Promise<void> {
    if (agent.status !== 'running') return;
    agent.status = 'exited';
    agent.exitReason = 'completed';
    agent.subscription?.abort();
    await this.report(agent, 'completed', { reason: 'completed' });
    await agent.session?.close().catch((error: unknown) => this.deps.logger.warn('closing a session failed', { agent: agent.agentId, error: String(error) }));
  }

  private async report(agent: AgentProcess, what: 'done' | 'completed', body: unknown): Promise<void> {
    try {
      const response = await this.deps.worker.post(`${agentPath(agent.townId, agent.rigId, agent.agentId)}/${what}`, body);
      if (!response.ok) this.deps.logger.warn(`agent ${what} report refused`, { agent: agent.agentId, status: response.status });
    } catch (error) {
      this.deps.logger.warn(`agent ${what} report failed`, { agent: agent.agentId, error: String(error) });
    }
  }

  /**
   * The graceful eviction drain (see drain.ts). Never throws. Idle timers stop at once, not at the
   * nudge: one armed before SIGTERM could otherwise fire during the notify (up to 10 s) and end an
   * agent as completed with its work unpushed; and none is armed again while closing. An agent
   * that called gt_done and went idle was only waiting for its timer: it completes now, instead of
   * being nudged, waited for, and force-saved onto a branch it already handed in.
   */
  drainAll(): Promise<void> {
    this.closing = true;
    const finished = this.registry.all().filter((agent) => agent.status === 'running' && agent.done && this.idleTimers.has(agent.agentId));
    this.idleTimers.clearAll();
    for (const agent of finished) void this.complete(agent);
    return drainAll({ registry: this.registry, idleTimers: this.idleTimers, townId: () => this.townId(), ...this.deps });
  }

  /**
   * Immediate shutdown: every timer, subscription and session stopped, every agent still alive
   * marked exited. Reports nothing to the town: heartbeats simply stop. Sessions get a short
   * while to abort and close; one that hangs does not hold the exit.
   */
  async stopAll(): Promise<void> {
    this.closing = true;
    this.idleTimers.clearAll();
    const closing: Promise<unknown>[] = [];
    for (const agent of this.registry.all()) {
      agent.subscription?.abort();
      if (isLive(agent) || agent.status === 'stopping') {
        agent.status = 'exited';
        agent.exitReason = 'container shutdown';
      }
      const session = agent.session;
      if (session) closing.push(session.abort().catch(() => undefined).then(() => session.close().catch(() => undefined)));
    }
    await withTimeout(this.deps.clock, STOP_TIMEOUT_MS, Promise.all(closing), 'stopping sessions').catch((error: unknown) =>
      this.deps.logger.warn('sessions did not stop in time; exiting anyway', { error: String(error) }),
    );
  }
}
