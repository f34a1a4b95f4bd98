/**
 * One town, wired: the real TownDO, worker and container code from `src/`, running on the
 * simulator's fakes under one kernel. `buildWorld` sets the stage at virtual time zero; `run`
 * plays the scenario (eviction, faults, healing) and returns the kernel's result.
 */
import type { Clock, Fetch, HttpHandler, GitWorkspace, TownRpc } from '../../src/ports.ts';
import { TownDO } from '../../src/town/town-do.ts';
import { createWorkerApp, signContainerToken } from '../../src/worker/index.ts';
import { createContainer, type Container } from '../../src/container/container.ts';
import { createIsomorphicGitWorkspace } from '../../src/container/git-workspace.ts';
import { createKernel, type Kernel, type RunResult } from '../kernel/kernel.ts';
import type { ChoiceRecord } from '../kernel/choices.ts';
import { createFakeStorage, type FakeDurableStorage } from '../fakes/storage.ts';
import { createDurableObjectHost, type DurableObjectHost } from '../fakes/durable-object.ts';
import { createNetwork, type ExchangeInfo, type Network } from '../fakes/network.ts';
import { createPlatform, type Platform } from '../fakes/platform.ts';
import { createAgentModels, type AgentModels } from '../fakes/agent-sessions.ts';
import { createGitRemote, createVirtualFs, forcePureJsGit, type GitRemote } from '../fakes/git/index.ts';
import type { Scenario } from '../scenario/schema.ts';
import { drawFaultPlan, FaultDice } from './faults.ts';
import { seededRandom, traceLogger } from './ports.ts';
import { createTownStub } from './town-stub.ts';
import { Observer } from './observer.ts';
import { delayAfter } from './moments.ts';
import { installInvariants } from '../invariants/index.ts';

export const TOWN_ID = 'town-1';
const TOKEN_SECRET = 'drainsim-container-secret';
const WORK_ROOT = '/workspace';
const MINUTE = 60_000;

export interface WorldOptions {
  scenario: Scenario;
  seed: number;
  /** Replay (or a shrink candidate): choices come from here instead of the seed. */
  record?: ChoiceRecord;
  /** Also trace the system's info logs. */
  verbose?: boolean;
  /** See KernelOptions.checkRealTurns. */
  checkRealTurns?: boolean;
  /** See KernelOptions.stopAfterTraceLines. */
  stopAfterTraceLines?: number;
}

/** Per container instance: what the invariants need to look into. */
export interface InstanceParts {
  id: string;
  container: Container;
  agents: AgentModels;
  fs: ReturnType<typeof createVirtualFs>;
  git: GitWorkspace;
}

export interface World {
  kernel: Kernel;
  scenario: Scenario;
  storage: FakeDurableStorage;
  town: DurableObjectHost<TownDO>;
  network: Network;
  platform: Platform;
  remote: GitRemote;
  dice: FaultDice;
  observer: Observer;
  instances: Map<string, InstanceParts>;
  rigs: { rigId: string; repo: string }[];
  /** Runs the world to the scenario's end, then frees what the garbage collector cannot (its SQLite database): a world runs once. */
  run(): Promise<RunResult>;
}

