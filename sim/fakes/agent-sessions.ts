/**
 * Seeded coding agents behind the `AgentSessions` port.
 *
 * After start a session reports `busy`, then works in bursts: each burst writes a real file into
 * its worktree (sometimes rewriting an earlier one), sometimes commits, sometimes goes idle for a
 * spell. When its planned work is done it commits, pushes (when the worktree has an `origin`),
 * calls `gt_done` with its branch and goes idle. A mayor never finishes. A nudge
 * (`sendMessage`) makes a cooperative agent wrap up soon.
 *
 * Per-session profiles (faults) come from the world's fault plan (`faults`) or are fixed
 * (`profile`): ignoring the nudge, answering it by working on forever, an abort that throws (the
 * session stays live and keeps writing) or never returns, finishing just as the drain starts, a
 * nudge that never returns, a close that takes seconds.
 *
 * A successful abort stops everything: pending steps are cancelled and abort() resolves only once
 * the operation in flight (a write, a commit, a push) has returned, so nothing of the session
 * touches the worktree afterwards. After close, nothing either.
 *
 * Timers run on `clock` (the world passes the container instance's clock, so agents die with
 * their container). Choices, all `agent.*` streams, have the most cooperative value as simplest:
 * fewest units, shortest delays, no commit, no idle spell, new files rather than rewrites.
 */
import type { AgentRole, AgentSession, AgentSessions, Clock, GitWorkspace, SessionEvent, TimerHandle } from '../../src/ports.ts';
import { withTimeout } from '../../src/lib/timeout.ts';
import type { Sim } from '../kernel/api.ts';
import type { FaultKind } from '../scenario/schema.ts';

/** Rolls one opportunity of a fault kind (the world's fault plan). */
export type FaultRoll = (kind: FaultKind) => boolean;

export interface AgentProfile {
  /** The nudge changes nothing: the agent goes on with its plan. */
  ignoresNudge: boolean;
  /** The nudge makes the agent work on forever, never calling gt_done. */
  hangsOnNudge: boolean;
  /** abort() throws and the session stays live (keeps writing). */
  abortThrows: boolean;
  /** abort() never returns (the session keeps going). */
  abortHangs: boolean;
  /** The agent wraps up the instant the drain reaches it (no delay after the nudge). */
  finishesAtDrainStart: boolean;
  /** sendMessage() never returns and the message never arrives: the agent goes on with its plan. */
  messageHangs: boolean;
  /** close() takes seconds: the session starts nothing new meanwhile, and is closed only then. */
  closeSlow: boolean;
}

export const COOPERATIVE: Readonly<AgentProfile> = {
  ignoresNudge: false,
  hangsOnNudge: false,
  abortThrows: false,
  abortHangs: false,
  finishesAtDrainStart: false,
  messageHangs: false,
  closeSlow: false,
};

export interface AgentModelDeps {
  /** The worktrees' file system. `readFile` (optional) lets gt_done name the branch from `.git/HEAD`. */
  fs: { writeFile(path: string, data: string): Promise<void>; readFile?(path: string): Promise<string | undefined> };
  git: GitWorkspace;
  /** The sessions' timers. Default: `sim.clockFor(actor)`. */
  clock?: Clock;
  /** Actor of trace lines (the container instance). Default `agents`. */
  actor?: string;
  /** Rolls the per-session faults (each session rolls each kind once at start). */
  faults?: FaultRoll;
  /** Fixed profile for every session; wins over `faults`. */
  profile?: Partial<AgentProfile>;
}

export interface SessionState {
  /** Could still act: not stopped by a successful abort, nor closed. */
  live: boolean;
  /** abort() succeeded. */
  aborted: boolean;
  closed: boolean;
  /** Its abort threw or hung (so the drain must not snapshot it). */
  abortFaulted: boolean;
  /** It called gt_done (at least once). */
  done: boolean;
}

export interface SessionInfo {
  agentId: string;
  role: AgentRole;
  workdir: string;
  profile: Readonly<AgentProfile>;
  state: Readonly<SessionState>;
  /** Everything this session wrote: path relative to the worktree -> last content. */
  written: Readonly<Record<string, string>>;
}

const FAULT_OF: Record<keyof AgentProfile, FaultKind> = {
  ignoresNudge: 'agent.ignore-nudge',
  hangsOnNudge: 'agent.hang-on-nudge',
  abortThrows: 'agent.abort-throws',
  abortHangs: 'agent.abort-hangs',
  finishesAtDrainStart: 'agent.finish-at-drain',
  messageHangs: 'agent.message-hangs',
  closeSlow: 'agent.close-slow',
};

