import { describe, expect, it } from 'vitest';
import { makeTown, MINUTE, type ContainerCall } from './harness.ts';

const healthChecks = (calls: ContainerCall[]) => calls.filter((c) => c.path === '/health');

describe('ensureContainerReady', () => {
  it('R4: the nonce headers appear on the health check only after 11 minutes of drain', async () => {
    const { town, clock, calls } = await makeTown();
    await town.addRig({ rigId: 'rig-1', gitUrl: 'http://git/rig-1.git' });
    const nonce = await town.recordContainerEviction();
    clock.tick(11 * MINUTE);
    await town.alarm();
    expect(healthChecks(calls).at(-1)?.headers.get('x-drain-nonce')).toBeNull();
    clock.tick(1);
    await town.alarm();
    const last = healthChecks(calls).at(-1)!;
    expect(last.headers.get('x-drain-nonce')).toBe(nonce);
    expect(last.headers.get('x-town-id')).toBe('town-1');
  });

  it('R5: an idle town that is draining still health-checks, even with an old rig', async () => {
    const { town, clock, calls } = await makeTown();
    await town.addRig({ rigId: 'rig-1', gitUrl: 'http://git/rig-1.git' });
    clock.tick(6 * MINUTE);
    await town.recordContainerEviction();
    await town.alarm();
    expect(healthChecks(calls)).toHaveLength(1);
  });

  it('a non-draining idle town with an old rig lets its container sleep', async () => {
    const { town, clock, calls } = await makeTown();
    await town.addRig({ rigId: 'rig-1', gitUrl: 'http://git/rig-1.git' });
    clock.tick(6 * MINUTE);
    await town.alarm();
    expect(healthChecks(calls)).toHaveLength(0);
  });

  it('a young rig keeps the container warm without work; a town without rigs never checks', async () => {
    const young = await makeTown();
    await young.town.addRig({ rigId: 'rig-1', gitUrl: 'http://git/rig-1.git' });
    await young.town.alarm();
    expect(healthChecks(young.calls)).toHaveLength(1);
    const none = await makeTown();
    await none.town.recordContainerEviction();
    await none.town.alarm();
    expect(healthChecks(none.calls)).toHaveLength(0);
  });

  it('re-arms the alarm at 5 s with active work and 60 s without', async () => {
    const { town, storage, clock } = await makeTown();
    await town.addRig({ rigId: 'rig-1', gitUrl: 'http://git/rig-1.git' });
    await town.alarm();
    expect((await storage.getAlarm())! - clock.now()).toBe(60_000);
    await town.createBead({ type: 'issue', rigId: 'rig-1', title: 'work', beadId: 'b-1' });
    await town.alarm();
    expect((await storage.getAlarm())! - clock.now()).toBe(5_000);
  });
});
