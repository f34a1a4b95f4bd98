/**
 * Signal handling. SIGTERM is the platform's eviction: drain, then stop and exit. SIGINT is local
 * development: stop and exit at once, no drain.
 */
import type { Logger, ProcessPort } from '../ports.ts';

export interface Lifecycle {
  stopHeartbeat(): void;
  drainAll(): Promise<void>;
  stopAll(): Promise<void>;
}

export function installSignalHandlers(processPort: ProcessPort, lifecycle: Lifecycle, logger: Logger): void {
  let terminating = false;
  processPort.onSignal('SIGTERM', () => {
    // A second drain beside the first would see the first one's frozen agents as finished and
    // exit in the middle of its WIP snapshots (PC9): the drain under way keeps its deadline.
    if (terminating) {
      logger.warn('SIGTERM again: the drain under way continues');
      return;
    }
    terminating = true;
    logger.warn('SIGTERM: draining before exit');
    lifecycle.stopHeartbeat();
    void lifecycle
      .drainAll()
      .then(() => lifecycle.stopAll())
      .finally(() => processPort.exit(0));
  });
  processPort.onSignal('SIGINT', () => {
    logger.warn('SIGINT: stopping without drain');
    lifecycle.stopHeartbeat();
    void lifecycle.stopAll().finally(() => processPort.exit(0));
  });
}
