import { describe, expect, it } from 'vitest';
import { builtinScenarios } from '../../sim/scenario/registry.ts';
import { buildWorld } from '../../sim/world/world.ts';

describe('a world', () => {
  // SQLite lives in WebAssembly memory, which garbage collection never gives back: a world that
  // kept its database open would leak it for the life of the process (a sweep runs thousands).
  it('frees its SQLite database when its run ends', async () => {
    const world = await buildWorld({ scenario: builtinScenarios().get('idle-town')!, seed: 1 });
    expect(world.storage.sql.exec('SELECT 1 AS one').one()).toEqual({ one: 1 });
    await world.run();
    expect(() => world.storage.sql.exec('SELECT 1 AS one')).toThrowError(/closed/i);
  });
});
