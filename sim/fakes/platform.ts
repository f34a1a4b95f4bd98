/**
 * Cloudflare Containers for one town. The TownDO's stub requests (`http://container/...`) reach
 * the serving instance; when none is alive, the request boots a fresh one on an empty disk after a
 * cold start (`platform.cold-start`), and waits for it. Eviction is SIGTERM, then SIGKILL exactly
 * 15 virtual minutes later if the instance has not exited.
 *
 * A dead instance (exited or killed) is gone for good: its pending timers are cleared and no
 * callback of it runs again, its requests never leave, answers to it are dropped, and requests
 * still inside it end in a connection reset.
 *
 * Routing: `old-until-exit` sends stub requests to the old instance until it exits (then the next
 * request boots the replacement); `new-at-once` sends them, from the eviction on, to a replacement
 * booted by the next request while the old instance drains.
 */
import type { Clock, Fetch, HttpHandler, ProcessPort, ProcessSignal, TimerHandle } from '../../src/ports.ts';
import type { Sim, StepHandle } from '../kernel/api.ts';
import { ConnectionReset, type Network } from './network.ts';

export const SIGKILL_AFTER_MS = 15 * 60_000;

/** Exit codes of the default signal actions (128 + signal number). */
const DEFAULT_EXIT_CODE: Record<ProcessSignal, number> = { SIGTERM: 143, SIGINT: 130 };

export type Routing = 'old-until-exit' | 'new-at-once';

export interface InstanceContext {
  /** `container#1`, `container#2`, ... */
  id: string;
  startedAt: number;
  /** Timers run as steps of `id`; they stop with the instance. */
  clock: Clock;
  /** Requests go out as `id`; they stop with the instance. */
  fetch: Fetch;
  process: ProcessPort;
}

export interface InstanceHandle {
  handle: HttpHandler;
}

export interface InstanceInfo {
  id: string;
  startedAt: number;
  readyAt?: number;
  sigtermAt?: number;
  exitedAt?: number;
  exitCode?: number;
  killed: boolean;
}

export interface PlatformEvent {
  kind: 'booting' | 'ready' | 'signal' | 'exit' | 'killed';
  id: string;
  /** Virtual ms since the epoch. */
  time: number;
  signal?: ProcessSignal;
  exitCode?: number;
}

export interface PlatformOptions {
  coldStartMs: { min: number; max: number };
  routing: Routing;
  /** Builds the instance (its process, on an empty disk) when its cold start is over. */
  boot: (ctx: InstanceContext) => InstanceHandle | Promise<InstanceHandle>;
}

interface Instance {
  info: InstanceInfo;
  alive: boolean;
  ready: Promise<InstanceHandle>;
  handlers: Map<ProcessSignal, (() => void)[]>;
  /** Pending timeouts and intervals of the instance's clock, cleared when it dies. */
  timeouts: Set<TimerHandle>;
  intervals: Set<TimerHandle>;
  clock: Clock;
  sigkill?: StepHandle;
  /** Requests inside the instance: each is reset when it dies. */
  held: Set<() => void>;
  /** Fails the start (requests waiting for it are reset). */
  failStart: (error: unknown) => void;
}

export class Platform {
  private readonly all: Instance[] = [];
  private readonly listeners: ((event: PlatformEvent) => void)[] = [];

  constructor(
    private readonly sim: Sim,
    private readonly network: Network,
    private readonly options: PlatformOptions,
  ) {
    network.register('container', (request) => this.route(request));
  }

  observe(listener: (event: PlatformEvent) => void): void {
    this.listeners.push(listener);
  }

  /** Every instance ever booted, oldest first (live objects: they change as the run goes on). */
  instances(): InstanceInfo[] {
    return this.all.map((i) => i.info);
  }

  /** The instance stub requests reach now, if any (none: the next request boots one). */
  serving(): InstanceInfo | undefined {
    return this.servingInstance()?.info;
  }

