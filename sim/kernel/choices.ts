/**
 * Recorded choices: every random decision of a run is a raw uint32 drawn from a named stream and
 * written to the run's record. Replaying feeds the record back; a draw past the end of a stream's
 * record yields 0, which every mapping below turns into the simplest value. Lowering or deleting
 * recorded values is therefore always a valid edit, and that is how the shrinker works.
 */
import type { Choices } from './api.ts';
import { createStream } from './prng.ts';

/** Raw values per stream name. JSON-serialisable: this is what `replay --record` reads. */
export type ChoiceRecord = Record<string, number[]>;

const TWO_32 = 2 ** 32;

export class RecordedChoices implements Choices {
  readonly record: ChoiceRecord = {};
  private readonly generators = new Map<string, () => number>();
  private readonly cursors = new Map<string, number>();
  /** Incremented on every draw: the kernel's activity counter reads it. */
  draws = 0;

  /**
   * @param seed the run's seed (used when there is no replay record)
   * @param replay when given, values come from here instead of the generators
   */
  constructor(
    private readonly seed: number,
    private readonly replay?: ChoiceRecord,
  ) {}

  raw(stream: string): number {
    this.draws++;
    let value: number;
    if (this.replay) {
      const cursor = this.cursors.get(stream) ?? 0;
      this.cursors.set(stream, cursor + 1);
      value = this.replay[stream]?.[cursor] ?? 0;
    } else {
      let next = this.generators.get(stream);
      if (!next) {
        next = createStream(this.seed, stream);
        this.generators.set(stream, next);
      }
      value = next();
    }
    (this.record[stream] ??= []).push(value);
    return value;
  }

  int(stream: string, min: number, max: number): number {
    if (max < min) throw new RangeError(`choices.int(${stream}): max ${max} < min ${min}`);
    // Scaling (not modulo) keeps the mapping monotone: a lower raw value is a lower result.
    return min + Math.floor((this.raw(stream) / TWO_32) * (max - min + 1));
  }

  chance(stream: string, probability: number): boolean {
    if (probability <= 0) return false;
    return this.raw(stream) / TWO_32 >= 1 - probability;
  }

  pick<T>(stream: string, items: readonly T[]): T {
    if (items.length === 0) throw new RangeError(`choices.pick(${stream}): no items`);
    return items[Math.floor((this.raw(stream) / TWO_32) * items.length)] as T;
  }
}

/** Number of values in a record (the size the shrinker minimises alongside the trace). */
export function recordSize(record: ChoiceRecord): number {
  let size = 0;
  for (const values of Object.values(record)) size += values.length;
  return size;
}
