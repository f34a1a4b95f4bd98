import { describe } from 'vitest';
import { huntMutants, replayFirstFailures } from './hunt.ts';

describe('regression corpus: container-side races', () => {
  huntMutants([
    'r6-idle-timer-races-nudge',
    'r7-snapshot-live-sessions',
    'r8-snapshot-after-failed-freeze',
    'r9-push-without-upstream',
    'r10-push-without-origin',
    'r11-notify-without-timeout',
    'pc1-unbounded-drain',
    'pc3-draining-container-takes-work',
    'pc4-idle-timer-during-drain',
  ]);
});

describe('regression corpus: container-side races found far out', () => {
  replayFirstFailures({
    'pc7-snapshot-without-rescue': 463,
    'pc8-duplicate-start-conflicts': 592,
    'pc9-second-sigterm-second-drain': 1758,
  });
});
