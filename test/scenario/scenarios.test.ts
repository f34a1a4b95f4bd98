import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../fixtures/temp-dir.ts';
import { builtinScenarios, loadScenarioFile, resolveScenario, ScenarioError } from '../../sim/scenario/registry.ts';
import { scenarioJsonSchema } from '../../sim/scenario/schema.ts';

function tempFile(content: string): string {
  const file = path.join(tempDir(), 'scenario.json');
  writeFileSync(file, content);
  return file;
}

describe('scenarios', () => {
  it('ships the scenarios the sweep needs, each valid and named after its file', () => {
    const names = [...builtinScenarios().keys()];
    for (const required of [
      'steady-state', 'busy-polecats', 'review-eviction', 'idle-town', 'stragglers', 'hung-notify', 'double-sigterm',
      'town-restart-during-drain', 'partition-during-handoff', 'slow-replacement', 'starting-at-sigterm', 'default',
    ]) {
      expect(names).toContain(required);
    }
  });

  it('the default scenario draws its fault mix per seed (swarm) over many fault kinds', () => {
    const scenario = resolveScenario('default');
    expect(scenario.faults.mode).toBe('swarm');
    expect(Object.keys(scenario.faults.kinds).length).toBeGreaterThanOrEqual(10);
  });

  it('an unknown name lists the known scenarios', () => {
    expect(() => resolveScenario('nope')).toThrowError(/unknown scenario "nope"; known scenarios: .*default/);
  });

  it('an invalid file names the zod path of every problem', () => {
    const file = tempFile(JSON.stringify({ name: 'x', description: 'd', town: { rigs: 9 }, durationMinutes: 'long' }));
    let error: unknown;
    try {
      loadScenarioFile(file);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ScenarioError);
    expect((error as Error).message).toContain('at town.rigs');
    expect((error as Error).message).toContain('at durationMinutes');
  });

  it('rejects unknown keys, at any depth, and inverted ranges', () => {
    const base = { name: 'x', description: 'd', town: {}, durationMinutes: 10 };
    expect(() => loadScenarioFile(tempFile(JSON.stringify({ ...base, extra: 1 })))).toThrowError(/extra/);
    // A misspelt field would otherwise be dropped and its default used, silently.
    expect(() => loadScenarioFile(tempFile(JSON.stringify({ ...base, town: { issuez: 3 } })))).toThrowError(/at town: Unrecognized key: "issuez"/);
    expect(() => loadScenarioFile(tempFile(JSON.stringify({ ...base, faults: { healAtMinutes: 3 } })))).toThrowError(/at faults: Unrecognized key: "healAtMinutes"/);
    const inverted = { ...base, eviction: { atSeconds: { min: 10, max: 5 } } };
    expect(() => loadScenarioFile(tempFile(JSON.stringify(inverted)))).toThrowError(/at eviction.atSeconds: min must be <= max/);
  });

  it('a file that is not JSON says so', () => {
    expect(() => loadScenarioFile(tempFile('{ nope'))).toThrowError(/not valid JSON/);
  });

  it('exports a JSON Schema that describes the fields', () => {
    const schema = scenarioJsonSchema() as { properties: Record<string, unknown>; required: string[] };
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['name', 'town', 'eviction', 'faults', 'durationMinutes']));
    expect(schema.required).toEqual(expect.arrayContaining(['name', 'description', 'town', 'durationMinutes']));
  });
});
