import type { Command } from 'commander';
import { readFileSync, writeFileSync } from 'node:fs';
import { loadEngine } from '../../run/load-engine.ts';
import { UsageError } from '../../run/seeds.ts';
import { isSeed } from '../../kernel/kernel.ts';
import type { ChoiceRecord } from '../../kernel/choices.ts';
import { traceToJsonLines, formatVirtualTime } from '../../kernel/trace.ts';
import { traceToHtml } from '../../run/trace-html.ts';
import { describeViolation, printTrace } from '../format.ts';
import { EXIT_VIOLATION, type CliContext } from '../context.ts';
import { checkMutant, checkOutputFile, parseSeed } from './common.ts';

interface ReplayOptions {
  seed?: string;
  record?: string;
  trace?: string;
  html?: string;
  verbose?: boolean;
  mutant?: string;
}

/** What a record file says about the run it came from (`shrink` writes it; a bare choice map has none). */
export interface RecordOrigin {
  scenario?: string;
  seed?: number;
  mutant?: string;
}

export function readRecord(file: string): { record: ChoiceRecord; origin: RecordOrigin } {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`cannot read record ${file}: ${(error as Error).message}`);
  }
  const wrapped = typeof raw === 'object' && raw !== null && 'record' in raw;
  const record = wrapped ? (raw as { record: unknown }).record : raw;
  const valid =
    typeof record === 'object' && record !== null &&
    Object.values(record).every((v) => Array.isArray(v) && v.every((n) => Number.isInteger(n) && n >= 0 && n < 2 ** 32));
  if (!valid) throw new UsageError(`record ${file} is not a map of stream names to lists of uint32 choices`);
  const { scenario, seed, mutant } = (wrapped ? raw : {}) as Record<string, unknown>;
  if (seed !== undefined && !(typeof seed === 'number' && isSeed(seed))) throw new UsageError(`record ${file} names a bad seed ${JSON.stringify(seed)}: expected a whole number >= 0`);
  const origin: RecordOrigin = {
    ...(typeof scenario === 'string' ? { scenario } : {}),
    ...(typeof seed === 'number' ? { seed } : {}),
    ...(typeof mutant === 'string' ? { mutant } : {}),
  };
  return { record: record as ChoiceRecord, origin };
}

/**
 * A record replays the choices of one (scenario, seed, mutant): replayed elsewhere it would run
 * some other story, and without its mutant it would pass. Refused, with the command that fits.
 */
function checkOrigin(file: string, origin: RecordOrigin, run: { scenario: string; seed: number; mutant: string | undefined }): void {
  if (origin.scenario === undefined && origin.seed === undefined) return;
  const fits = origin.scenario === run.scenario && origin.seed === run.seed && origin.mutant === run.mutant;
  if (fits) return;
  const made = `${origin.scenario ?? '?'} --seed ${origin.seed ?? '?'}${origin.mutant ? ` --mutant ${origin.mutant}` : ''}`;
  throw new UsageError(`record ${file} was made for ${made}; replay it with: npx drainsim replay ${made} --record ${file}`);
}

export function registerReplay(program: Command, ctx: CliContext): void {
  program
    .command('replay')
    .description('re-run one (scenario, seed) exactly and print its full trace')
    .argument('<scenario>', 'scenario name or .json file')
    .option('--seed <n>', 'the seed to replay (with --record: by default the seed the record was made for)')
    .option('--record <file>', 'replay a recorded (e.g. shrunk) list of choices instead of drawing from the seed')
    .option('--trace <file>', 'also write the trace as JSON lines')
    .option('--html <file>', 'also write the trace as a self-contained HTML timeline')
    .option('--verbose', "include the system's info logs in the trace")
    .option('--mutant <name>', 'replay against a regression mutant')
    .action(async (scenarioArg: string, options: ReplayOptions) => {
      const recorded = options.record ? readRecord(options.record) : undefined;
      const seed = options.seed !== undefined ? parseSeed(options.seed) : recorded?.origin.seed;
      if (seed === undefined) {
        throw new UsageError(recorded ? `record ${options.record} does not name its seed: give --seed <n>` : 'replay needs --seed <n> (or a --record that names its seed)');
      }
      const mutant = checkMutant(options.mutant);
      if (recorded) checkOrigin(options.record!, recorded.origin, { scenario: scenarioArg, seed, mutant });
      const record = recorded?.record;
      const traceFile = checkOutputFile(options.trace, '--trace');
      const htmlFile = checkOutputFile(options.html, '--html');
      const engine = await loadEngine(mutant);
      const scenario = engine.resolveScenario(scenarioArg);
      const result = await engine.runSeed(scenario, seed, { ...(record ? { record } : {}), ...(options.verbose ? { verbose: true } : {}) });
      process.stdout.write(printTrace(result.trace) + '\n\n');
      if (traceFile) writeFileSync(traceFile, traceToJsonLines(result.trace));
      if (htmlFile) writeFileSync(htmlFile, traceToHtml(`${scenarioArg} seed ${seed}`, result));
      if (result.violation) {
        const replay = engine.replayCommand(scenarioArg, seed, mutant) + (options.record ? ` --record ${options.record}` : '');
        process.stdout.write(describeViolation(scenarioArg, seed, result.violation, replay) + '\n');
        ctx.exit = EXIT_VIOLATION;
      } else {
        process.stdout.write(`ok: ${scenarioArg} seed ${seed}, ${result.steps} steps, ${formatVirtualTime(result.virtualMs)} virtual, ${result.trace.length} trace lines\n`);
      }
    });
}
