/**
 * The network between the town, the worker and the containers: standard `fetch` on the outside,
 * in-process handlers on the inside, and in between a seeded latency per leg, loss, duplication,
 * hangs, extra delay (reordering) and partitions. Each delivery and each response is its own
 * kernel step, attributed to the sending actor. AbortSignals are honoured at the (virtual) moment
 * they fire.
 */
import type { Fetch, HttpHandler } from '../../src/ports.ts';
import type { Actor, Sim } from '../kernel/api.ts';

export interface NetworkFaults {
  /** Probability a request fails with a connection error. */
  loss: number;
  /** Probability a request is delivered twice. */
  duplicate: number;
  /** Probability a response never comes back. */
  hang: number;
  /** Probability a leg takes `slowMs` extra. */
  slow: number;
  slowMs: { min: number; max: number };
}

export interface TrafficEvent {
  from: Actor;
  host: string;
  method: string;
  path: string;
  status?: number;
  outcome: 'answered' | 'lost' | 'hung' | 'partitioned' | 'no such host' | 'aborted';
}

export interface NetworkOptions {
  latencyMs?: { min: number; max: number };
  /** Which answered exchanges deserve a trace line (faults are always traced). Default: all. */
  traceExchange?: (request: Request, response: Response) => boolean;
}

const NO_FAULTS: NetworkFaults = { loss: 0, duplicate: 0, hang: 0, slow: 0, slowMs: { min: 0, max: 0 } };

export class Network {
  private readonly handlers = new Map<string, HttpHandler>();
  private faults: NetworkFaults = NO_FAULTS;
  private readonly partitions: [string, string][] = [];
  private readonly listeners: ((event: TrafficEvent) => void)[] = [];
  private readonly latency: { min: number; max: number };
  readonly counters = { sent: 0, delivered: 0, lost: 0, duplicated: 0, hung: 0 };

  constructor(
    private readonly sim: Sim,
    private readonly options: NetworkOptions = {},
  ) {
    this.latency = options.latencyMs ?? { min: 1, max: 50 };
  }

  register(host: string, handler: HttpHandler): void {
    this.handlers.set(host, handler);
  }

  unregister(host: string): void {
    this.handlers.delete(host);
  }

  setFaults(faults: Partial<NetworkFaults>): void {
    this.faults = { ...this.faults, ...faults };
  }

  /** Cuts every request and response between actors/hosts starting with `a` and with `b`, both ways. */
  partition(a: string, b: string): void {
    this.partitions.push([a, b]);
  }

  heal(a: string, b: string): void {
    for (let i = this.partitions.length - 1; i >= 0; i--) {
      const [x, y] = this.partitions[i] as [string, string];
      if ((x === a && y === b) || (x === b && y === a)) this.partitions.splice(i, 1);
    }
  }

  healAll(): void {
    this.partitions.length = 0;
  }

  observe(listener: (event: TrafficEvent) => void): void {
    this.listeners.push(listener);
  }

  private cut(from: string, host: string): boolean {
    return this.partitions.some(([a, b]) => (from.startsWith(a) && host.startsWith(b)) || (from.startsWith(b) && host.startsWith(a)));
  }

  /** One leg's delay: base latency, sometimes much more (which reorders traffic). */
  private leg(): number {
    const base = this.sim.choices.int('net.latency', this.latency.min, this.latency.max);
    if (this.faults.slow > 0 && this.sim.choices.chance('fault.net.slow', this.faults.slow)) {
      return base + this.sim.choices.int('fault.net.slow.ms', this.faults.slowMs.min, this.faults.slowMs.max);
    }
    return base;
  }

  private emit(event: TrafficEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  fetchFor(actor: Actor): Fetch {
    return (request) => this.send(actor, request);
  }

  private send(from: Actor, request: Request): Promise<Response> {
    const url = new URL(request.url);
    const host = url.hostname;
    const describe = { from, host, method: request.method, path: url.pathname };
    this.counters.sent++;
    return new Promise<Response>((resolve, reject) => {
      let settled = false;
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        request.signal.removeEventListener('abort', onAbort);
        fn();
      };
      const onAbort = () =>
        settle(() => {
          this.emit({ ...describe, outcome: 'aborted' });
          reject(request.signal.reason ?? new DOMException('aborted', 'AbortError'));
        });
      if (request.signal.aborted) return onAbort();
      request.signal.addEventListener('abort', onAbort);

      const refuse = (outcome: TrafficEvent['outcome']) => {
        this.sim.trace('net', `${request.method} ${url.pathname} ${from} -> ${host} ${outcome}`);
        this.emit({ ...describe, outcome });
        settle(() => reject(new TypeError(`fetch failed: ${outcome}`)));
      };

      const duplicate = this.faults.duplicate > 0 && this.sim.choices.chance('fault.net.duplicate', this.faults.duplicate) ? request.clone() : undefined;
      this.sim.schedule(this.leg(), from, `deliver ${request.method} ${url.pathname}`, async () => {
        if (settled) return;
        const handler = this.handlers.get(host);
        if (!handler) return refuse('no such host');
        if (this.cut(from, host)) return refuse('partitioned');
        if (this.faults.loss > 0 && this.sim.choices.chance('fault.net.loss', this.faults.loss)) {
          this.counters.lost++;
          return refuse('lost');
        }
        this.counters.delivered++;
        if (duplicate) {
          this.counters.duplicated++;
          this.sim.trace('net', `${request.method} ${url.pathname} ${from} -> ${host} delivered twice`);
          void handler(duplicate).catch(() => undefined);
        }
        let response: Response;
        try {
          response = await handler(request);
        } catch (error) {
          this.sim.trace('net', `${host} crashed answering ${request.method} ${url.pathname}`, { error: String(error) });
          response = new Response('internal error', { status: 500 });
        }
        if (this.faults.hang > 0 && this.sim.choices.chance('fault.net.hang', this.faults.hang)) {
          this.counters.hung++;
          this.sim.trace('net', `${request.method} ${url.pathname} ${from} -> ${host} answer never arrives`);
          this.emit({ ...describe, status: response.status, outcome: 'hung' });
          return;
        }
        this.sim.schedule(this.leg(), from, `answer ${request.method} ${url.pathname}`, () => {
          if (settled) return;
          if (this.cut(from, host)) {
            this.sim.trace('net', `answer to ${request.method} ${url.pathname} dropped by a partition`, { from, host });
            this.emit({ ...describe, status: response.status, outcome: 'partitioned' });
            return;
          }
          if (this.options.traceExchange?.(request, response) ?? true) {
            this.sim.trace(from, `${request.method} ${url.pathname} -> ${response.status}`);
          }
          this.emit({ ...describe, status: response.status, outcome: 'answered' });
          settle(() => resolve(response));
        });
      });
    });
  }
}

export function createNetwork(sim: Sim, options?: NetworkOptions): Network {
  return new Network(sim, options);
}
