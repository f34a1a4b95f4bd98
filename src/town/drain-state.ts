/**
 * The drain state: three fields persisted in key-value storage (not derived from the event log),
 * cached in memory and reloaded when a new TownDO instance starts. A restarted TownDO is still
 * draining.
 */
import type { KeyValueStorage } from '../ports.ts';

export interface DrainSnapshot {
  draining: boolean;
  drainNonce: string | null;
  drainStartedAt: number | null;
}

const KEYS = { draining: 'drain:draining', nonce: 'drain:nonce', startedAt: 'drain:startedAt' } as const;

export const NOT_DRAINING: DrainSnapshot = { draining: false, drainNonce: null, drainStartedAt: null };

export class DrainState {
  private current: DrainSnapshot = NOT_DRAINING;

  constructor(private readonly storage: KeyValueStorage) {}

  async load(): Promise<void> {
    const stored = await this.storage.get<unknown>([KEYS.draining, KEYS.nonce, KEYS.startedAt]);
    this.current = {
      draining: stored.get(KEYS.draining) === true,
      drainNonce: (stored.get(KEYS.nonce) as string | undefined) ?? null,
      drainStartedAt: (stored.get(KEYS.startedAt) as number | undefined) ?? null,
    };
  }

  get snapshot(): DrainSnapshot {
    return this.current;
  }

  async start(nonce: string, now: number): Promise<void> {
    this.current = { draining: true, drainNonce: nonce, drainStartedAt: now };
    await this.storage.put({ [KEYS.draining]: true, [KEYS.nonce]: nonce, [KEYS.startedAt]: now });
  }

  async clear(): Promise<void> {
    this.current = NOT_DRAINING;
    await this.storage.delete([KEYS.draining, KEYS.nonce, KEYS.startedAt]);
  }

  /** How long the town has been draining, or null when it is not. */
  age(now: number): number | null {
    return this.current.draining && this.current.drainStartedAt !== null ? now - this.current.drainStartedAt : null;
  }
}
