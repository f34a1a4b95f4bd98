import { describe } from 'vitest';
import { huntMutants } from './hunt.ts';

describe('regression corpus: container-side races', () => {
  huntMutants([
    'r6-idle-timer-races-nudge',
    'r7-snapshot-live-sessions',
    'r8-snapshot-after-failed-freeze',
    'r9-push-without-upstream',
    'r10-push-without-origin',
    'r11-notify-without-timeout',
    'pc1-unbounded-drain',
    // pc3-draining-container-takes-work is not hunted here: in the current default sweep its first
    // failure (seed 395) is a work-resumes failure the real code shares; see docs/protocol-changes.md.
    'pc4-idle-timer-during-drain',
  ]);
});
