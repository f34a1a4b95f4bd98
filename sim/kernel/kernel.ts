/**
 * The simulation kernel: one seeded, virtual-time event queue that every actor of a run shares.
 *
 * The queue is a `@sinonjs/fake-timers` clock installed nowhere (it never touches the real
 * globals): kernel steps and the actors' own timers are all timers of that one clock, so they run
 * in one total order (virtual time, then scheduling order). After each step the kernel lets the
 * system settle - every microtask runs - before it checks the invariants and takes the next step.
 */
import FakeTimers from '@sinonjs/fake-timers';
import type { Clock, TimerHandle } from '../../src/ports.ts';
import type { Actor, Sim, StepHandle } from './api.ts';
import { RecordedChoices, type ChoiceRecord } from './choices.ts';
import { real, watchForLeaks } from './guard.ts';
import type { TraceEntry } from './trace.ts';

/** Virtual time at which every run starts: 2026-01-01T00:00:00Z. Fixed, so traces compare. */
export const VIRTUAL_EPOCH = Date.UTC(2026, 0, 1);

export interface KernelOptions {
  seed: number;
  /** Replays these choices instead of drawing from the seed's generators. */
  record?: ChoiceRecord;
  /** Stop with a `step-budget` violation after this many steps (guards against livelock). */
  maxSteps?: number;
  /**
   * After each step, take a second real event-loop turn and fail the run if anything happened
   * in it: proof that the step settled on microtasks alone. Doubles the settle cost.
   */
  checkRealTurns?: boolean;
  /** Folders whose code must not touch real time/randomness (see guard.ts). */
  watchedPaths?: readonly string[];
  /**
   * End the run, without a verdict, once the trace is longer than this. The shrinker sets it to
   * its best trace's length: a longer candidate cannot win, so its remaining steps are waste.
   */
  stopAfterTraceLines?: number;
}

export interface Violation {
  invariant: string;
  message: string;
  /** Virtual ms since the start of the run. */
  time: number;
  step: number;
}

export interface RunResult {
  seed: number;
  violation?: Violation;
  steps: number;
  /** Virtual ms the run covered. */
  virtualMs: number;
  trace: TraceEntry[];
  record: ChoiceRecord;
  /** Ended by `stopAfterTraceLines`: the run was cut short and judged by nothing after the cut. */
  truncated?: true;
}

/** Called after every settled step; may report violations through `sim.fail`. */
export type StepObserver = () => void | Promise<void>;

const DEFAULT_MAX_STEPS = 2_000_000;

export class Kernel implements Sim {
  readonly choices: RecordedChoices;
  private readonly entries: TraceEntry[] = [];
  origin: Actor = 'sim';
  private readonly clock: FakeTimers.Clock;
  private steps = 0;
  private violation: Violation | undefined;
  private activity = 0;
  private readonly observers: StepObserver[] = [];
  private readonly maxSteps: number;
  private readonly startedAt: number;
  private nextHandleId = 1;
  private endedAt: number | undefined;
  private truncated = false;
  private readonly pending = new Map<number, TimerHandle>();

  constructor(private readonly options: KernelOptions) {
    // A seed that is not a whole number would still run, quietly as some other seed.
    if (!isSeed(options.seed)) {
      throw new RangeError(`createKernel: seed must be a whole number from 0 to ${Number.MAX_SAFE_INTEGER}, got ${String(options.seed)}`);
    }
    this.choices = new RecordedChoices(options.seed, options.record);
    this.clock = FakeTimers.createClock(VIRTUAL_EPOCH, 1e9);
    this.startedAt = VIRTUAL_EPOCH;
    this.maxSteps = options.maxSteps ?? DEFAULT_MAX_STEPS;
  }

  now(): number {
    return this.clock.now;
  }

  /** Virtual ms since the start of the run. */
  elapsed(): number {
    return this.clock.now - this.startedAt;
  }

  get stepCount(): number {
    return this.steps;
  }

  get failed(): Violation | undefined {
    return this.violation;
  }

  /** Wraps a callback so that it runs as one attributed, crash-checked step. */
  private asStep(actor: Actor, label: string, run: () => unknown): () => void {
    return () => {
      this.steps++;
      this.activity++;
      this.origin = actor;
      try {
        const result = run();
        if (result && typeof (result as Promise<unknown>).then === 'function') {
          (result as Promise<unknown>).then(undefined, (error: unknown) => this.crash(actor, label, error));
        }
      } catch (error) {
        this.crash(actor, label, error);
      }
    };
  }

  private crash(actor: Actor, label: string, error: unknown): void {
    const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    this.fail('no-crash', `${actor} crashed in "${label}": ${text}`);
  }

