/** One idle timer per agent: armed when its session goes idle, cleared by any activity. */
import type { Clock, TimerHandle } from '../ports.ts';

export class IdleTimers {
  private readonly timers = new Map<string, TimerHandle>();

  constructor(private readonly clock: Clock) {}

  arm(agentId: string, ms: number, onIdle: () => void): void {
    this.clear(agentId);
    this.timers.set(
      agentId,
      this.clock.setTimeout(() => {
        this.timers.delete(agentId);
        onIdle();
      }, ms),
    );
  }

  clear(agentId: string): void {
    const timer = this.timers.get(agentId);
    if (timer === undefined) return;
    this.clock.clearTimeout(timer);
    this.timers.delete(agentId);
  }

  clearAll(): void {
    for (const agentId of [...this.timers.keys()]) this.clear(agentId);
  }

  has(agentId: string): boolean {
    return this.timers.has(agentId);
  }
}
