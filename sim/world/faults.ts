/**
 * The fault plan of one seed. In `swarm` mode the seed first draws which of the scenario's fault
 * kinds are on, and at what fraction of their rate (TigerBeetle's swarm testing): some seeds are
 * quiet, some hostile, and a fault that masks another is sometimes off. Every occurrence is then
 * a recorded choice on the kind's own stream, so the shrinker can silence one kind at a time.
 */
import type { Sim } from '../kernel/api.ts';
import type { FaultKind, Scenario } from '../scenario/schema.ts';

export interface FaultPlan {
  /** Probability per opportunity of each enabled kind (absent: off). */
  readonly rates: Partial<Record<FaultKind, number>>;
  /** Virtual ms since the start after which no fault strikes any more. */
  readonly healAt: number;
}

export function drawFaultPlan(sim: Sim, scenario: Scenario, defaultHealAt: number): FaultPlan {
  const rates: Partial<Record<FaultKind, number>> = {};
  for (const [kind, rate] of Object.entries(scenario.faults.kinds) as [FaultKind, number][]) {
    if (rate <= 0) continue;
    if (scenario.faults.mode === 'fixed') {
      rates[kind] = rate;
      continue;
    }
    if (!sim.choices.chance(`swarm.on.${kind}`, 0.5)) continue;
    // A fraction in tenths of the listed rate: 10% to 100%.
    rates[kind] = (rate * sim.choices.int(`swarm.rate.${kind}`, 1, 10)) / 10;
  }
  const healAt = scenario.faults.healAtMinute !== undefined ? scenario.faults.healAtMinute * 60_000 : defaultHealAt;
  return { rates, healAt };
}

/** Rolls faults against the plan, in virtual time: nothing strikes once the plan has healed. */
export class FaultDice {
  constructor(
    private readonly sim: Sim,
    readonly plan: FaultPlan,
    private readonly startedAt: number,
  ) {}

  healed(): boolean {
    return this.sim.now() - this.startedAt >= this.plan.healAt;
  }

  rate(kind: FaultKind): number {
    return this.healed() ? 0 : (this.plan.rates[kind] ?? 0);
  }

  enabled(kind: FaultKind): boolean {
    return (this.plan.rates[kind] ?? 0) > 0;
  }

  /** One opportunity for `kind` to strike. */
  roll(kind: FaultKind): boolean {
    const rate = this.rate(kind);
    return rate > 0 && this.sim.choices.chance(`fault.${kind}`, rate);
  }
}
