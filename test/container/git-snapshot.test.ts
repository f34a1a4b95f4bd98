import git from 'isomorphic-git';
import { beforeAll, describe, expect, it } from 'vitest';
import { createIsomorphicGitWorkspace } from '../../src/container/git-workspace.ts';
import { rescueBranch, snapshotWorkspace } from '../../src/container/snapshot.ts';
import { createGitRemote, createVirtualFs, forcePureJsGit } from '../../sim/fakes/git/index.ts';
import { createFakeClock } from '../../sim/fakes/clock.ts';
import { silentLogger } from '../town/harness.ts';

beforeAll(() => forcePureJsGit());

async function workspace() {
  const clock = createFakeClock();
  const remote = createGitRemote({ now: () => clock.now() });
  await remote.createRepo('rig', { files: { 'README.md': 'hello\n' } });
  const vfs = createVirtualFs({ now: () => clock.now() });
  const ws = createIsomorphicGitWorkspace({ fs: vfs.fs, http: remote.http, clock });
  return { clock, remote, vfs, ws };
}

describe('WIP snapshot on real isomorphic-git', () => {
  it('R9: a fresh agent branch ends up on the remote equal to local HEAD, with the agent files, upstream set', async () => {
    const { remote, vfs, ws } = await workspace();
    await ws.prepare({ dir: '/ws/pc-1', remoteUrl: remote.url('rig'), branch: 'gt/pc-1/b-1' });
    await vfs.writeFile('/ws/pc-1/src/feature.ts', 'export const x = 1;\n');
    await vfs.writeFile('/ws/pc-1/README.md', 'hello, edited\n');
    expect(await remote.branches('rig')).toEqual(['main']);
    await snapshotWorkspace(ws, 'pc-1', '/ws/pc-1', silentLogger);
    const head = await git.resolveRef({ fs: vfs.fs, dir: '/ws/pc-1', ref: 'HEAD' });
    const pushed = await remote.readBranch('rig', 'gt/pc-1/b-1');
    expect(pushed?.commit).toBe(head);
    expect(pushed?.files).toEqual({ 'README.md': 'hello, edited\n', 'src/feature.ts': 'export const x = 1;\n' });
    expect(await git.getConfig({ fs: vfs.fs, dir: '/ws/pc-1', path: 'branch.gt/pc-1/b-1.remote' })).toBe('origin');
    expect(await git.getConfig({ fs: vfs.fs, dir: '/ws/pc-1', path: 'branch.gt/pc-1/b-1.merge' })).toBe('refs/heads/gt/pc-1/b-1');
    const { commit } = await git.readCommit({ fs: vfs.fs, dir: '/ws/pc-1', oid: head });
    expect(commit.message.trim()).toBe('WIP: container eviction save');
  });

  it('deleted files are removed in the snapshot (git add -A)', async () => {
    const { remote, vfs, ws } = await workspace();
    await ws.prepare({ dir: '/ws/pc-1', remoteUrl: remote.url('rig'), branch: 'gt/pc-1/b-1' });
    vfs.volume.unlinkSync('/ws/pc-1/README.md');
    await vfs.writeFile('/ws/pc-1/new.txt', 'n');
    await snapshotWorkspace(ws, 'pc-1', '/ws/pc-1', silentLogger);
    expect((await remote.readBranch('rig', 'gt/pc-1/b-1'))?.files).toEqual({ 'new.txt': 'n' });
  });

  it('R10: a workspace without origin gets a local commit with the files and no push', async () => {
    const { remote, vfs, ws } = await workspace();
    await ws.prepare({ dir: '/ws/mayor', branch: 'main' });
    expect(await ws.hasOrigin('/ws/mayor')).toBe(false);
    await vfs.writeFile('/ws/mayor/notes.md', 'plans\n');
    await snapshotWorkspace(ws, 'mayor', '/ws/mayor', silentLogger);
    const head = await git.resolveRef({ fs: vfs.fs, dir: '/ws/mayor', ref: 'HEAD' });
    const { blob } = await git.readBlob({ fs: vfs.fs, dir: '/ws/mayor', oid: head, filepath: 'notes.md' });
    expect(new TextDecoder().decode(blob)).toBe('plans\n');
    expect(await remote.branches('rig')).toEqual(['main']);
  });

  it('an empty snapshot still commits (--allow-empty) and pushes', async () => {
    const { remote, ws } = await workspace();
    await ws.prepare({ dir: '/ws/pc-1', remoteUrl: remote.url('rig'), branch: 'gt/pc-1/b-1' });
    await snapshotWorkspace(ws, 'pc-1', '/ws/pc-1', silentLogger);
    expect(await remote.branches('rig')).toEqual(['gt/pc-1/b-1', 'main']);
  });

  it('a push the remote keeps refusing, also to the rescue branch, makes the snapshot reject, so the drain can log it and go on', async () => {
    const { remote, vfs, ws } = await workspace();
    await ws.prepare({ dir: '/ws/pc-1', remoteUrl: remote.url('rig'), branch: 'gt/pc-1/b-1' });
    await vfs.writeFile('/ws/pc-1/a.txt', 'a');
    remote.setFaults({ onPush: () => 'reject' });
    await expect(snapshotWorkspace(ws, 'pc-1', '/ws/pc-1', silentLogger)).rejects.toThrowError(/rejected/);
    remote.setFaults({ onPush: () => 'fail' });
    await expect(snapshotWorkspace(ws, 'pc-1', '/ws/pc-1', silentLogger)).rejects.toThrowError();
    expect(await remote.branches('rig')).toEqual(['main']);
  });

  it('PC7: when the agent branch moved on the remote (the agent also ran elsewhere), the WIP goes to a rescue branch and nothing is lost', async () => {
    const { clock, remote, vfs, ws } = await workspace();
    await ws.prepare({ dir: '/ws/pc-1', remoteUrl: remote.url('rig'), branch: 'gt/pc-1/b-1' });
    // A second run of the same agent, in another container, pushes the branch first.
    const elsewhere = createVirtualFs({ now: () => clock.now() });
    const other = createIsomorphicGitWorkspace({ fs: elsewhere.fs, http: remote.http, clock });
    await other.prepare({ dir: '/ws/pc-1', remoteUrl: remote.url('rig'), branch: 'gt/pc-1/b-1' });
    await elsewhere.writeFile('/ws/pc-1/theirs.txt', 'theirs');
    await snapshotWorkspace(other, 'pc-1', '/ws/pc-1', silentLogger);

    await vfs.writeFile('/ws/pc-1/mine.txt', 'mine');
    await snapshotWorkspace(ws, 'pc-1', '/ws/pc-1', silentLogger);
    const head = await git.resolveRef({ fs: vfs.fs, dir: '/ws/pc-1', ref: 'HEAD' });
    const rescue = rescueBranch('pc-1', head);
    expect(await remote.branches('rig')).toEqual([rescue, 'gt/pc-1/b-1', 'main'].sort());
    expect((await remote.readBranch('rig', rescue))?.files).toEqual({ 'README.md': 'hello\n', 'mine.txt': 'mine' });
    expect((await remote.readBranch('rig', 'gt/pc-1/b-1'))?.files).toEqual({ 'README.md': 'hello\n', 'theirs.txt': 'theirs' });
  });
});
