import { describe, expect, it } from 'vitest';
import { parseSeedRange, parseShard, seedsOf, UsageError } from '../../sim/run/seeds.ts';

describe('seed ranges and shards', () => {
  it('parses inclusive ranges and rejects bad ones with the reason', () => {
    expect(parseSeedRange('3..7')).toEqual({ first: 3, last: 7 });
    expect(() => parseSeedRange('7..3')).toThrowError(/7 is greater than 3/);
    expect(() => parseSeedRange('1-5')).toThrowError(UsageError);
  });

  it('shards are disjoint and together cover the range exactly', () => {
    const range = { first: 1, last: 103 };
    const shards = [1, 2, 3, 4].map((index) => seedsOf(range, { index, count: 4 }));
    const all = shards.flat().sort((a, b) => a - b);
    expect(all).toEqual(seedsOf(range));
    expect(new Set(all).size).toBe(all.length);
    expect(Math.max(...shards.map((s) => s.length)) - Math.min(...shards.map((s) => s.length))).toBeLessThanOrEqual(1);
  });

  it('rejects shards outside 1..n', () => {
    expect(() => parseShard('0/4')).toThrowError(/1 <= i <= n/);
    expect(() => parseShard('5/4')).toThrowError(UsageError);
    expect(parseShard('2/4')).toEqual({ index: 2, count: 4 });
  });
});
