/** The container side's timing constants (spec §7). */
const SECOND = 1000;
const MINUTE = 60 * SECOND;

export const HEARTBEAT_INTERVAL_MS = 30 * SECOND;
export const NOTIFY_TIMEOUT_MS = 10 * SECOND;
export const DRAIN_WAIT_LIMIT_MS = 10 * MINUTE;
export const DRAIN_POLL_MS = 5 * SECOND;
export const IDLE_TIMEOUT_MS = { polecat: 120 * SECOND, triage: 120 * SECOND, refinery: 600 * SECOND } as const;
export const WIP_COMMIT_MESSAGE = 'WIP: container eviction save';
export const NUDGE_MESSAGES = {
  polecat: 'The container is being evicted. Commit and push your work now, then call gt_done.',
  refinery: 'The container is being evicted. Call gt_done now, or your work will be WIP-committed.',
} as const;
