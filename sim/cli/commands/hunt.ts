import type { Command } from 'commander';
import { findMutant, MUTANTS, scenarioOf } from '../../../mutants/catalog.ts';
import { loadEngine } from '../../run/load-engine.ts';
import { DEFAULT_SHRINK_BUDGET } from '../../run/shrink.ts';
import { resolveScenario } from '../../scenario/registry.ts';
import { sweep, defaultJobs } from '../../run/sweep.ts';
import { parsePositiveInt, UsageError } from '../../run/seeds.ts';
import { formatVirtualTime } from '../../kernel/trace.ts';
import { describeViolation, printTrace, table } from '../format.ts';
import { EXIT_VIOLATION, type CliContext } from '../context.ts';
import { checkMutant, parseJobs, parseSeed } from './common.ts';
import { defaultRecordPath, writeShrunkRecord } from './shrink.ts';

interface HuntOptions {
  mutant?: string;
  all?: boolean;
  scenario?: string;
  start: string;
  maxSeeds: string;
  jobs?: string;
  budget: string;
}

export interface HuntOutcome {
  mutant: string;
  expected: string;
  found: boolean;
  seedsTried: number;
  firstSeed?: number;
  invariant?: string;
  traceLines?: number;
  shrunkLines?: number;
  wallSeconds: number;
}

export function registerHunt(program: Command, ctx: CliContext): void {
  program
    .command('hunt')
    .description('sweep a regression mutant until the first violation, then minimise it; exit 0 when every hunted mutant is found, 1 when one survives')
    .option('--mutant <name>', 'the mutant to hunt (see `drainsim list`)')
    .option('--all', 'hunt every mutant in turn')
    .option('--scenario <name>', "scenario to sweep (default: the mutant's own, `default` for most; see `drainsim list`)")
    .option('--start <seed>', 'first seed', '1')
    .option('--max-seeds <n>', 'give up after this many seeds', '2000')
    .option('--jobs <n>', 'worker threads (default: the number of cores)')
    .option('--budget <n>', 'most re-runs for the shrinker', String(DEFAULT_SHRINK_BUDGET))
    .action(async (options: HuntOptions) => {
      if (Boolean(options.all) === Boolean(options.mutant)) throw new UsageError('give exactly one of --mutant <name> or --all');
      const names = options.all ? MUTANTS.map((m) => m.name) : [checkMutant(options.mutant)!];
      // Checked before any mutant tree is built.
      if (options.scenario !== undefined) resolveScenario(options.scenario);
      const start = parseSeed(options.start);
      const maxSeeds = parsePositiveInt(options.maxSeeds, '--max-seeds');
      const jobs = parseJobs(options.jobs, defaultJobs());
      const budget = parsePositiveInt(options.budget, '--budget');
      const outcomes: HuntOutcome[] = [];
      for (const name of names) {
        const outcome = await huntOne(name, {
          ...(options.scenario !== undefined ? { scenario: options.scenario } : {}),
          start,
          maxSeeds,
          jobs,
          budget,
        });
        outcomes.push(outcome);
        if (!outcome.found) ctx.exit = EXIT_VIOLATION;
      }
      process.stdout.write(
        '\n' +
          table(
            ['mutant', 'expected', 'hit', 'seeds', 'trace', 'shrunk', 'wall s'],
            outcomes.map((o) => [o.mutant, o.expected, o.invariant ?? 'NOT FOUND', o.seedsTried, o.traceLines ?? '-', o.shrunkLines ?? '-', o.wallSeconds.toFixed(1)]),
          ) +
          '\n',
      );
    });
}

export async function huntOne(
  name: string,
  options: { scenario?: string; start: number; maxSeeds: number; jobs: number; budget?: number; print?: boolean },
): Promise<HuntOutcome> {
  const print = options.print ?? true;
  const mutant = findMutant(name);
  const scenarioName = options.scenario ?? scenarioOf(mutant);
  const started = performance.now();
  const seeds = Array.from({ length: options.maxSeeds }, (_, i) => options.start + i);
  const results = await sweep({ scenarios: [scenarioName], seeds, jobs: options.jobs, mutant: name, stopOnFirstViolation: true });
  const failure = results.find((r) => r.violation);
  if (!failure) {
    if (print) process.stdout.write(`${name}: NOT FOUND in ${results.length} seeds\n`);
    return { mutant: name, expected: mutant.expect.join(' or '), found: false, seedsTried: results.length, wallSeconds: (performance.now() - started) / 1000 };
  }
  const engine = await loadEngine(name);
  const scenario = engine.resolveScenario(scenarioName);
  const original = await engine.runSeed(scenario, failure.seed);
  const shrunk = await engine.shrinkSeed(scenario, failure.seed, original, options.budget);
  const file = writeShrunkRecord(defaultRecordPath(scenario.name, failure.seed, name), { scenario: scenarioName, seed: failure.seed, mutant: name }, shrunk);
  const wallSeconds = (performance.now() - started) / 1000;
  const seedsTried = failure.seed - options.start + 1;
  if (print) {
    process.stdout.write(`\n=== ${name} (${mutant.race}): found after ${seedsTried} seeds in ${wallSeconds.toFixed(1)} s; expected ${mutant.expect.join(' or ')}\n`);
    process.stdout.write(printTrace(shrunk.result.trace) + '\n');
    process.stdout.write(
      describeViolation(scenarioName, failure.seed, shrunk.result.violation!, `${engine.replayCommand(scenarioName, failure.seed, name)} --record ${file}`) + '\n',
    );
    process.stdout.write(`minimised ${shrunk.before} -> ${shrunk.after} trace lines in ${shrunk.attempts} re-runs; violation at ${formatVirtualTime(shrunk.result.violation!.time)}\n`);
  }
  return {
    mutant: name,
    expected: mutant.expect.join(' or '),
    found: true,
    seedsTried,
    firstSeed: failure.seed,
    invariant: failure.violation!.invariant,
    traceLines: shrunk.before,
    shrunkLines: shrunk.after,
    wallSeconds,
  };
}