export async function buildWorld(options: WorldOptions): Promise<World> {
  // Before any git object is written: isomorphic-git caches its choice of hash and deflate.
  await forcePureJsGit();
  const { scenario, seed } = options;
  const kernel = createKernel({
    seed,
    ...(options.record ? { record: options.record } : {}),
    ...(options.checkRealTurns ? { checkRealTurns: true } : {}),
    ...(options.stopAfterTraceLines !== undefined ? { stopAfterTraceLines: options.stopAfterTraceLines } : {}),
  });
  const startedAt = kernel.now();
  const verbose = options.verbose ?? false;

  const evictAt = scenario.eviction
    ? kernel.choices.int('plan.evict-at', scenario.eviction.atSeconds.min, scenario.eviction.atSeconds.max) * 1000
    : undefined;
  const dice = new FaultDice(kernel, drawFaultPlan(kernel, scenario, (evictAt ?? 0) + 12 * MINUTE), startedAt);
  const routing =
    scenario.platform.routing === 'either'
      ? kernel.choices.pick('plan.routing', ['old-until-exit', 'new-at-once'] as const)
      : scenario.platform.routing;

  // --- git remote: one repository per rig ----------------------------------------------------
  const remote = createGitRemote({
    now: () => kernel.now(),
    delay: (ms: number) => kernel.sleep(ms, 'git', 'git request'),
    latencyMs: () => kernel.choices.int('git.latency', 5, 200),
    faults: {
      onPush: () => {
        if (dice.roll('git.push-hang')) return 'hang';
        if (dice.roll('git.push-fail')) return 'fail';
        if (dice.roll('git.push-reject')) return 'reject';
        return 'ok';
      },
    },
  });
  const rigs = Array.from({ length: scenario.town.rigs }, (_, i) => ({ rigId: `rig-${i + 1}`, repo: `rig-${i + 1}` }));
  for (const rig of rigs) await remote.createRepo(rig.repo, { files: { 'README.md': `# ${rig.rigId}\n` } });

  // --- network and the town --------------------------------------------------------------------
  const network = createNetwork(kernel, { latencyMs: scenario.network.latencyMs, traceExchange: worthTracing, faultWeight });
  const observer = new Observer(kernel);
  const storage = await createFakeStorage();
  const townFetch = observer.watchTownDispatches(network.fetchFor('town'));
  const town = createDurableObjectHost({
    storage,
    clock: kernel.clockFor('town'),
    create: async (s: FakeDurableStorage) => {
      // A restart kills the old instance's in-flight work: its pending I/O and timers never return.
      const generation = observer.townRestarts;
      const current = () => observer.townRestarts === generation;
      const instance = new TownDO({
        townId: TOWN_ID,
        storage: s,
        clock: untilReplaced(kernel.clockFor('town'), current),
        random: seededRandom(seed, `town:${generation}`),
        logger: traceLogger(kernel, 'town', verbose),
        container: (request) =>
          new Promise<Response>((resolve, reject) => {
            if (current()) townFetch(request).then((r) => current() && resolve(r), (e: unknown) => current() && reject(e));
          }),
      });
      await instance.init();
      return instance;
    },
    onAlarmError: (error: unknown, attempt: number) =>
      kernel.trace('town', 'alarm threw; the platform retries it', { attempt, error: String(error) }),
  });
  observer.town = town;

  const townStub = createTownStub(kernel, () => town.instance() as Promise<TownRpc>, { min: 1, max: 10 });
  const worker = createWorkerApp({
    towns: () => townStub,
    tokenSecret: TOKEN_SECRET,
    clock: kernel.clockFor('worker'),
    logger: traceLogger(kernel, 'worker', verbose),
  });
  network.register('worker', workerWithFaults(worker.fetch, kernel, dice));
  const containerToken = signContainerToken({ townId: TOWN_ID, userId: 'user-1' }, TOKEN_SECRET, kernel.now());

  // --- the platform and its container instances -----------------------------------------------
  const instances = new Map<string, InstanceParts>();
  const platform = createPlatform(kernel, network, {
    coldStartMs: scenario.platform.coldStartMs,
    routing,
    boot: (ctx) => {
      const fs = createVirtualFs({ now: () => ctx.clock.now() });
      const git = createIsomorphicGitWorkspace({ fs: fs.fs, http: remote.http, clock: ctx.clock });
      const agents = createAgentModels(kernel, { clock: ctx.clock, fs, git, faults: (kind) => dice.roll(kind), actor: ctx.id });
      const container = createContainer(
        { workerUrl: 'http://worker', containerToken, workRoot: WORK_ROOT },
        {
          clock: ctx.clock,
          fetch: observer.watchContainerRequests(ctx.id, ctx.fetch),
          git: observer.watchSnapshots(ctx.id, git, agents),
          sessions: agents,
          process: ctx.process,
          logger: traceLogger(kernel, ctx.id, verbose),
        },
      );
      container.start();
      instances.set(ctx.id, { id: ctx.id, container, agents, fs, git });
      return { handle: observer.watchContainer(ctx.id, container.handle) };
    },
  });
  observer.attach({ platform, instances, remote, rigs });

  // --- the town's initial state ---------------------------------------------------------------
  const setup = await town.instance();
  for (const rig of rigs) await setup.addRig({ rigId: rig.rigId, gitUrl: remote.url(rig.repo) });
  const firstRig = rigs[0]?.rigId;
  if (firstRig) {
    const { agents } = scenario.town;
    for (let i = 0; i < agents.polecat; i++) await setup.createAgent({ role: 'polecat', rigId: firstRig, agentId: `polecat-${i + 1}` });
    for (let i = 0; i < agents.refinery; i++) await setup.createAgent({ role: 'refinery', rigId: firstRig, agentId: `refinery-${i + 1}` });
    for (let i = 0; i < scenario.town.issues; i++) {
      const rig = rigs[i % rigs.length]?.rigId ?? firstRig;
      await setup.createBead({ type: 'issue', rigId: rig, title: `issue ${i + 1}`, beadId: `issue-${i + 1}` });
    }
    const userStarts: { agentId: string; role: 'mayor' | 'triage' }[] = [];
    for (let i = 0; i < agents.mayor; i++) userStarts.push({ agentId: `mayor-${i + 1}`, role: 'mayor' });
    for (let i = 0; i < agents.triage; i++) userStarts.push({ agentId: `triage-${i + 1}`, role: 'triage' });
    for (const start of userStarts) {
      await setup.createAgent({ role: start.role, rigId: firstRig, agentId: start.agentId });
      // Mayor and triage are started by the user, not by the reconciler: a direct container call.
      kernel.schedule(kernel.choices.int('plan.user-start', 1_000, 30_000), 'user', `open ${start.role}`, () =>
        userStartAgent(network.fetchFor('user'), start.agentId, start.role, firstRig, kernel),
      );
    }
    const arrivals = scenario.town.arrivals;
    if (arrivals) {
      for (let i = 0; i < arrivals.count; i++) {
        const n = scenario.town.issues + i + 1;
        kernel.schedule((i + 1) * arrivals.everyMinutes * MINUTE, 'user', 'file issue', async () => {
          const t = await town.instance();
          await t.createBead({ type: 'issue', rigId: rigs[n % rigs.length]?.rigId ?? firstRig, title: `issue ${n}`, beadId: `issue-${n}` });
        });
      }
    }
  }

  // --- the scenario's timeline -----------------------------------------------------------------
  if (scenario.eviction && evictAt !== undefined) {
    const signal = scenario.eviction.signal;
    let evicted = false;
    // Plans timed from the eviction itself, which an anchor below may bring forward from `evictAt`.
    const afterEviction: (() => void)[] = [];
    const evict = () => {
      if (evicted) return;
      evicted = true;
      if (signal === 'SIGTERM') platform.evict();
      else {
        const current = platform.instances().find((i) => i.exitedAt === undefined && !i.killed);
        if (current) platform.signal(current.id, 'SIGINT');
      }
      for (const then of afterEviction) then();
    };
    // Search coverage: besides a moment in the scenario's window, an eviction may be anchored to
    // a protocol moment (plus a short delay): the k-th agent start the town sends, heartbeat a
    // container sends, or completion it reports. The window's end still evicts if that moment
    // never comes.
    const anchor = kernel.choices.pick('plan.evict-anchor', ['time', ...EVICTION_ANCHORS] as const);
    if (anchor !== 'time') {
      const { nth, delayMs } = ANCHOR_RANGES[anchor];
      const n = kernel.choices.int('plan.evict-anchor.nth', 1, nth);
      const delay = kernel.choices.int('plan.evict-anchor.delay', 0, delayMs);
      observer.moments.at(anchor, n, () => kernel.schedule(delay, 'platform', `evict after ${anchor} ${n}`, evict));
    }
    kernel.schedule(evictAt, 'platform', signal === 'SIGTERM' ? 'evict' : 'SIGINT', evict);
    if (dice.enabled('sigterm.twice') && dice.roll('sigterm.twice')) {
      const again = () => {
        const draining = platform.instances().find((i) => i.sigtermAt !== undefined && i.exitedAt === undefined && !i.killed);
        if (draining) platform.signal(draining.id, 'SIGTERM');
      };
      // At a time in the drain's window, or anchored to a WIP snapshot of the drain (a window of
      // a few hundred milliseconds that a uniform time would hit once in hundreds of runs).
      if (kernel.choices.pick('fault.sigterm.twice.anchor', ['time', 'snapshot'] as const) === 'snapshot') {
        // Measured over 600 seeds: the drain took one snapshot in 371 runs, two in 85 and three
        // or more in 20, so anchors past the second were spent on moments that never come. The
        // first snapshot is often the mayor's local commit (no push, 0 ms), at the same instant
        // as the next straggler's push starts. The container exits a few hundred milliseconds
        // after its last snapshot starts: with a uniform delay of 0-3 s, the second SIGTERM
        // reached a live container in 2 of 78 runs (see `delayAfter`).
        const n = kernel.choices.int('fault.sigterm.twice.nth', 1, 2);
        const delay = delayAfter(kernel.choices, 'fault.sigterm.twice.ms', 3_000);
        observer.moments.at('snapshot', n, () => kernel.schedule(delay, 'platform', `SIGTERM again after snapshot ${n}`, again));
      } else {
        // Timed from the SIGTERM the drain began with, not from `evictAt`: when an anchor brought
        // the eviction forward, a second SIGTERM timed from `evictAt` often came after the drain
        // had ended and was sent to nobody (measured: 28 of 79 seeds that planned one).
        const after = kernel.choices.int('fault.sigterm.twice.delay', 1, 600) * 1000;
        afterEviction.push(() => kernel.schedule(after, 'platform', 'SIGTERM again', again));
      }
    }
  }
  scheduleTownRestarts(kernel, dice, () => observer.restartTown());
  schedulePartitions(kernel, dice, network);
  applyNetworkFaults(kernel, dice, network);

  const duration = scenario.durationMinutes * MINUTE;
  installInvariants(kernel, observer, {
    scenario,
    evictAt,
    healAt: dice.plan.healAt,
    endAt: duration,
  });

  return {
    kernel,
    scenario,
    storage,
    town,
    network,
    platform,
    remote,
    dice,
    observer,
    instances,
    rigs,
    run: async () => {
      try {
        const result = await kernel.run(duration);
        if (!result.violation && !result.truncated) await observer.finalChecks(duration);
        return kernel.result();
      } finally {
        storage.close();
      }
    },
  };
}

