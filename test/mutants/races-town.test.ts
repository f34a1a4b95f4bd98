import { describe } from 'vitest';
import { huntMutants } from './hunt.ts';

describe('regression corpus: town-side races', () => {
  huntMutants([
    'r1-heartbeat-clears-drain',
    'r2-nonce-read-in-second-rpc',
    'r3-no-health-handoff',
    'r4-handoff-without-delay',
    'r5-idle-town-skips-health',
    'pc2-heartbeat-nonce-at-once',
    'pc5-dispatch-after-eviction',
    // First fails at seed 40.
    'pc6-unbounded-dispatch',
  ]);
});
