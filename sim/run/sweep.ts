/**
 * A seeded sweep: scenarios x seeds, on this thread or on a worker pool. Results are keyed by
 * (scenario, seed) and reported in seed order, so `--jobs N` prints exactly what `--jobs 1` does.
 */
import os from 'node:os';
import type { Violation } from '../kernel/kernel.ts';
import { loadEngine } from './load-engine.ts';
import { hashTrace } from '../kernel/trace.ts';

export interface SeedSummary {
  scenario: string;
  seed: number;
  violation?: Violation;
  steps: number;
  virtualMs: number;
  traceLines: number;
  /** SHA-256 of the trace's JSON lines: equal hashes mean byte-identical runs. */
  traceHash: string;
}

export interface SweepTask {
  /** Scenario names or files, as the user gave them. */
  scenarios: string[];
  seeds: number[];
  mutant?: string;
  /** Worker threads; 1 runs on this thread. */
  jobs: number;
  /** Stop handing out seeds once a violation is found (results up to it stay complete and ordered). */
  stopOnFirstViolation?: boolean;
  onResult?: (summary: SeedSummary) => void;
}

/**
 * Seeds per pool task: big enough to amortise the message, small enough to balance the cores.
 * A hunt (stop at the first violation) uses small batches: seeds after the first failure are waste.
 */
const BATCH = 16;
const HUNT_BATCH = 4;

export async function sweep(task: SweepTask): Promise<SeedSummary[]> {
  const batches: { scenario: string; seeds: number[] }[] = [];
  const size = task.stopOnFirstViolation ? HUNT_BATCH : BATCH;
  for (const scenario of task.scenarios) {
    for (let i = 0; i < task.seeds.length; i += size) batches.push({ scenario, seeds: task.seeds.slice(i, i + size) });
  }
  const results: SeedSummary[][] = new Array(batches.length);
  let stop = false;
  const settle = (index: number, summaries: SeedSummary[]) => {
    results[index] = summaries;
    for (const summary of summaries) {
      task.onResult?.(summary);
      if (summary.violation && task.stopOnFirstViolation) stop = true;
    }
  };

  if (task.jobs <= 1) {
    for (let i = 0; i < batches.length && !stop; i++) {
      const batch = batches[i]!;
      settle(i, await runBatch({ ...batch, mutant: task.mutant, stopOnFirstViolation: task.stopOnFirstViolation }));
    }
  } else {
    const { Piscina } = await import('piscina');
    const pool = new Piscina({
      filename: new URL('./pool-worker.mjs', import.meta.url).href,
      maxThreads: task.jobs,
      minThreads: task.jobs,
    });
    try {
      let next = 0;
      const lane = async () => {
        while (!stop && next < batches.length) {
          const index = next++;
          const batch = batches[index]!;
          settle(index, await pool.run({ ...batch, mutant: task.mutant, stopOnFirstViolation: task.stopOnFirstViolation }));
        }
      };
      await Promise.all(Array.from({ length: task.jobs }, lane));
    } finally {
      await pool.destroy();
    }
  }
  const ordered = results.filter(Boolean).flat();
  if (!task.stopOnFirstViolation) return ordered;
  // With several lanes a later batch may have finished before an earlier one failed: keep the prefix.
  const first = ordered.findIndex((s) => s.violation);
  return first === -1 ? ordered : ordered.slice(0, first + 1);
}

export interface BatchTask {
  scenario: string;
  seeds: number[];
  mutant?: string | undefined;
  stopOnFirstViolation?: boolean | undefined;
}

export async function runBatch(task: BatchTask): Promise<SeedSummary[]> {
  const engine = await loadEngine(task.mutant);
  const scenario = engine.resolveScenario(task.scenario);
  const out: SeedSummary[] = [];
  for (const seed of task.seeds) {
    const result = await engine.runSeed(scenario, seed);
    const summary: SeedSummary = {
      scenario: task.scenario,
      seed,
      steps: result.steps,
      virtualMs: result.virtualMs,
      traceLines: result.trace.length,
      traceHash: hashTrace(result.trace),
    };
    if (result.violation) summary.violation = result.violation;
    out.push(summary);
    if (result.violation && task.stopOnFirstViolation) break;
  }
  return out;
}

export function defaultJobs(): number {
  return Math.max(1, os.availableParallelism());
}
