/**
 * `npm run bench`: how many seeds the simulator tries, and what it costs. Prints a table and writes
 * bench/results.json. Figures: seeds/s and events/s for the default sweep and the longest
 * scenario, virtual-to-wall compression, peak memory, the event rate of a bare fake-timers loop on
 * this machine and the simulator's ratio to it, the 1 -> N jobs speed-up (both sides on warmed
 * piscina pools, as `--jobs` runs; pool start-up reported apart) beside what the machine gives two
 * bare loops on as many threads, and heap growth over a long run of seeds (heap and RSS after GC,
 * sampled ten times). Options: --seeds N --memory-seeds N --memory-scenario NAME --jobs N --out FILE.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { builtinScenarios } from '../sim/scenario/registry.ts';
import { SWEEP_BATCH, createPool, poolReady, runBatch, sweep } from '../sim/run/sweep.ts';
import { machineCeiling, type MachineCeiling } from './machine-ceiling.ts';
import { countArg, scenarioArg, scriptArgs } from './script-args.ts';

const values = scriptArgs(
  {
    seeds: { type: 'string', default: '100' },
    'memory-seeds': { type: 'string', default: '150' },
    'memory-scenario': { type: 'string', default: 'default' },
    jobs: { type: 'string', default: String(os.availableParallelism()) },
    out: { type: 'string', default: 'bench/results.json' },
  },
  'usage: npm run bench -- [--seeds N] [--memory-seeds N] [--memory-scenario NAME] [--jobs N] [--out FILE]',
);
const SEEDS = countArg('seeds', values.seeds);
const MEMORY_SEEDS = countArg('memory-seeds', values['memory-seeds']);
const MEMORY_SCENARIO = values['memory-scenario'];
scenarioArg(MEMORY_SCENARIO); // fails now, not after the sweeps
const JOBS = countArg('jobs', values.jobs);
const seeds = (n: number, from = 1) => Array.from({ length: n }, (_, i) => from + i);

interface SweepFigures {
  scenario: string;
  seeds: number;
  wallSeconds: number;
  seedsPerSecond: number;
  eventsPerSecond: number;
  eventsPerSeed: number;
  virtualMinutesPerSeed: number;
  compression: number;
  peakRssMb: number;
}

/**
 * Seeds a thread runs before its clock starts. A sweep runs thousands, so its speed is the warm
 * speed: the first seeds load modules and the SQLite wasm, and V8 keeps optimising for about 20
 * seeds (seeds 1-20 on a fresh thread took about 1.5 times as long as the same seeds run again).
 */
const WARMUP_SEEDS = 20;

async function measure(scenario: string): Promise<SweepFigures> {
  await runBatch({ scenario, seeds: seeds(WARMUP_SEEDS, 900_000) });
  let peak = 0;
  const started = performance.now();
  let events = 0;
  let virtual = 0;
  for (const seed of seeds(SEEDS)) {
    const [result] = await runBatch({ scenario, seeds: [seed] });
    events += result!.steps;
    virtual += result!.virtualMs;
    peak = Math.max(peak, process.memoryUsage().rss);
  }
  const wall = (performance.now() - started) / 1000;
  return {
    scenario,
    seeds: SEEDS,
    wallSeconds: wall,
    seedsPerSecond: SEEDS / wall,
    eventsPerSecond: events / wall,
    eventsPerSeed: events / SEEDS,
    virtualMinutesPerSeed: virtual / SEEDS / 60_000,
    compression: virtual / 1000 / wall,
    peakRssMb: peak / 2 ** 20,
  };
}

/** One side of the speed-up: a fresh pool of `jobs` threads, started, warmed, then timed. */
interface PoolRun {
  jobs: number;
  /** From creating the pool until every thread has loaded tsx, the tree and the engine. */
  startupSeconds: number;
  /** Each thread's warm-up batch of WARMUP_SEEDS seeds, after start-up. */
  warmupSeconds: number;
  /** The measured seeds only: no start-up, no warm-up. */
  seconds: number;
  /** CPU time of the whole process (all threads) over the measured seeds. */
  cpuSeconds: number;
}

