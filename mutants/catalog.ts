/**
 * The regression corpus: each historical race of the protocol (spec §8) and each flaw the
 * simulator found in the spec's own design (docs/protocol-changes.md), reintroduced into a copy of
 * the real code by a small textual patch, with the invariant expected to catch it. `src/` is
 * never touched; mutants/apply.ts fails loudly when a patch stops matching.
 */
import type { InvariantName } from '../sim/invariants/catalog.ts';

export interface Patch {
  /** Path from the repository root. */
  file: string;
  /** Text that must occur exactly once in the file. */
  find: string;
  replace: string;
}

export interface Mutant {
  name: string;
  /** The race of the spec's §8, or the protocol change (PC-n in docs/protocol-changes.md), it brings back. */
  race: string;
  description: string;
  /** The invariants expected to catch it (an unbounded drain may first show as either of two). */
  expect: InvariantName[];
  patches: Patch[];
  /** The scenario its flaw shows in, when the `default` sweep never brings it about. */
  scenario?: string;
}

export class MutantError extends Error {
  override readonly name = 'MutantError';
}

export function findMutant(name: string): Mutant {
  const mutant = MUTANTS.find((m) => m.name === name);
  if (!mutant) throw new MutantError(`unknown mutant "${name}"; known mutants: ${MUTANTS.map((m) => m.name).join(', ')}`);
  return mutant;
}

/** Where hunts, CI and the corpus look for the mutant's flaw. */
export function scenarioOf(mutant: Mutant): string {
  return mutant.scenario ?? 'default';
}

const TOWN = 'src/town/town-do.ts';
const READY = 'src/town/ensure-container-ready.ts';
const WORKER = 'src/worker/app.ts';
const DRAIN = 'src/container/drain.ts';
const SNAPSHOT = 'src/container/snapshot.ts';
const MANAGER = 'src/container/process-manager.ts';
const GIT = 'src/container/git-workspace.ts';
const SIGNALS = 'src/container/signals.ts';
/** The start handler's first two answers: a repeat of a start under way, then a closing container's refusal. */
const SAME_START = '    if (existing && isLive(existing) && !existing.done && existing.beadId === request.beadId) return this.repeatOf(existing);';
const CLOSING_REFUSES =
  "    // The town may not know yet (its eviction notify can fail): a closing container must not\n    // take work it would have to abandon.\n    if (this.closing) throw new ContainerClosingError('container is shutting down: no new agents');";

