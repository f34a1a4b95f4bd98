import type { Command } from 'commander';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadEngine } from '../../run/load-engine.ts';
import { DEFAULT_SHRINK_BUDGET, type ShrinkOutcome } from '../../run/shrink.ts';
import { parsePositiveInt } from '../../run/seeds.ts';
import { formatVirtualTime } from '../../kernel/trace.ts';
import { describeViolation, printTrace } from '../format.ts';
import { EXIT_VIOLATION, type CliContext } from '../context.ts';
import { checkMutant, checkOutputFile, parseSeed } from './common.ts';

interface ShrinkOptions {
  seed: string;
  budget: string;
  out?: string;
  mutant?: string;
}

export function registerShrink(program: Command, ctx: CliContext): void {
  program
    .command('shrink')
    .description('minimise a failing (scenario, seed) to the shortest trace that still violates the same invariant; exit 1 with the shrunk failure, 0 when the seed passes')
    .argument('<scenario>', 'scenario name or .json file')
    .requiredOption('--seed <n>', 'the failing seed')
    .option('--budget <n>', 'most re-runs to try', String(DEFAULT_SHRINK_BUDGET))
    .option('--out <file>', 'where to write the minimised record (default out/records/<scenario>-<seed>[-<mutant>].json)')
    .option('--mutant <name>', 'shrink a failure of a regression mutant')
    .action(async (scenarioArg: string, options: ShrinkOptions) => {
      const seed = parseSeed(options.seed);
      const mutant = checkMutant(options.mutant);
      const budget = parsePositiveInt(options.budget, '--budget');
      const out = checkOutputFile(options.out, '--out');
      const engine = await loadEngine(mutant);
      const scenario = engine.resolveScenario(scenarioArg);
      const original = await engine.runSeed(scenario, seed);
      if (!original.violation) {
        process.stdout.write(`${scenarioArg} seed ${seed} passes: nothing to shrink\n`);
        return;
      }
      const outcome = await engine.shrinkSeed(scenario, seed, original, budget);
      const file = writeShrunkRecord(out ?? defaultRecordPath(scenario.name, seed, mutant), { scenario: scenarioArg, seed, mutant }, outcome);
      process.stdout.write(printTrace(outcome.result.trace) + '\n\n');
      process.stdout.write(
        `shrunk ${outcome.before} -> ${outcome.after} trace lines in ${outcome.attempts} re-runs; violation at ${formatVirtualTime(outcome.result.violation!.time)}\n`,
      );
      process.stdout.write(describeViolation(scenarioArg, seed, outcome.result.violation!, `${engine.replayCommand(scenarioArg, seed, mutant)} --record ${file}`) + '\n');
      ctx.exit = EXIT_VIOLATION;
    });
}

export function defaultRecordPath(scenario: string, seed: number, mutant?: string): string {
  return path.join('out', 'records', `${scenario}-${seed}${mutant ? `-${mutant}` : ''}.json`);
}

/** Writes what `replay --record` reads; returns the file. */
export function writeShrunkRecord(file: string, run: { scenario: string; seed: number; mutant: string | undefined }, outcome: ShrinkOutcome): string {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify({ ...run, invariant: outcome.result.violation?.invariant, record: outcome.record }, null, 1));
  return file;
}
