/** Shared body of the mutant tests: every mutant is found within the budget and shrinks to a failing record. */
import { expect, it } from 'vitest';
import { MUTANTS } from '../../mutants/catalog.ts';
import { loadEngine } from '../../sim/run/load-engine.ts';
import { runBatch } from '../../sim/run/sweep.ts';

/** The fixed budget: seeds from the sweep's default start. */
export const SEED_BUDGET = 2000;
const SHRINK_BUDGET = 4;

export function huntMutants(names: string[]): void {
  let furthest = 0;
  for (const name of names) {
    const mutant = MUTANTS.find((m) => m.name === name)!;
    it(`${mutant.race} ${name}: found within ${SEED_BUDGET} seeds as ${mutant.expect.join(' or ')}, minimised to a trace that still fails`, async () => {
      const seeds = Array.from({ length: SEED_BUDGET }, (_, i) => i + 1);
      const results = await runBatch({ scenario: 'default', seeds, mutant: name, stopOnFirstViolation: true });
      const failure = results.find((r) => r.violation);
      expect(failure, `${name} survived ${SEED_BUDGET} seeds`).toBeDefined();
      expect(mutant.expect).toContain(failure!.violation!.invariant);
      furthest = Math.max(furthest, failure!.seed);
      const engine = await loadEngine(name);
      const scenario = engine.resolveScenario('default');
      const original = await engine.runSeed(scenario, failure!.seed);
      const shrunk = await engine.shrinkRun(original, { run: (record) => engine.runSeed(scenario, failure!.seed, { record }), budget: SHRINK_BUDGET });
      expect(shrunk.result.violation?.invariant).toBe(failure!.violation!.invariant);
      expect(shrunk.after).toBeLessThanOrEqual(shrunk.before);
      const replayed = await engine.runSeed(scenario, failure!.seed, { record: shrunk.record });
      expect(replayed.violation).toEqual(shrunk.result.violation);
    }, 900_000);
  }
  // The unmutated code passes every seed any of these mutants needed (one sweep, not one per mutant).
  it('the unmutated code passes the same seeds', async () => {
    const clean = await runBatch({ scenario: 'default', seeds: Array.from({ length: furthest }, (_, i) => i + 1) });
    expect(clean.filter((r) => r.violation).map((r) => `${r.seed}: ${r.violation!.invariant}: ${r.violation!.message}`)).toEqual([]);
  }, 900_000);
}
