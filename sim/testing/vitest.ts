/**
 * Scenarios x seeds as vitest cases (`drainsim/vitest`). A failing seed fails its case with the
 * invariant, the replay command and the minimised trace in the message, so a CI log is enough to
 * reproduce it.
 *
 *   import { describeScenarios } from 'drainsim/vitest';
 *   describeScenarios({ scenarios: ['default', 'idle-town'], seeds: { first: 1, last: 20 } });
 */
import { describe, it } from 'vitest';
import { formatTrace, formatVirtualTime } from '../kernel/trace.ts';
import { isSeed } from '../kernel/kernel.ts';
import { loadEngine } from '../run/load-engine.ts';
import { seedsOf } from '../run/seeds.ts';

export interface ScenarioTestOptions {
  /** Scenario names or scenario files. */
  scenarios: string[];
  seeds: number[] | { first: number; last: number };
  /** Run against a regression mutant instead of `src/`. */
  mutant?: string;
  /** Re-runs spent minimising a failure before reporting it (default 30; 0 reports it as found). */
  shrinkBudget?: number;
  /** Per-case timeout in ms (default 120 s). */
  timeout?: number;
}

export class ScenarioFailure extends Error {
  override readonly name = 'ScenarioFailure';
}

export function describeScenarios(options: ScenarioTestOptions): void {
  const seeds = listSeeds(options.seeds);
  for (const scenarioName of options.scenarios) {
    describe(`drainsim ${scenarioName}${options.mutant ? ` (mutant ${options.mutant})` : ''}`, () => {
      for (const seed of seeds) {
        it(`seed ${seed}`, async () => {
          const engine = await loadEngine(options.mutant);
          const scenario = engine.resolveScenario(scenarioName);
          const result = await engine.runSeed(scenario, seed);
          if (!result.violation) return;
          const budget = options.shrinkBudget ?? 30;
          const shown = budget > 0 ? (await engine.shrinkSeed(scenario, seed, result, budget)).result : result;
          const violation = shown.violation ?? result.violation;
          throw new ScenarioFailure(
            [
              `${violation.invariant} violated at ${formatVirtualTime(violation.time)}: ${violation.message}`,
              `replay: ${engine.replayCommand(scenarioName, seed, options.mutant)}`,
              '',
              formatTrace(shown.trace),
            ].join('\n'),
          );
        }, options.timeout ?? 120_000);
      }
    });
  }
}

/** Refuses seeds that would quietly give no cases, or cases of some other seed. */
function listSeeds(seeds: ScenarioTestOptions['seeds']): number[] {
  if (Array.isArray(seeds)) {
    const bad = seeds.filter((n) => !isSeed(n));
    if (seeds.length === 0 || bad.length > 0) throw new RangeError(`describeScenarios: seeds must be a non-empty list of whole numbers >= 0; got [${seeds.join(', ')}]`);
    return seeds;
  }
  const { first, last } = seeds;
  if (!isSeed(first) || !isSeed(last) || first > last) {
    throw new RangeError(`describeScenarios: seeds { first: ${first}, last: ${last} } is not a range of whole numbers with 0 <= first <= last`);
  }
  return seedsOf({ first, last });
}
