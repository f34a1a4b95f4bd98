import { describe, expect, it } from 'vitest';
import type { Bead } from '../../src/town/model.ts';
import { DISPATCH_TIMEOUT_MS } from '../../src/town/constants.ts';
import { makeTown, MINUTE } from './harness.ts';

const RIG = { rigId: 'rig-1', gitUrl: 'http://git/rig-1.git' };
type Town = Awaited<ReturnType<typeof makeTown>>['town'];

const bead = async (town: Town, beadId: string) => (await town.listBeads()).find((b) => b.beadId === beadId)!;
const agent = async (town: Town, agentId: string) => (await town.listAgents()).find((a) => a.agentId === agentId)!;
const mergeRequests = async (town: Town): Promise<Bead[]> => (await town.listBeads()).filter((b) => b.type === 'merge_request');

/** A polecat has finished b-1: an open merge request waits for review (Rule 5). */
async function withOpenMergeRequest(options: Parameters<typeof makeTown>[0] = {}) {
  const setup = await makeTown(options);
  await setup.town.addRig(RIG);
  await setup.town.createBead({ type: 'issue', rigId: 'rig-1', title: 'fix it', beadId: 'b-1' });
  await setup.town.alarm();
  const polecat = (await setup.town.listAgents())[0]!;
  await setup.town.agentDone(polecat.agentId, { branch: 'gt/pc/b-1', summary: 'fixed' });
  return { ...setup, polecat };
}

describe('TownDO records', () => {
  it('createAgent makes an idle, unhooked agent; ids come from the Random port', async () => {
    const { town } = await makeTown();
    const created = await town.createAgent({ role: 'polecat', rigId: 'rig-1' });
    expect(created).toMatchObject({ role: 'polecat', rigId: 'rig-1', status: 'idle', hookedBeadId: null });
    expect(created.agentId).toContain('00000001');
    const issue = await town.createBead({ type: 'issue', rigId: 'rig-1', title: 't' });
    expect(issue.beadId).toContain('00000002-0000-4000');
    expect(issue).toMatchObject({ status: 'open', assignee: null, dispatchAttempts: 0 });
  });

  it('every mutating RPC arms the alarm when none is set', async () => {
    const { town, storage, clock } = await makeTown();
    await town.addRig(RIG);
    await town.createAgent({ role: 'polecat', rigId: 'rig-1', agentId: 'pc-1' });
    const rpcs: [string, () => Promise<unknown>][] = [
      ['addRig', () => town.addRig({ rigId: 'rig-2', gitUrl: 'http://git/rig-2.git' })],
      ['createBead', () => town.createBead({ type: 'issue', rigId: 'rig-2', title: 't' })],
      ['createAgent', () => town.createAgent({ role: 'mayor', rigId: 'rig-1' })],
      ['recordContainerEviction', () => town.recordContainerEviction()],
      ['acknowledgeContainerReady', async () => town.acknowledgeContainerReady((await town.getDrainState()).drainNonce!)],
      ['touchAgentHeartbeat', () => town.touchAgentHeartbeat('pc-1')],
      ['agentDone', () => town.agentDone('pc-1', {})],
      ['agentCompleted', () => town.agentCompleted('pc-1', { reason: 'completed' })],
    ];
    for (const [name, rpc] of rpcs) {
      await storage.deleteAlarm();
      await rpc();
      const alarm = await storage.getAlarm();
      expect(alarm, name).not.toBeNull();
      expect(alarm! - clock.now(), name).toBeLessThanOrEqual(60_000);
    }
  });

  it('an armed alarm is left alone by RPCs (one alarm, the tick decides the cadence)', async () => {
    const { town, storage, clock } = await makeTown();
    await storage.setAlarm(clock.now() + 42);
    await town.addRig(RIG);
    await town.createBead({ type: 'issue', rigId: 'rig-1', title: 't' });
    expect(await storage.getAlarm()).toBe(clock.now() + 42);
  });

  it('a heartbeat is proof of life: last activity is now, idle becomes working', async () => {
    const { town, clock } = await makeTown();
    await town.createAgent({ role: 'polecat', rigId: 'rig-1', agentId: 'pc-1' });
    clock.tick(MINUTE);
    await town.touchAgentHeartbeat('pc-1', 3);
    expect(await agent(town, 'pc-1')).toMatchObject({ status: 'working', lastActivityAt: clock.now() });
  });

  it('a heartbeat for an unknown agent changes nothing and still answers', async () => {
    const { town } = await makeTown();
    expect(await town.touchAgentHeartbeat('ghost')).toEqual({ drainNonce: null });
    expect(await town.listAgents()).toEqual([]);
  });
});

