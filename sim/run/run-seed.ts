/**
 * Runs one `(scenario, seed)` - or its recorded choices - to its end, minimises a failing one, and
 * says how to replay it.
 */
import type { ChoiceRecord } from '../kernel/choices.ts';
import type { RunResult } from '../kernel/kernel.ts';
import type { Scenario } from '../scenario/schema.ts';
import { buildWorld } from '../world/world.ts';
import { shrinkRun, type ShrinkOutcome } from './shrink.ts';

export interface SeedRunOptions {
  record?: ChoiceRecord;
  verbose?: boolean;
  checkRealTurns?: boolean;
  stopAfterTraceLines?: number;
}

export async function runSeed(scenario: Scenario, seed: number, options: SeedRunOptions = {}): Promise<RunResult> {
  const world = await buildWorld({ scenario, seed, ...options });
  return world.run();
}

/** Shrinks `failing`, a run of `(scenario, seed)`, by re-running the seed with edited records. */
export function shrinkSeed(scenario: Scenario, seed: number, failing: RunResult, budget?: number): Promise<ShrinkOutcome> {
  return shrinkRun(failing, {
    run: (record, stopAfterTraceLines) => runSeed(scenario, seed, { record, stopAfterTraceLines }),
    ...(budget !== undefined ? { budget } : {}),
  });
}

/** The command that replays a run; `scenarioArg` is the name or the file it was given as. */
export function replayCommand(scenarioArg: string, seed: number, mutant?: string): string {
  return `npx drainsim replay ${scenarioArg} --seed ${seed}${mutant ? ` --mutant ${mutant}` : ''}`;
}
