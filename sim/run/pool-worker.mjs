// The worker pool's entry: worker threads do not inherit the main thread's tsx loader, so each
// registers it before importing the TypeScript sweep. One task = one batch of seeds.
import { register } from 'tsx/esm/api';

register();
const { runBatch } = await import('./sweep.ts');

export default function run(task) {
  return runBatch(task);
}
