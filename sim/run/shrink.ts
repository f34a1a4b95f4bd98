/**
 * Minimises a failing run by editing its record of choices (Hypothesis-style internal shrinking).
 * A missing or zero choice means "the simplest thing": no fault, the shortest delay, the first
 * option. So silencing a fault kind, truncating a stream, zeroing a block of choices or halving a
 * delay are all valid edits. A candidate is kept when it still violates the same invariant and its
 * trace is no longer than the best so far (ties broken by a smaller record). Every candidate is a
 * whole deterministic re-run, so the result replays exactly from its record.
 */
import { recordSize, type ChoiceRecord } from '../kernel/choices.ts';
import type { RunResult } from '../kernel/kernel.ts';

export interface ShrinkOptions {
  /**
   * Re-runs the same scenario and seed with an edited record. A run may stop once its trace is
   * longer than `stopAfterTraceLines` (it can no longer win); ignoring the hint only costs time.
   */
  run: (record: ChoiceRecord, stopAfterTraceLines: number) => Promise<RunResult>;
  /** Most candidate runs to try. */
  budget?: number;
}

export interface ShrinkOutcome {
  result: RunResult;
  record: ChoiceRecord;
  attempts: number;
  /** Trace lines before and after. */
  before: number;
  after: number;
}

export const DEFAULT_SHRINK_BUDGET = 200;

export async function shrinkRun(original: RunResult, options: ShrinkOptions): Promise<ShrinkOutcome> {
  const target = original.violation?.invariant;
  if (!target) throw new Error('shrinkRun needs a failing run');
  const budget = options.budget ?? DEFAULT_SHRINK_BUDGET;
  let best = original;
  let bestRecord = structuredClone(original.record);
  let attempts = 0;

  const better = (candidate: RunResult): boolean =>
    candidate.violation?.invariant === target &&
    (candidate.trace.length < best.trace.length ||
      (candidate.trace.length === best.trace.length && recordSize(candidate.record) < recordSize(best.record)));

  /** Tries one edit; keeps it when it is an improvement. Returns whether it was kept. */
  const attempt = async (edit: (record: ChoiceRecord) => boolean): Promise<boolean> => {
    if (attempts >= budget) return false;
    const candidateRecord = structuredClone(bestRecord);
    if (!edit(candidateRecord)) return false;
    attempts++;
    const candidate = await options.run(candidateRecord, best.trace.length);
    if (!better(candidate)) return false;
    best = candidate;
    // The run's own record is what it actually consumed: smaller than the edit when draws moved.
    bestRecord = structuredClone(candidate.record);
    return true;
  };

  let progress = true;
  while (progress && attempts < budget) {
    progress = false;
    const streams = () => Object.keys(bestRecord).sort(faultStreamsFirst);

    // 1. Silence whole streams: a fault kind, a latency, an agent's behaviour.
    for (const stream of streams()) {
      if (await attempt((r) => (r[stream]?.some((v) => v !== 0) ? (delete r[stream], true) : false))) progress = true;
    }
    // 2. Zero blocks of choices within a stream, halving the block size (ddmin).
    for (const stream of streams()) {
      const length = bestRecord[stream]?.length ?? 0;
      for (let size = Math.max(1, Math.floor(length / 2)); size >= 1; size = Math.floor(size / 2)) {
        for (let from = 0; from < (bestRecord[stream]?.length ?? 0); from += size) {
          const kept = await attempt((r) => zeroBlock(r[stream], from, size));
          if (kept) progress = true;
        }
        if (size === 1) break;
      }
    }
    // 3. Halve what is left: shorter delays, earlier moments, lower picks.
    for (const stream of streams()) {
      for (let i = 0; i < (bestRecord[stream]?.length ?? 0); i++) {
        while (await attempt((r) => halve(r[stream], i))) progress = true;
      }
    }
  }

  return { result: best, record: bestRecord, attempts, before: original.trace.length, after: best.trace.length };
}

function faultStreamsFirst(a: string, b: string): number {
  const rank = (s: string) => (s.startsWith('fault.') || s.startsWith('swarm.') ? 0 : 1);
  return rank(a) - rank(b) || a.localeCompare(b);
}

function zeroBlock(values: number[] | undefined, from: number, size: number): boolean {
  if (!values) return false;
  let changed = false;
  for (let i = from; i < Math.min(values.length, from + size); i++) {
    if (values[i] !== 0) {
      values[i] = 0;
      changed = true;
    }
  }
  return changed;
}

function halve(values: number[] | undefined, index: number): boolean {
  const value = values?.[index];
  if (!values || value === undefined || value === 0) return false;
  values[index] = Math.floor(value / 2);
  return true;
}
