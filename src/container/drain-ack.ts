/**
 * The replacement container's one-time acknowledgement: when it learns the drain nonce (from a
 * heartbeat response or the health check's headers) it tells the town, once, that it is the new
 * container. Fire and forget; any 2xx marks it done.
 */
import type { Logger } from '../ports.ts';
import type { WorkerClient } from './worker-client.ts';

export class DrainAcknowledger {
  private acknowledged = false;
  private inFlight = false;

  constructor(
    private readonly worker: WorkerClient,
    private readonly logger: Logger,
  ) {}

  get done(): boolean {
    return this.acknowledged;
  }

  acknowledge(townId: string, nonce: string): void {
    if (this.acknowledged || this.inFlight) return;
    this.inFlight = true;
    void this.worker
      .post(`/api/towns/${townId}/container-ready`, { nonce })
      .then((response) => {
        if (response.ok) this.acknowledged = true;
        else this.logger.warn('container-ready refused', { status: response.status });
      })
      .catch((error: unknown) => this.logger.warn('container-ready failed', { error: String(error) }))
      .finally(() => {
        this.inFlight = false;
      });
  }
}
