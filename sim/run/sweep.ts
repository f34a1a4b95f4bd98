/**
 * A seeded sweep: scenarios x seeds, on this thread or on a worker pool. Results are keyed by
 * (scenario, seed) and reported in seed order, so `--jobs N` prints exactly what `--jobs 1` does.
 */
import os from 'node:os';
import type { Piscina } from 'piscina';
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
  /**
   * A pool from `createPool` to run on instead, whatever `jobs` says (`jobs` is then the number of
   * batches kept in flight: the pool's size). It stays open. The bench runs its 1-job and N-job
   * sides this way, on warmed pools of the same kind.
   */
  pool?: Piscina;
  /** Stop handing out seeds once a violation is found (results up to it stay complete and ordered). */
  stopOnFirstViolation?: boolean;
  onResult?: (summary: SeedSummary) => void;
}

/**
 * Seeds per pool task: big enough to amortise the message, small enough to balance the cores.
 * A hunt (stop at the first violation) uses small batches: seeds after the first failure are waste.
 */
export const SWEEP_BATCH = 16;
const HUNT_BATCH = 4;

export async function sweep(task: SweepTask): Promise<SeedSummary[]> {
  const batches: { scenario: string; seeds: number[] }[] = [];
  const size = task.stopOnFirstViolation ? HUNT_BATCH : SWEEP_BATCH;
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

  const run = (batch: { scenario: string; seeds: number[] }, on?: Piscina): Promise<SeedSummary[]> => {
    const job: BatchTask = { ...batch, mutant: task.mutant, stopOnFirstViolation: task.stopOnFirstViolation };
    return on ? on.run(job) : runBatch(job);
  };
  if (task.jobs <= 1 && !task.pool) {
    for (let i = 0; i < batches.length && !stop; i++) settle(i, await run(batches[i]!));
  } else {
    const pool = task.pool ?? (await createPool(task.jobs));
    try {
      let next = 0;
      const lane = async () => {
        while (!stop && next < batches.length) {
          const index = next++;
          settle(index, await run(batches[index]!, pool));
        }
      };
      await Promise.all(Array.from({ length: task.jobs }, lane));
    } finally {
      if (!task.pool) await pool.destroy();
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

/**
 * A worker pool of `jobs` threads, all started at once (`--jobs` uses one). Each thread first loads
 * tsx and the engine; see `poolReady` to wait for that.
 */
export async function createPool(jobs: number): Promise<Piscina> {
  const { Piscina } = await import('piscina');
  return new Piscina({ filename: new URL('./pool-worker.mjs', import.meta.url).href, maxThreads: jobs, minThreads: jobs });
}

/**
 * Resolves once every one of the pool's `jobs` threads has loaded the engine (and `scenario`):
 * each thread takes one probe and holds it until all have arrived, so no thread takes two. Returns
 * the threads' ids.
 */
export async function poolReady(pool: Piscina, jobs: number, scenario = 'default'): Promise<number[]> {
  const arrived = new SharedArrayBuffer(4);
  return Promise.all(Array.from({ length: jobs }, () => pool.run({ ready: { arrived, threads: jobs, scenario } }) as Promise<number>));
}

export function defaultJobs(): number {
  return Math.max(1, os.availableParallelism());
}
