export type { Actor, Choices, Sim, StepHandle } from './api.ts';
export { RecordedChoices, recordSize, type ChoiceRecord } from './choices.ts';
export { createStream, hashName } from './prng.ts';
export { watchForLeaks, defaultWatchedPaths, trusted, type LeakListener } from './guard.ts';
export {
  createKernel,
  isSeed,
  Kernel,
  VIRTUAL_EPOCH,
  type KernelOptions,
  type RunResult,
  type StepObserver,
  type Violation,
} from './kernel.ts';
export { formatTrace, formatTraceLine, formatVirtualTime, hashTrace, traceToJsonLines, type TraceEntry } from './trace.ts';