/** A failed push or commit is retried this many times before the agent gives up and idles. */
const FINISH_ATTEMPTS = 3;
/**
 * An agent runs git through its shell tool, which gives up on a command after this long. Without
 * it, a push that hangs (fault `git.push-hang`) would keep the agent busy for ever, long after the
 * faults heal: a stuck agent the protocol cannot be blamed for.
 */
const TOOL_TIMEOUT_MS = 2 * 60_000;

class ModelSession implements AgentSession {
  readonly id: string;
  readonly state: SessionState = { live: true, aborted: false, closed: false, abortFaulted: false, done: false };
  readonly written: Record<string, string> = {};
  private readonly listeners: ((event: SessionEvent) => void)[] = [];
  private readonly timers = new Set<TimerHandle>();
  private readonly paths: string[] = [];
  /** No new activity starts (an abort is under way, or the session closed). */
  private halted = false;
  /** The close under way or done: a second close() waits for the same one. */
  private closing: Promise<void> | undefined;
  /** The activity running now (a burst, a finish), which an abort waits for. */
  private current: Promise<void> | undefined;
  private units = 0;
  /** Units already pushed (or committed, without origin) by a finish. */
  private savedUnits = 0;
  private mode: 'working' | 'wrapping-up' | 'forever' | 'done' = 'working';
  private finishAttempts = 0;

  constructor(
    private readonly sim: Sim,
    private readonly clock: Clock,
    private readonly actor: string,
    private readonly deps: AgentModelDeps,
    readonly agentId: string,
    readonly role: AgentRole,
    readonly workdir: string,
    readonly profile: Readonly<AgentProfile>,
    private readonly plannedUnits: number,
  ) {
    this.id = `session-${agentId}`;
    if (role === 'mayor') this.mode = 'forever';
  }

  // --- the port -------------------------------------------------------------------------------

  subscribe(listener: (event: SessionEvent) => void, signal: AbortSignal): void {
    if (signal.aborted) return;
    this.listeners.push(listener);
    signal.addEventListener('abort', () => {
      const at = this.listeners.indexOf(listener);
      if (at >= 0) this.listeners.splice(at, 1);
    });
  }

  async sendMessage(text: string): Promise<void> {
    if (this.halted) return;
    if (this.profile.messageHangs) {
      this.trace(`${this.agentId}: a message never gets through (sendMessage hangs)`);
      return new Promise<void>(() => {});
    }
    this.trace(`${this.agentId} gets a message: "${text.length > 40 ? `${text.slice(0, 40)}...` : text}"`);
    if (this.mode === 'forever') {
      // A mayor (or an agent already working on forever) just keeps going.
      this.emit({ type: 'busy' });
      return;
    }
    if (this.profile.ignoresNudge) {
      this.trace(`${this.agentId} ignores the nudge`);
      return;
    }
    if (this.profile.hangsOnNudge) {
      this.trace(`${this.agentId} answers the nudge by working on forever`);
      this.mode = 'forever';
      this.cancelPending();
      this.emit({ type: 'busy' });
      this.later(this.sim.choices.int('agent.work.ms', 2_000, 90_000), () => this.work());
      return;
    }
    if (this.mode === 'wrapping-up') return; // already on its way to gt_done
    this.mode = 'wrapping-up';
    this.cancelPending();
    this.emit({ type: 'busy' });
    const delay = this.profile.finishesAtDrainStart ? 0 : this.sim.choices.int('agent.nudge.ms', 1_000, 60_000);
    this.later(delay, () => this.finish());
  }