async function onPool(jobs: number, measured: number[], warmup: number[]): Promise<PoolRun> {
  const started = performance.now();
  const pool = await createPool(jobs);
  try {
    const threads = new Set(await poolReady(pool, jobs));
    if (threads.size !== jobs) throw new Error(`pool of ${jobs}: ${threads.size} threads came up`);
    const ready = performance.now();
    // One warm-up batch per thread, all at once (each idle thread takes one).
    await Promise.all(Array.from({ length: jobs }, (_, i) => pool.run({ scenario: 'default', seeds: warmup.map((s) => s + 1000 * i) })));
    const warm = performance.now();
    const cpu = process.cpuUsage();
    await sweep({ scenarios: ['default'], seeds: measured, jobs, pool });
    const used = process.cpuUsage(cpu);
    return {
      jobs,
      startupSeconds: (ready - started) / 1000,
      warmupSeconds: (warm - ready) / 1000,
      seconds: (performance.now() - warm) / 1000,
      cpuSeconds: (used.user + used.system) / 1e6,
    };
  } finally {
    await pool.destroy();
  }
}

/**
 * The 1 -> N jobs speed-up, as `--jobs` runs: both sides on a piscina pool (1 thread, N threads)
 * through `sweep`, each pool started and warmed before its clock starts (start-up is reported
 * apart), on the same seeds: 2 x --seeds, rounded up to whole batches per thread.
 */
async function parallelSpeedup(ceiling: MachineCeiling) {
  const count = Math.ceil((SEEDS * 2) / (SWEEP_BATCH * JOBS)) * SWEEP_BATCH * JOBS;
  const measured = seeds(count, 10_000);
  const warmup = seeds(WARMUP_SEEDS, 20_000);
  const loadAverage = os.loadavg()[0]!;
  const one = await onPool(1, measured, warmup);
  const many = await onPool(JOBS, measured, warmup);
  return {
    jobs: JOBS,
    seeds: count,
    method: `piscina pools of 1 and ${JOBS} threads (as --jobs), each started and warmed (${WARMUP_SEEDS} seeds per thread) before timing; start-up reported apart`,
    loadAverageBefore: loadAverage,
    oneJob: one,
    manyJobs: many,
    oneJobSeconds: one.seconds,
    manyJobsSeconds: many.seconds,
    speedup: one.seconds / many.seconds,
    /** The same 1 -> N threads comparison for two bare loops: what this machine gives plain JavaScript. */
    machineCeiling: ceiling,
  };
}

interface MemoryFigures {
  scenario: string;
  seeds: number;
  heapMbAfterWarmup: number;
  heapMbAtEnd: number;
  rssMbAfterWarmup: number;
  rssMbAtEnd: number;
  /**
   * After GC at ten evenly spaced points of the run: the JS heap, and the resident set, which also
   * holds what the heap does not (WebAssembly memory: an unclosed SQLite database per seed grew it
   * while the heap stayed flat). Flat means no leak per seed.
   */
  heapMbSamples: number[];
  rssMbSamples: number[];
  growthKbPerSeed: number;
  rssGrowthKbPerSeed: number;
}

async function memoryGrowth(): Promise<MemoryFigures> {
  const gc = () => (globalThis as { gc?: () => void }).gc?.();
  // A collection clears FinalizationRegistry cells, but their callbacks run on a later turn of
  // the event loop, and until then the values they hold count as live heap: undici registers one
  // for each Request built with a signal, and straight after a GC 2-18 MB of them were waiting.
  const usage = async () => {
    gc();
    for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setImmediate(resolve));
    gc();
    const { heapUsed, rss } = process.memoryUsage();
    return { heap: heapUsed / 2 ** 20, rss: rss / 2 ** 20 };
  };
  await runBatch({ scenario: 'idle-town', seeds: seeds(20, 50_000) });
  const before = await usage();
  const samples: { heap: number; rss: number }[] = [];
  const every = Math.max(50, Math.ceil(MEMORY_SEEDS / 10));
  for (let i = 0; i < MEMORY_SEEDS; i += 50) {
    await runBatch({ scenario: MEMORY_SCENARIO, seeds: seeds(Math.min(50, MEMORY_SEEDS - i), 60_000 + i) });
    if ((i + 50) % every < 50) {
      const sample = await usage();
      samples.push(sample);
      // A long run (100,000 seeds take hours) shows its samples as it goes.
      process.stderr.write(`memory: ${Math.min(i + 50, MEMORY_SEEDS)} of ${MEMORY_SEEDS} ${MEMORY_SCENARIO} seeds, heap ${sample.heap.toFixed(1)} MB, RSS ${sample.rss.toFixed(0)} MB\n`);
    }
  }
  const after = await usage();
  return {
    scenario: MEMORY_SCENARIO,
    seeds: MEMORY_SEEDS,
    heapMbAfterWarmup: before.heap,
    heapMbAtEnd: after.heap,
    rssMbAfterWarmup: before.rss,
    rssMbAtEnd: after.rss,
    heapMbSamples: samples.map((s) => s.heap),
    rssMbSamples: samples.map((s) => s.rss),
    growthKbPerSeed: ((after.heap - before.heap) * 1024) / MEMORY_SEEDS,
    rssGrowthKbPerSeed: ((after.rss - before.rss) * 1024) / MEMORY_SEEDS,
  };
}

