/**
 * The package as a user installs it: packed by npm (only package.json "files"), unpacked beside
 * this checkout's node_modules, and run from there. Catches a command or export that works in the
 * checkout only because it reads a file the package does not ship.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../fixtures/temp-dir.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

function installPackedCopy(): string {
  const dir = tempDir();
  const [packed] = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', dir], { cwd: ROOT, stdio: 'pipe' }).toString()) as { filename: string }[];
  execFileSync('tar', ['-xzf', path.join(dir, packed!.filename), '-C', dir]);
  const installed = path.join(dir, 'package');
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(installed, 'node_modules'), 'dir');
  return installed;
}

describe('the packed package', () => {
  it('replays a seed against a mutant, and its exports load, with nothing but the shipped files', () => {
    const installed = installPackedCopy();
    const replay = spawnSync(process.execPath, ['bin/drainsim.mjs', 'replay', 'default', '--seed', '1', '--mutant', 'r7-snapshot-live-sessions'], { cwd: installed, encoding: 'utf8' });
    expect(replay.stderr).toBe('');
    expect(replay.status).toBe(1);
    expect(replay.stdout).toContain('VIOLATION no-snapshot-on-live-worktree in default seed 1');

    // The package refers to itself by name, as a consumer's import would.
    writeFileSync(path.join(installed, 'consumer.ts'), [
      "import { createKernel } from 'drainsim/kernel';",
      "import { createFakeClock } from 'drainsim/fakes';",
      "import { TownDO } from 'drainsim/system';",
      "import { INVARIANTS } from 'drainsim';",
      "import { describeScenarios } from 'drainsim/vitest';",
      "import { plannedRunArbitrary } from 'drainsim/fast-check';",
      'console.log([createKernel, createFakeClock, TownDO, describeScenarios, plannedRunArbitrary].map((f) => typeof f).join(), INVARIANTS.length > 0);',
    ].join('\n'));
    const consumer = spawnSync(process.execPath, ['--import', 'tsx', 'consumer.ts'], { cwd: installed, encoding: 'utf8' });
    expect(consumer.stderr).toBe('');
    expect(consumer.stdout.trim()).toBe('function,function,function,function,function true');

    // A TypeScript consumer with strict settings typechecks against the shipped sources.
    writeFileSync(path.join(installed, 'tsconfig.consumer.json'), JSON.stringify({ compilerOptions: CONSUMER_TS_OPTIONS, files: ['consumer.ts'] }));
    const tsc = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.consumer.json'], { cwd: installed, encoding: 'utf8' });
    expect(tsc.stdout).toBe('');
    expect(tsc.status).toBe(0);
  }, 120_000);

  it('ships the type packages of its runtime dependencies as dependencies (the shipped sources are typechecked by consumers)', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Record<string, Record<string, string>>;
    const typesFor = (name: string) => `@types/${name.startsWith('@') ? name.slice(1).replace('/', '__') : name}`;
    const devTypes = Object.keys(pkg['devDependencies']!).filter((d) => d.startsWith('@types/'));
    const runtime = Object.keys(pkg['dependencies']!);
    expect(runtime.filter((d) => devTypes.includes(typesFor(d)))).toEqual([]);
  });
});

/** The settings README's "Use as a library" asks of a TypeScript consumer, with every strictness flag on. */
const CONSUMER_TS_OPTIONS = {
  target: 'ES2022',
  module: 'NodeNext',
  moduleResolution: 'NodeNext',
  allowImportingTsExtensions: true,
  noEmit: true,
  strict: true,
  noUncheckedIndexedAccess: true,
  exactOptionalPropertyTypes: true,
  noImplicitReturns: true,
  noImplicitOverride: true,
  noUnusedLocals: true,
  noUnusedParameters: true,
  skipLibCheck: true,
  types: ['node'],
  lib: ['ES2023'],
};
