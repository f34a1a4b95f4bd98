import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createKernel, hashTrace, RecordedChoices } from '../../sim/kernel/index.ts';
import { leakyNow } from '../fixtures/leaky.ts';

/** A small world: two actors ping each other with random delays and random coin flips. */
async function pingPong(seed: number, record?: Record<string, number[]>) {
  const kernel = createKernel(record ? { seed, record } : { seed });
  let count = 0;
  const ping = (actor: string) => {
    count++;
    kernel.trace(actor, 'ping', { count, coin: kernel.choices.chance('coin', 0.5) });
    if (count < 50) kernel.schedule(kernel.choices.int('delay', 0, 20), actor === 'a' ? 'b' : 'a', 'ping', () => ping(actor === 'a' ? 'b' : 'a'));
  };
  kernel.schedule(0, 'a', 'start', () => ping('a'));
  return kernel.run(60_000);
}

describe('kernel', () => {
  it('refuses a seed that is not a whole number >= 0, instead of quietly running another seed', () => {
    for (const seed of [Number.NaN, 1.5, -1, 2 ** 53, undefined as unknown as number]) {
      expect(() => createKernel({ seed }), String(seed)).toThrowError(/seed must be a whole number from 0 to/);
    }
    expect(() => createKernel({ seed: Number.MAX_SAFE_INTEGER })).not.toThrow();
  });

  it('runs steps in virtual time order, ties in scheduling order', async () => {
    const kernel = createKernel({ seed: 1 });
    const seen: string[] = [];
    kernel.schedule(10, 'x', 'late', () => seen.push('late'));
    kernel.schedule(5, 'x', 'first', () => seen.push('first'));
    kernel.schedule(5, 'x', 'second', () => seen.push('second'));
    const clock = kernel.clockFor('y');
    clock.setTimeout(() => seen.push(`timer@${kernel.elapsed()}`), 7);
    const result = await kernel.run(1000);
    expect(seen).toEqual(['first', 'second', 'timer@7', 'late']);
    expect(result.violation).toBeUndefined();
  });

  it('lets every microtask of a step run before the next step', async () => {
    const kernel = createKernel({ seed: 1 });
    const seen: string[] = [];
    kernel.schedule(1, 'x', 'chain', async () => {
      for (let i = 0; i < 1000; i++) await Promise.resolve();
      seen.push('chain done');
    });
    kernel.schedule(1, 'x', 'next', () => seen.push('next step'));
    await kernel.run(10);
    expect(seen).toEqual(['chain done', 'next step']);
  });

  it('the same seed gives a byte-identical trace; another seed does not', async () => {
    const a = await pingPong(7);
    const b = await pingPong(7);
    const c = await pingPong(8);
    expect(hashTrace(a.trace)).toBe(hashTrace(b.trace));
    expect(hashTrace(a.trace)).not.toBe(hashTrace(c.trace));
  });

  it('stopAfterTraceLines ends a run without a verdict once its trace is longer, and only then', async () => {
    const kernel = createKernel({ seed: 1, stopAfterTraceLines: 3 });
    const late: string[] = [];
    for (let i = 1; i <= 6; i++) kernel.schedule(i, 'x', 'line', () => kernel.trace('x', `line ${i}`));
    kernel.schedule(10, 'x', 'too late', () => {
      late.push('ran');
      kernel.fail('some-invariant', 'after the cut');
    });
    const cut = await kernel.run(100);
    expect(cut.trace.map((e) => e.what)).toEqual(['line 1', 'line 2', 'line 3', 'line 4']);
    expect(cut.truncated).toBe(true);
    expect(cut.violation).toBeUndefined();
    expect(late).toEqual([]);

    const roomy = createKernel({ seed: 1, stopAfterTraceLines: 100 });
    roomy.schedule(1, 'x', 'fail', () => roomy.fail('some-invariant', 'within the limit'));
    const judged = await roomy.run(100);
    expect(judged.truncated).toBeUndefined();
    expect(judged.violation?.invariant).toBe('some-invariant');
  });

  it('replaying the record of choices reproduces the run exactly', async () => {
    const original = await pingPong(42);
    const replayed = await pingPong(0, structuredClone(original.record));
    expect(hashTrace(replayed.trace)).toBe(hashTrace(original.trace));
  });

  it('a draw past the end of a replayed record yields the simplest value', () => {
    const choices = new RecordedChoices(1, { delay: [2 ** 32 - 1] });
    expect(choices.int('delay', 3, 9)).toBe(9);
    expect(choices.int('delay', 3, 9)).toBe(3);
    expect(choices.chance('fault', 0.99)).toBe(false);
    expect(choices.pick('kind', ['a', 'b'])).toBe('a');
  });

  it('streams are independent: drawing more from one does not change another', () => {
    const one = new RecordedChoices(5);
    const two = new RecordedChoices(5);
    for (let i = 0; i < 10; i++) two.int('noise', 0, 100);
    expect([one.int('latency', 0, 1000), one.int('latency', 0, 1000)]).toEqual([two.int('latency', 0, 1000), two.int('latency', 0, 1000)]);
  });

  it('a crashing step fails the run as no-crash, with the actor and the error', async () => {
    const kernel = createKernel({ seed: 1 });
    kernel.schedule(3, 'town', 'alarm', async () => {
      throw new Error('boom');
    });
    const result = await kernel.run(100);
    expect(result.violation).toMatchObject({ invariant: 'no-crash', time: 3 });
    expect(result.violation?.message).toContain('town');
    expect(result.violation?.message).toContain('boom');
  });

  it('the guard fails the run when watched code reads the real clock, naming the call and the place', async () => {
    const kernel = createKernel({ seed: 1, watchedPaths: [path.resolve(import.meta.dirname, '../fixtures') + path.sep] });
    kernel.schedule(5, 'container#1', 'leak', () => leakyNow());
    const result = await kernel.run(100);
    expect(result.violation?.invariant).toBe('determinism');
    expect(result.violation?.message).toContain('Date.now()');
    expect(result.violation?.message).toContain('test/fixtures/leaky.ts');
  });

  it('the guard is quiet outside a run and for unwatched code', async () => {
    expect(typeof leakyNow()).toBe('number');
    const kernel = createKernel({ seed: 1 });
    kernel.schedule(5, 'x', 'unwatched', () => leakyNow());
    expect((await kernel.run(100)).violation).toBeUndefined();
  });

  it('notices a step that needs real event-loop turns to finish', async () => {
    const kernel = createKernel({ seed: 1, checkRealTurns: true });
    kernel.schedule(5, 'x', 'real io', () => {
      // Completes two real turns later, as thread-pool work does: not settled by microtasks.
      setImmediate(() => setImmediate(() => kernel.trace('x', 'late')));
    });
    const result = await kernel.run(100);
    expect(result.violation?.invariant).toBe('determinism');
    expect(result.violation?.message).toContain('real event-loop turn');
  });

  it('stops at the deadline and reports the virtual time covered', async () => {
    const kernel = createKernel({ seed: 1 });
    const clock = kernel.clockFor('beat');
    let beats = 0;
    clock.setInterval(() => beats++, 1000);
    const result = await kernel.run(10_000);
    expect(beats).toBe(10);
    expect(result.virtualMs).toBe(10_000);
  });
});

describe('guard: thread-pool work', () => {
  it('fails the run when anything starts crypto.subtle work during it', async () => {
    const kernel = createKernel({ seed: 1 });
    kernel.schedule(5, 'x', 'hash', () => void crypto.subtle.digest('SHA-1', new Uint8Array([1])));
    const result = await kernel.run(100);
    expect(result.violation?.invariant).toBe('determinism');
    expect(result.violation?.message).toContain('crypto.subtle.digest()');
  });
});
