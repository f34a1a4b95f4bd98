/**
 * An example Durable Object of the kind a drainsim user would test: a webhook outbox. Jobs are
 * stored durably and delivered from the alarm with a timeout; failures are retried with backoff.
 * It knows nothing of drainsim: it takes platform-shaped ports (storage, clock, fetch).
 */
import type { Clock, DurableStorage, Fetch } from 'drainsim/system';

interface Job {
  url: string;
  payload: unknown;
  attempts: number;
}

export class WebhookOutbox {
  constructor(private readonly env: { storage: DurableStorage; clock: Clock; fetch: Fetch }) {}

  async enqueue(id: string, url: string, payload: unknown): Promise<void> {
    await this.env.storage.put<Job>(`job:${id}`, { url, payload, attempts: 0 });
    if ((await this.env.storage.getAlarm()) === null) await this.env.storage.setAlarm(this.env.clock.now());
  }

  async pending(): Promise<number> {
    return (await this.env.storage.list({ prefix: 'job:' })).size;
  }

  async alarm(): Promise<void> {
    let retryIn = Number.POSITIVE_INFINITY;
    for (const [key, job] of await this.env.storage.list<Job>({ prefix: 'job:' })) {
      if (await this.deliver(key, job)) {
        await this.env.storage.delete(key);
      } else {
        const attempts = job.attempts + 1;
        await this.env.storage.put<Job>(key, { ...job, attempts });
        retryIn = Math.min(retryIn, 1000 * 2 ** Math.min(attempts, 6));
      }
    }
    if (Number.isFinite(retryIn)) await this.env.storage.setAlarm(this.env.clock.now() + retryIn);
  }

  private async deliver(key: string, job: Job): Promise<boolean> {
    const controller = new AbortController();
    const timer = this.env.clock.setTimeout(() => controller.abort(), 5000);
    try {
      const response = await this.env.fetch(
        new Request(job.url, { method: 'POST', body: JSON.stringify({ id: key.slice(4), payload: job.payload }), signal: controller.signal }),
      );
      return response.ok;
    } catch {
      return false;
    } finally {
      this.env.clock.clearTimeout(timer);
    }
  }
}