  schedule(delayMs: number, actor: Actor, label: string, run: () => unknown): StepHandle {
    if (!Number.isInteger(delayMs) || delayMs < 0) {
      throw new RangeError(`schedule("${label}"): delay must be a whole number of ms >= 0, got ${delayMs}`);
    }
    this.activity++;
    const id = this.nextHandleId++;
    const timer = this.clock.setTimeout(this.asStep(actor, label, () => {
      this.pending.delete(id);
      return run();
    }), delayMs);
    this.pending.set(id, timer);
    return { id };
  }

  cancel(handle: StepHandle): void {
    const timer = this.pending.get(handle.id);
    if (timer === undefined) return;
    this.activity++;
    this.clock.clearTimeout(timer as FakeTimers.TimerId);
    this.pending.delete(handle.id);
  }

  sleep(delayMs: number, actor: Actor, label: string): Promise<void> {
    return new Promise((resolve) => this.schedule(delayMs, actor, label, resolve));
  }

  clockFor(actor: Actor): Clock {
    const clock = this.clock;
    const kernel = this;
    return {
      now: () => clock.now,
      setTimeout(callback, ms) {
        kernel.activity++;
        return clock.setTimeout(kernel.asStep(actor, 'timer', callback), Math.max(0, Math.round(ms)));
      },
      clearTimeout(handle) {
        kernel.activity++;
        clock.clearTimeout(handle as FakeTimers.TimerId);
      },
      setInterval(callback, ms) {
        kernel.activity++;
        return clock.setInterval(kernel.asStep(actor, 'interval', callback), Math.max(1, Math.round(ms)));
      },
      clearInterval(handle) {
        kernel.activity++;
        clock.clearInterval(handle as FakeTimers.TimerId);
      },
    };
  }

  trace(actor: Actor, what: string, detail?: Record<string, unknown>): void {
    this.activity++;
    const entry: TraceEntry = { t: this.elapsed(), step: this.steps, actor, what };
    if (detail) entry.detail = detail;
    this.entries.push(entry);
  }

  fail(invariant: string, message: string): void {
    if (this.violation) return;
    this.violation = { invariant, message, time: this.elapsed(), step: this.steps };
    this.trace('sim', `VIOLATION ${invariant}`, { message });
  }

  /** Registers a check that runs after every settled step. */
  afterEachStep(observer: StepObserver): void {
    this.observers.push(observer);
  }

  /** Lets every microtask of the current step run. */
  private async settle(): Promise<void> {
    await new Promise<void>((resolve) => real.setImmediate(resolve));
    if (!this.options.checkRealTurns) return;
    const before = this.activity + this.choices.draws;
    await new Promise<void>((resolve) => real.setImmediate(resolve));
    if (this.activity + this.choices.draws !== before) {
      this.fail(
        'determinism',
        `step ${this.steps} (${this.origin}) needed a real event-loop turn to finish: something in it completed on the real event loop or the thread pool`,
      );
    }
  }

  /**
   * Runs steps until virtual `untilMs` (since the start), a violation, or an empty queue.
   * Leaks to real time/randomness from watched code fail the run as `determinism`.
   */
  async run(untilMs: number): Promise<RunResult> {
    const stopWatching = watchForLeaks(
      (api, caller) => this.fail('determinism', `${caller} called the real ${api} during a run; use a port`),
      this.options.watchedPaths,
    );
    const onUnhandled = (reason: unknown) => this.crash(this.origin, 'unhandled rejection', reason);
    process.on('unhandledRejection', onUnhandled);
    let reachedEnd = false;
    // One ms past the end, so that every step due exactly at `untilMs` still runs.
    const deadline = this.clock.setTimeout(() => {
      reachedEnd = true;
    }, Math.max(0, untilMs - this.elapsed()) + 1);
    try {
      await this.settle();
      while (!reachedEnd && !this.violation) {
        if (this.clock.countTimers() === 0) break;
        this.clock.next();
        await this.settle();
        for (const observer of this.observers) {
          await observer();
          if (this.violation) break;
        }
        if (this.steps > this.maxSteps) {
          this.fail('step-budget', `more than ${this.maxSteps} steps: a livelock or a zero-delay loop`);
        }
        const limit = this.options.stopAfterTraceLines;
        if (!this.violation && limit !== undefined && this.entries.length > limit) {
          this.truncated = true;
          break;
        }
      }
    } finally {
      this.clock.clearTimeout(deadline);
      process.off('unhandledRejection', onUnhandled);
      stopWatching();
    }
    if (reachedEnd) this.endedAt = untilMs;
    return this.result();
  }

  result(): RunResult {
    const result: RunResult = {
      seed: this.options.seed,
      steps: this.steps,
      virtualMs: Math.min(this.elapsed(), this.endedAt ?? Infinity),
      trace: this.entries,
      record: this.choices.record,
    };
    if (this.violation) result.violation = this.violation;
    if (this.truncated) result.truncated = true;
    return result;
  }
}

/** A seed every part of drainsim accepts: a whole number from 0 to Number.MAX_SAFE_INTEGER. */
export function isSeed(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}

export function createKernel(options: KernelOptions): Kernel {
  return new Kernel(options);
}
