import { describe, expect, it } from 'vitest';
import { reconcile } from '../../src/town/reconciler.ts';
import type { Agent, Bead, TownState } from '../../src/town/model.ts';
import { makeTown, MINUTE, START } from './harness.ts';

const NOW = START + 60 * MINUTE;

function bead(partial: Partial<Bead> & Pick<Bead, 'beadId'>): Bead {
  return {
    type: 'issue', status: 'open', rigId: 'rig-1', title: partial.beadId, assignee: null, blockedBy: [], sourceBeadId: null,
    branch: null, dispatchAttempts: 0, nextDispatchAt: null, createdAt: START, updatedAt: START, ...partial,
  };
}

function agent(partial: Partial<Agent> & Pick<Agent, 'agentId'>): Agent {
  return { role: 'polecat', rigId: 'rig-1', status: 'idle', hookedBeadId: null, lastActivityAt: NOW, createdAt: START, ...partial };
}

const rig = { rigId: 'rig-1', gitUrl: 'http://git/rig-1.git', createdAt: START };
const state = (beads: Bead[], agents: Agent[] = []): TownState => ({ rigs: [rig], beads, agents });
const rules = (actions: { rule: string }[]) => actions.map((a) => a.rule);

describe('reconcile', () => {
  const rule1 = state([bead({ beadId: 'b-1' })]);
  const rule2 = state([bead({ beadId: 'b-1', assignee: 'pc-1' })], [agent({ agentId: 'pc-1', hookedBeadId: 'b-1' })]);
  const rule5 = state([bead({ beadId: 'mr-1', type: 'merge_request' })]);
  const rule6 = state([bead({ beadId: 'mr-1', type: 'merge_request', status: 'in_progress', assignee: 'ref-1' })], [agent({ agentId: 'ref-1', role: 'refinery', hookedBeadId: 'mr-1' })]);

  it('Rule 1: an open, unassigned, unblocked issue is dispatched to a polecat', () => {
    expect(reconcile(rule1, { draining: false, now: NOW })).toEqual([
      { type: 'dispatch_agent', beadId: 'b-1', rigId: 'rig-1', role: 'polecat', agentId: null, rule: 'rule-1' },
    ]);
  });

  it('Rule 1 waits for open blockers', () => {
    const blocked = state([bead({ beadId: 'b-1', blockedBy: ['b-0'] }), bead({ beadId: 'b-0', status: 'in_progress', assignee: 'x' })], [agent({ agentId: 'x', status: 'working' })]);
    expect(rules(reconcile(blocked, { draining: false, now: NOW }))).not.toContain('rule-1');
  });

  it('Rule 2: an idle agent hooked to an open bead is dispatched again', () => {
    expect(reconcile(rule2, { draining: false, now: NOW })).toEqual([
      { type: 'dispatch_agent', beadId: 'b-1', rigId: 'rig-1', role: 'polecat', agentId: 'pc-1', rule: 'rule-2' },
    ]);
  });

  it('Rule 5: the oldest open merge request goes in progress and gets a refinery', () => {
    expect(reconcile(rule5, { draining: false, now: NOW })).toEqual([
      { type: 'transition_bead', beadId: 'mr-1', to: 'in_progress', clearAssignee: false, rule: 'rule-5' },
      { type: 'dispatch_agent', beadId: 'mr-1', rigId: 'rig-1', role: 'refinery', agentId: null, rule: 'rule-5' },
    ]);
  });

  it('Rule 6: an idle refinery hooked to an in-progress merge request is dispatched again', () => {
    expect(reconcile(rule6, { draining: false, now: NOW })).toEqual([
      { type: 'dispatch_agent', beadId: 'mr-1', rigId: 'rig-1', role: 'refinery', agentId: 'ref-1', rule: 'rule-6' },
    ]);
  });

  it('while draining, Rules 1, 2, 5 and 6 emit nothing at all (Rule 5: no transition, no hook either)', () => {
    for (const s of [rule1, rule2, rule5, rule6]) expect(reconcile(s, { draining: true, now: NOW })).toEqual([]);
  });

  it('while draining, agent health and Rule 3 still run', () => {
    const stale = state(
      [bead({ beadId: 'b-1', status: 'in_progress', assignee: 'pc-1' })],
      [agent({ agentId: 'pc-1', status: 'working', hookedBeadId: 'b-1', lastActivityAt: NOW - 91_000 }), agent({ agentId: 'pc-2', status: 'idle', lastActivityAt: NOW - 6 * MINUTE })],
    );
    expect(rules(reconcile(stale, { draining: true, now: NOW }))).toContain('health');
    const silent = state([bead({ beadId: 'b-1', status: 'in_progress', assignee: 'pc-1' })], [agent({ agentId: 'pc-1', hookedBeadId: 'b-1', lastActivityAt: NOW - 6 * MINUTE })]);
    expect(reconcile(silent, { draining: true, now: NOW })).toEqual([
      { type: 'transition_bead', beadId: 'b-1', to: 'open', clearAssignee: true, rule: 'rule-3' },
      { type: 'unhook_agent', agentId: 'pc-1', rule: 'rule-3' },
    ]);
  });

  it('a bead in backoff is not dispatched before its time', () => {
    const backoff = state([bead({ beadId: 'b-1', nextDispatchAt: NOW + 1 })]);
    expect(reconcile(backoff, { draining: false, now: NOW })).toEqual([]);
    expect(rules(reconcile(backoff, { draining: false, now: NOW + 1 }))).toEqual(['rule-1']);
  });
});

