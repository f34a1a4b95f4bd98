/**
 * forcePureJsGit() only works before isomorphic-git's first use in a process, so each case runs
 * in a fresh process where git has not been touched yet.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../fixtures/temp-dir.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const module = (file: string) => JSON.stringify(pathToFileURL(path.join(ROOT, file)).href);

/** Runs an ES module body in a fresh Node process; returns what it printed. */
function freshProcess(body: string): string {
  const file = path.join(tempDir(), 'case.mts');
  writeFileSync(file, body);
  const run = spawnSync(process.execPath, ['--import', 'tsx', file], { cwd: ROOT, encoding: 'utf8' });
  expect(run.stderr).toBe('');
  return run.stdout.trim();
}

describe('isomorphic-git determinism', () => {
  it('git used in a run without forcePureJsGit() fails the run, and the message names the fix', () => {
    const out = freshProcess(`
      import { createKernel } from ${module('sim/kernel/index.ts')};
      import { createGitRemote } from ${module('sim/fakes/git/index.ts')};
      const kernel = createKernel({ seed: 1 });
      kernel.schedule(0, 'user', 'seed a repo', () => createGitRemote().createRepo('rig', { files: { 'a.txt': 'a' } }));
      console.log((await kernel.run(1000)).violation?.message);
    `);
    expect(out).toMatch(/isomorphic-git.* called the real crypto\.subtle\.digest\(\) \(thread pool; await forcePureJsGit\(\) from 'drainsim\/fakes' before isomorphic-git's first use\)/);
  });

  it('forcePureJsGit() after git was used rejects, every time, saying why and what to do', () => {
    const out = freshProcess(`
      import { createGitRemote, forcePureJsGit } from ${module('sim/fakes/git/index.ts')};
      await createGitRemote().createRepo('rig', { files: { 'a.txt': 'a' } });
      for (let i = 0; i < 2; i++) console.log(await forcePureJsGit().then(() => 'resolved', (e) => e.message));
    `);
    const lines = out.split('\n');
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line).toMatch(/^forcePureJsGit\(\) ran after isomorphic-git was first used .* await forcePureJsGit\(\) before any git operation/);
  });

  it('forced first, git in a run passes the guard', () => {
    const out = freshProcess(`
      import { createKernel } from ${module('sim/kernel/index.ts')};
      import { createGitRemote, forcePureJsGit } from ${module('sim/fakes/git/index.ts')};
      await forcePureJsGit();
      const kernel = createKernel({ seed: 1 });
      kernel.schedule(0, 'user', 'seed a repo', () => createGitRemote().createRepo('rig', { files: { 'a.txt': 'a' } }));
      console.log(String((await kernel.run(1000)).violation));
    `);
    expect(out).toBe('undefined');
  });
});
