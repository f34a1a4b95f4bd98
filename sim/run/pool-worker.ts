/** The worker pool's task: one batch of seeds of one scenario. */
import { runBatch, type BatchTask } from './sweep.ts';

export default function run(task: BatchTask) {
  return runBatch(task);
}