  async abort(): Promise<void> {
    if (this.state.aborted || this.state.closed) return;
    if (this.profile.abortHangs) {
      this.state.abortFaulted = true;
      this.trace(`${this.agentId}: abort hangs (the session keeps going)`);
      return new Promise<void>(() => {});
    }
    if (this.profile.abortThrows) {
      this.state.abortFaulted = true;
      this.trace(`${this.agentId}: abort throws (the session keeps going)`);
      throw new Error(`session ${this.id} failed to abort`);
    }
    this.halt();
    if (this.current) await this.current;
    if (this.state.closed) return;
    this.state.aborted = true;
    this.state.live = false;
    this.trace(`${this.agentId} aborted`);
  }

  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    this.halt();
    if (this.profile.closeSlow) {
      const ms = this.sim.choices.int('agent.close.ms', 1_000, 10_000);
      this.trace(`${this.agentId} session closing (slowly: ${ms} ms)`);
      await new Promise<void>((resolve) => this.clock.setTimeout(resolve, ms));
    }
    this.state.closed = true;
    this.state.live = false;
    this.trace(`${this.agentId} session closed`);
  }

  // --- behaviour ------------------------------------------------------------------------------

  begin(): void {
    // The caller subscribes after start() returns: the first `busy` comes as a step of its own.
    this.later(0, () => {
      this.emit({ type: 'busy' });
      this.later(this.sim.choices.int('agent.think.ms', 1_000, 30_000), () => this.work());
    });
  }

  /** One burst: write a file (sometimes commit); then more work, an idle spell, or the end. */
  private async work(): Promise<void> {
    this.emit({ type: 'busy' });
    await this.write();
    if (this.halted) return;
    if (this.sim.choices.chance('agent.commit', 0.3)) {
      await this.commit('progress');
      if (this.halted) return;
    }
    if (this.mode === 'working' && this.units >= this.plannedUnits) return this.finish();
    if (this.mode !== 'working' && this.mode !== 'forever') return;
    if (this.sim.choices.chance('agent.idle-spell', 0.3)) {
        this.emit({ type: 'idle' });
      this.later(this.sim.choices.int('agent.idle-spell.ms', 5_000, 200_000), () => this.work());
      return;
    }
    this.later(this.sim.choices.int('agent.work.ms', 2_000, 90_000), () => this.work());
  }

  private async write(): Promise<void> {
    this.units++;
    const rewrite = this.paths.length > 0 && this.sim.choices.chance('agent.rewrite', 0.3);
    const path = rewrite ? this.sim.choices.pick('agent.rewrite.which', this.paths) : `work/${this.agentId}-${this.units}.txt`;
    if (!rewrite) this.paths.push(path);
    const content = `${this.agentId} (${this.role}) unit ${this.units} at ${this.clock.now()}\n`;
    try {
      await this.deps.fs.writeFile(`${this.workdir}/${path}`, content);
      this.written[path] = content;
    } catch (error) {
      this.trace(`${this.agentId} could not write ${path}`, { error: String(error) });
    }
  }

  private async commit(message: string): Promise<boolean> {
    try {
      await this.deps.git.addAll(this.workdir);
      if (this.halted) return false;
      await this.deps.git.commit(this.workdir, message, { allowEmpty: true });
      this.trace(`${this.agentId} commits "${message}"`);
      return true;
    } catch (error) {
      this.trace(`${this.agentId} could not commit`, { error: String(error) });
      return false;
    }
  }

  /** Commit, push (when there is an origin), gt_done, idle. */
  private async finish(): Promise<void> {
    this.cancelPending();
    this.emit({ type: 'busy' });
    const unsaved = this.units > this.savedUnits || this.units === 0;
    if (unsaved) {
      if (!(await this.commit(this.role === 'refinery' ? 'review done' : 'done'))) return this.retryFinish('commit');
      if (this.halted) return;
      let hasOrigin: boolean;
      try {
        hasOrigin = await this.deps.git.hasOrigin(this.workdir);
      } catch (error) {
        this.trace(`${this.agentId} could not check its remote`, { error: String(error) });
        return this.retryFinish('remote check');
      }
      if (this.halted) return;
      if (hasOrigin) {
        try {
          await withTimeout(this.clock, TOOL_TIMEOUT_MS, this.deps.git.pushHeadSetUpstream(this.workdir), 'git push');
          this.trace(`${this.agentId} pushes`);
        } catch (error) {
          this.trace(`${this.agentId} could not push`, { error: String(error) });
          return this.retryFinish('push');
        }
        if (this.halted) return;
      }
      this.savedUnits = this.units;
    }
    this.finishAttempts = 0;
    this.mode = 'done';
    this.state.done = true;
    const branch = await this.branch();
    if (this.halted) return;
    this.trace(`${this.agentId} calls gt_done`, branch ? { branch } : undefined);
    const summary = `${this.units} units of work`;
    this.emit(branch ? { type: 'gt_done', branch, summary } : { type: 'gt_done', summary });
    this.emit({ type: 'idle' });
  }

  /** A failed step of finishing: try again a little later, a few times; then give up and idle. */
  private retryFinish(what: string): void {
    this.finishAttempts++;
    if (this.finishAttempts >= FINISH_ATTEMPTS) {
      this.trace(`${this.agentId} gives up after ${this.finishAttempts} failed attempts (${what})`);
      this.finishAttempts = 0;
      if (this.mode === 'wrapping-up') this.mode = 'working'; // a later nudge may try again
      this.emit({ type: 'idle' });
      return;
    }
    this.later(this.sim.choices.int('agent.retry.ms', 1_000, 30_000), () => this.finish());
  }

  /** The worktree's branch, from `.git/HEAD`, when the file system can tell. */
  private async branch(): Promise<string | undefined> {
    if (!this.deps.fs.readFile) return undefined;
    try {
      const head = await this.deps.fs.readFile(`${this.workdir}/.git/HEAD`);
      const match = head ? /^ref: refs\/heads\/(.+)$/m.exec(head) : null;
      return match?.[1]?.trim();
    } catch {
      return undefined;
    }
  }

  // --- plumbing -------------------------------------------------------------------------------

  private trace(what: string, detail?: Record<string, unknown>): void {
    this.sim.trace(this.actor, what, detail);
  }

  private emit(event: SessionEvent): void {
    if (this.halted) return;
    for (const listener of this.listeners.slice()) listener(event);
  }

  /** Runs `action` `ms` from now on the session's clock, unless the session stops first. */
  private later(ms: number, action: () => Promise<void> | void): void {
    if (this.halted) return;
    const timer = this.clock.setTimeout(() => {
      this.timers.delete(timer);
      if (this.halted) return;
      // One thing at a time, like an agent: an action waits for the one still in flight.
      const previous = this.current;
      const running = (previous ? previous.then(() => (this.halted ? undefined : action())) : Promise.resolve(action())).finally(() => {
        if (this.current === running) this.current = undefined;
      });
      this.current = running;
    }, ms);
    this.timers.add(timer);
  }

  private cancelPending(): void {
    for (const timer of this.timers) this.clock.clearTimeout(timer);
    this.timers.clear();
  }

  private halt(): void {
    this.halted = true;
    this.cancelPending();
  }
}

