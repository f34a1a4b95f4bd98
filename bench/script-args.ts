/**
 * Command-line options for the bench scripts: `--help` prints the usage; a bad option, a count
 * that is not a whole number or an unknown scenario prints what is wrong and exits 2, as the CLI does, before any work starts.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ScenarioError, resolveScenario } from '../sim/scenario/registry.ts';
import type { Scenario } from '../sim/scenario/schema.ts';
import { UsageError, parseWholeNumber } from '../sim/run/seeds.ts';

type Options = NonNullable<ParseArgsConfig['options']>;
type Values<T extends Options> = ReturnType<typeof parseArgs<{ options: T }>>['values'];

export function scriptArgs<T extends Options>(options: T, usage: string): Values<T> {
  try {
    const { values } = parseArgs({ options: { ...options, help: { type: 'boolean', short: 'h' } } as Options });
    if (values.help === true) {
      process.stdout.write(`${usage}\n`);
      process.exit(0);
    }
    return values as Values<T>;
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${usage}\n`);
    process.exit(2);
  }
}

export function scenarioArg(nameOrPath: string): Scenario {
  try {
    return resolveScenario(nameOrPath);
  } catch (error) {
    if (!(error instanceof ScenarioError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
}

/** A whole number of at least `min` (seeds, jobs, ...), checked as the CLI checks its counts. */
export function countArg(option: string, value: string, min = 1): number {
  try {
    return parseWholeNumber(value, `--${option}`, min);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
}
