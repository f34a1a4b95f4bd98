/**
 * The WIP snapshot of one frozen agent's workspace: everything it wrote, committed, and pushed to
 * its branch on origin (setting upstream, since a fresh agent branch has none). A lightweight
 * workspace without origin gets a local commit only. Hooks are skipped: an eviction save must not
 * be blocked by a pre-push check.
 *
 * When the push to the agent's branch fails, the commit goes to a rescue branch of its own
 * (PC7, docs/protocol-changes.md): the branch may have moved on the remote without this container,
 * because the same agent also ran elsewhere, and a branch nobody else writes cannot be a
 * non-fast-forward. The work is then on origin, only under another name.
 */
import type { GitWorkspace, Logger } from '../ports.ts';
import { WIP_COMMIT_MESSAGE } from './constants.ts';

/** Where a WIP commit goes when the agent's branch refuses it; unique per agent and commit. */
export function rescueBranch(agentId: string, commitId: string): string {
  return `eviction-save/${agentId}/${commitId.slice(0, 12)}`;
}

export async function snapshotWorkspace(git: GitWorkspace, agentId: string, dir: string, logger: Logger): Promise<void> {
  const hasOrigin = await git.hasOrigin(dir);
  await git.addAll(dir);
  const commitId = await git.commit(dir, WIP_COMMIT_MESSAGE, { allowEmpty: true });
  if (!hasOrigin) {
    logger.warn('workspace has no origin: WIP committed locally only', { dir });
    return;
  }
  try {
    await git.pushHeadSetUpstream(dir, { noVerify: true });
  } catch (error) {
    const rescue = rescueBranch(agentId, commitId);
    logger.warn('WIP push to the agent branch failed; saving to a rescue branch', { agent: agentId, rescue, error: String(error) });
    await git.pushHeadTo(dir, rescue, { noVerify: true });
  }
}