export const MUTANTS: Mutant[] = [
  {
    name: 'r1-heartbeat-clears-drain',
    race: 'R1',
    description: 'any heartbeat clears the drain, also one from the draining container',
    expect: ['drain-ends-by-valid-ack'],
    patches: [{ file: TOWN, find: '    return { drainNonce: this.handoffNonce() };', replace: '    if (this.drain.snapshot.draining) await this.drain.clear();\n    return { drainNonce: this.handoffNonce() };' }],
  },
  {
    name: 'r2-nonce-read-in-second-rpc',
    race: 'R2',
    description: 'the heartbeat handler touches and reads the nonce in two RPCs; an eviction lands in between',
    expect: ['drain-ends-by-valid-ack'],
    patches: [
      {
        file: WORKER,
        find: "    const { drainNonce } = await deps.towns(c.req.param('townId')).touchAgentHeartbeat(c.req.param('agentId'), watermark);",
        replace:
          "    const town = deps.towns(c.req.param('townId'));\n    await town.touchAgentHeartbeat(c.req.param('agentId'), watermark);\n    const drainNonce = await town.getDrainNonce();",
      },
    ],
  },
  {
    name: 'r3-no-health-handoff',
    race: 'R3',
    description: 'the nonce reaches a container only through heartbeats, so an idle replacement never acknowledges',
    expect: ['drain-ends'],
    patches: [{ file: READY, find: "    headers.set('X-Drain-Nonce', drain.drainNonce);\n", replace: '' }],
  },
  {
    name: 'r4-handoff-without-delay',
    race: 'R4',
    description: 'every health check carries the nonce, so the draining container acknowledges its own eviction',
    expect: ['drain-ends-by-valid-ack'],
    patches: [{ file: READY, find: ' && now - drain.drainStartedAt > NONCE_HANDOFF_DELAY_MS', replace: '' }],
  },
  {
    name: 'r5-idle-town-skips-health',
    race: 'R5',
    description: 'the idle early return also applies while draining, so an idle town never hands the nonce off',
    expect: ['drain-ends'],
    patches: [{ file: READY, find: '!town.hasActiveWork && !town.drain.draining &&', replace: '!town.hasActiveWork &&' }],
  },
  {
    name: 'r6-idle-timer-races-nudge',
    race: 'R6',
    description: 'idle timers armed before SIGTERM are not cleared: one fires during the notify or the nudge and ends the agent as completed mid-commit',
    expect: ['no-lost-work'],
    patches: [{ file: MANAGER, find: '    this.idleTimers.clearAll();\n    for (const agent of finished)', replace: '    for (const agent of finished)' }],
  },
  {
    name: 'r7-snapshot-live-sessions',
    race: 'R7',
    description: 'stragglers are snapshotted without being frozen first: git races their live sessions',
    expect: ['no-snapshot-on-live-worktree'],
    patches: [{ file: DRAIN, find: '      await freeze(ctx, agent, deadline);\n', replace: '' }],
  },
  {
    name: 'r8-snapshot-after-failed-freeze',
    race: 'R8',
    description: 'an agent whose session abort threw is snapshotted anyway',
    expect: ['no-snapshot-on-live-worktree'],
    patches: [
      {
        file: DRAIN,
        find: "      ctx.logger.error('could not freeze agent; skipping its snapshot', { agent: agent.agentId, error: String(error) });",
        replace: "      ctx.logger.error('could not freeze agent', { agent: agent.agentId, error: String(error) });\n      return agent;",
      },
    ],
  },
  {
    name: 'r9-push-without-upstream',
    race: 'R9',
    description: 'a plain push: a fresh branch has no upstream, so the push fails and the WIP dies with the disk',
    expect: ['snapshot-succeeds'],
    patches: [
      {
        file: GIT,
        find: "      if (!branch) throw new Error('HEAD is detached: nothing to push');",
        replace:
          "      if (!branch) throw new Error('HEAD is detached: nothing to push');\n      if (!(await git.getConfig({ fs, dir, path: `branch.${branch}.remote` }))) throw new Error(`fatal: the current branch ${branch} has no upstream branch`);",
      },
    ],
  },
  {
    name: 'r10-push-without-origin',
    race: 'R10',
    description: 'the snapshot pushes lightweight workspaces too, which have no origin',
    expect: ['snapshot-succeeds'],
    patches: [
      {
        file: SNAPSHOT,
        find: "  if (!hasOrigin) {\n    logger.warn('workspace has no origin: WIP committed locally only', { dir });\n    return;\n  }\n",
        replace: '',
      },
    ],
  },
  {
    name: 'r11-notify-without-timeout',
    race: 'R11',
    description: 'the eviction notify has no timeout: a hung worker stalls the drain, so the old container lives into the hand-off',
    expect: ['drain-ends-by-valid-ack', 'exit-before-sigkill'],
    patches: [{ file: DRAIN, find: '`/api/towns/${townId}/container-eviction`, undefined, timeout.signal)', replace: '`/api/towns/${townId}/container-eviction`, undefined)' }],
  },
  {
    name: 'pc1-unbounded-drain',
    race: 'PC1',
    description: "the spec's drain: abort and snapshot unbounded, so a hung session or push keeps the old container alive into the hand-off",
    expect: ['drain-ends-by-valid-ack', 'exit-before-sigkill'],
    patches: [
      { file: DRAIN, find: "  if (agent.session) await withTimeout(ctx.clock, limit, agent.session.abort(), 'session abort');", replace: '  await agent.session?.abort();' },
      {
        file: DRAIN,
        find: "      await withTimeout(ctx.clock, Math.min(SNAPSHOT_TIMEOUT_MS, left), snapshotWorkspace(ctx.git, agent.agentId, agent.workdir, ctx.logger), 'WIP snapshot');",
        replace: '      await snapshotWorkspace(ctx.git, agent.agentId, agent.workdir, ctx.logger);',
      },
    ],
  },
  {
    name: 'pc2-heartbeat-nonce-at-once',
    race: 'PC2',
    description: "the spec's heartbeat: the nonce rides every heartbeat answer while draining, also one the old container sent before SIGTERM",
    expect: ['drain-ends-by-valid-ack'],
    patches: [{ file: TOWN, find: '    return { drainNonce: this.handoffNonce() };', replace: '    return { drainNonce: this.drain.snapshot.draining ? this.drain.snapshot.drainNonce : null };' }],
  },
  {
    name: 'pc3-draining-container-takes-work',
    race: 'PC3',
    description: 'a draining container accepts agent starts (the town does not know when its notify was lost)',
    expect: ['no-start-after-sigterm'],
    patches: [
      { file: MANAGER, find: "    if (this.closing) throw new ContainerClosingError('container is shutting down: no new agents');\n", replace: '' },
      // The start-interrupted check reads `closing` too; the flawed version only noticed a freeze.
      { file: MANAGER, find: "if (agent.status !== 'starting' || this.closing) {", replace: "if (agent.status !== 'starting') {" },
    ],
  },
  {
    name: 'pc4-idle-timer-during-drain',
    race: 'PC4',
    description: 'idle timers are re-armed during the drain: an agent that ignores the nudge is ended as completed with unsaved work',
    expect: ['no-lost-work'],
    patches: [{ file: MANAGER, find: 'if (timeout !== undefined && !this.closing)', replace: 'if (timeout !== undefined)' }],
  },
  {
    name: 'pc5-dispatch-after-eviction',
    race: 'PC5',
    description: "the spec's tick: draining is read once per tick, so an eviction recorded while the tick awaits one dispatch does not stop the next",
    expect: ['no-dispatch-while-draining'],
    patches: [
      {
        file: TOWN,
        find: '      if (this.drain.snapshot.draining) this.deferDispatch(dispatch);\n      else await this.dispatch(dispatch);',
        replace: '      await this.dispatch(dispatch);',
      },
    ],
  },
  {
    name: 'pc6-unbounded-dispatch',
    race: 'PC6',
    description: 'a dispatch waits for the container without a timeout: one start the network swallows stalls every later alarm tick',
    expect: ['work-resumes', 'drain-ends'],
    patches: [{ file: TOWN, find: "          signal: timeout.signal,\n", replace: '' }],
  },
  {
    name: 'pc7-snapshot-without-rescue',
    race: 'PC7',
    description: "the spec's snapshot: a WIP push the agent branch refuses (the agent also ran in the replacement) is given up, and the work dies with the disk",
    expect: ['no-lost-work', 'snapshot-succeeds'],
    patches: [
      {
        file: SNAPSHOT,
        find: "  try {\n    await git.pushHeadSetUpstream(dir, { noVerify: true });\n  } catch (error) {\n    const rescue = rescueBranch(agentId, commitId);\n    logger.warn('WIP push to the agent branch failed; saving to a rescue branch', { agent: agentId, rescue, error: String(error) });\n    await git.pushHeadTo(dir, rescue, { noVerify: true });\n  }\n",
        replace: '  await git.pushHeadSetUpstream(dir, { noVerify: true });\n',
      },
    ],
  },
  {
    name: 'pc8-duplicate-start-conflicts',
    race: 'PC8',
    description: "the spec's start: a start delivered twice answers 409 to the copy that arrives second; when that is the town's, it counts a running agent as a failed dispatch (and if that agent never finishes, its bead is never dispatched again)",
    expect: ['refused-start-runs-nothing', 'work-resumes'],
    patches: [{ file: MANAGER, find: `${SAME_START}\n`, replace: '' }],
  },
  {
    name: 'pc9-second-sigterm-second-drain',
    race: 'PC9',
    description: "the spec's signal handler: a second SIGTERM starts a second drain, which sees the first one's frozen agents as finished and exits in the middle of their WIP snapshots",
    expect: ['no-lost-work', 'snapshot-succeeds'],
    patches: [{ file: SIGNALS, find: "    if (terminating) {\n      logger.warn('SIGTERM again: the drain under way continues');\n      return;\n    }\n", replace: '' }],
  },
  {
    name: 'pc10-closing-refuses-same-start',
    race: 'PC10',
    description: 'a closing container answers 503 to a start it is already running (a duplicate, or a town that took the agent for dead): the town counts a running agent as a failed dispatch',
    expect: ['refused-start-runs-nothing'],
    patches: [{ file: MANAGER, find: `${SAME_START}\n${CLOSING_REFUSES}\n`, replace: `${CLOSING_REFUSES}\n${SAME_START}\n` }],
  },
  {
    name: 'pc11-repeat-start-answers-early',
    race: 'PC11',
    description: 'a repeat of a start still preparing its agent answers 200 at once: when that is the town\'s copy and the first then fails, the town counts as running an agent that never started',
    expect: ['accepted-start-runs'],
    patches: [{ file: MANAGER, find: SAME_START, replace: SAME_START.replace('this.repeatOf(existing)', 'viewOf(existing)') }],
  },
  {
    name: 'pc12-unbounded-nudge',
    race: 'PC12',
    description: "the spec's nudge: one agent at a time, each waited for, so a session that never takes the message keeps the old container alive into the hand-off",
    expect: ['drain-ends-by-valid-ack', 'exit-before-sigkill'],
    scenario: 'unresponsive-sessions',
    patches: [
      {
        file: DRAIN,
        find: `  const nudges = ctx.registry.all().map(async (agent) => {
    if (agent.status !== 'running' || (agent.role !== 'polecat' && agent.role !== 'refinery')) return;`,
        replace: `  for (const agent of ctx.registry.all()) {
    if (agent.status !== 'running' || (agent.role !== 'polecat' && agent.role !== 'refinery')) continue;`,
      },
      {
        file: DRAIN,
        find: `  });
  await withTimeout(ctx.clock, NUDGE_TIMEOUT_MS, Promise.all(nudges), 'nudges').catch((error: unknown) =>
    ctx.logger.warn('a nudge went unanswered; draining on', { error: String(error) }),
  );`,
        replace: '  }',
      },
    ],
  },
  {
    name: 'pc13-retire-before-register',
    race: 'PC13',
    description: 'a start that retires a finished run waits for the old session to close before registering the new run, so a repeat of it arriving meanwhile starts a second session for the same agent',
    expect: ['agent-ends-once', 'no-lost-work'],
    scenario: 'slow-session-close',
    patches: [{ file: MANAGER, find: '      retiring = this.retire(existing);', replace: '      await this.retire(existing);' }],
  },
];
