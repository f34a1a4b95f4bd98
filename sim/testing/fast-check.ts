/**
 * fast-check arbitraries for drainsim (`drainsim/fast-check`): fault plans, and scenarios built
 * from them, so `fc.assert` generates hostile runs and its own shrinker minimises the plan (fewer
 * fault kinds, lower rates, an earlier eviction, a smaller seed).
 */
import fc from 'fast-check';
import { FAULT_KINDS, ScenarioSchema, type FaultKind, type Scenario } from '../scenario/schema.ts';

/** Which fault kinds strike, and how often (rates in tenths, so shrinking lowers them in steps). */
export type FaultPlan = Partial<Record<FaultKind, number>>;

export function faultPlanArbitrary(kinds: readonly FaultKind[] = FAULT_KINDS): fc.Arbitrary<FaultPlan> {
  return fc
    .subarray([...kinds])
    .chain((chosen) => fc.tuple(...chosen.map((kind) => fc.integer({ min: 1, max: 10 }).map((tenths) => [kind, tenths / 10] as const))))
    .map((entries) => Object.fromEntries(entries) as FaultPlan);
}

export interface PlannedRun {
  scenario: Scenario;
  seed: number;
}

/**
 * A run of `base` with a generated fault plan (fixed mode: every listed kind is on), a generated
 * eviction moment within the base's range, and a seed for everything else.
 */
export function plannedRunArbitrary(base: Scenario, options: { kinds?: readonly FaultKind[]; maxSeed?: number } = {}): fc.Arbitrary<PlannedRun> {
  const range = base.eviction?.atSeconds ?? { min: 0, max: 0 };
  return fc
    .record({
      faults: faultPlanArbitrary(options.kinds),
      evictAt: fc.integer({ min: range.min, max: range.max }),
      seed: fc.integer({ min: 1, max: options.maxSeed ?? 1000 }),
    })
    .map(({ faults, evictAt, seed }) => ({
      seed,
      scenario: ScenarioSchema.parse({
        ...base,
        name: `${base.name}-planned`,
        ...(base.eviction ? { eviction: { ...base.eviction, atSeconds: { min: evictAt, max: evictAt } } } : {}),
        faults: { ...base.faults, mode: 'fixed', kinds: faults },
      }),
    }));
}
