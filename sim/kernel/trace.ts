/**
 * The run's trace: one entry per notable thing, in virtual time. Rendered as aligned text for
 * people and as JSON lines for tools; its hash is what the determinism tests compare.
 */
import { createHash } from 'node:crypto';
import type { Actor } from './api.ts';

export interface TraceEntry {
  /** Virtual milliseconds since the start of the run. */
  t: number;
  /** Index of the kernel step the entry was written in. */
  step: number;
  actor: Actor;
  what: string;
  detail?: Record<string, unknown>;
}

/** `+mm:ss.mmm` (or `+h:mm:ss.mmm`) from virtual milliseconds. */
export function formatVirtualTime(ms: number): string {
  const sign = ms < 0 ? '-' : '+';
  let rest = Math.abs(Math.round(ms));
  const millis = rest % 1000;
  rest = Math.floor(rest / 1000);
  const seconds = rest % 60;
  rest = Math.floor(rest / 60);
  const minutes = rest % 60;
  const hours = Math.floor(rest / 60);
  const mmss = `${String(minutes).padStart(2, '0')}:${String(seconds).padStart(2, '0')}.${String(millis).padStart(3, '0')}`;
  return hours > 0 ? `${sign}${hours}:${mmss}` : `${sign}${mmss}`;
}

function formatDetail(detail: Record<string, unknown> | undefined): string {
  if (!detail) return '';
  const parts: string[] = [];
  for (const [key, value] of Object.entries(detail)) {
    if (value === undefined) continue;
    parts.push(`${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  }
  return parts.length > 0 ? `  ${parts.join(' ')}` : '';
}

export function formatTraceLine(entry: TraceEntry): string {
  return `${formatVirtualTime(entry.t).padEnd(11)} ${entry.actor.padEnd(13)} ${entry.what}${formatDetail(entry.detail)}`;
}

export function formatTrace(entries: readonly TraceEntry[]): string {
  return entries.map(formatTraceLine).join('\n');
}

export function traceToJsonLines(entries: readonly TraceEntry[]): string {
  return entries.map((entry) => JSON.stringify(entry)).join('\n') + (entries.length > 0 ? '\n' : '');
}

/** SHA-256 of the JSON-lines form: equal hashes mean byte-identical traces. */
export function hashTrace(entries: readonly TraceEntry[]): string {
  return createHash('sha256').update(traceToJsonLines(entries)).digest('hex');
}
