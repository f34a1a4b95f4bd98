/**
 * Watches the system from the outside, at the ports the world wires: the TownDO's container stub,
 * the worker's front door, each container's control server and git port, and the platform's
 * lifecycle events. It records the facts the invariants judge, and judges the ones that must be
 * judged at the very moment they happen (a dispatch, a snapshot start, a container's death).
 * Nothing here reaches into `src/` internals: only what crosses a port is seen.
 */
import type { GitWorkspace, HttpHandler, Fetch } from '../../src/ports.ts';
import type { TownDO } from '../../src/town/town-do.ts';
import type { Kernel } from '../kernel/kernel.ts';
import type { DurableObjectHost } from '../fakes/durable-object.ts';
import type { Platform } from '../fakes/platform.ts';
import type { AgentModels } from '../fakes/agent-sessions.ts';
import type { GitRemote } from '../fakes/git/index.ts';
import type { InvariantName } from '../invariants/catalog.ts';
import type { InstanceParts } from './world.ts';
import { currentBranch, readHeadFiles } from './git-inspect.ts';
import { rescueBranch } from '../../src/container/snapshot.ts';
import { isLive, type AgentView } from '../../src/container/agents.ts';
import { Moments } from './moments.ts';

export interface DrainView {
  draining: boolean;
  drainNonce: string | null;
  drainStartedAt: number | null;
}

/** What one container instance saw of one agent: the unit "ends exactly once" is judged on. */
interface AgentRun {
  completedReports: number;
  snapshotted: boolean;
}

interface RunningAtSigterm {
  agentId: string;
  role: string;
  workdir: string;
  rigId: string;
}

const NOT_DRAINING: DrainView = { draining: false, drainNonce: null, drainStartedAt: null };

export class Observer {
  town!: DurableObjectHost<TownDO>;
  townRestarts = 0;
  drain: DrainView = NOT_DRAINING;
  /** Virtual ms (since start) when the current or last drain ended, and how. */
  lastDrainEnd: { at: number; by: string } | undefined;
  private platform!: Platform;
  private instances!: Map<string, InstanceParts>;
  private remote!: GitRemote;
  private rigs!: { rigId: string; repo: string }[];
  /** Per instance and agent, how many times it was started: each start is a new run that ends once. */
  private readonly starts = new Map<string, number>();
  private readonly agentRuns = new Map<string, AgentRun>();
  private readonly runningAtSigterm = new Map<string, RunningAtSigterm[]>();
  /** `instance|workdir` of WIP pushes the agent branch refused, until the WIP is saved elsewhere. */
  private readonly refusedSaves = new Set<string>();
  private readonly lastDispatch = new Map<string, number>();
  readonly sigintInstances = new Set<string>();
  /** End-of-run liveness checks, installed by the invariants. */
  finalChecks: (endAt: number) => Promise<void> = async () => {};

  constructor(private readonly kernel: Kernel) {}

  violate(name: InvariantName, expected: string, actual: string): void {
    this.kernel.fail(name, `expected ${expected}; but ${actual}`);
  }

  attach(parts: { platform: Platform; instances: Map<string, InstanceParts>; remote: GitRemote; rigs: { rigId: string; repo: string }[] }): void {
    this.platform = parts.platform;
    this.instances = parts.instances;
    this.remote = parts.remote;
    this.rigs = parts.rigs;
    this.platform.observe((event) => this.onPlatformEvent(event));
  }

  async readDrain(): Promise<DrainView> {
    const town = await this.town.instance();
    return town.getDrainState();
  }

  /** Restarts the TownDO and checks that the drain state came back unchanged. */
  async restartTown(): Promise<void> {
    const before = await this.readDrain();
    this.townRestarts++;
    this.kernel.trace('platform', 'TownDO restarts (memory lost, storage kept)');
    await this.town.restart();
    const after = await this.readDrain();
    if (before.draining !== after.draining || before.drainNonce !== after.drainNonce || before.drainStartedAt !== after.drainStartedAt) {
      this.violate('drain-survives-restart', `drain state ${JSON.stringify(before)} after the restart`, `it came back as ${JSON.stringify(after)}`);
    }
  }