describe('dispatch through the TownDO', () => {
  it('a dispatch marks the bead in progress and the agent working, and starts it in the container', async () => {
    const { town, dispatches } = await makeTown();
    await town.addRig({ rigId: 'rig-1', gitUrl: 'http://git/rig-1.git' });
    await town.createBead({ type: 'issue', rigId: 'rig-1', title: 'fix it', beadId: 'b-1' });
    await town.alarm();
    expect(dispatches()).toHaveLength(1);
    expect(dispatches()[0]!.body).toMatchObject({ townId: 'town-1', beadId: 'b-1', role: 'polecat', remoteUrl: 'http://git/rig-1.git' });
    expect((await town.listBeads())[0]).toMatchObject({ status: 'in_progress' });
    expect((await town.listAgents())[0]).toMatchObject({ status: 'working', hookedBeadId: 'b-1' });
  });

  it('failed dispatches back off 2/5/10/30 minutes and fail the bead after 5 attempts', async () => {
    const { town, clock, dispatches } = await makeTown({ status: (path) => (path === '/agents/start' ? 503 : 200) });
    await town.addRig({ rigId: 'rig-1', gitUrl: 'http://git/rig-1.git' });
    await town.createBead({ type: 'issue', rigId: 'rig-1', title: 'fix it', beadId: 'b-1' });
    const waits = [2, 5, 10, 30];
    await town.alarm();
    for (const minutes of waits) {
      clock.tick(minutes * MINUTE - 1);
      const before = dispatches().length;
      await town.alarm();
      expect(dispatches().length).toBe(before);
      clock.tick(1);
      await town.alarm();
      expect(dispatches().length).toBe(before + 1);
    }
    expect((await town.listBeads())[0]).toMatchObject({ status: 'failed', dispatchAttempts: 5 });
  });

  it('no dispatch reaches the container while draining, and work resumes once the drain ends', async () => {
    const { town, dispatches } = await makeTown();
    await town.addRig({ rigId: 'rig-1', gitUrl: 'http://git/rig-1.git' });
    const nonce = await town.recordContainerEviction();
    await town.createBead({ type: 'issue', rigId: 'rig-1', title: 'fix it', beadId: 'b-1' });
    await town.alarm();
    expect(dispatches()).toHaveLength(0);
    await town.acknowledgeContainerReady(nonce);
    await town.alarm();
    expect(dispatches()).toHaveLength(1);
  });
});

describe('PC5: an eviction recorded during a tick', () => {
  it('stops the dispatches still to come in that tick, without counting them as failed', async () => {
    let town: Awaited<ReturnType<typeof makeTown>>['town'] | undefined;
    const setup = await makeTown({
      status: (path) => {
        // The container's answer to the first start arrives after the eviction was recorded.
        if (path === '/agents/start' && setup.dispatches().length === 1) void town!.recordContainerEviction();
        return 200;
      },
    });
    town = setup.town;
    await town.addRig({ rigId: 'rig-1', gitUrl: 'http://git/rig-1.git' });
    await town.createBead({ type: 'issue', rigId: 'rig-1', title: 'one', beadId: 'b-1' });
    await town.createBead({ type: 'issue', rigId: 'rig-1', title: 'two', beadId: 'b-2' });
    await town.alarm();
    expect(setup.dispatches().map((d) => d.body.beadId)).toEqual(['b-1']);
    expect(await town.isDraining()).toBe(true);
    const second = (await town.listBeads()).find((b) => b.beadId === 'b-2')!;
    expect(second).toMatchObject({ status: 'open', dispatchAttempts: 0 });
  });
});
