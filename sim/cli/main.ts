/**
 * `drainsim`: run seeded scenario sweeps, replay and shrink a failure, hunt the regression
 * mutants. Exit codes: 0 all good, 1 an invariant was violated (or a mutant survived), 2 bad input,
 * 3 drainsim itself failed.
 */
import { Command, CommanderError, Option } from 'commander';
import { ScenarioError } from '../scenario/registry.ts';
import { UsageError } from '../run/seeds.ts';
import { registerRun } from './commands/run.ts';
import { registerReplay } from './commands/replay.ts';
import { registerShrink } from './commands/shrink.ts';
import { registerList } from './commands/list.ts';
import { registerHunt } from './commands/hunt.ts';
import { EXIT_INTERNAL, EXIT_OK, EXIT_USAGE, type CliContext } from './context.ts';

export function buildProgram(ctx: CliContext): Command {
  const program = new Command('drainsim')
    .description('Deterministic simulation of graceful container eviction: sweep seeds, replay and shrink failures.')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  program.addOption(new Option('--quiet', 'no progress output (the summary and violations still print)'));
  program.hook('preAction', () => {
    ctx.quiet = program.opts<{ quiet?: boolean }>().quiet === true;
  });
  registerRun(program, ctx);
  registerReplay(program, ctx);
  registerShrink(program, ctx);
  registerHunt(program, ctx);
  registerList(program, ctx);
  for (const command of program.commands) command.exitOverride().showHelpAfterError('(run with --help for usage)');
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const ctx: CliContext = { exit: EXIT_OK };
  const program = buildProgram(ctx);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return ctx.exit;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return EXIT_OK;
      return EXIT_USAGE;
    }
    if (error instanceof ScenarioError || error instanceof UsageError) {
      process.stderr.write(`drainsim: ${error.message}\n`);
      return EXIT_USAGE;
    }
    process.stderr.write(`drainsim: internal error (please report it with the command line):\n${(error as Error).stack ?? String(error)}\n`);
    return EXIT_INTERNAL;
  }
}