  // --- the TownDO's container stub ----------------------------------------------------------------

  /** Protocol moments as they cross the ports: the world anchors faults to them. */
  readonly moments = new Moments();

  watchTownDispatches(fetch: Fetch): Fetch {
    return async (request) => {
      if (request.method === 'POST' && new URL(request.url).pathname === '/agents/start') {
        this.moments.saw('dispatch');
        const drain = await this.readDrain();
        const body = (await request.clone().json().catch(() => ({}))) as { agentId?: string; beadId?: string };
        this.kernel.trace('town', 'dispatch', { agent: body.agentId, bead: body.beadId });
        if (body.beadId) this.lastDispatch.set(body.beadId, this.kernel.elapsed());
        if (drain.draining) {
          this.violate('no-dispatch-while-draining', 'no agent start while the town is draining', `the TownDO dispatched ${body.agentId} on ${body.beadId} while draining`);
        }
      }
      return fetch(request);
    };
  }

  // --- what containers send ---------------------------------------------------------------------

  /** A container instance's outgoing fetch: its reports count where they are sent, not where (or how often) they arrive. */
  watchContainerRequests(instanceId: string, fetch: Fetch): Fetch {
    return async (request) => {
      const path = new URL(request.url).pathname;
      if (path.endsWith('/container-eviction')) {
        if (this.sigintInstances.has(instanceId)) {
          this.violate('sigint-never-drains', 'no eviction notice after SIGINT', `${instanceId} notified the town of an eviction after SIGINT`);
        }
      }
      if (request.method === 'POST' && path.endsWith('/heartbeat')) this.moments.saw('heartbeat');
      const completed = /\/agents\/([^/]+)\/completed$/.exec(path);
      if (completed?.[1] && request.method === 'POST') {
        this.moments.saw('completion');
        const body = (await request.clone().json().catch(() => ({}))) as { reason?: string };
        if (body.reason === 'completed') this.recordEnd(instanceId, completed[1], 'completed');
      }
      return fetch(request);
    };
  }

  // --- container instances ------------------------------------------------------------------------

  watchContainer(instanceId: string, handler: HttpHandler): HttpHandler {
    // A start counts when it began a session: a duplicate answered with the run already under way
    // (PC8) started nothing.
    const sessionsOf = (agentId: unknown) => this.instances.get(instanceId)?.agents.sessions().filter((s) => s.agentId === agentId).length ?? 0;
    return async (request) => {
      if (request.method !== 'POST' || new URL(request.url).pathname !== '/agents/start') return handler(request);
      const { agentId, beadId } = (await request.clone().json().catch(() => ({}))) as { agentId?: unknown; beadId?: unknown };
      const before = sessionsOf(agentId);
      const response = await handler(request);
      if (!response.ok) this.judgeRefusal(instanceId, agentId, beadId, response.status);
      else this.judgeAcceptance(instanceId, agentId, beadId);
      if (response.ok && sessionsOf(agentId) > before) {
        const key = `${instanceId}/${agentId}`;
        this.starts.set(key, (this.starts.get(key) ?? 0) + 1);
        const info = this.platform.instances().find((i) => i.id === instanceId);
        if (info?.sigtermAt !== undefined) {
          this.violate('no-start-after-sigterm', `no agent started in ${instanceId} after its SIGTERM`, `${instanceId} accepted an agent start ${this.ago(info.sigtermAt)} after SIGTERM`);
        }
      }
      return response;
    };
  }

  /**
   * The town reads a refused start as a dispatch that failed: the bead goes back to `open` and
   * waits for a retry. That must be true, or the town's records say a running agent is idle. (An
   * agent that called gt_done has finished the bead, though its process lingers.)
   */
  private judgeRefusal(instanceId: string, agentId: unknown, beadId: unknown, status: number): void {
    const agent = this.agentOnBead(instanceId, agentId, beadId);
    if (agent && !agent.done && isLive(agent)) {
      this.violate('refused-start-runs-nothing', `a start that ${instanceId} refused (${status}) to have started nothing`, `${String(agentId)} is ${agent.status} on ${String(beadId)} there`);
    }
  }

