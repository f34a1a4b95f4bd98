import { describe, expect, it } from 'vitest';
import { createFakeStorage } from '../../sim/fakes/storage.ts';
import { AgentStatus, BeadStatus, BeadType, type Agent, type Bead } from '../../src/town/model.ts';
import { TownStore } from '../../src/town/store.ts';
import { hasActiveWork } from '../../src/town/town-do.ts';

async function emptyStore(): Promise<TownStore> {
  const store = new TownStore((await createFakeStorage()).sql);
  store.migrate();
  return store;
}

const agent = (agentId: string, status: Agent['status'], hookedBeadId: string | null): Agent => ({
  agentId,
  role: 'polecat',
  rigId: 'rig-1',
  status,
  hookedBeadId,
  lastActivityAt: null,
  createdAt: 1,
});

const bead = (beadId: string, type: Bead['type'], status: Bead['status']): Bead => ({
  beadId,
  type,
  status,
  rigId: 'rig-1',
  title: 't',
  assignee: null,
  blockedBy: [],
  sourceBeadId: null,
  branch: null,
  dispatchAttempts: 0,
  nextDispatchAt: null,
  createdAt: 1,
  updatedAt: 1,
});

describe('TownStore.hasActiveWork', () => {
  // The rule is an "any record" test in both forms, so every single-record town covers it.
  it('agrees with hasActiveWork(load()) for an empty town and every single agent or bead', async () => {
    const towns: ((store: TownStore) => void)[] = [() => {}];
    for (const status of AgentStatus.options) {
      for (const hook of [null, 'b-1']) towns.push((store) => store.insertAgent(agent('a-1', status, hook)));
    }
    for (const type of BeadType.options) {
      for (const status of BeadStatus.options) towns.push((store) => store.insertBead(bead('b-1', type, status)));
    }
    let active = 0;
    for (const fill of towns) {
      const store = await emptyStore();
      fill(store);
      expect(store.hasActiveWork()).toBe(hasActiveWork(store.load()));
      if (store.hasActiveWork()) active++;
    }
    expect(active).toBe(4 + 1 + 2); // working or stalled (hooked or not); idle and hooked; an open or in-progress merge request
  });

  it('follows the records as they change', async () => {
    const store = await emptyStore();
    store.insertAgent(agent('a-1', 'idle', null));
    store.insertBead(bead('b-1', 'issue', 'open'));
    expect(store.hasActiveWork()).toBe(false);
    store.setAgentHook('a-1', 'b-1');
    expect(store.hasActiveWork()).toBe(true);
    store.setAgentHook('a-1', null);
    store.insertBead(bead('mr-1', 'merge_request', 'in_review'));
    expect(store.hasActiveWork()).toBe(false);
    store.setBeadStatus('mr-1', 'in_progress', 2);
    expect(store.hasActiveWork()).toBe(true);
  });
});
