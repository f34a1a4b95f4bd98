/**
 * The WIP snapshot of one frozen agent's workspace: everything it wrote, committed, and pushed to
 * its branch on origin (setting upstream, since a fresh agent branch has none). A lightweight
 * workspace without origin gets a local commit only. Hooks are skipped: an eviction save must not
 * be blocked by a pre-push check.
 */
import type { GitWorkspace, Logger } from '../ports.ts';
import { WIP_COMMIT_MESSAGE } from './constants.ts';

export async function snapshotWorkspace(git: GitWorkspace, dir: string, logger: Logger): Promise<void> {
  const hasOrigin = await git.hasOrigin(dir);
  await git.addAll(dir);
  await git.commit(dir, WIP_COMMIT_MESSAGE, { allowEmpty: true });
  if (!hasOrigin) {
    logger.warn('workspace has no origin: WIP committed locally only', { dir });
    return;
  }
  await git.pushHeadSetUpstream(dir, { noVerify: true });
}