  /**
   * The town reads an accepted start as a running agent, and waits for its heartbeats and its
   * reports. That must be true: the agent's session began (whatever became of it since), or the
   * town's records say an agent runs that never started (PC11).
   */
  private judgeAcceptance(instanceId: string, agentId: unknown, beadId: unknown): void {
    const agent = this.agentOnBead(instanceId, agentId, beadId);
    if (!agent || agent.status === 'starting' || agent.status === 'failed') {
      this.violate('accepted-start-runs', `a start that ${instanceId} accepted to have begun its agent`, `${String(agentId)} on ${String(beadId)} is ${agent?.status ?? 'unknown'} there`);
    }
  }

  /** The instance's record of that agent, if it is (or was last) on that bead: one record per agent id. */
  private agentOnBead(instanceId: string, agentId: unknown, beadId: unknown): AgentView | undefined {
    return this.instances
      .get(instanceId)
      ?.container.manager.agents()
      .find((a) => a.agentId === agentId && a.beadId === beadId);
  }

  /**
   * The container's git port. The container only uses git for workspace preparation and for the
   * eviction snapshot, so `addAll` from it is the start of a snapshot.
   */
  watchSnapshots(instanceId: string, git: GitWorkspace, agents: AgentModels): GitWorkspace {
    return {
      prepare: (options) => git.prepare(options),
      hasOrigin: (dir) => git.hasOrigin(dir),
      addAll: async (dir) => {
        const agentId = agentIdOf(dir);
        this.kernel.trace(instanceId, 'snapshot starts', { agent: agentId });
        this.moments.saw('snapshot');
        const session = agents.sessionState(agentId);
        if (session?.live) {
          this.violate('no-snapshot-on-live-worktree', `the session of ${agentId} to be stopped before its worktree is snapshotted`, `it could still act when the snapshot started`);
        }
        this.recordEnd(instanceId, agentId, 'snapshot');
        return git.addAll(dir);
      },
      commit: (dir, message, options) => git.commit(dir, message, options),
      // The agent's branch may refuse the save (it moved on the remote, PC7): the snapshot then
      // pushes to a rescue branch, and that push is the one that must succeed.
      pushHeadSetUpstream: async (dir, options) => {
        try {
          await git.pushHeadSetUpstream(dir, options);
        } catch (error) {
          if (!(await this.pushFaulted(instanceId, dir))) {
            // A refusal by the remote is the protocol's to handle (PC7): judged when the container exits.
            if (/rejected/i.test(String(error))) this.refusedSaves.add(`${instanceId}|${dir}`);
            else this.violate('snapshot-succeeds', `the WIP push of ${agentIdOf(dir)} to succeed or be refused (no fault was injected)`, `it failed: ${String(error)}`);
          }
          throw error;
        }
      },
      pushHeadTo: async (dir, remoteBranch, options) => {
        try {
          await git.pushHeadTo(dir, remoteBranch, options);
          this.refusedSaves.delete(`${instanceId}|${dir}`);
        } catch (error) {
          if (await this.pushFaulted(instanceId, dir, remoteBranch)) {
            this.refusedSaves.delete(`${instanceId}|${dir}`);
          } else {
            this.violate('snapshot-succeeds', `the WIP push of ${agentIdOf(dir)} to succeed (no fault was injected)`, `it failed: ${String(error)}`);
          }
          throw error;
        }
      },
    };
  }

  /** Whether an injected fault broke a push of the agent's branch (or of `otherBranch`). */
  private async pushFaulted(instanceId: string, dir: string, otherBranch?: string): Promise<boolean> {
    const branch = await currentBranch(this.instances.get(instanceId)?.fs.fs, dir);
    return this.rigs.some((r) => this.remote.faultedPushes.has(`${r.repo}:${branch}`) || (otherBranch !== undefined && this.remote.faultedPushes.has(`${r.repo}:${otherBranch}`)));
  }