  /** SIGTERM to instance `id`, or to the newest live one; SIGKILL 15 minutes later unless it exits. */
  evict(id?: string): void {
    const instance = id !== undefined ? this.find(id) : this.newestAlive();
    if (!instance?.alive) {
      this.sim.trace('platform', `evict: no live instance${id !== undefined ? ` ${id}` : ''}`);
      return;
    }
    this.signal(instance.info.id, 'SIGTERM');
  }

  /**
   * Delivers a signal. The first SIGTERM arms the SIGKILL; later ones only run the handlers again.
   * An instance without a handler for the signal (still starting up) takes the default action: it
   * terminates at once.
   */
  signal(id: string, signal: ProcessSignal): void {
    const instance = this.find(id);
    if (!instance?.alive) {
      this.sim.trace('platform', `${signal} -> ${id}: not running`);
      return;
    }
    this.sim.trace('platform', `${signal} -> ${id}`);
    if (signal === 'SIGTERM' && instance.info.sigtermAt === undefined) {
      instance.info.sigtermAt = this.sim.now();
      instance.sigkill = this.sim.schedule(SIGKILL_AFTER_MS, 'platform', `SIGKILL ${id}`, () => this.kill(instance));
    }
    this.emit({ kind: 'signal', id, time: this.sim.now(), signal });
    const handlers = instance.handlers.get(signal);
    if (!handlers || handlers.length === 0) {
      this.sim.trace('platform', `${id} has no ${signal} handler: default action`);
      return this.exit(instance, DEFAULT_EXIT_CODE[signal]);
    }
    for (const handler of handlers.slice()) {
      if (!instance.alive) break;
      handler();
    }
  }

  // ---------------------------------------------------------------------------------------------

