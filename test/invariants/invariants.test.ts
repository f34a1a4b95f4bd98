import { describe, expect, it } from 'vitest';
import type { Mutant, Patch } from '../../mutants/catalog.ts';
import { prepareTree } from '../../mutants/apply.ts';
import type { EngineModule } from '../../sim/run/load-engine.ts';
import { loadEngine } from '../../sim/run/load-engine.ts';
import { INVARIANTS } from '../../sim/invariants/catalog.ts';

/** The engine of a tree with `patches` applied: a run built to break one invariant. */
async function brokenEngine(name: string, patches: Patch[]): Promise<EngineModule> {
  const mutant: Mutant = { name: `test-${name}`, race: 'test', description: name, expect: ['no-crash'], patches };
  return import(`file://${prepareTree(mutant)}/sim/run/engine.ts`) as Promise<EngineModule>;
}

/** Runs seeds until one fails; returns the first violation. */
async function firstViolation(engine: EngineModule, scenarioName: string, seeds = 20) {
  const scenario = engine.resolveScenario(scenarioName);
  for (let seed = 1; seed <= seeds; seed++) {
    const result = await engine.runSeed(scenario, seed);
    if (result.violation) return { seed, violation: result.violation };
  }
  return undefined;
}

/** Invariants the mutant corpus does not already prove (see test/mutants). */
const BUILT_TO_BREAK: { invariant: string; scenario: string; patches: Patch[] }[] = [
  {
    invariant: 'no-dispatch-while-draining',
    scenario: 'busy-polecats',
    // The reconciler's gate and the tick's re-check before each dispatch (PC5) both removed.
    patches: [
      { file: 'src/town/reconciler.ts', find: '  if (!context.draining) {', replace: '  {' },
      { file: 'src/town/town-do.ts', find: '      if (this.drain.snapshot.draining) this.deferDispatch(dispatch);\n      else await this.dispatch(dispatch);', replace: '      await this.dispatch(dispatch);' },
    ],
  },
  {
    invariant: 'agent-ends-once',
    scenario: 'steady-state',
    patches: [{ file: 'src/container/process-manager.ts', find: "    await this.report(agent, 'completed', { reason: 'completed' });", replace: "    await this.report(agent, 'completed', { reason: 'completed' });\n    await this.report(agent, 'completed', { reason: 'completed' });" }],
  },
  {
    invariant: 'exit-before-sigkill',
    scenario: 'busy-polecats',
    // Never exits, and never acknowledges (else it would end its own drain first, at the hand-off).
    patches: [
      { file: 'src/container/signals.ts', find: '      .finally(() => processPort.exit(0));', replace: '      .finally(() => undefined);' },
      { file: 'src/container/drain-ack.ts', find: '    if (this.acknowledged || this.inFlight) return;', replace: '    return;' },
    ],
  },
  {
    invariant: 'drain-survives-restart',
    scenario: 'town-restart-during-drain',
    patches: [{ file: 'src/town/drain-state.ts', find: '      draining: stored.get(KEYS.draining) === true,', replace: '      draining: false,' }],
  },
  {
    invariant: 'sigint-never-drains',
    scenario: 'local-sigint',
    patches: [{ file: 'src/container/signals.ts', find: '    void lifecycle.stopAll().finally(() => processPort.exit(0));', replace: '    void lifecycle.drainAll().then(() => lifecycle.stopAll()).finally(() => processPort.exit(0));' }],
  },
  {
    invariant: 'work-resumes',
    scenario: 'busy-polecats',
    patches: [{ file: 'src/town/reconciler.ts', find: '    actions.push(...unassignedOpenIssues(state.beads, beads, context.now));\n', replace: '    if (context.now < 0) actions.push(...unassignedOpenIssues(state.beads, beads, context.now));\n' }],
  },
];

describe('invariants', () => {
  it('every invariant has a stable name, a kind and a description', () => {
    expect(new Set(INVARIANTS.map((i) => i.name)).size).toBe(INVARIANTS.length);
    for (const i of INVARIANTS) expect(i.description.length).toBeGreaterThan(20);
  });

  for (const { invariant, scenario, patches } of BUILT_TO_BREAK) {
    it(`${invariant} fires on a run built to break it, and stays quiet on the same seed of the real code`, async () => {
      const found = await firstViolation(await brokenEngine(invariant, patches), scenario);
      expect(found?.violation.invariant).toBe(invariant);
      expect(found?.violation.message).toMatch(/expected .+; but .+/);
      const clean = await loadEngine();
      expect((await clean.runSeed(clean.resolveScenario(scenario), found!.seed)).violation).toBeUndefined();
    }, 300_000);
  }

  it('replaying a recorded failure reproduces the same violation at the same virtual time, from the seed and from the record', async () => {
    const engine = await loadEngine('r4-handoff-without-delay');
    const scenario = engine.resolveScenario('default');
    const original = await engine.runSeed(scenario, 2);
    expect(original.violation).toBeDefined();
    expect((await engine.runSeed(scenario, 2)).violation).toEqual(original.violation);
    expect((await engine.runSeed(scenario, 2, { record: structuredClone(original.record) })).violation).toEqual(original.violation);
  }, 120_000);

  it('shrink output still violates the same invariant and is never longer than its input', async () => {
    const engine = await loadEngine('r7-snapshot-live-sessions');
    const scenario = engine.resolveScenario('default');
    const original = await engine.runSeed(scenario, 1);
    const shrunk = await engine.shrinkSeed(scenario, 1, original, 25);
    expect(shrunk.result.violation?.invariant).toBe(original.violation?.invariant);
    expect(shrunk.result.trace.length).toBeLessThanOrEqual(original.trace.length);
    expect(shrunk.after).toBeLessThan(shrunk.before);
  }, 300_000);
});
