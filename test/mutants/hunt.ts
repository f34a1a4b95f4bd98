/** Shared body of the mutant tests: every mutant is found within the budget and shrinks to a failing record. */
import { expect, it } from 'vitest';
import { findMutant, scenarioOf } from '../../mutants/catalog.ts';
import { loadEngine } from '../../sim/run/load-engine.ts';
import type { Violation } from '../../sim/kernel/kernel.ts';
import { runBatch } from '../../sim/run/sweep.ts';

/** The fixed budget: seeds from the sweep's default start. */
export const SEED_BUDGET = 2000;
const SHRINK_BUDGET = 4;

/**
 * Runs the mutant at `seed`, which must fail (as `invariant`, when given); the failure shrinks to a
 * record that still fails the same way, and that record replays exactly. Returns the violation.
 */
async function expectShrinkable(name: string, seed: number, invariant?: string): Promise<Violation> {
  const engine = await loadEngine(name);
  const scenario = engine.resolveScenario(scenarioOf(findMutant(name)));
  const original = await engine.runSeed(scenario, seed);
  expect(original.violation, `${name} passed seed ${seed}`).toBeDefined();
  if (invariant !== undefined) expect(original.violation!.invariant).toBe(invariant);
  const shrunk = await engine.shrinkSeed(scenario, seed, original, SHRINK_BUDGET);
  expect(shrunk.result.violation?.invariant).toBe(original.violation!.invariant);
  expect(shrunk.after).toBeLessThanOrEqual(shrunk.before);
  const replayed = await engine.runSeed(scenario, seed, { record: shrunk.record });
  expect(replayed.violation).toEqual(shrunk.result.violation);
  return original.violation!;
}

async function expectCleanPasses(scenario: string, seeds: number[]): Promise<void> {
  const clean = await runBatch({ scenario, seeds });
  expect(clean.filter((r) => r.violation).map((r) => `${scenario} ${r.seed}: ${r.violation!.invariant}: ${r.violation!.message}`)).toEqual([]);
}

/**
 * Hunts each mutant from seed 1, as `drainsim hunt` does, then checks the real code on the same
 * seeds. Mutants whose first failure lies hundreds of seeds out (`farFirstFailures`, PC9): hunting
 * them from seed 1 costs minutes of CPU each, more than CI can spend. CI checks the first failing
 * seed that `drainsim hunt` measured (docs/regression-corpus.md) instead: the mutant fails there as
 * expected and shrinks; the real code is checked on every seed up to it, the seeds a hunt would
 * have swept.
 */
export function huntMutants(names: string[], farFirstFailures: Record<string, number> = {}): void {
  /** Per scenario, the furthest seed a mutant needed. */
  const furthest = new Map<string, number>();
  const needed = (scenario: string, seed: number) => furthest.set(scenario, Math.max(furthest.get(scenario) ?? 0, seed));
  for (const name of names) {
    const mutant = findMutant(name);
    const scenario = scenarioOf(mutant);
    it(`${mutant.race} ${name}: found in ${scenario} within ${SEED_BUDGET} seeds as ${mutant.expect.join(' or ')}, minimised to a trace that still fails`, async () => {
      const seeds = Array.from({ length: SEED_BUDGET }, (_, i) => i + 1);
      const results = await runBatch({ scenario, seeds, mutant: name, stopOnFirstViolation: true });
      const failure = results.find((r) => r.violation);
      expect(failure, `${name} survived ${SEED_BUDGET} seeds`).toBeDefined();
      expect(mutant.expect).toContain(failure!.violation!.invariant);
      needed(scenario, failure!.seed);
      await expectShrinkable(name, failure!.seed, failure!.violation!.invariant);
    }, 900_000);
  }
  for (const [name, seed] of Object.entries(farFirstFailures)) {
    const mutant = findMutant(name);
    needed(scenarioOf(mutant), seed);
    it(`${mutant.race} ${name}: fails at seed ${seed} (its measured first failure) as ${mutant.expect.join(' or ')}, minimised to a trace that still fails`, async () => {
      expect(seed).toBeLessThanOrEqual(SEED_BUDGET);
      const violation = await expectShrinkable(name, seed);
      expect(mutant.expect).toContain(violation.invariant);
    }, 300_000);
  }
  // The unmutated code passes every seed any of these mutants needed (one sweep per scenario, not one per mutant).
  it('the unmutated code passes the same seeds', async () => {
    for (const [scenario, last] of furthest) await expectCleanPasses(scenario, Array.from({ length: last }, (_, i) => i + 1));
  }, 900_000);
}