  /** Whether an injected fault broke a push to one of the agent's rescue branches (PC7). */
  private rescueFaulted(agentId: string): boolean {
    const rescue = `:${rescueBranch(agentId, '')}`;
    return [...this.remote.faultedPushes].some((push) => push.includes(rescue));
  }

  private recordEnd(instanceId: string, agentId: string, how: 'completed' | 'snapshot'): void {
    const key = `${instanceId}/${agentId}#${this.starts.get(`${instanceId}/${agentId}`) ?? 0}`;
    const run = this.agentRuns.get(key) ?? { completedReports: 0, snapshotted: false };
    if (how === 'completed') run.completedReports++;
    else run.snapshotted = true;
    this.agentRuns.set(key, run);
    if (run.completedReports > 1 || (run.completedReports > 0 && run.snapshotted)) {
      this.violate('agent-ends-once', `${agentId} in ${instanceId} to end once`, `it was ${run.snapshotted ? 'force-saved and reported completed' : `reported completed ${run.completedReports} times`}`);
    }
  }

  // --- the platform ----------------------------------------------------------------------------------

  private onPlatformEvent(event: { kind: string; id: string; signal?: string }): void {
    if (event.kind === 'signal' && event.signal === 'SIGINT') this.sigintInstances.add(event.id);
    if (event.kind === 'signal' && event.signal === 'SIGTERM' && !this.runningAtSigterm.has(event.id)) {
      const parts = this.instances.get(event.id);
      const running = (parts?.container.manager.agents() ?? []).filter(isLive);
      this.runningAtSigterm.set(
        event.id,
        running.map((a) => ({ agentId: a.agentId, role: a.role, workdir: a.workdir, rigId: a.rigId })),
      );
    }
    if (event.kind === 'killed') {
      const info = this.platform.instances().find((i) => i.id === event.id);
      if (info?.sigtermAt !== undefined) {
        this.violate('exit-before-sigkill', `${event.id} to exit by itself within 15 minutes of SIGTERM`, 'the platform had to SIGKILL it');
      }
    }
    if (event.kind === 'exit' || event.kind === 'killed') {
      this.checkRefusedSaves(event.id);
      void this.checkNoLostWork(event.id);
    }
  }

  private checkRefusedSaves(instanceId: string): void {
    for (const key of this.refusedSaves) {
      const [instance, dir] = key.split('|') as [string, string];
      if (instance !== instanceId) continue;
      // A rescue push that a fault hung never answers; the snapshot's timeout abandoned it.
      if (this.rescueFaulted(agentIdOf(dir))) continue;
      this.violate('snapshot-succeeds', `the WIP of ${agentIdOf(dir)} to reach the remote (no fault was injected)`, `its branch refused the push and nothing saved it elsewhere before ${instanceId} died`);
      return;
    }
  }

  /** Records a dispatch the town made, for work-resumes. */
  dispatchedAt(beadId: string): number | undefined {
    return this.lastDispatch.get(beadId);
  }

  private async checkNoLostWork(instanceId: string): Promise<void> {
    const running = this.runningAtSigterm.get(instanceId);
    const parts = this.instances.get(instanceId);
    if (!running || !parts) return;
    for (const agent of running) {
      // An agent whose abort threw or hung is skipped by the snapshot on purpose (R8).
      if (parts.agents.abortFaulted(agent.agentId)) continue;
      const written = parts.agents.written(agent.agentId);
      const paths = Object.keys(written);
      if (paths.length === 0) continue;
      let missing: string[] = paths;
      for (const saved of await this.savedFiles(parts, agent)) {
        const notThere = paths.filter((p) => saved[p] !== written[p]);
        if (notThere.length < missing.length) missing = notThere;
      }
      if (missing.length > 0) {
        this.violate(
          'no-lost-work',
          `everything ${agent.agentId} wrote to be saved before ${instanceId} died`,
          `${missing.length} of ${paths.length} files were not (${missing.slice(0, 3).join(', ')})`,
        );
        return;
      }
    }
  }

