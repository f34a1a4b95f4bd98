/** The container side's timing constants (spec §7). */
const SECOND = 1000;
const MINUTE = 60 * SECOND;

export const HEARTBEAT_INTERVAL_MS = 30 * SECOND;
/** A heartbeat unanswered this long is abandoned, so one hung request neither stalls its round nor outlives it. */
export const HEARTBEAT_TIMEOUT_MS = 10 * SECOND;
export const NOTIFY_TIMEOUT_MS = 10 * SECOND;
/** An acknowledgement unanswered this long is abandoned, so the next nonce delivery can retry. */
export const ACK_TIMEOUT_MS = 10 * SECOND;
export const DRAIN_WAIT_LIMIT_MS = 10 * MINUTE;
export const DRAIN_POLL_MS = 5 * SECOND;
export const IDLE_TIMEOUT_MS = { polecat: 120 * SECOND, triage: 120 * SECOND, refinery: 600 * SECOND } as const;
/**
 * The whole drain, stop included, ends this long after SIGTERM. The town hands the drain nonce to
 * "the" container 11 minutes after it recorded the eviction (which is after SIGTERM); a container
 * still alive then would receive it and acknowledge its own eviction. So every phase is bounded.
 */
export const DRAIN_DEADLINE_MS = 10 * MINUTE + 40 * SECOND;
/** The nudges get this long in all: one an agent's session never answers must not hold the drain. */
export const NUDGE_TIMEOUT_MS = 10 * SECOND;
/** Kept free for freezing and snapshotting stragglers: the wait phase ends this long before the deadline. */
export const FORCE_SAVE_RESERVE_MS = 30 * SECOND;
/**
 * A session abort that takes longer counts as a failed freeze (the agent is then not snapshotted).
 * Stragglers are frozen all at once, so the freeze step takes this long at most, however many.
 */
export const FREEZE_TIMEOUT_MS = 5 * SECOND;
/** Most time one straggler's snapshot may take. */
export const SNAPSHOT_TIMEOUT_MS = 15 * SECOND;
/** Most time stopAll waits for sessions to abort and close. */
export const STOP_TIMEOUT_MS = 2 * SECOND;
export const WIP_COMMIT_MESSAGE = 'WIP: container eviction save';
export const NUDGE_MESSAGES = {
  polecat: 'The container is being evicted. Commit and push your work now, then call gt_done.',
  refinery: 'The container is being evicted. Call gt_done now, or your work will be WIP-committed.',
} as const;
