/**
 * The `town_events` log: what happened to the town, appended by RPCs and applied in order by the
 * alarm. `container_eviction` is kept for audit only: drain state lives in key-value storage so a
 * restarted TownDO finds it without replaying the log.
 */
import { z } from 'zod';
import type { SqlStorage } from '../ports.ts';

export const TownEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('container_eviction'), nonce: z.string() }),
  z.object({ type: z.literal('agent_done'), agentId: z.string(), branch: z.string().optional(), summary: z.string().optional() }),
  z.object({ type: z.literal('agent_completed'), agentId: z.string(), reason: z.enum(['completed', 'container eviction']) }),
]);
export type TownEvent = z.infer<typeof TownEvent>;

export interface StoredEvent {
  eventId: number;
  type: string;
  createdAt: number;
  /** Parses and validates the payload (throws when it is not a known event). */
  read(): TownEvent;
}

export class EventLog {
  constructor(private readonly sql: SqlStorage) {}

  migrate(): void {
    this.sql.exec(
      `CREATE TABLE IF NOT EXISTS town_events (
         event_id INTEGER PRIMARY KEY AUTOINCREMENT, type TEXT NOT NULL, payload TEXT NOT NULL,
         created_at INTEGER NOT NULL, processed_at INTEGER)`,
    );
  }

  append(event: TownEvent, now: number): void {
    this.sql.exec('INSERT INTO town_events (type, payload, created_at) VALUES (?, ?, ?)', event.type, JSON.stringify(event), now);
  }

  unprocessed(): StoredEvent[] {
    return this.sql
      .exec('SELECT event_id, type, payload, created_at FROM town_events WHERE processed_at IS NULL ORDER BY event_id')
      .toArray()
      .map((row) => ({
        eventId: Number(row.event_id),
        type: String(row.type),
        createdAt: Number(row.created_at),
        read: () => TownEvent.parse(JSON.parse(String(row.payload))),
      }));
  }

  markProcessed(eventId: number, now: number): void {
    this.sql.exec('UPDATE town_events SET processed_at = ? WHERE event_id = ?', now, eventId);
  }
}
