/**
 * Cloudflare Containers for one town. The TownDO's stub requests (`http://container/...`) reach
 * the serving instance; when none is alive, the request boots a fresh one on an empty disk after a
 * cold start. Eviction is SIGTERM, then SIGKILL exactly 15 minutes later if the instance has not
 * exited. A dead instance is gone for good: its timers never fire again, its requests never leave
 * and answers to it are dropped.
 */
import type { Clock, Fetch, HttpHandler, ProcessPort, ProcessSignal, TimerHandle } from '../../src/ports.ts';
import type { Sim, StepHandle } from '../kernel/api.ts';
import type { Network } from './network.ts';

export const SIGKILL_AFTER_MS = 15 * 60_000;

export type Routing = 'old-until-exit' | 'new-at-once';

export interface InstanceContext {
  id: string;
  startedAt: number;
  /** Stops with the instance. */
  clock: Clock;
  /** Stops with the instance. */
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
  signal?: ProcessSignal;
}

export interface PlatformOptions {
  coldStartMs: { min: number; max: number };
  routing: Routing;
  boot: (ctx: InstanceContext) => InstanceHandle | Promise<InstanceHandle>;
}

interface Instance {
  info: InstanceInfo;
  alive: boolean;
  ready: Promise<InstanceHandle>;
  handlers: Map<ProcessSignal, (() => void)[]>;
  sigkill?: StepHandle;
}

export class Platform {
  private readonly instances_: Instance[] = [];
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

  instances(): InstanceInfo[] {
    return this.instances_.map((i) => i.info);
  }

  private emit(event: PlatformEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  /** The instance the town's requests reach now, if any. */
  private serving(): Instance | undefined {
    const alive = this.instances_.filter((i) => i.alive);
    if (this.options.routing === 'new-at-once') return alive.filter((i) => i.info.sigtermAt === undefined).pop();
    return alive.pop();
  }

  private async route(request: Request): Promise<Response> {
    const instance = this.serving() ?? this.boot();
    const { handle } = await instance.ready;
    if (!instance.alive) throw new TypeError('container instance is gone');
    return handle(request);
  }

  private boot(): Instance {
    const id = `container#${this.instances_.length + 1}`;
    const info: InstanceInfo = { id, startedAt: this.sim.now(), killed: false };
    const instance: Instance = { info, alive: true, handlers: new Map(), ready: undefined as unknown as Promise<InstanceHandle> };
    const coldStart = this.sim.choices.int('platform.cold-start', this.options.coldStartMs.min, this.options.coldStartMs.max);
    this.sim.trace('platform', `boot ${id}`, { coldStartMs: coldStart });
    this.emit({ kind: 'booting', id });
    instance.ready = new Promise<InstanceHandle>((resolve, reject) => {
      this.sim.schedule(coldStart, id, 'cold start done', async () => {
        try {
          const handle = await this.options.boot(this.contextFor(instance));
          info.readyAt = this.sim.now();
          this.sim.trace('platform', `${id} ready`);
          this.emit({ kind: 'ready', id });
          resolve(handle);
        } catch (error) {
          reject(error);
          throw error;
        }
      });
    });
    this.instances_.push(instance);
    return instance;
  }

  private contextFor(instance: Instance): InstanceContext {
    const id = instance.info.id;
    const clock = this.sim.clockFor(id);
    const whileAlive = (callback: () => void) => () => {
      if (instance.alive) callback();
    };
    const fetch = this.network.fetchFor(id);
    return {
      id,
      startedAt: instance.info.startedAt,
      clock: {
        now: () => clock.now(),
        setTimeout: (callback, ms) => clock.setTimeout(whileAlive(callback), ms),
        clearTimeout: (handle: TimerHandle) => clock.clearTimeout(handle),
        setInterval: (callback, ms) => clock.setInterval(whileAlive(callback), ms),
        clearInterval: (handle: TimerHandle) => clock.clearInterval(handle),
      },
      fetch: (request) =>
        new Promise<Response>((resolve, reject) => {
          if (!instance.alive) return;
          fetch(request).then(
            (response) => instance.alive && resolve(response),
            (error: unknown) => instance.alive && reject(error),
          );
        }),
      process: {
        onSignal: (signal, handler) => {
          const list = instance.handlers.get(signal) ?? [];
          list.push(handler);
          instance.handlers.set(signal, list);
        },
        exit: (code) => this.exit(instance, code),
      },
    };
  }

  /** SIGTERM to the serving instance (or `id`), SIGKILL 15 minutes later unless it exits. */
  evict(id?: string): void {
    const instance = id ? this.find(id) : this.instances_.filter((i) => i.alive).pop();
    if (!instance?.alive) {
      this.sim.trace('platform', 'evict: no live instance');
      return;
    }
    this.signal(instance.info.id, 'SIGTERM');
  }

  signal(id: string, signal: ProcessSignal): void {
    const instance = this.find(id);
    if (!instance?.alive) return;
    this.sim.trace('platform', `${signal} -> ${id}`);
    if (signal === 'SIGTERM' && instance.info.sigtermAt === undefined) {
      instance.info.sigtermAt = this.sim.now();
      instance.sigkill = this.sim.schedule(SIGKILL_AFTER_MS, 'platform', `SIGKILL ${id}`, () => this.kill(instance));
    }
    this.emit({ kind: 'signal', id, signal });
    const handlers = instance.handlers.get(signal) ?? [];
    // No handler installed yet (still booting): the signal's default action terminates the process.
    if (handlers.length === 0) return this.exit(instance, signal === 'SIGTERM' ? 143 : 130);
    for (const handler of handlers) handler();
  }

  private exit(instance: Instance, code: number): void {
    if (!instance.alive) return;
    instance.alive = false;
    instance.info.exitedAt = this.sim.now();
    instance.info.exitCode = code;
    if (instance.sigkill) this.sim.cancel(instance.sigkill);
    this.sim.trace('platform', `${instance.info.id} exited`, { code });
    this.emit({ kind: 'exit', id: instance.info.id });
  }

  private kill(instance: Instance): void {
    if (!instance.alive) return;
    instance.alive = false;
    instance.info.killed = true;
    instance.info.exitedAt = this.sim.now();
    this.sim.trace('platform', `SIGKILL: ${instance.info.id} killed`);
    this.emit({ kind: 'killed', id: instance.info.id });
  }

  private find(id: string): Instance | undefined {
    return this.instances_.find((i) => i.info.id === id);
  }
}

export function createPlatform(sim: Sim, network: Network, options: PlatformOptions): Platform {
  return new Platform(sim, network, options);
}
