import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadEngine } from 'drainsim';
import { faultPlanArbitrary, plannedRunArbitrary, type PlannedRun } from 'drainsim/fast-check';

describe('drainsim/fast-check', () => {
  it('fault plans shrink toward fewer kinds at the lowest rate', () => {
    const result = fc.check(fc.property(faultPlanArbitrary(), (plan) => Object.keys(plan).length < 3), { seed: 42 });
    expect(result.failed).toBe(true);
    const [plan] = result.counterexample!;
    expect(Object.keys(plan)).toHaveLength(3);
    expect(Object.values(plan).every((rate) => rate === 0.1)).toBe(true);
  });

  it('a property over planned runs finds a seeded bug (the R8 mutant) and shrinks its fault plan', async () => {
    const engine = await loadEngine('r8-snapshot-after-failed-freeze');
    const base = engine.resolveScenario('test/fixtures/straggler-eviction.json');
    const holds = async ({ scenario, seed }: PlannedRun) => (await engine.runSeed(scenario, seed)).violation === undefined;
    const result = await fc.check(
      fc.asyncProperty(plannedRunArbitrary(base, { kinds: ['agent.abort-throws', 'agent.ignore-nudge', 'net.slow', 'git.push-reject'], maxSeed: 20 }), holds),
      { seed: 7, numRuns: 30 },
    );
    expect(result.failed).toBe(true);
    const [run] = result.counterexample!;
    // The bug needs an abort that throws; the shrinker drops what it can of the rest.
    expect(run.scenario.faults.kinds['agent.abort-throws']).toBeGreaterThan(0);
    expect(Object.keys(run.scenario.faults.kinds).length).toBeLessThanOrEqual(2);
    expect(result.numShrinks).toBeGreaterThan(0);
  }, 600_000);
});
