// The worker pool's entry: worker threads do not inherit the main thread's tsx loader, so each
// registers it before importing the TypeScript sweep. One task = one batch of seeds, or a
// readiness probe (`poolReady`).
import { register } from 'tsx/esm/api';
import { threadId } from 'node:worker_threads';

register();
const { runBatch } = await import('./sweep.ts');

export default function run(task) {
  return task.ready ? ready(task.ready) : runBatch(task);
}

/**
 * Loads the engine and the scenario (an empty batch), then blocks this thread until all `threads`
 * probes have got that far: a blocked thread cannot take a second probe, so each thread gets one.
 */
async function ready({ arrived, threads, scenario }) {
  await runBatch({ scenario, seeds: [] });
  const count = new Int32Array(arrived);
  Atomics.add(count, 0, 1);
  Atomics.notify(count, 0);
  const deadline = performance.now() + 120_000;
  for (let n = Atomics.load(count, 0); n < threads; n = Atomics.load(count, 0)) {
    if (performance.now() > deadline) throw new Error(`pool readiness: ${n} of ${threads} threads arrived in 2 minutes`);
    Atomics.wait(count, 0, n, 1_000);
  }
  return threadId;
}
