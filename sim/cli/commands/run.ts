import type { Command } from 'commander';
import { builtinScenarios, resolveScenario } from '../../scenario/registry.ts';
import { sweep, defaultJobs, type SeedSummary } from '../../run/sweep.ts';
import { replayCommand } from '../../run/run-seed.ts';
import { formatVirtualTime } from '../../kernel/trace.ts';
import { describeViolation, progress, table } from '../format.ts';
import { EXIT_VIOLATION, type CliContext } from '../context.ts';
import { checkMutant, checkOutputFile, parseJobs, selectSeeds, type SeedOptions } from './common.ts';
import { writeFileSync } from 'node:fs';

interface RunOptions extends SeedOptions {
  jobs?: string;
  mutant?: string;
  json?: string;
}

export function registerRun(program: Command, ctx: CliContext): void {
  program
    .command('run')
    .description('sweep scenarios over seeds; exit 1 and print the replay command on a violation')
    .argument('[scenarios...]', 'scenario names or .json files (default: every shipped scenario)')
    .option('--seeds <n>', 'seeds 1..n per scenario (default 100)')
    .option('--seed-range <A..B>', 'an explicit inclusive seed range')
    .option('--shard <i/n>', 'only the i-th of n interleaved slices of the seeds (for CI matrices)')
    .option('--jobs <n>', 'worker threads (default: the number of cores)')
    .option('--mutant <name>', 'run against a regression mutant instead of src/')
    .option('--json <file>', 'also write every seed result as JSON')
    .action(async (scenarioArgs: string[], options: RunOptions) => {
      const names = scenarioArgs.length > 0 ? scenarioArgs : [...builtinScenarios().keys()];
      for (const name of names) resolveScenario(name);
      const mutant = checkMutant(options.mutant);
      const { seeds } = selectSeeds(options, 100);
      const jobs = parseJobs(options.jobs, defaultJobs());
      const json = checkOutputFile(options.json, '--json');
      const bar = progress(seeds.length * names.length, mutant ? `run (mutant ${mutant})` : 'run', ctx.quiet);
      const started = performance.now();
      const results = await sweep({ scenarios: names, seeds, jobs, ...(mutant ? { mutant } : {}), onResult: (s) => bar.tick(Boolean(s.violation)) });
      bar.stop();
      const wall = (performance.now() - started) / 1000;
      process.stdout.write(summarise(names, results, wall) + '\n');
      const failures = firstFailures(results);
      for (const failure of failures) {
        process.stdout.write('\n' + describeViolation(failure.scenario, failure.seed, failure.violation!, replayCommand(failure.scenario, failure.seed, mutant)) + '\n');
      }
      if (json) writeFileSync(json, JSON.stringify(results, null, 2));
      if (failures.length > 0) ctx.exit = EXIT_VIOLATION;
    });
}

function summarise(names: string[], results: SeedSummary[], wallSeconds: number): string {
  const rows = names.map((name) => {
    const mine = results.filter((r) => r.scenario === name);
    const violations = mine.filter((r) => r.violation).length;
    const steps = mine.reduce((n, r) => n + r.steps, 0);
    const virtual = mine.reduce((n, r) => n + r.virtualMs, 0);
    return [name, mine.length, violations, steps, formatVirtualTime(virtual / Math.max(1, mine.length))];
  });
  const total = results.length;
  return `${table(['scenario', 'seeds', 'violations', 'events', 'virtual/seed'], rows)}\n\n${total} seeds in ${wallSeconds.toFixed(1)} s (${(total / wallSeconds).toFixed(1)} seeds/s)`;
}

/** The first failing seed of each scenario: one replay command per distinct failure site. */
function firstFailures(results: SeedSummary[]): SeedSummary[] {
  const seen = new Set<string>();
  return results.filter((r) => r.violation && !seen.has(r.scenario) && seen.add(r.scenario));
}
