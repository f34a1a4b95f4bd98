import type { Command } from 'commander';
import { builtinScenarios } from '../../scenario/registry.ts';
import { FAULT_DESCRIPTIONS, FAULT_KINDS, scenarioJsonSchema } from '../../scenario/schema.ts';
import { INVARIANTS } from '../../invariants/catalog.ts';
import { MUTANTS, scenarioOf } from '../../../mutants/catalog.ts';
import { table } from '../format.ts';
import type { CliContext } from '../context.ts';

export function registerList(program: Command, _ctx: CliContext): void {
  program
    .command('list')
    .description('list scenarios, invariants, fault kinds and regression mutants')
    .option('--schema', 'print the JSON Schema of a scenario file instead')
    .action((options: { schema?: boolean }) => {
      if (options.schema) {
        process.stdout.write(JSON.stringify(scenarioJsonSchema(), null, 2) + '\n');
        return;
      }
      const out: string[] = [];
      out.push('SCENARIOS', table(['name', 'description'], [...builtinScenarios().values()].map((s) => [s.name, s.description])), '');
      out.push('INVARIANTS', table(['name', 'kind', 'description'], INVARIANTS.map((i) => [i.name, i.kind, i.description])), '');
      out.push('FAULT KINDS', table(['kind', 'description'], FAULT_KINDS.map((k) => [k, FAULT_DESCRIPTIONS[k]])), '');
      out.push('MUTANTS', table(['name', 'race', 'expected invariant', 'hunted in', 'description'], MUTANTS.map((m) => [m.name, m.race, m.expect.join(' or '), scenarioOf(m), m.description])));
      process.stdout.write(out.join('\n') + '\n');
    });
}
