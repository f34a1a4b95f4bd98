/**
 * The heartbeat: every 30 s, one POST per running or starting agent, one after the other. A
 * response carrying the drain nonce means this container may be the replacement the town waits
 * for: it acknowledges (once).
 */
import { z } from 'zod';
import type { Clock, Logger, TimerHandle } from '../ports.ts';
import type { AgentRegistry } from './agents.ts';
import { abortAfter } from '../lib/timeout.ts';
import { HEARTBEAT_INTERVAL_MS, HEARTBEAT_TIMEOUT_MS } from './constants.ts';
import type { DrainAcknowledger } from './drain-ack.ts';
import { agentPath, type WorkerClient } from './worker-client.ts';

const HeartbeatResponse = z.object({
  success: z.literal(true),
  data: z.object({ heartbeat: z.literal(true), drainNonce: z.string().optional() }),
});

export class Heartbeat {
  private timer: TimerHandle | undefined;

  constructor(
    private readonly deps: { clock: Clock; registry: AgentRegistry; worker: WorkerClient; acknowledger: DrainAcknowledger; logger: Logger },
  ) {}

  start(): void {
    if (this.timer !== undefined) return;
    this.timer = this.deps.clock.setInterval(() => void this.beat(), HEARTBEAT_INTERVAL_MS);
  }

  stop(): void {
    if (this.timer === undefined) return;
    this.deps.clock.clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One round: a heartbeat for each live agent, in turn, each abandoned after 10 s. */
  async beat(): Promise<void> {
    for (const agent of this.deps.registry.live()) {
      const timeout = abortAfter(this.deps.clock, HEARTBEAT_TIMEOUT_MS, 'heartbeat timed out');
      try {
        const response = await this.deps.worker.post(`${agentPath(agent.townId, agent.rigId, agent.agentId)}/heartbeat`, {}, timeout.signal);
        const parsed = HeartbeatResponse.safeParse(await response.json());
        const nonce = parsed.success ? parsed.data.data.drainNonce : undefined;
        if (nonce) this.deps.acknowledger.acknowledge(agent.townId, nonce);
      } catch (error) {
        this.deps.logger.warn('heartbeat failed', { agent: agent.agentId, error: String(error) });
      } finally {
        timeout.cancel();
      }
    }
  }
}