  /**
   * Where the agent's work may have been saved: the files of its branch on the remote and of its
   * rescue branches (PC7), or of its local HEAD when it has no origin.
   */
  private async savedFiles(parts: InstanceParts, agent: RunningAtSigterm): Promise<Record<string, string>[]> {
    const found = (files: Record<string, string> | undefined) => (files ? [files] : []);
    if (agent.role === 'mayor' || agent.role === 'triage') return found(await readHeadFiles(parts.fs.fs, agent.workdir));
    const rig = this.rigs.find((r) => r.rigId === agent.rigId);
    const branch = await currentBranch(parts.fs.fs, agent.workdir);
    if (!rig || !branch) return [];
    // A push an injected fault broke (to the branch or to a rescue branch) cannot have put the work
    // on the remote: not the protocol's fault.
    if (this.remote.faultedPushes.has(`${rig.repo}:${branch}`) || this.rescueFaulted(agent.agentId)) return [parts.agents.written(agent.agentId)];
    const rescuePrefix = rescueBranch(agent.agentId, '');
    const candidates = [branch, ...(await this.remote.branches(rig.repo)).filter((b) => b.startsWith(rescuePrefix))];
    const saved: Record<string, string>[] = [];
    for (const candidate of candidates) saved.push(...found((await this.remote.readBranch(rig.repo, candidate))?.files));
    return saved;
  }

  // --- drain transitions, judged after every step -------------------------------------------------

  async afterStep(): Promise<void> {
    const previous = this.drain;
    const now = await this.readDrain();
    this.drain = now;
    if (previous.draining && !now.draining) this.judgeDrainEnd(previous);
  }

  /**
   * A drain may end by expiry, or by an acknowledgement from a replacement: an instance newer
   * than the evicted one that has not itself received SIGTERM. (The spec says "started after the
   * eviction was recorded"; with new-at-once routing a replacement can boot between SIGTERM and
   * the notify landing, and it is just as new.)
   */
  private judgeDrainEnd(previous: DrainView): void {
    const origin = this.kernel.origin;
    const at = this.kernel.elapsed();
    const startedAt = previous.drainStartedAt ?? 0;
    if (origin === 'town' && this.kernel.now() - startedAt > 15 * 60_000) {
      this.lastDrainEnd = { at, by: 'expiry' };
      this.kernel.trace('sim', 'drain ended by expiry');
      return;
    }
    const instances = this.platform.instances();
    const instance = instances.find((i) => i.id === origin);
    const evicted = instances.filter((i) => i.sigtermAt !== undefined && i.sigtermAt <= startedAt).pop();
    if (instance && instance.sigtermAt === undefined && (!evicted || instance.startedAt >= evicted.startedAt)) {
      this.lastDrainEnd = { at, by: origin };
      this.kernel.trace('sim', `drain ended by ${origin}`);
      return;
    }
    this.violate(
      'drain-ends-by-valid-ack',
      'the drain to end by an acknowledgement from a replacement container, or by expiry',
      instance ? `${origin}, which ${instance.sigtermAt !== undefined ? 'had received SIGTERM' : 'is older than the evicted container'}, ended it` : `it ended in a step of ${origin}`,
    );
  }

  /**
   * From when a replacement for the instance evicted around `drainStartedAt` can answer the
   * town: when a newer instance became ready, or when the evicted one was gone (the next health
   * check then boots one). Undefined while neither has happened.
   */
  replacementReachableFrom(drainStartedAt: number): number | undefined {
    const instances = this.platform.instances();
    const evicted = instances.filter((i) => i.sigtermAt !== undefined && i.sigtermAt <= drainStartedAt).pop();
    if (!evicted) return undefined;
    const newer = instances.find((i) => i.startedAt > evicted.startedAt && i.readyAt !== undefined);
    if (newer?.readyAt !== undefined) return newer.readyAt;
    return evicted.exitedAt;
  }

  private ago(virtualMs: number): string {
    const seconds = Math.round((this.kernel.now() - virtualMs) / 1000);
    return `${seconds} s`;
  }
}

/** Agent workspaces live at `${workRoot}/${agentId}`. */
function agentIdOf(dir: string): string {
  return dir.slice(dir.lastIndexOf('/') + 1);
}
