/**
 * Everything that touches the system under test, behind one module: the CLI, the worker pool and
 * the library load it through `loadEngine`, which for a mutant imports this same file from a
 * patched copy of the tree. Nothing above this line imports `src/` directly.
 */
export { runSeed, shrinkSeed, replayCommand, type SeedRunOptions } from './run-seed.ts';
export { resolveScenario, builtinScenarios, loadScenarioFile, ScenarioError } from '../scenario/registry.ts';
