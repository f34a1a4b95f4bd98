import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MUTANTS } from '../../mutants/catalog.ts';
import { applyPatch, patchedFiles, prepareMutantTree } from '../../mutants/apply.ts';
import { INVARIANTS } from '../../sim/invariants/catalog.ts';

describe('mutant corpus', () => {
  it('covers every race R1-R11 of the spec, each with a known invariant', () => {
    const races = MUTANTS.map((m) => m.race);
    for (let n = 1; n <= 11; n++) expect(races).toContain(`R${n}`);
    for (const m of MUTANTS) for (const name of m.expect) expect(INVARIANTS.map((i) => i.name)).toContain(name);
  });

  it('every mutant still applies to the current src/ (a patch that stops matching fails here)', () => {
    for (const mutant of MUTANTS) expect(() => patchedFiles(mutant), mutant.name).not.toThrow();
  });

  it('a patch whose text is gone, or ambiguous, is refused loudly', () => {
    const patch = { file: 'x.ts', find: 'needle', replace: 'thread' };
    expect(() => applyPatch('hay', patch, 'm')).toThrowError(/no longer applies.*nowhere/s);
    expect(() => applyPatch('needle needle', patch, 'm')).toThrowError(/more than once/);
    expect(applyPatch('a needle b', patch, 'm')).toBe('a thread b');
  });

  it('R12: the unit test for R1 passes on src/ and fails against the R1 mutant', () => {
    const title = 'R1: a heartbeat never clears the drain, before or after the hand-off delay';
    expect(unitTestStatus(ROOT, 'test/town/drain.test.ts', title)).toBe('passed');
    expect(unitTestStatus(prepareMutantTree('r1-heartbeat-clears-drain'), 'test/town/drain.test.ts', title)).toBe('failed');
  }, 120_000);
});

const ROOT = path.resolve(import.meta.dirname, '../..');

/** Runs one unit test (by file and title) in the tree at `root`, and returns its status as vitest reports it. */
function unitTestStatus(root: string, file: string, title: string): string {
  let out: string;
  try {
    out = execFileSync(process.execPath, [path.join(ROOT, 'node_modules/vitest/vitest.mjs'), 'run', file, '-t', title.split(':')[0]!, '--reporter=json'], { cwd: root, stdio: 'pipe' }).toString();
  } catch (error) {
    out = String((error as { stdout?: Buffer }).stdout ?? '');
  }
  const report = JSON.parse(out) as { testResults: { assertionResults: { title: string; status: string }[] }[] };
  return report.testResults.flatMap((f) => f.assertionResults).find((a) => a.title === title)?.status ?? 'missing';
}
