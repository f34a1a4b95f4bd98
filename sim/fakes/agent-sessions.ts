/**
 * Seeded coding agents behind the `AgentSessions` port. An agent works in bursts, writing real
 * files into its worktree, sometimes committing, sometimes idling; when its work is done it pushes
 * (if it has a remote), calls gt_done and goes idle. A nudge makes a cooperative agent wrap up
 * soon. Per-session faults come from the fault plan: ignoring or hanging on the nudge, an abort
 * that throws (the session stays live) or never returns, finishing just as the drain starts.
 * Everything it does runs on the container instance's clock, so it dies with its container.
 */
import type { AgentRole, AgentSession, AgentSessions, Clock, GitWorkspace, SessionEvent, TimerHandle } from '../../src/ports.ts';
import type { Sim } from '../kernel/api.ts';
import type { FaultKind } from '../scenario/schema.ts';

/** Rolls one opportunity of a fault kind (the world's fault plan). */
export type FaultRoll = (kind: FaultKind) => boolean;

export interface AgentModelDeps {
  clock: Clock;
  fs: { writeFile(path: string, content: string): Promise<void> };
  git: GitWorkspace;
  faults: FaultRoll;
  /** Actor name for traces (the container instance). */
  actor: string;
}

export interface SessionState {
  /** Could still act: not stopped by a successful abort or a close. */
  live: boolean;
  aborted: boolean;
  closed: boolean;
  /** Its abort threw or hung (so the drain must not snapshot it). */
  abortFaulted: boolean;
}

interface Profile {
  ignoresNudge: boolean;
  hangsOnNudge: boolean;
  abortThrows: boolean;
  abortHangs: boolean;
  finishesAtDrain: boolean;
}

class ModelSession implements AgentSession {
  readonly id: string;
  readonly state: SessionState = { live: true, aborted: false, closed: false, abortFaulted: false };
  /** Everything written, by path relative to the worktree: the no-lost-work invariant reads it. */
  readonly written: Record<string, string> = {};
  private listener: ((event: SessionEvent) => void) | undefined;
  private readonly timers = new Set<TimerHandle>();
  private units = 0;
  private finishing = false;

  constructor(
    private readonly sim: Sim,
    private readonly deps: AgentModelDeps,
    private readonly agentId: string,
    private readonly role: AgentRole,
    private readonly workdir: string,
    private readonly profile: Profile,
    private readonly plannedUnits: number,
  ) {
    this.id = `session-${agentId}`;
  }

  subscribe(listener: (event: SessionEvent) => void, signal: AbortSignal): void {
    this.listener = listener;
    signal.addEventListener('abort', () => {
      if (this.listener === listener) this.listener = undefined;
    });
  }

  private emit(event: SessionEvent): void {
    if (this.state.live) this.listener?.(event);
  }

  private later(ms: number, action: () => Promise<void> | void): void {
    if (!this.state.live) return;
    const timer = this.deps.clock.setTimeout(() => {
      this.timers.delete(timer);
      if (this.state.live) void action();
    }, ms);
    this.timers.add(timer);
  }

  private cancelPending(): void {
    for (const timer of this.timers) this.deps.clock.clearTimeout(timer);
    this.timers.clear();
  }

  private stop(): void {
    this.state.live = false;
    this.cancelPending();
  }

  begin(): void {
    this.emit({ type: 'busy' });
    this.later(this.sim.choices.int('agent.think.ms', 1_000, 30_000), () => this.work());
  }

  /** One burst: write a file; then more work, an idle spell, or the end. */
  private async work(): Promise<void> {
    this.emit({ type: 'busy' });
    this.units++;
    const path = `work/${this.agentId}-${this.units}.txt`;
    const content = `${this.agentId} (${this.role}) unit ${this.units} at ${this.deps.clock.now()}\n`;
    this.written[path] = content;
    await this.deps.fs.writeFile(`${this.workdir}/${path}`, content);
    if (this.sim.choices.chance('agent.commit', 0.3)) await this.commit('progress');
    const forever = this.role === 'mayor' || (this.finishing && this.profile.hangsOnNudge);
    if (!forever && !this.finishing && this.units >= this.plannedUnits) return this.finish();
    if (this.finishing && !forever) return;
    if (this.sim.choices.chance('agent.idle-spell', 0.3)) {
      this.emit({ type: 'idle' });
      this.later(this.sim.choices.int('agent.idle-spell.ms', 5_000, 200_000), () => this.work());
      return;
    }
    this.later(this.sim.choices.int('agent.work.ms', 2_000, 90_000), () => this.work());
  }