const longest = [...builtinScenarios().values()].sort((a, b) => b.durationMinutes - a.durationMinutes || a.name.localeCompare(b.name))[0]!.name;
// The bare fake-timers rate (chained callbacks, one thread): the ceiling of a timer-driven simulation.
const ceiling = await machineCeiling(JOBS);
const bare = ceiling.fakeTimers.oneThread;
const sweeps = [await measure('default'), ...(longest === 'default' ? [] : [await measure(longest)])];
const parallel = await parallelSpeedup(ceiling);
const memory = await memoryGrowth();

const results = {
  date: new Date().toISOString(),
  machine: { cores: os.availableParallelism(), cpu: os.cpus()[0]?.model, node: process.version },
  bareFakeTimersEventsPerSecond: bare,
  sweeps: sweeps.map((s) => ({ ...s, ratioToBareFakeTimers: s.eventsPerSecond / bare })),
  parallel,
  memory,
};
writeFileSync(values.out, JSON.stringify(results, null, 2) + '\n');

const fmt = (n: number, digits = 1) => n.toLocaleString('en-US', { maximumFractionDigits: digits });
const lines = [
  `bare fake-timers loop: ${fmt(bare, 0)} events/s`,
  '',
  'scenario         seeds/s  events/s  events/seed  virtual min/seed  compression  vs bare  peak RSS MB',
  ...results.sweeps.map(
    (s) =>
      `${s.scenario.padEnd(15)} ${fmt(s.seedsPerSecond, 2).padStart(8)} ${fmt(s.eventsPerSecond, 0).padStart(9)} ${fmt(s.eventsPerSeed, 0).padStart(12)} ${fmt(s.virtualMinutesPerSeed).padStart(17)} ${`${fmt(s.compression, 0)}x`.padStart(12)} ${`${fmt(s.ratioToBareFakeTimers * 100, 2)}%`.padStart(8)} ${fmt(s.peakRssMb, 0).padStart(12)}`,
  ),
  '',
  `jobs 1 -> ${parallel.jobs}, ${parallel.seeds} default seeds on warm pools: ${fmt(parallel.oneJobSeconds)} s -> ${fmt(parallel.manyJobsSeconds)} s (${fmt(parallel.speedup, 2)}x); CPU ${fmt(parallel.oneJob.cpuSeconds)} s -> ${fmt(parallel.manyJobs.cpuSeconds)} s`,
  `  not timed: pool start-up ${fmt(parallel.oneJob.startupSeconds)} s / ${fmt(parallel.manyJobs.startupSeconds)} s, warm-up ${fmt(parallel.oneJob.warmupSeconds)} s / ${fmt(parallel.manyJobs.warmupSeconds)} s; load average before: ${fmt(parallel.loadAverageBefore, 2)} on ${os.availableParallelism()} cores`,
  `  this machine, 1 -> ${parallel.jobs} threads: bare fake-timers loop ${fmt(parallel.machineCeiling.fakeTimers.speedup, 2)}x, bare allocation loop ${fmt(parallel.machineCeiling.allocation.speedup, 2)}x`,
  `over ${memory.seeds} ${memory.scenario} seeds, after GC: heap ${fmt(memory.heapMbAfterWarmup)} MB -> ${fmt(memory.heapMbAtEnd)} MB (${fmt(memory.growthKbPerSeed)} KB/seed; along the way ${memory.heapMbSamples.map((mb) => fmt(mb)).join(', ')})`,
  `  RSS ${fmt(memory.rssMbAfterWarmup, 0)} MB -> ${fmt(memory.rssMbAtEnd, 0)} MB (${fmt(memory.rssGrowthKbPerSeed)} KB/seed; along the way ${memory.rssMbSamples.map((mb) => fmt(mb, 0)).join(', ')})`,
  `written to ${values.out}`,
];
process.stdout.write(lines.join('\n') + '\n');