describe('agent reports', () => {
  it('agentDone from a polecat: issue in review, an open merge request for its branch, agent idle and unhooked', async () => {
    const { town, polecat } = await withOpenMergeRequest();
    expect((await bead(town, 'b-1')).status).toBe('in_progress'); // applied by the next tick, in order
    await town.alarm();
    expect(await bead(town, 'b-1')).toMatchObject({ status: 'in_review' });
    const [mr] = await mergeRequests(town);
    expect(mr).toMatchObject({ type: 'merge_request', rigId: 'rig-1', sourceBeadId: 'b-1', branch: 'gt/pc/b-1' });
    expect(await agent(town, polecat.agentId)).toMatchObject({ status: 'idle', hookedBeadId: null });
  });

  it('agentDone from a refinery: the merge request and its source issue are closed', async () => {
    const { town } = await withOpenMergeRequest();
    await town.alarm(); // events, then Rule 5 dispatches a refinery on the merge request
    const refinery = (await town.listAgents()).find((a) => a.role === 'refinery')!;
    await town.agentDone(refinery.agentId, {});
    await town.alarm();
    const [mr] = await mergeRequests(town);
    expect(mr!.status).toBe('closed');
    expect((await bead(town, 'b-1')).status).toBe('closed');
    expect(await agent(town, refinery.agentId)).toMatchObject({ status: 'idle', hookedBeadId: null });
  });

  it('agentCompleted without a done report: the in-progress bead goes back to open, unassigned', async () => {
    const { town, calls } = await makeTown();
    await town.addRig(RIG);
    await town.createBead({ type: 'issue', rigId: 'rig-1', title: 'fix it', beadId: 'b-1' });
    await town.alarm();
    const polecat = (await town.listAgents())[0]!;
    await town.recordContainerEviction(); // so the tick below does not dispatch it again at once
    await town.agentCompleted(polecat.agentId, { reason: 'container eviction' });
    await town.alarm();
    expect(await bead(town, 'b-1')).toMatchObject({ status: 'open', assignee: null });
    expect(await agent(town, polecat.agentId)).toMatchObject({ status: 'idle', hookedBeadId: null });
    expect(calls.filter((c) => c.path === '/agents/start')).toHaveLength(1);
  });

  it('agentCompleted after agentDone leaves the finished work alone', async () => {
    const { town, polecat } = await withOpenMergeRequest();
    await town.agentCompleted(polecat.agentId, { reason: 'completed' });
    await town.alarm();
    expect((await bead(town, 'b-1')).status).toBe('in_review');
  });

  it('an event that cannot be applied is skipped whole; later events and the tick go on', async () => {
    const { town, storage, dispatches } = await makeTown();
    await town.addRig(RIG);
    storage.sql.exec("INSERT INTO town_events (type, payload, created_at) VALUES ('agent_done', '{\"type\":\"agent_done\"}', 0)");
    await town.createBead({ type: 'issue', rigId: 'rig-1', title: 'fix it', beadId: 'b-1' });
    await town.alarm();
    expect(dispatches()).toHaveLength(1);
    expect(storage.sql.exec('SELECT COUNT(*) AS n FROM town_events WHERE processed_at IS NULL').one()).toEqual({ n: 0 });
  });
});

