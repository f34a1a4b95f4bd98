/**
 * The replacement container's one-time acknowledgement: when it learns the drain nonce (from a
 * heartbeat response or the health check's headers) it tells the town, once, that it is the new
 * container. Fire and forget; any 2xx marks it done. One attempt at a time, each bounded: a hung
 * request must not stop the next heartbeat or health check from trying again.
 */
import type { Clock, Logger } from '../ports.ts';
import { abortAfter } from '../lib/timeout.ts';
import { ACK_TIMEOUT_MS } from './constants.ts';
import type { WorkerClient } from './worker-client.ts';

export class DrainAcknowledger {
  private acknowledged = false;
  private inFlight = false;

  constructor(
    private readonly worker: WorkerClient,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  get done(): boolean {
    return this.acknowledged;
  }

  acknowledge(townId: string, nonce: string): void {
    if (this.acknowledged || this.inFlight) return;
    this.inFlight = true;
    const timeout = abortAfter(this.clock, ACK_TIMEOUT_MS, 'container-ready timed out');
    void this.worker
      .post(`/api/towns/${townId}/container-ready`, { nonce }, timeout.signal)
      .then((response) => {
        if (response.ok) this.acknowledged = true;
        else this.logger.warn('container-ready refused', { status: response.status });
      })
      .catch((error: unknown) => this.logger.warn('container-ready failed', { error: String(error) }))
      .finally(() => {
        timeout.cancel();
        this.inFlight = false;
      });
  }
}