  private async commit(message: string): Promise<boolean> {
    try {
      await this.deps.git.addAll(this.workdir);
      await this.deps.git.commit(this.workdir, message, { allowEmpty: true });
      return true;
    } catch (error) {
      this.sim.trace(this.deps.actor, `${this.agentId} could not commit`, { error: String(error) });
      return false;
    }
  }

  /** Commit, push (when there is a remote), gt_done, idle. Nothing else is written after the commit: gt_done means pushed. */
  private async finish(): Promise<void> {
    this.finishing = true;
    this.cancelPending();
    this.emit({ type: 'busy' });
    if (!(await this.commit('done'))) return;
    if (await this.deps.git.hasOrigin(this.workdir)) {
      try {
        await this.deps.git.pushHeadSetUpstream(this.workdir);
      } catch (error) {
        this.sim.trace(this.deps.actor, `${this.agentId} could not push`, { error: String(error) });
        this.emit({ type: 'idle' });
        return;
      }
    }
    if (!this.state.live) return;
    this.sim.trace(this.deps.actor, `${this.agentId} calls gt_done`);
    this.emit({ type: 'gt_done', summary: `${this.units} units of work` });
    this.emit({ type: 'idle' });
  }

  async sendMessage(text: string): Promise<void> {
    if (!this.state.live) return;
    this.sim.trace(this.deps.actor, `${this.agentId} nudged`, { text: text.slice(0, 40) });
    if (this.profile.ignoresNudge) return;
    if (this.profile.hangsOnNudge) {
      this.finishing = true;
      this.later(this.sim.choices.int('agent.work.ms', 2_000, 90_000), () => this.work());
      return;
    }
    const delay = this.profile.finishesAtDrain ? 0 : this.sim.choices.int('agent.nudge.ms', 1_000, 60_000);
    this.later(delay, () => this.finish());
  }

  async abort(): Promise<void> {
    if (this.profile.abortHangs) {
      this.state.abortFaulted = true;
      this.sim.trace(this.deps.actor, `${this.agentId} abort hangs`);
      return new Promise<void>(() => {});
    }
    if (this.profile.abortThrows) {
      this.state.abortFaulted = true;
      this.sim.trace(this.deps.actor, `${this.agentId} abort throws; the session keeps going`);
      throw new Error(`session ${this.id} failed to abort`);
    }
    this.state.aborted = true;
    this.stop();
  }

  async close(): Promise<void> {
    this.state.closed = true;
    this.stop();
  }
}

export class AgentModels implements AgentSessions {
  private readonly sessions = new Map<string, ModelSession>();

  constructor(
    private readonly sim: Sim,
    private readonly deps: AgentModelDeps,
  ) {}

  async start(options: { agentId: string; role: AgentRole; workdir: string; prompt: string }): Promise<AgentSession> {
    const profile: Profile = {
      ignoresNudge: this.deps.faults('agent.ignore-nudge'),
      hangsOnNudge: this.deps.faults('agent.hang-on-nudge'),
      abortThrows: this.deps.faults('agent.abort-throws'),
      abortHangs: this.deps.faults('agent.abort-hangs'),
      finishesAtDrain: this.deps.faults('agent.finish-at-drain'),
    };
    const units = this.sim.choices.int('agent.units', 1, 6);
    const session = new ModelSession(this.sim, this.deps, options.agentId, options.role, options.workdir, profile, units);
    this.sessions.set(options.agentId, session);
    session.begin();
    return session;
  }

  written(agentId: string): Record<string, string> {
    return this.sessions.get(agentId)?.written ?? {};
  }

  sessionState(agentId: string): SessionState | undefined {
    return this.sessions.get(agentId)?.state;
  }

  abortFaulted(agentId: string): boolean {
    return this.sessions.get(agentId)?.state.abortFaulted ?? false;
  }
}

export function createAgentModels(sim: Sim, deps: AgentModelDeps): AgentModels {
  return new AgentModels(sim, deps);
}
