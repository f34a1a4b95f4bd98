/** The town side's timing constants (spec §7). */
const SECOND = 1000;
const MINUTE = 60 * SECOND;

export const ALARM_ACTIVE_MS = 5 * SECOND;
export const ALARM_IDLE_MS = 60 * SECOND;
export const HEALTH_CHECK_TIMEOUT_MS = 5 * SECOND;
/**
 * How long the town waits for the container to accept an agent start (not in the spec: added by
 * PC6). Generous, since a start clones the rig; a start that succeeds after it is abandoned is
 * still found, because the agent's heartbeats mark it working.
 */
export const DISPATCH_TIMEOUT_MS = 60 * SECOND;
/** The nonce is handed to the container through the health check only this long after the drain started. */
export const NONCE_HANDOFF_DELAY_MS = 11 * MINUTE;
export const DRAIN_EXPIRY_MS = 15 * MINUTE;
export const HEARTBEAT_STALE_MS = 90 * SECOND;
export const STALE_IN_PROGRESS_MS = 5 * MINUTE;
/** A rig younger than this keeps the health check going even without active work. */
export const RECENT_RIG_MS = 5 * MINUTE;
export const MAX_DISPATCH_ATTEMPTS = 5;
/** Wait before the n-th retry of a failed dispatch (the last value repeats). */
export const DISPATCH_BACKOFF_MS = [2 * MINUTE, 5 * MINUTE, 10 * MINUTE, 30 * MINUTE] as const;
