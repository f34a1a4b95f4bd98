/**
 * The network between the town, the worker and the containers: standard `fetch` on the outside,
 * in-process handlers on the inside, and in between a seeded latency per leg, loss, duplication,
 * hangs, extra delay (reordering) and partitions.
 *
 * A request is delivered to its host's handler as its own kernel step, attributed to the sending
 * actor; the answer travels back as another step and settles the caller's promise. AbortSignals
 * are honoured at the (virtual) moment they fire, and a late answer is ignored. Failures look like
 * undici's: `TypeError('fetch failed')` with the reason in `cause`.
 *
 * Every random decision is a recorded choice whose simplest value means "no fault, shortest
 * delay": `net.latency` (per leg), `fault.net.slow` / `fault.net.slow.ms`, `fault.net.duplicate`,
 * `fault.net.duplicate.ms`, `fault.net.loss`, `fault.net.hang`, `fault.net.hang.before-handler`.
 * A fault whose rate is 0 draws nothing.
 */
import type { Fetch, HttpHandler } from '../../src/ports.ts';
import type { Actor, Sim } from '../kernel/api.ts';

export interface NetworkFaults {
  /** Probability a request fails with a connection error (after one latency). */
  loss: number;
  /** Probability a request is delivered twice (the caller gets whichever answer arrives first). */
  duplicate: number;
  /** Probability the answer never comes back (the request may or may not reach the handler). */
  hang: number;
  /** Probability a leg takes `slowMs` extra (which reorders traffic). */
  slow: number;
  slowMs: { min: number; max: number };
}

export type RequestOutcome = 'delivered' | 'duplicate' | 'lost' | 'partitioned' | 'no such host' | 'hung';
export type ResponseOutcome = 'answered' | 'hung' | 'partitioned' | 'aborted' | 'reset';

/** What crossed the wire, for invariant checkers (`Network.observe`). */
export interface TrafficEvent {
  /** `request`: the request reached (or failed to reach) the host; `response`: the caller's side settled (or the answer was dropped). */
  kind: 'request' | 'response';
  from: Actor;
  host: string;
  method: string;
  path: string;
  /** HTTP status of the answer, when there was one. */
  status?: number;
  /** Virtual ms since the epoch. */
  time: number;
  outcome: RequestOutcome | ResponseOutcome;
}

export interface NetworkStats {
  /** Requests handed to `fetch`. */
  sent: number;
  /** Deliveries to a handler (a duplicate counts twice). */
  delivered: number;
  /** Requests refused (loss, partition, unknown host, reset) and answers dropped by a partition. */
  dropped: number;
  duplicated: number;
  hung: number;
}

export interface NetworkOptions {
  /** Latency of one leg (request or answer), inclusive. Default 1..50 ms. */
  latencyMs?: { min: number; max: number };
  /** Which answered exchanges deserve a trace line (faults are always traced). Default: all. */
  traceExchange?: (request: Request, response: Response) => boolean;
  /**
   * A multiplier on every fault rate for one exchange (the result is capped at 1). Default: 1 for
   * all. Lets a search aim faults at rare messages that routine traffic would otherwise outnumber.
   */
  faultWeight?: (exchange: ExchangeInfo) => number;
}

/** What a fault weight may look at: who sends what to whom. */
export interface ExchangeInfo {
  from: Actor;
  host: string;
  method: string;
  path: string;
}

/**
 * Thrown (rejected) by a handler whose server went away while the request was with it (a
 * container that died): the caller sees a connection error, not an HTTP answer.
 */
export class ConnectionReset extends Error {
  constructor(message = 'connection reset') {
    super(message);
    this.name = 'ConnectionReset';
  }
}

const NO_FAULTS: NetworkFaults = { loss: 0, duplicate: 0, hang: 0, slow: 0, slowMs: { min: 0, max: 0 } };

function connectionError(reason: string): TypeError {
  return new TypeError('fetch failed', { cause: new Error(reason) });
}

/** One request in flight. */
interface Exchange extends ExchangeInfo {
  /** Its fault weight (`NetworkOptions.faultWeight`). */
  weight: number;
  request: Request;
  settled: boolean;
  resolve: (response: Response) => void;
  reject: (error: unknown) => void;
  onAbort: (() => void) | undefined;
}

export class Network {
  private readonly handlers = new Map<string, HttpHandler>();
  private faults: NetworkFaults = NO_FAULTS;
  private readonly partitions: [string, string][] = [];
  private readonly listeners: ((event: TrafficEvent) => void)[] = [];
  private readonly latency: { min: number; max: number };
  private readonly counters: NetworkStats = { sent: 0, delivered: 0, dropped: 0, duplicated: 0, hung: 0 };
  /**
   * Unsettled exchanges, held strongly. Node's `Request` follows the caller's AbortSignal through a
   * WeakRef: once nothing else reaches a request whose host never answers, a garbage collection
   * silently unhooks its abort, the caller's timeout never lands, and the same seed takes a
   * different path depending on when the collector ran (measured: default seed 463 under load).
   */
  private readonly inFlight = new Set<Exchange>();