/** Protocol moments an eviction may be anchored to, with the range of n and of the delay after the n-th. */
const EVICTION_ANCHORS = ['dispatch', 'heartbeat', 'completion'] as const;
const ANCHOR_RANGES: Record<(typeof EVICTION_ANCHORS)[number], { nth: number; delayMs: number }> = {
  dispatch: { nth: 4, delayMs: 1_500 },
  // One heartbeat per live agent every 30 s; the race is a heartbeat still in flight at SIGTERM.
  heartbeat: { nth: 40, delayMs: 200 },
  completion: { nth: 3, delayMs: 1_500 },
};

/**
 * A run sends hundreds of heartbeats and health checks but only a handful of agent starts,
 * eviction notices, completion reports and acknowledgements, and those carry the protocol's
 * decisions: at one rate, a fault would almost never strike them. They get this multiple of it.
 */
const CONTROL_FAULT_WEIGHT = 4;

function faultWeight({ method, path }: ExchangeInfo): number {
  return method === 'POST' && !path.endsWith('/heartbeat') ? CONTROL_FAULT_WEIGHT : 1;
}

/** A clock whose callbacks stop once `current()` turns false (a replaced Durable Object instance). */
function untilReplaced(clock: Clock, current: () => boolean): Clock {
  const guard = (callback: () => void) => () => {
    if (current()) callback();
  };
  return {
    now: () => clock.now(),
    setTimeout: (callback, ms) => clock.setTimeout(guard(callback), ms),
    clearTimeout: (handle) => clock.clearTimeout(handle),
    setInterval: (callback, ms) => clock.setInterval(guard(callback), ms),
    clearInterval: (handle) => clock.clearInterval(handle),
  };
}

