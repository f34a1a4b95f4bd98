/**
 * The GitWorkspace port on isomorphic-git. The file system and the HTTP transport are injected:
 * in production the node fs and isomorphic-git's node HTTP client, in the simulator an in-memory
 * volume and remote. Commit timestamps come from the clock port, never from the real clock.
 */
import git, { type HttpClient } from 'isomorphic-git';
import type { Clock, GitWorkspace } from '../ports.ts';

export interface IsomorphicGitDeps {
  /** An isomorphic-git fs client (`node:fs`, or anything with its `promises` API). */
  fs: unknown;
  http: HttpClient;
  clock: Clock;
  author?: { name: string; email: string };
}

const DEFAULT_AUTHOR = { name: 'Gastown container', email: 'container@gastown.invalid' };

export function createIsomorphicGitWorkspace(deps: IsomorphicGitDeps): GitWorkspace {
  const fs = deps.fs as never;
  const { http } = deps;
  /** Pushes `ref` to `remoteRef` on origin; rejects unless the remote took it. */
  const push = async (dir: string, ref: string, remoteRef: string, what: string): Promise<void> => {
    // isomorphic-git runs no hooks, so every push is `--no-verify`.
    const result = await git.push({ fs, http, dir, remote: 'origin', ref, remoteRef });
    const refResult = result.refs[`refs/heads/${remoteRef}`];
    if (!result.ok || (refResult && !refResult.ok)) {
      throw new Error(`push of ${what} rejected: ${refResult?.error ?? result.error ?? 'unknown reason'}`);
    }
  };
  const signature = () => ({ ...(deps.author ?? DEFAULT_AUTHOR), timestamp: Math.floor(deps.clock.now() / 1000), timezoneOffset: 0 });

  return {
    async prepare({ dir, remoteUrl, branch }) {
      // An agent dispatched again into the same container finds its workspace already there.
      if (await isRepository(fs, dir)) {
        const branches = await git.listBranches({ fs, dir });
        if (!branches.includes(branch)) await git.branch({ fs, dir, ref: branch });
        await git.checkout({ fs, dir, ref: branch });
        return;
      }
      if (remoteUrl) {
        await git.clone({ fs, http, dir, url: remoteUrl, singleBranch: true });
        await git.branch({ fs, dir, ref: branch, checkout: true });
        return;
      }
      // A lightweight workspace: a repository with no remote and one empty commit, so HEAD exists.
      await git.init({ fs, dir, defaultBranch: branch });
      await git.commit({ fs, dir, message: 'workspace created', author: signature(), committer: signature() });
    },

    async hasOrigin(dir) {
      const remotes = await git.listRemotes({ fs, dir });
      return remotes.some((r) => r.remote === 'origin');
    },

    async addAll(dir) {
      // `git add -A`: new and modified files are added, deleted ones removed from the index.
      for (const [filepath, , workdir, stage] of await git.statusMatrix({ fs, dir })) {
        if (workdir === stage) continue;
        if (workdir === 0) await git.remove({ fs, dir, filepath });
        else await git.add({ fs, dir, filepath });
      }
    },

    async commit(dir, message, options) {
      if (!options?.allowEmpty) {
        const changed = (await git.statusMatrix({ fs, dir })).some(([, head, , stage]) => head !== stage);
        if (!changed) throw new Error('nothing to commit');
      }
      return git.commit({ fs, dir, message, author: signature(), committer: signature() });
    },

    async pushHeadSetUpstream(dir) {
      const branch = await git.currentBranch({ fs, dir });
      if (!branch) throw new Error('HEAD is detached: nothing to push');
      await push(dir, branch, branch, branch);
      // isomorphic-git has no --set-upstream: record the tracking branch ourselves.
      await git.setConfig({ fs, dir, path: `branch.${branch}.remote`, value: 'origin' });
      await git.setConfig({ fs, dir, path: `branch.${branch}.merge`, value: `refs/heads/${branch}` });
    },

    async pushHeadTo(dir, remoteBranch) {
      await push(dir, 'HEAD', remoteBranch, `HEAD to ${remoteBranch}`);
    },
  };
}

async function isRepository(fs: never, dir: string): Promise<boolean> {
  try {
    await git.resolveRef({ fs, dir, ref: 'HEAD' });
    return true;
  } catch {
    return false;
  }
}
