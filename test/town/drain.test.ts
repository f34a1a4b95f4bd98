import { describe, expect, it } from 'vitest';
import { makeTown, MINUTE } from './harness.ts';

describe('TownDO drain state', () => {
  it('R1: a heartbeat never clears the drain, before or after the hand-off delay', async () => {
    const { town, clock } = await makeTown();
    await town.createAgent({ role: 'polecat', rigId: 'rig-1', agentId: 'pc-1' });
    await town.recordContainerEviction();
    await town.touchAgentHeartbeat('pc-1');
    expect(await town.isDraining()).toBe(true);
    clock.tick(12 * MINUTE);
    await town.touchAgentHeartbeat('pc-1');
    expect(await town.isDraining()).toBe(true);
  });

  it('a wrong nonce keeps draining and answers false; the right one clears every field', async () => {
    const { town } = await makeTown();
    const nonce = await town.recordContainerEviction();
    expect(await town.acknowledgeContainerReady('not-the-nonce')).toBe(false);
    expect(await town.getDrainState()).toMatchObject({ draining: true, drainNonce: nonce });
    expect(await town.acknowledgeContainerReady(nonce)).toBe(true);
    expect(await town.getDrainState()).toEqual({ draining: false, drainNonce: null, drainStartedAt: null });
  });

  it('an acknowledgement when not draining is a no-op that answers true', async () => {
    const { town } = await makeTown();
    expect(await town.acknowledgeContainerReady('anything')).toBe(true);
    expect(await town.isDraining()).toBe(false);
  });

  it('each eviction makes a fresh nonce', async () => {
    const { town } = await makeTown();
    expect(await town.recordContainerEviction()).not.toBe(await town.recordContainerEviction());
  });

  it('drain state survives a TownDO restart (new instance, same storage)', async () => {
    const { town, restart } = await makeTown();
    const nonce = await town.recordContainerEviction();
    const before = await town.getDrainState();
    const again = await restart();
    expect(await again.getDrainState()).toEqual(before);
    expect(await again.acknowledgeContainerReady(nonce)).toBe(true);
    expect(await (await restart()).isDraining()).toBe(false);
  });

  it('the expiry ends the drain at the first tick after 15 minutes, not before', async () => {
    const { town, clock } = await makeTown();
    await town.recordContainerEviction();
    clock.tick(15 * MINUTE);
    await town.alarm();
    expect(await town.isDraining()).toBe(true);
    clock.tick(1);
    await town.alarm();
    expect(await town.isDraining()).toBe(false);
  });

  it('the heartbeat answers with the nonce read in the same step, and only after the hand-off delay (PC2)', async () => {
    const { town, clock } = await makeTown();
    await town.createAgent({ role: 'polecat', rigId: 'rig-1', agentId: 'pc-1' });
    const nonce = await town.recordContainerEviction();
    expect(await town.touchAgentHeartbeat('pc-1')).toEqual({ drainNonce: null });
    clock.tick(11 * MINUTE + 1);
    expect(await town.touchAgentHeartbeat('pc-1')).toEqual({ drainNonce: nonce });
  });

  it('a heartbeat is proof of life: an idle agent becomes working', async () => {
    const { town } = await makeTown();
    await town.createAgent({ role: 'polecat', rigId: 'rig-1', agentId: 'pc-1' });
    await town.touchAgentHeartbeat('pc-1');
    expect((await town.listAgents())[0]).toMatchObject({ status: 'working' });
  });
});
