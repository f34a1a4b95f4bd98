/**
 * The kernel's contract with the fakes and the world. Everything in a run that can vary goes
 * through `Choices`; everything that happens later goes through `schedule` (or a clock from
 * `clockFor`); both are recorded, so a run replays exactly from `(scenario, seed)` or from its
 * record of choices.
 */
import type { Clock } from '../../src/ports.ts';

/**
 * Who a step belongs to: `town`, `worker`, `platform`, `net`, `git`, `container#2`, `agent:pc-1`...
 * Used for traces and for causality: a step scheduled while another runs inherits that step's
 * origin unless the scheduler says otherwise (a container's own requests carry its own name).
 */
export type Actor = string;

/**
 * Seeded, recorded choices. Each `stream` is an independent generator, so drawing more from one
 * concern (say, a new fault kind) does not reshuffle the others. Every draw is recorded; on
 * replay, draws come from the record, and a draw past the end of a stream's record returns the
 * simplest value (`min`, `false`, the first item): that is what makes editing a record (dropping
 * or lowering choices) a way to shrink a failing run.
 */
export interface Choices {
  /** An integer in `[min, max]` (inclusive). Simplest value: `min`. */
  int(stream: string, min: number, max: number): number;
  /** `true` with the given probability. Simplest value: `false`. */
  chance(stream: string, probability: number): boolean;
  /** One of `items` (non-empty). Simplest value: the first. */
  pick<T>(stream: string, items: readonly T[]): T;
}

export interface StepHandle {
  readonly id: number;
}

export interface Sim {
  /** Virtual milliseconds since the epoch. */
  now(): number;
  readonly choices: Choices;
  /**
   * Runs `run` as one kernel step `delayMs` (integer, >= 0) virtual milliseconds from now.
   * Steps at the same instant run in the order they were scheduled. Before the next step, the
   * kernel lets the system settle (every microtask runs) and checks the invariants.
   */
  schedule(delayMs: number, actor: Actor, label: string, run: () => unknown): StepHandle;
  cancel(handle: StepHandle): void;
  /** A promise that resolves as its own step after `delayMs` virtual ms. */
  sleep(delayMs: number, actor: Actor, label: string): Promise<void>;
  /**
   * A `Clock` port for one actor: timers it sets run as steps attributed to `actor`. This is how
   * the real `src/` code gets its time.
   */
  clockFor(actor: Actor): Clock;
  /** The actor of the step that is running now (see `Actor`). */
  readonly origin: Actor;
  /** Appends one line to the run's trace. */
  trace(actor: Actor, what: string, detail?: Record<string, unknown>): void;
  /**
   * Reports a broken rule found by a fake (an invariant may also report through it). The run
   * stops after the current step with this violation.
   */
  fail(invariant: string, message: string): void;
}
