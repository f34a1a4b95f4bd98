/**
 * drainsim's harness as a library (`drainsim`): build a world, run a seed, shrink a failure, read
 * scenarios. The fakes are in `drainsim/fakes`, the kernel in `drainsim/kernel`, test-runner glue
 * in `drainsim/vitest` and `drainsim/fast-check`.
 */
export { buildWorld, TOWN_ID, type World, type WorldOptions, type InstanceParts } from './world/world.ts';
export { runSeed, replayCommand, type SeedRunOptions } from './run/run-seed.ts';
export { shrinkRun, type ShrinkOptions, type ShrinkOutcome } from './run/shrink.ts';
export { sweep, runBatch, type SeedSummary, type SweepTask } from './run/sweep.ts';
export { loadEngine, type EngineModule } from './run/load-engine.ts';
export { builtinScenarios, loadScenarioFile, parseScenario, resolveScenario, ScenarioError, SCENARIO_DIR } from './scenario/registry.ts';
export { ScenarioSchema, scenarioJsonSchema, FAULT_KINDS, FAULT_DESCRIPTIONS, type Scenario, type ScenarioInput, type FaultKind } from './scenario/schema.ts';
export { INVARIANTS, type InvariantInfo, type InvariantName } from './invariants/catalog.ts';
export { formatTrace, hashTrace, traceToJsonLines, type TraceEntry } from './kernel/trace.ts';
export type { RunResult, Violation } from './kernel/kernel.ts';
export type { ChoiceRecord } from './kernel/choices.ts';
