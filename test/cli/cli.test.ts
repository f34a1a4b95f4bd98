import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../fixtures/temp-dir.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

function drainsim(args: string[]) {
  const result = spawnSync(process.execPath, ['bin/drainsim.mjs', ...args], { cwd: ROOT, encoding: 'utf8' });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

/** Runs a printed command line (`npx drainsim ...`) the way a user pasting it would. */
function paste(command: string) {
  const words = command.split(' ');
  expect(words.slice(0, 2)).toEqual(['npx', 'drainsim']);
  return drainsim(words.slice(2));
}

describe('drainsim CLI', () => {
  it('exit 0 on a passing sweep, with a summary table', () => {
    const { code, out, err } = drainsim(['run', 'idle-town', '--seeds', '2', '--jobs', '1']);
    expect(code).toBe(0);
    expect(out).toMatch(/scenario\s+seeds\s+violations\s+events\s+virtual\/seed/);
    expect(out).toMatch(/idle-town\s+2\s+0/);
    expect(err).toContain('run: 2/2 seeds, 0 violations');
    const quiet = drainsim(['run', 'idle-town', '--seeds', '2', '--jobs', '1', '--quiet']);
    expect(quiet.code).toBe(0);
    expect(quiet.err).toBe('');
    expect(quiet.out).toMatch(/idle-town\s+2\s+0/);
  }, 120_000);

  it('exit 1 on a violation, printing a replay command that reproduces it when pasted', () => {
    const { code, out } = drainsim(['run', 'default', '--seed-range', '2..2', '--mutant', 'r4-handoff-without-delay', '--jobs', '1']);
    expect(code).toBe(1);
    const replay = /replay: (npx drainsim replay .+)$/m.exec(out)?.[1];
    expect(replay).toBe('npx drainsim replay default --seed 2 --mutant r4-handoff-without-delay');
    const violation = /VIOLATION (\S+) in default seed 2 at (\S+)/.exec(out);
    const again = paste(replay!);
    expect(again.code).toBe(1);
    expect(again.out).toContain(`VIOLATION ${violation![1]} in default seed 2 at ${violation![2]}`);
  }, 120_000);

  it("the README's CI failure block is what its replay line prints today", () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const block = /```\n(VIOLATION [^`]+?)\n```/.exec(readme)?.[1];
    expect(block).toBeDefined();
    const replay = /replay: (npx drainsim replay .+)$/m.exec(block!)![1]!;
    const { code, out } = paste(replay);
    expect(code).toBe(1);
    expect(out).toContain(block);
  }, 60_000);

  it('shrink writes a record whose printed replay command reproduces the same violation', () => {
    const dir = tempDir();
    const record = path.join(dir, 'r.json');
    const { code, out } = drainsim(['shrink', 'default', '--seed', '1', '--mutant', 'r7-snapshot-live-sessions', '--budget', '5', '--out', record]);
    expect(code).toBe(1);
    expect(JSON.parse(readFileSync(record, 'utf8'))).toMatchObject({ invariant: 'no-snapshot-on-live-worktree', seed: 1 });
    const replay = /replay: (npx drainsim replay .+)$/m.exec(out)![1]!;
    expect(replay).toContain(`--record ${record}`);
    const again = paste(replay);
    expect(again.code).toBe(1);
    expect(again.out).toContain('VIOLATION no-snapshot-on-live-worktree');
    // The record names its seed: --seed may be left out.
    const seedless = drainsim(['replay', 'default', '--mutant', 'r7-snapshot-live-sessions', '--record', record]);
    expect(seedless.code).toBe(1);
    expect(seedless.out).toContain(again.out.slice(again.out.indexOf('VIOLATION')));
    // The record knows its run: replayed without its mutant (it would pass) or at another seed, it is refused.
    for (const args of [['default', '--seed', '1'], ['default', '--seed', '2', '--mutant', 'r7-snapshot-live-sessions'], ['idle-town', '--seed', '1', '--mutant', 'r7-snapshot-live-sessions']]) {
      const wrong = drainsim(['replay', ...args, '--record', record]);
      expect(wrong.code, args.join(' ')).toBe(2);
      expect(wrong.err).toContain(`was made for default --seed 1 --mutant r7-snapshot-live-sessions; replay it with: npx drainsim replay default --seed 1 --mutant r7-snapshot-live-sessions --record ${record}`);
    }
  }, 180_000);

  it('replay writes the trace as JSON lines and as HTML', () => {
    const dir = tempDir();
    const { code, out } = drainsim(['replay', 'idle-town', '--seed', '3', '--trace', path.join(dir, 't.jsonl'), '--html', path.join(dir, 't.html')]);
    expect(code).toBe(0);
    expect(out).toContain('ok: idle-town seed 3');
    const lines = readFileSync(path.join(dir, 't.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ t: expect.any(Number), actor: expect.any(String), what: expect.any(String) });
    expect(readFileSync(path.join(dir, 't.html'), 'utf8')).toContain('<table>');
  }, 60_000);

  it('exit 2 with a clear message on bad input', () => {
    const notAFolder = path.join(tempDir(), 'file');
    writeFileSync(notAFolder, '');
    const bareRecord = path.join(path.dirname(notAFolder), 'bare.json');
    writeFileSync(bareRecord, '{"net.latency": [3]}');
    const badSeedRecord = path.join(path.dirname(notAFolder), 'bad-seed.json');
    writeFileSync(badSeedRecord, '{"scenario": "idle-town", "seed": 1.5, "record": {}}');
    const cases: [string[], RegExp][] = [
      [['run', 'nope'], /unknown scenario "nope"; known scenarios: .*default/],
      [['run', 'idle-town', '--seed-range', '9..3'], /bad seed range "9\.\.3": 9 is greater than 3/],
      [['run', 'idle-town', '--seeds', 'many'], /bad --seeds "many"/],
      [['run', 'idle-town', '--shard', '4/3'], /bad shard "4\/3"/],
      [['run', 'idle-town', '--mutant', 'nope'], /unknown mutant "nope"; known mutants: r1-/],
      [['replay', 'idle-town'], /replay needs --seed <n> \(or a --record that names its seed\)/],
      [['replay', 'idle-town', '--record', bareRecord], /record .*bare\.json does not name its seed: give --seed <n>/],
      [['replay', 'idle-town', '--record', badSeedRecord], /record .*bad-seed\.json names a bad seed 1\.5: expected a whole number >= 0/],
      [['replay', 'idle-town', '--seed', 'x'], /bad seed "x"/],
      [['hunt'], /exactly one of --mutant <name> or --all/],
      [['frobnicate'], /unknown command/],
      // Output files are checked before the run, not after it.
      [['run', 'idle-town', '--seeds', '1', '--json', path.join(notAFolder, 'r.json')], /cannot write --json .*file\/r\.json: EEXIST/],
      [['replay', 'idle-town', '--seed', '1', '--html', path.dirname(notAFolder)], /cannot write --html .*: EISDIR/],
      [['replay', 'idle-town', '--seed', '1', '--trace', '/proc/drainsim-trace.jsonl'], /cannot write --trace \/proc\/drainsim-trace\.jsonl: ENOENT/],
    ];
    for (const [args, message] of cases) {
      const { code, err } = drainsim(args);
      expect(code, args.join(' ')).toBe(2);
      expect(err, args.join(' ')).toMatch(message);
    }
  }, 60_000);

  it('an invalid scenario file exits 2 naming the zod path', () => {
    const file = path.join(tempDir(), 'bad.json');
    writeFileSync(file, JSON.stringify({ name: 'bad', description: 'x', town: { issues: -1 }, durationMinutes: 10, faults: { kinds: { 'net.gremlins': 0.5 } } }));
    const { code, err } = drainsim(['run', file, '--seeds', '1']);
    expect(code).toBe(2);
    expect(err).toContain('at town.issues');
    expect(err).toContain('at faults.kinds');
  });

  it('--help works on every command; list shows scenarios, invariants, fault kinds and mutants', () => {
    for (const command of ['run', 'replay', 'shrink', 'hunt', 'list']) {
      const { code, out } = drainsim([command, '--help']);
      expect(code, command).toBe(0);
      expect(out).toContain(`Usage: drainsim ${command}`);
    }
    const list = execFileSync(process.execPath, ['bin/drainsim.mjs', 'list'], { cwd: ROOT, encoding: 'utf8' });
    for (const heading of ['SCENARIOS', 'INVARIANTS', 'FAULT KINDS', 'MUTANTS', 'r11-notify-without-timeout', 'no-lost-work', 'git.push-hang']) expect(list).toContain(heading);
    const schema = JSON.parse(execFileSync(process.execPath, ['bin/drainsim.mjs', 'list', '--schema'], { cwd: ROOT, encoding: 'utf8' }));
    expect(schema.properties.town).toBeDefined();
  }, 60_000);
});
