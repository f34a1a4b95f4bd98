import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeScenarios } from '../../sim/testing/vitest.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

describe('drainsim/vitest', () => {
  it('turns scenarios x seeds into cases; a failing mutant fails its case with the replay command and the trace', () => {
    let out: string;
    try {
      out = execFileSync(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', '--config', 'test/fixtures/vitest-helper/vitest.config.ts', '--reporter=json'], { cwd: ROOT, stdio: 'pipe' }).toString();
    } catch (error) {
      out = String((error as { stdout?: Buffer }).stdout);
    }
    const report = JSON.parse(out) as { testResults: { assertionResults: { fullName: string; status: string; failureMessages: string[] }[] }[] };
    const cases = report.testResults.flatMap((f) => f.assertionResults);
    const failing = cases.find((c) => c.fullName.includes('mutant r7-snapshot-live-sessions'));
    const passing = cases.find((c) => c.fullName.includes('idle-town'));
    expect(failing?.status).toBe('failed');
    expect(failing?.failureMessages[0]).toContain('no-snapshot-on-live-worktree violated at');
    expect(failing?.failureMessages[0]).toContain('replay: npx drainsim replay default --seed 1 --mutant r7-snapshot-live-sessions');
    expect(failing?.failureMessages[0]).toContain('VIOLATION no-snapshot-on-live-worktree');
    expect(passing?.status).toBe('passed');
  }, 180_000);

  it('refuses seeds that would give no cases or cases of other seeds', () => {
    for (const seeds of [{ first: 5, last: 3 }, { first: 1.5, last: 3 }, { first: -1, last: 3 }, [], [1, Number.NaN]]) {
      expect(() => describeScenarios({ scenarios: ['idle-town'], seeds }), JSON.stringify(seeds)).toThrowError(/describeScenarios: seeds/);
    }
  });
});
