/**
 * What this machine gives plain JavaScript on N threads, so the simulator's 1 -> N jobs speed-up
 * can be read against it. Two bare loops, each run on 1 thread, then on N threads at once (the same
 * work per thread): chained callbacks on a fake-timers clock (compute-bound, little garbage), and
 * an allocation loop that keeps a working set of small objects alive while it churns through new
 * ones (garbage-bound, like a simulated world). Cores that share caches, memory bandwidth or a
 * hypervisor's attention show it in the second loop first.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

export interface CeilingFigures {
  /** Work units (fake-timers events, allocated objects) per second on 1 thread, and on `threads` threads together. */
  oneThread: number;
  manyThreads: number;
  speedup: number;
}

const fakeTimersPath = createRequire(import.meta.url).resolve('@sinonjs/fake-timers');

const LOOPS = {
  fakeTimers: `
    const FakeTimers = require(${JSON.stringify(fakeTimersPath)});
    function work(total) {
      const clock = FakeTimers.createClock(0, 1e9);
      let n = 0;
      const step = () => { if (++n < total) clock.setTimeout(step, 5); };
      clock.setTimeout(step, 5);
      clock.runAll();
    }`,
  allocation: `
    function work(total) {
      let live = [];
      let previous = [];
      for (let i = 0; i < total; i++) {
        live.push({ id: i, tags: [i & 7], name: 'n' + (i & 1023) });
        if (live.length === 200000) { previous = live; live = []; }
      }
      return previous.length;
    }`,
};

/** Per thread: warm-up units, then measured units. */
const WORK = { fakeTimers: [300_000, 3_000_000], allocation: [1_000_000, 12_000_000] } as const;

function startThread(loop: string): Worker {
  const source = `
    const { parentPort } = require('node:worker_threads');
    ${loop}
    parentPort.on('message', (total) => { work(total); parentPort.postMessage('done'); });`;
  return new Worker(source, { eval: true });
}

const runOn = (worker: Worker, total: number) =>
  new Promise<void>((resolve, reject) => {
    worker.once('message', () => resolve());
    worker.once('error', reject);
    worker.postMessage(total);
  });

async function unitsPerSecond(kind: keyof typeof LOOPS, threads: number): Promise<number> {
  const [warmup, measured] = WORK[kind];
  const workers = Array.from({ length: threads }, () => startThread(LOOPS[kind]));
  try {
    await Promise.all(workers.map((w) => runOn(w, warmup)));
    const started = performance.now();
    await Promise.all(workers.map((w) => runOn(w, measured)));
    return (threads * measured) / ((performance.now() - started) / 1000);
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

export type MachineCeiling = Record<keyof typeof LOOPS, CeilingFigures>;

export async function machineCeiling(threads: number): Promise<MachineCeiling> {
  const figures = {} as MachineCeiling;
  for (const kind of Object.keys(LOOPS) as (keyof typeof LOOPS)[]) {
    const oneThread = await unitsPerSecond(kind, 1);
    const manyThreads = await unitsPerSecond(kind, threads);
    figures[kind] = { oneThread, manyThreads, speedup: manyThreads / oneThread };
  }
  return figures;
}