describe('the rules through the TownDO, draining or not', () => {
  it('Rule 1 dispatches a new polecat with the rig remote and a branch; not while draining', async () => {
    const draining = await makeTown();
    await draining.town.addRig(RIG);
    await draining.town.recordContainerEviction();
    await draining.town.createBead({ type: 'issue', rigId: 'rig-1', title: 'fix it', beadId: 'b-1' });
    await draining.town.alarm();
    expect(draining.dispatches()).toHaveLength(0);
    expect(await draining.town.listAgents()).toEqual([]);
    expect(await bead(draining.town, 'b-1')).toMatchObject({ status: 'open', assignee: null });

    const { town, dispatches } = await makeTown();
    await town.addRig(RIG);
    await town.createBead({ type: 'issue', rigId: 'rig-1', title: 'fix it', beadId: 'b-1' });
    await town.alarm();
    const [start] = dispatches();
    const polecat = (await town.listAgents())[0]!;
    expect(start!.method).toBe('POST');
    expect(start!.body).toEqual({
      townId: 'town-1', rigId: 'rig-1', agentId: polecat.agentId, role: 'polecat', beadId: 'b-1',
      prompt: expect.any(String), remoteUrl: RIG.gitUrl, branch: `gt/${polecat.agentId}/b-1`,
    });
    expect(polecat).toMatchObject({ role: 'polecat', status: 'working', hookedBeadId: 'b-1' });
  });

  it('Rule 1 reuses an idle, unhooked polecat of the rig', async () => {
    const { town, dispatches } = await makeTown();
    await town.addRig(RIG);
    await town.createAgent({ role: 'polecat', rigId: 'rig-1', agentId: 'pc-1' });
    await town.createBead({ type: 'issue', rigId: 'rig-1', title: 'fix it', beadId: 'b-1' });
    await town.alarm();
    expect(dispatches()[0]!.body.agentId).toBe('pc-1');
    expect(await town.listAgents()).toHaveLength(1);
  });

  it('Rule 2 dispatches the idle hooked polecat again (after a failed start); not while draining', async () => {
    let status = 503;
    const { town, clock, dispatches } = await makeTown({ status: (path) => (path === '/agents/start' ? status : 200) });
    await town.addRig(RIG);
    await town.createBead({ type: 'issue', rigId: 'rig-1', title: 'fix it', beadId: 'b-1' });
    await town.alarm();
    const polecat = (await town.listAgents())[0]!;
    expect(await agent(town, polecat.agentId)).toMatchObject({ status: 'idle', hookedBeadId: 'b-1' });
    status = 200;
    const nonce = await town.recordContainerEviction();
    clock.tick(2 * MINUTE);
    await town.alarm();
    expect(dispatches()).toHaveLength(1);
    await town.acknowledgeContainerReady(nonce);
    await town.alarm();
    expect(dispatches()).toHaveLength(2);
    expect(dispatches()[1]!.body.agentId).toBe(polecat.agentId);
    expect(await bead(town, 'b-1')).toMatchObject({ status: 'in_progress', assignee: polecat.agentId });
  });

  it('Rule 5 takes the merge request in progress, hooks a refinery and dispatches it', async () => {
    const { town, dispatches } = await withOpenMergeRequest();
    await town.alarm();
    const refinery = (await town.listAgents()).find((a) => a.role === 'refinery')!;
    const [mr] = await mergeRequests(town);
    expect(mr).toMatchObject({ status: 'in_progress', assignee: refinery.agentId });
    expect(refinery).toMatchObject({ status: 'working', hookedBeadId: mr!.beadId });
    expect(dispatches().at(-1)!.body).toMatchObject({ role: 'refinery', beadId: mr!.beadId, remoteUrl: RIG.gitUrl });
  });

  it('Rule 5 while draining: no dispatch, no transition, no hook, no refinery', async () => {
    const { town, dispatches } = await withOpenMergeRequest();
    await town.recordContainerEviction();
    await town.alarm();
    expect(dispatches()).toHaveLength(1); // the polecat's, before the drain
    const [mr] = await mergeRequests(town);
    expect(mr).toMatchObject({ status: 'open', assignee: null });
    expect((await town.listAgents()).filter((a) => a.role === 'refinery')).toEqual([]);
  });

  it('Rule 6 dispatches the idle refinery hooked to an in-progress merge request again; not while draining', async () => {
    let refineryStatus = 503;
    const setup = await withOpenMergeRequest({ status: (path) => (path === '/agents/start' && setup.dispatches().length > 1 ? refineryStatus : 200) });
    const { town, clock, dispatches } = setup;
    await town.alarm(); // Rule 5: the refinery's start fails
    const refinery = (await town.listAgents()).find((a) => a.role === 'refinery')!;
    const [mr] = await mergeRequests(town);
    expect(await agent(town, refinery.agentId)).toMatchObject({ status: 'idle', hookedBeadId: mr!.beadId });
    refineryStatus = 200;
    const nonce = await town.recordContainerEviction();
    clock.tick(2 * MINUTE);
    await town.alarm();
    expect(dispatches()).toHaveLength(2);
    await town.acknowledgeContainerReady(nonce);
    await town.alarm();
    expect(dispatches()).toHaveLength(3);
    expect(dispatches()[2]!.body).toMatchObject({ agentId: refinery.agentId, beadId: mr!.beadId, role: 'refinery' });
  });

  it('while draining, agent health still runs: a working agent silent for over 90 s goes idle', async () => {
    const { town, clock } = await makeTown();
    await town.createAgent({ role: 'polecat', rigId: 'rig-1', agentId: 'pc-1' });
    await town.touchAgentHeartbeat('pc-1');
    await town.recordContainerEviction();
    clock.tick(90_000);
    await town.alarm();
    expect((await agent(town, 'pc-1')).status).toBe('working');
    clock.tick(1);
    await town.alarm();
    expect((await agent(town, 'pc-1')).status).toBe('idle');
  });

  it('while draining, Rule 3 still runs: an in-progress bead whose agent went silent for 5 min is reopened', async () => {
    const { town, clock } = await makeTown();
    await town.addRig(RIG);
    await town.createBead({ type: 'issue', rigId: 'rig-1', title: 'fix it', beadId: 'b-1' });
    await town.alarm();
    await town.recordContainerEviction();
    clock.tick(5 * MINUTE + 1);
    await town.alarm(); // health: working -> idle (silent since the dispatch)
    await town.alarm(); // Rule 3
    expect(await bead(town, 'b-1')).toMatchObject({ status: 'open', assignee: null });
    expect((await town.listAgents())[0]).toMatchObject({ hookedBeadId: null });
  });
});

