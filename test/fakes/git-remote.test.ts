import git from 'isomorphic-git';
import { beforeAll, describe, expect, it } from 'vitest';
import { createIsomorphicGitWorkspace } from '../../src/container/git-workspace.ts';
import { createGitRemote, createVirtualFs, forcePureJsGit } from '../../sim/fakes/git/index.ts';
import { createFakeClock } from '../../sim/fakes/clock.ts';

beforeAll(() => forcePureJsGit());

async function world() {
  const clock = createFakeClock();
  const remote = createGitRemote({ now: () => clock.now() });
  await remote.createRepo('rig', { files: { 'a.txt': 'a\n' } });
  const clone = async (dir: string, branch: string) => {
    const vfs = createVirtualFs({ now: () => clock.now() });
    const ws = createIsomorphicGitWorkspace({ fs: vfs.fs, http: remote.http, clock });
    await ws.prepare({ dir, remoteUrl: remote.url('rig'), branch });
    return { vfs, ws };
  };
  return { clock, remote, clone };
}

describe('in-memory git remote', () => {
  it('push then clone gives identical trees', async () => {
    const { remote, clone } = await world();
    const one = await clone('/one', 'feature');
    await one.vfs.writeFile('/one/dir/b.txt', 'b\n');
    await one.ws.addAll('/one');
    await one.ws.commit('/one', 'add b');
    await one.ws.pushHeadSetUpstream('/one');
    const other = createVirtualFs({ now: () => 0 });
    await git.clone({ fs: other.fs, http: remote.http, dir: '/two', url: remote.url('rig'), ref: 'feature', singleBranch: true });
    const local = await git.resolveRef({ fs: one.vfs.fs, dir: '/one', ref: 'HEAD' });
    expect(await git.resolveRef({ fs: other.fs, dir: '/two', ref: 'HEAD' })).toBe(local);
    expect(await other.readFile('/two/dir/b.txt')).toBe('b\n');
    expect(await other.readFile('/two/a.txt')).toBe('a\n');
    expect((await remote.readBranch('rig', 'feature'))?.files).toEqual({ 'a.txt': 'a\n', 'dir/b.txt': 'b\n' });
    expect(remote.stats()).toEqual({ fetches: 2, pushes: 1 });
  });

  it('of two racing pushes to one branch, exactly one wins and the other is rejected, never lost silently', async () => {
    const { remote, clone } = await world();
    const a = await clone('/a', 'shared');
    const b = await clone('/b', 'shared');
    await a.vfs.writeFile('/a/x.txt', 'from a');
    await b.vfs.writeFile('/b/x.txt', 'from b');
    for (const [ws, dir] of [[a.ws, '/a'], [b.ws, '/b']] as const) {
      await ws.addAll(dir);
      await ws.commit(dir, `commit ${dir}`);
    }
    const results = await Promise.allSettled([a.ws.pushHeadSetUpstream('/a'), b.ws.pushHeadSetUpstream('/b')]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const winner = results[0]!.status === 'fulfilled' ? 'from a' : 'from b';
    expect((await remote.readBranch('rig', 'shared'))?.files['x.txt']).toBe(winner);
  });

  it('same operations at the same virtual times give identical commit ids (pure-JS hashing, virtual stamps)', async () => {
    const ids: string[] = [];
    for (let run = 0; run < 2; run++) {
      const { clone, clock } = await world();
      const one = await clone('/one', 'f');
      clock.tick(1234);
      await one.vfs.writeFile('/one/x.txt', 'x');
      await one.ws.addAll('/one');
      ids.push(await one.ws.commit('/one', 'x'));
    }
    expect(ids[0]).toBe(ids[1]);
  });

  it('a same-size rewrite within one virtual millisecond is seen as a change', async () => {
    const { clone } = await world();
    const one = await clone('/one', 'f');
    await one.vfs.writeFile('/one/x.txt', 'one');
    await one.ws.addAll('/one');
    await one.ws.commit('/one', 'first');
    await one.vfs.writeFile('/one/x.txt', 'two');
    await one.ws.addAll('/one');
    await expect(one.ws.commit('/one', 'second')).resolves.toMatch(/^[0-9a-f]{40}$/);
  });

  it('push faults: reject and fail reject the push; hang never answers', async () => {
    const { remote, clone } = await world();
    const one = await clone('/one', 'f');
    remote.setFaults({ onPush: () => 'reject' });
    await expect(one.ws.pushHeadSetUpstream('/one')).rejects.toThrowError(/rejected/);
    remote.setFaults({ onPush: () => 'fail' });
    await expect(one.ws.pushHeadSetUpstream('/one')).rejects.toThrowError();
    remote.setFaults({ onPush: () => 'hang' });
    let answered = false;
    void one.ws.pushHeadSetUpstream('/one').finally(() => (answered = true));
    // Everything in the remote completes on microtasks: after this many, only a hang is pending.
    for (let i = 0; i < 10_000; i++) await Promise.resolve();
    expect(answered).toBe(false);
    expect(remote.faultedPushes.has('rig:f')).toBe(true);
  });
});
