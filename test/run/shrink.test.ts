import { describe, expect, it } from 'vitest';
import { createKernel, type ChoiceRecord, type RunResult } from '../../sim/kernel/index.ts';
import { shrinkRun } from '../../sim/run/shrink.ts';

/**
 * A toy system with a planted bug: a counter that must never exceed 3 while "faults" add to it.
 * Lots of noise (irrelevant streams, chatter) surrounds the few choices that matter.
 */
async function toy(seed: number, record?: ChoiceRecord, stopAfterTraceLines?: number): Promise<RunResult> {
  const kernel = createKernel({ seed, ...(record ? { record } : {}), ...(stopAfterTraceLines !== undefined ? { stopAfterTraceLines } : {}) });
  let counter = 0;
  for (let t = 1; t <= 60; t++) {
    kernel.schedule(t * 1000, 'toy', 'tick', () => {
      kernel.choices.int('noise', 0, 1000);
      kernel.trace('toy', 'tick', { t });
      if (kernel.choices.chance('fault.bump', 0.3)) {
        counter += kernel.choices.int('bump.size', 1, 2);
        kernel.trace('toy', 'bump', { counter });
      }
      if (counter > 3) kernel.fail('counter-bounded', `counter reached ${counter}`);
    });
  }
  return kernel.run(120_000);
}

describe('shrinkRun', () => {
  it('keeps the same invariant, never grows the trace, and gets much shorter', async () => {
    let seed = 1;
    let original = await toy(seed);
    while (!original.violation) original = await toy(++seed);
    const outcome = await shrinkRun(original, { run: (record) => toy(seed, record), budget: 300 });
    expect(outcome.result.violation?.invariant).toBe('counter-bounded');
    expect(outcome.after).toBeLessThanOrEqual(outcome.before);
    // The minimal failure: bumps from the very first ticks, fewest ticks possible.
    expect(outcome.result.violation!.time).toBeLessThanOrEqual(original.violation!.time);
    const replayed = await toy(seed, outcome.record);
    expect(replayed.violation).toEqual(outcome.result.violation);
  });

  it('cutting candidates short at the best trace length (the hint to `run`) changes nothing but the work', async () => {
    let seed = 1;
    let original = await toy(seed);
    while (!original.violation) original = await toy(++seed);
    const steps = { full: 0, cut: 0 };
    const counted = (kind: keyof typeof steps) => (result: RunResult) => {
      steps[kind] += result.steps;
      return result;
    };
    const full = await shrinkRun(original, { run: (record) => toy(seed, record).then(counted('full')), budget: 100 });
    const cut = await shrinkRun(original, { run: (record, limit) => toy(seed, record, limit).then(counted('cut')), budget: 100 });
    expect(cut.record).toEqual(full.record);
    expect(cut.result.trace).toEqual(full.result.trace);
    expect(steps.cut).toBeLessThan(steps.full);
  });

  it('refuses a passing run', async () => {
    const passing = await toy(1, {});
    expect(passing.violation).toBeUndefined();
    await expect(shrinkRun(passing, { run: (record) => toy(1, record) })).rejects.toThrowError(/failing run/);
  });
});
