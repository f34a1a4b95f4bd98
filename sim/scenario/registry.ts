/**
 * Finds scenarios: the named ones shipped in `scenarios/`, or a user's file given by path.
 * Every failure is a `ScenarioError` whose message names what is wrong (the zod path of an
 * invalid field, or the list of known names), so the CLI can print it and exit 2.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ScenarioSchema, type Scenario } from './schema.ts';

export const SCENARIO_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'scenarios');

export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
}

export function parseScenario(raw: unknown, source: string): Scenario {
  const parsed = ScenarioSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `  at ${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`);
  throw new ScenarioError(`invalid scenario ${source}:\n${problems.join('\n')}`);
}

export function loadScenarioFile(file: string): Scenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ScenarioError(`cannot read scenario file ${file}: ${(error as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ScenarioError(`scenario file ${file} is not valid JSON: ${(error as Error).message}`);
  }
  return parseScenario(raw, file);
}

let cache: Map<string, Scenario> | undefined;

/** Every shipped scenario by name, validated. */
export function builtinScenarios(): Map<string, Scenario> {
  if (cache) return cache;
  const found = new Map<string, Scenario>();
  for (const file of readdirSync(SCENARIO_DIR).filter((f) => f.endsWith('.json')).sort()) {
    const scenario = loadScenarioFile(path.join(SCENARIO_DIR, file));
    if (`${scenario.name}.json` !== file) throw new ScenarioError(`scenario file ${file} declares the name "${scenario.name}"`);
    found.set(scenario.name, scenario);
  }
  cache = found;
  return found;
}

/** A scenario by name, or by path when the argument looks like a file (`./x.json`, `a/b.json`). */
export function resolveScenario(nameOrPath: string): Scenario {
  if (nameOrPath.endsWith('.json') || nameOrPath.includes('/')) return loadScenarioFile(nameOrPath);
  const scenario = builtinScenarios().get(nameOrPath);
  if (!scenario) {
    throw new ScenarioError(`unknown scenario "${nameOrPath}"; known scenarios: ${[...builtinScenarios().keys()].join(', ')}`);
  }
  return scenario;
}