  private emit(event: PlatformEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  private find(id: string): Instance | undefined {
    return this.all.find((i) => i.info.id === id);
  }

  private newestAlive(): Instance | undefined {
    for (let i = this.all.length - 1; i >= 0; i--) {
      const instance = this.all[i] as Instance;
      if (instance.alive) return instance;
    }
    return undefined;
  }

  private servingInstance(): Instance | undefined {
    for (let i = this.all.length - 1; i >= 0; i--) {
      const instance = this.all[i] as Instance;
      if (!instance.alive) continue;
      // new-at-once: an evicted instance no longer takes new requests.
      if (this.options.routing === 'new-at-once' && instance.info.sigtermAt !== undefined) continue;
      return instance;
    }
    return undefined;
  }

  private async route(request: Request): Promise<Response> {
    const instance = this.servingInstance() ?? this.boot();
    let handle: HttpHandler;
    try {
      ({ handle } = await instance.ready);
    } catch {
      throw new ConnectionReset(`${instance.info.id} never came up`);
    }
    if (!instance.alive) throw new ConnectionReset(`${instance.info.id} is gone`);
    // Should the process die while it holds the request, the connection breaks at once.
    return new Promise<Response>((resolve, reject) => {
      const reset = () => reject(new ConnectionReset(`${instance.info.id} died`));
      instance.held.add(reset);
      handle(request).then(
        (response) => {
          instance.held.delete(reset);
          if (instance.alive) resolve(response);
        },
        (error: unknown) => {
          instance.held.delete(reset);
          if (instance.alive) reject(error);
        },
      );
    });
  }

  private boot(): Instance {
    const id = `container#${this.all.length + 1}`;
    const info: InstanceInfo = { id, startedAt: this.sim.now(), killed: false };
    let resolveReady!: (handle: InstanceHandle) => void;
    let rejectReady!: (error: unknown) => void;
    const ready = new Promise<InstanceHandle>((resolve, reject) => {
      resolveReady = resolve;
      rejectReady = reject;
    });
    // Waiters turn a failed start into a reset; nobody else needs to hear about it.
    ready.catch(() => undefined);
    const instance: Instance = {
      info,
      alive: true,
      ready,
      handlers: new Map(),
      timeouts: new Set(),
      intervals: new Set(),
      clock: this.sim.clockFor(id),
      held: new Set(),
      failStart: rejectReady,
    };
    this.all.push(instance);
    const coldStart = this.sim.choices.int('platform.cold-start', this.options.coldStartMs.min, this.options.coldStartMs.max);
    this.sim.trace('platform', `boot ${id} (cold start ${coldStart} ms)`);
    this.emit({ kind: 'booting', id, time: this.sim.now() });
    this.sim.schedule(coldStart, id, 'cold start done', async () => {
      if (!instance.alive) return;
      let handle: InstanceHandle;
      try {
        handle = await this.options.boot(this.contextFor(instance));
      } catch (error) {
        rejectReady(error);
        throw error; // a broken world: the kernel reports the crash
      }
      if (!instance.alive) {
        rejectReady(new ConnectionReset(`${id} terminated while starting`));
        return;
      }
      info.readyAt = this.sim.now();
      this.sim.trace('platform', `${id} ready`);
      this.emit({ kind: 'ready', id, time: this.sim.now() });
      resolveReady(handle);
    });
    return instance;
  }

  private contextFor(instance: Instance): InstanceContext {
    const id = instance.info.id;
    const clock = instance.clock;
    const { timeouts, intervals } = instance;
    const fetch = this.network.fetchFor(id);
    // Like Node, either clear function clears either kind of timer.
    const clear = (handle: TimerHandle) => {
      if (timeouts.delete(handle)) clock.clearTimeout(handle);
      else if (intervals.delete(handle)) clock.clearInterval(handle);
    };
    return {
      id,
      startedAt: instance.info.startedAt,
      clock: {
        now: () => clock.now(),
        setTimeout: (callback, ms) => {
          if (!instance.alive) return undefined;
          const handle = clock.setTimeout(() => {
            timeouts.delete(handle);
            if (instance.alive) callback();
          }, ms);
          timeouts.add(handle);
          return handle;
        },
        clearTimeout: (handle) => clear(handle),
        setInterval: (callback, ms) => {
          if (!instance.alive) return undefined;
          const handle = clock.setInterval(() => {
            if (instance.alive) callback();
          }, ms);
          intervals.add(handle);
          return handle;
        },
        clearInterval: (handle) => clear(handle),
      },
      fetch: (request) =>
        new Promise<Response>((resolve, reject) => {
          // A dead process sends nothing, and nothing reaches it.
          if (!instance.alive) return;
          fetch(request).then(
            (response) => {
              if (instance.alive) resolve(response);
            },
            (error: unknown) => {
              if (instance.alive) reject(error);
            },
          );
        }),
      process: {
        onSignal: (signal, handler) => {
          const list = instance.handlers.get(signal);
          if (list) list.push(handler);
          else instance.handlers.set(signal, [handler]);
        },
        exit: (code) => this.exit(instance, code),
      },
    };
  }

  private die(instance: Instance): void {
    instance.alive = false;
    instance.info.exitedAt = this.sim.now();
    if (instance.sigkill) this.sim.cancel(instance.sigkill);
    for (const handle of instance.timeouts) instance.clock.clearTimeout(handle);
    for (const handle of instance.intervals) instance.clock.clearInterval(handle);
    instance.timeouts.clear();
    instance.intervals.clear();
    if (instance.info.readyAt === undefined) instance.failStart(new ConnectionReset(`${instance.info.id} terminated while starting`));
    const held = [...instance.held];
    instance.held.clear();
    for (const reset of held) reset();
  }

  private exit(instance: Instance, code: number): void {
    if (!instance.alive) return;
    this.die(instance);
    instance.info.exitCode = code;
    this.sim.trace('platform', `${instance.info.id} exited with code ${code}`);
    this.emit({ kind: 'exit', id: instance.info.id, time: this.sim.now(), exitCode: code });
  }

  private kill(instance: Instance): void {
    if (!instance.alive) return;
    this.die(instance);
    instance.info.killed = true;
    instance.info.exitCode = 137;
    this.sim.trace('platform', `SIGKILL: ${instance.info.id} killed 15 min after SIGTERM`);
    this.emit({ kind: 'killed', id: instance.info.id, time: this.sim.now() });
  }
}

export function createPlatform(sim: Sim, network: Network, options: PlatformOptions): Platform {
  return new Platform(sim, network, options);
}
