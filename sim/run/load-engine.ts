/**
 * Loads the engine: this tree's, or a mutant's patched copy of it. Each copy is imported once per
 * thread and kept.
 */
import type * as Engine from './engine.ts';

export type EngineModule = typeof Engine;

const loaded = new Map<string, Promise<EngineModule>>();

export function loadEngine(mutant?: string): Promise<EngineModule> {
  const key = mutant ?? '';
  let engine = loaded.get(key);
  if (!engine) {
    engine = mutant === undefined ? import('./engine.ts') : loadMutantEngine(mutant);
    loaded.set(key, engine);
  }
  return engine;
}

async function loadMutantEngine(name: string): Promise<EngineModule> {
  const { prepareMutantTree } = await import('../../mutants/apply.ts');
  const root = prepareMutantTree(name);
  return import(new URL(`file://${root}/sim/run/engine.ts`).href) as Promise<EngineModule>;
}