export class AgentModels implements AgentSessions {
  private readonly byAgent = new Map<string, ModelSession>();
  private readonly all: ModelSession[] = [];
  private readonly clock: Clock;
  private readonly actor: string;

  constructor(
    private readonly sim: Sim,
    private readonly deps: AgentModelDeps,
  ) {
    this.actor = deps.actor ?? 'agents';
    this.clock = deps.clock ?? sim.clockFor(this.actor);
  }

  async start(options: { agentId: string; role: AgentRole; workdir: string; prompt: string }): Promise<AgentSession> {
    const profile = this.profileFor();
    const units = this.sim.choices.int('agent.units', 1, 6);
    const session = new ModelSession(this.sim, this.clock, this.actor, this.deps, options.agentId, options.role, options.workdir, profile, units);
    this.byAgent.set(options.agentId, session);
    this.all.push(session);
    const faults = (Object.keys(profile) as (keyof AgentProfile)[]).filter((k) => profile[k]);
    this.sim.trace(this.actor, `${options.agentId} (${options.role}) session starts`, faults.length > 0 ? { units, faults } : { units });
    session.begin();
    return session;
  }

  private profileFor(): AgentProfile {
    const fixed = this.deps.profile ?? {};
    const roll = this.deps.faults;
    const profile = { ...COOPERATIVE };
    for (const key of Object.keys(FAULT_OF) as (keyof AgentProfile)[]) {
      const given = fixed[key];
      profile[key] = given !== undefined ? given : roll ? roll(FAULT_OF[key]) : false;
    }
    return profile;
  }

  /** What the agent's latest session wrote (path relative to its worktree -> last content). */
  written(agentId: string): Record<string, string> {
    return this.byAgent.get(agentId)?.written ?? {};
  }

  /** Every session started, oldest first. */
  sessions(): SessionInfo[] {
    return this.all.map((s) => ({ agentId: s.agentId, role: s.role, workdir: s.workdir, profile: s.profile, state: s.state, written: s.written }));
  }

  /** State of the agent's latest session. */
  sessionState(agentId: string): SessionState | undefined {
    return this.byAgent.get(agentId)?.state;
  }

  /** Whether the agent's latest session's abort threw or hung. */
  abortFaulted(agentId: string): boolean {
    return this.byAgent.get(agentId)?.state.abortFaulted ?? false;
  }
}

export function createAgentModels(sim: Sim, deps: AgentModelDeps): AgentModels {
  return new AgentModels(sim, deps);
}