  constructor(
    private readonly sim: Sim,
    private readonly options: NetworkOptions = {},
  ) {
    this.latency = options.latencyMs ?? { min: 1, max: 50 };
    if (this.latency.min < 0 || this.latency.max < this.latency.min) throw new RangeError(`bad latency range ${JSON.stringify(this.latency)}`);
  }

  /** `host` is a URL hostname: `worker`, `container`, ... */
  register(host: string, handler: HttpHandler): void {
    this.handlers.set(host, handler);
  }

  unregister(host: string): void {
    this.handlers.delete(host);
  }

  setFaults(faults: Partial<NetworkFaults>): void {
    this.faults = { ...this.faults, ...faults };
  }

  currentFaults(): Readonly<NetworkFaults> {
    return this.faults;
  }

  /**
   * Cuts traffic between actors/hosts whose names start with `a` and with `b`, both ways:
   * requests across it fail with a connection error, answers across it are dropped (the caller
   * then waits until its signal aborts).
   */
  partition(a: string, b: string): void {
    if (!this.partitions.some(([x, y]) => (x === a && y === b) || (x === b && y === a))) this.partitions.push([a, b]);
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

  /** Whether traffic between `from` and `host` is cut right now. */
  isCut(from: string, host: string): boolean {
    for (const [a, b] of this.partitions) {
      if ((from.startsWith(a) && host.startsWith(b)) || (from.startsWith(b) && host.startsWith(a))) return true;
    }
    return false;
  }

  observe(listener: (event: TrafficEvent) => void): void {
    this.listeners.push(listener);
  }

  stats(): NetworkStats {
    return { ...this.counters };
  }

  /** The `fetch` port of one actor: its requests (and the steps that deliver them) carry its name. */
  fetchFor(actor: Actor): Fetch {
    return (request) => this.send(actor, request);
  }

  // ---------------------------------------------------------------------------------------------

  /** The rate of a fault for one exchange. */
  private rate(fault: 'loss' | 'duplicate' | 'hang' | 'slow', x: Exchange): number {
    return Math.min(1, this.faults[fault] * x.weight);
  }

  /** One leg's delay: base latency, sometimes much more (which reorders traffic). */
  private leg(x: Exchange): number {
    const base = this.sim.choices.int('net.latency', this.latency.min, this.latency.max);
    const slow = this.rate('slow', x);
    if (slow > 0 && this.sim.choices.chance('fault.net.slow', slow)) {
      return base + this.sim.choices.int('fault.net.slow.ms', this.faults.slowMs.min, this.faults.slowMs.max);
    }
    return base;
  }

  private emit(x: Exchange, kind: TrafficEvent['kind'], outcome: TrafficEvent['outcome'], status?: number): void {
    if (this.listeners.length === 0) return;
    const event: TrafficEvent = { kind, from: x.from, host: x.host, method: x.method, path: x.path, time: this.sim.now(), outcome };
    if (status !== undefined) event.status = status;
    for (const listener of this.listeners) listener(event);
  }

  private settle(x: Exchange): boolean {
    if (x.settled) return false;
    x.settled = true;
    this.inFlight.delete(x);
    if (x.onAbort) x.request.signal.removeEventListener('abort', x.onAbort);
    return true;
  }

  /** The request does not get through: a connection error for the caller, now (one latency has passed). */
  private refuse(x: Exchange, outcome: RequestOutcome | 'reset', reason: string): void {
    if (x.settled) return;
    this.counters.dropped++;
    this.sim.trace('net', `${x.method} ${x.path} ${x.from} -> ${x.host} ${reason}`);
    this.emit(x, outcome === 'reset' ? 'response' : 'request', outcome);
    this.settle(x);
    x.reject(connectionError(reason));
  }

  private send(from: Actor, request: Request): Promise<Response> {
    this.counters.sent++;
    const url = new URL(request.url);
    return new Promise<Response>((resolve, reject) => {
      const info: ExchangeInfo = { from, host: url.hostname, method: request.method, path: url.pathname };
      const x: Exchange = {
        ...info,
        weight: this.options.faultWeight?.(info) ?? 1,
        request,
        settled: false,
        resolve,
        reject,
        onAbort: undefined,
      };
      const signal = request.signal;
      const onAbort = () => {
        if (!this.settle(x)) return;
        this.sim.trace(from, `${x.method} ${x.path} -> ${x.host} aborted`);
        this.emit(x, 'response', 'aborted');
        reject(signal.reason ?? new DOMException('This operation was aborted', 'AbortError'));
      };
      this.inFlight.add(x);
      if (signal.aborted) return onAbort();
      x.onAbort = onAbort;
      signal.addEventListener('abort', onAbort);

      // Cloned now, while the body is still unread.
      const duplicateRate = this.rate('duplicate', x);
      const duplicate = duplicateRate > 0 && this.sim.choices.chance('fault.net.duplicate', duplicateRate) ? request.clone() : undefined;
      this.sim.schedule(this.leg(x), from, `deliver ${x.method} ${x.path}`, () => this.deliver(x));
      if (duplicate) {
        // The copy travels on its own: it may arrive before or after the original.
        const lag = this.leg(x) + this.sim.choices.int('fault.net.duplicate.ms', 0, 1_000);
        this.sim.schedule(lag, from, `deliver ${x.method} ${x.path} again`, () => this.deliverCopy(x, duplicate));
      }
    });
  }

  private deliver(x: Exchange): Promise<void> | void {
    if (x.settled) return; // aborted on the way: never sent
    const handler = this.handlers.get(x.host);
    if (!handler) return this.refuse(x, 'no such host', 'no such host');
    if (this.isCut(x.from, x.host)) return this.refuse(x, 'partitioned', 'partitioned');
    const loss = this.rate('loss', x);
    if (loss > 0 && this.sim.choices.chance('fault.net.loss', loss)) return this.refuse(x, 'lost', 'dropped');
    const hang = this.rate('hang', x);
    const hangs = hang > 0 && this.sim.choices.chance('fault.net.hang', hang);
    if (hangs) {
      this.counters.hung++;
      // Simplest: the request still reaches the handler, only the answer is lost.
      if (this.sim.choices.chance('fault.net.hang.before-handler', 0.5)) {
        this.sim.trace('net', `${x.method} ${x.path} ${x.from} -> ${x.host} hangs before reaching ${x.host}`);
        this.emit(x, 'request', 'hung');
        return;
      }
      this.sim.trace('net', `${x.method} ${x.path} ${x.from} -> ${x.host} delivered; its answer will never arrive`);
    }
    this.counters.delivered++;
    this.emit(x, 'request', 'delivered');
    return this.handle(handler, x, x.request).then((response) => {
      if (hangs) return this.emit(x, 'response', 'hung', response?.status);
      if (response === undefined) {
        // The server went away with the request: the reset travels back like an answer would.
        this.sim.schedule(this.leg(x), x.from, `reset ${x.method} ${x.path}`, () => this.refuse(x, 'reset', 'connection reset'));
        return;
      }
      this.sim.schedule(this.leg(x), x.from, `answer ${x.method} ${x.path}`, () => this.answer(x, response));
    });
  }

  private deliverCopy(x: Exchange, copy: Request): Promise<void> | void {
    const handler = this.handlers.get(x.host);
    if (!handler || this.isCut(x.from, x.host)) return;
    this.counters.delivered++;
    this.counters.duplicated++;
    this.sim.trace('net', `${x.method} ${x.path} ${x.from} -> ${x.host} delivered again (duplicate)`);
    this.emit(x, 'request', 'duplicate');
    // Its answer travels back too: the caller takes whichever answer arrives first.
    return this.handle(handler, x, copy).then((response) => {
      if (response) this.sim.schedule(this.leg(x), x.from, `answer ${x.method} ${x.path} (duplicate)`, () => this.answer(x, response));
    });
  }

  /** Runs the handler; a crash becomes a 500, a server that went away becomes `undefined` (reset). */
  private async handle(handler: HttpHandler, x: Exchange, request: Request): Promise<Response | undefined> {
    try {
      return await handler(request);
    } catch (error) {
      if (error instanceof ConnectionReset) return undefined;
      this.sim.trace('net', `${x.host} crashed answering ${x.method} ${x.path}`, { error: String(error) });
      return new Response('internal error', { status: 500 });
    }
  }

  private answer(x: Exchange, response: Response): void {
    if (x.settled) return; // aborted meanwhile: the late answer is ignored
    if (this.isCut(x.from, x.host)) {
      this.counters.dropped++;
      this.sim.trace('net', `answer to ${x.method} ${x.path} ${x.host} -> ${x.from} dropped by a partition`);
      this.emit(x, 'response', 'partitioned', response.status);
      return;
    }
    if (this.options.traceExchange?.(x.request, response) ?? true) {
      this.sim.trace(x.from, `${x.method} ${x.path} -> ${x.host} ${response.status}`);
    }
    this.emit(x, 'response', 'answered', response.status);
    if (this.settle(x)) x.resolve(response);
  }
}

export function createNetwork(sim: Sim, options?: NetworkOptions): Network {
  return new Network(sim, options);
}