describe('dispatch failures', () => {
  it('a thrown fetch is a failed attempt like a non-2xx: agent idle, attempt counted, backoff set', async () => {
    const { town, clock, dispatches } = await makeTown({ status: (path) => (path === '/agents/start' ? 'throw' : 200) });
    await town.addRig(RIG);
    await town.createBead({ type: 'issue', rigId: 'rig-1', title: 'fix it', beadId: 'b-1' });
    await town.alarm();
    expect(await bead(town, 'b-1')).toMatchObject({ status: 'open', dispatchAttempts: 1, nextDispatchAt: clock.now() + 2 * MINUTE });
    expect((await town.listAgents())[0]).toMatchObject({ status: 'idle' });
    expect(dispatches()).toHaveLength(1);
  });

  it('a start the container never answers fails after the dispatch timeout, and the tick ends (PC6)', async () => {
    const { town, clock, storage } = await makeTown({ status: (path) => (path === '/agents/start' ? 'hang' : 200) });
    await town.addRig(RIG);
    await town.createBead({ type: 'issue', rigId: 'rig-1', title: 'fix it', beadId: 'b-1' });
    let ended = false;
    const tick = town.alarm().then(() => (ended = true));
    await clock.tickAsync(DISPATCH_TIMEOUT_MS - 1);
    expect(ended).toBe(false);
    await clock.tickAsync(1);
    await tick;
    expect(await bead(town, 'b-1')).toMatchObject({ status: 'open', dispatchAttempts: 1, nextDispatchAt: clock.now() + 2 * MINUTE });
    expect(await storage.getAlarm()).not.toBeNull();
  });

  it('a successful dispatch resets the attempts', async () => {
    let status = 500;
    const { town, clock } = await makeTown({ status: (path) => (path === '/agents/start' ? status : 200) });
    await town.addRig(RIG);
    await town.createBead({ type: 'issue', rigId: 'rig-1', title: 'fix it', beadId: 'b-1' });
    await town.alarm();
    status = 200;
    clock.tick(2 * MINUTE);
    await town.alarm();
    expect(await bead(town, 'b-1')).toMatchObject({ status: 'in_progress', dispatchAttempts: 0, nextDispatchAt: null });
  });
});

describe('tick order', () => {
  it('the expiry runs before reconcile: the tick that ends an expired drain dispatches', async () => {
    const { town, clock, dispatches } = await makeTown();
    await town.addRig(RIG);
    await town.recordContainerEviction();
    await town.createBead({ type: 'issue', rigId: 'rig-1', title: 'fix it', beadId: 'b-1' });
    clock.tick(15 * MINUTE + 1);
    await town.alarm();
    expect(await town.isDraining()).toBe(false);
    expect(dispatches()).toHaveLength(1);
  });

  it('the health check comes first and carries the hand-off even on the tick the drain expires', async () => {
    const { town, clock, calls } = await makeTown();
    await town.addRig(RIG);
    const nonce = await town.recordContainerEviction();
    clock.tick(15 * MINUTE + 1);
    await town.alarm();
    expect(calls[0]).toMatchObject({ path: '/health' });
    expect(calls[0]!.headers.get('x-drain-nonce')).toBe(nonce);
  });

  it('a tick re-arms the alarm after its dispatches', async () => {
    const { town, storage, clock } = await makeTown();
    await town.addRig(RIG);
    await town.createBead({ type: 'issue', rigId: 'rig-1', title: 'fix it', beadId: 'b-1' });
    await storage.deleteAlarm();
    await town.alarm();
    expect((await storage.getAlarm())! - clock.now()).toBe(5_000);
  });
});