/** Routine traffic (plain health checks, heartbeats) would drown the trace: keep what carries the protocol. */
function worthTracing(request: Request, response: Response): boolean {
  const path = new URL(request.url).pathname;
  if (path === '/health') return request.headers.has('x-drain-nonce') || !response.ok;
  if (path.endsWith('/heartbeat')) return !response.ok;
  return true;
}

async function userStartAgent(fetch: Fetch, agentId: string, role: 'mayor' | 'triage', rigId: string, kernel: Kernel): Promise<void> {
  const body = { townId: TOWN_ID, rigId, agentId, role, beadId: `${role}-session`, prompt: `you are the ${role}`, branch: 'main' };
  try {
    const response = await fetch(
      new Request('http://container/agents/start', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    );
    kernel.trace('user', `started ${role}`, { agentId, status: response.status });
  } catch (error) {
    kernel.trace('user', `could not start ${role}`, { agentId, error: String(error) });
  }
}

/** The `worker.hang` fault: the worker sits on a container-eviction notify, before or after recording it. */
function workerWithFaults(handler: HttpHandler, kernel: Kernel, dice: FaultDice): HttpHandler {
  return async (request) => {
    if (request.method === 'POST' && request.url.endsWith('/container-eviction') && dice.roll('worker.hang')) {
      if (kernel.choices.chance('fault.worker.hang.after-record', 0.5)) {
        kernel.trace('worker', 'hangs after recording the eviction');
        await handler(request);
      } else {
        kernel.trace('worker', 'hangs before recording the eviction');
      }
      return new Promise<Response>(() => {});
    }
    return handler(request);
  };
}

function scheduleTownRestarts(kernel: Kernel, dice: FaultDice, restart: () => Promise<void>): void {
  if (!dice.enabled('town.restart')) return;
  // Opportunities every 30 s until healing; each may restart the TownDO.
  for (let at = 30_000; at < dice.plan.healAt; at += 30_000) {
    kernel.schedule(at, 'platform', 'TownDO restart?', async () => {
      if (dice.roll('town.restart')) await restart();
    });
  }
}

function schedulePartitions(kernel: Kernel, dice: FaultDice, network: Network): void {
  if (!dice.enabled('net.partition')) return;
  for (let at = 60_000; at < dice.plan.healAt; at += 60_000) {
    kernel.schedule(at, 'net', 'partition?', () => {
      if (!dice.roll('net.partition')) return;
      const lasts = kernel.choices.int('fault.net.partition.seconds', 5, 180) * 1000;
      kernel.trace('net', 'partition container <-> worker', { seconds: lasts / 1000 });
      network.partition('container', 'worker');
      kernel.schedule(Math.min(lasts, Math.max(0, dice.plan.healAt - at)), 'net', 'partition heals', () => network.heal('container', 'worker'));
    });
  }
}

function applyNetworkFaults(kernel: Kernel, dice: FaultDice, network: Network): void {
  network.setFaults({
    loss: dice.rate('net.loss'),
    duplicate: dice.rate('net.duplicate'),
    hang: dice.rate('net.hang'),
    slow: dice.rate('net.slow'),
    slowMs: { min: 100, max: 20_000 },
  });
  kernel.schedule(dice.plan.healAt, 'net', 'faults heal', () => {
    network.setFaults({ loss: 0, duplicate: 0, hang: 0, slow: 0 });
    network.healAll();
  });
}
