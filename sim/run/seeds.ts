/** Seed lists: ranges, counts and shards, parsed with errors that say what is wrong. */

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface SeedRange {
  first: number;
  last: number;
}

/** `A..B` (inclusive), both non-negative integers, A <= B. */
export function parseSeedRange(text: string): SeedRange {
  const match = /^(\d+)\.\.(\d+)$/.exec(text.trim());
  if (!match) throw new UsageError(`bad seed range "${text}": expected A..B, e.g. 1..1000`);
  const first = Number(match[1]);
  const last = Number(match[2]);
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(last)) throw new UsageError(`bad seed range "${text}": numbers too large`);
  if (first > last) throw new UsageError(`bad seed range "${text}": ${first} is greater than ${last}`);
  return { first, last };
}

export function parsePositiveInt(text: string, what: string): number {
  return parseWholeNumber(text, what, 1);
}

/** A whole number of at least `min`, written in plain digits. */
export function parseWholeNumber(text: string, what: string, min: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min) {
    throw new UsageError(`bad ${what} "${text}": expected a whole number >= ${min}`);
  }
  return value;
}

export interface Shard {
  index: number;
  count: number;
}

/** `i/n` with 1 <= i <= n. */
export function parseShard(text: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || count < 1 || index < 1 || index > count) throw new UsageError(`bad shard "${text}": expected i/n with 1 <= i <= n, e.g. 2/4`);
  return { index, count };
}

/**
 * The seeds of a range that belong to a shard: every n-th seed, starting at the i-th. The shards
 * of one range are disjoint, cover it exactly, and interleave (so each gets a fair mix).
 */
export function seedsOf(range: SeedRange, shard: Shard = { index: 1, count: 1 }): number[] {
  const seeds: number[] = [];
  for (let seed = range.first + shard.index - 1; seed <= range.last; seed += shard.count) seeds.push(seed);
  return seeds;
}
