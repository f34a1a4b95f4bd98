import { describe, expect, it } from 'vitest';
import { DRAIN_DEADLINE_MS, DRAIN_POLL_MS, DRAIN_WAIT_LIMIT_MS, FORCE_SAVE_RESERVE_MS } from '../../src/container/constants.ts';
import { makeContainer, recordingGit } from './harness.ts';

const MINUTE = 60_000;
const settle = async () => {
  for (let i = 0; i < 50; i++) await Promise.resolve();
};

describe('drainAll', () => {
  it('runs notify, nudge, wait and force-save in order, then stopAll and exit(0) on SIGTERM', async () => {
    const c = makeContainer();
    await c.start('pc-1');
    await c.start('mayor-1', 'mayor');
    c.signal('SIGTERM');
    await c.clock.tickAsync(11 * MINUTE);
    expect(c.log.filter((l) => !l.startsWith('prepare'))).toEqual([
      'worker:container-eviction',
      'message:pc-1',
      'abort:pc-1',
      'abort:mayor-1',
      'add:pc-1',
      'commit:pc-1',
      'push-set-upstream:pc-1',
      'add:mayor-1',
      'commit:mayor-1',
      'push-set-upstream:mayor-1',
      // stopAll: every session is aborted once more on the way out.
      'abort:pc-1',
      'abort:mayor-1',
    ]);
    expect(c.exits).toEqual([0]);
  });

  it('the nudge skips mayor and triage and asks refineries to call gt_done', async () => {
    const c = makeContainer();
    for (const [id, role] of [['pc-1', 'polecat'], ['ref-1', 'refinery'], ['mayor-1', 'mayor'], ['tri-1', 'triage']]) await c.start(id!, role);
    c.signal('SIGTERM');
    await c.clock.tickAsync(1000);
    expect(c.log.filter((l) => l.startsWith('message'))).toEqual(['message:pc-1', 'message:ref-1']);
    expect(c.sessions.byAgent.get('ref-1')!.messages[0]).toContain('gt_done');
  });

  it('the wait ends as soon as no agent runs (polls every 5 s)', async () => {
    const c = makeContainer();
    await c.start('pc-1');
    c.sessions.byAgent.get('pc-1')!.onMessage = () => c.sessions.byAgent.get('pc-1')!.emit({ type: 'gt_done' });
    c.signal('SIGTERM');
    await c.clock.tickAsync(10_000);
    expect(c.exits).toEqual([0]);
    expect(c.log.filter((l) => l.startsWith('add:'))).toEqual([]);
    expect(c.container.manager.agents()[0]).toMatchObject({ status: 'exited', exitReason: 'completed' });
  });

  it('PC9: a second SIGTERM does not start a second drain that exits in the middle of the first one\'s snapshot', async () => {
    const log: string[] = [];
    let finishPush!: () => void;
    const pushGate = new Promise<void>((resolve) => (finishPush = resolve));
    const git = {
      ...recordingGit(log),
      pushHeadSetUpstream: async () => {
        log.push('push-start');
        await pushGate;
        log.push('push-done');
      },
    };
    const c = makeContainer({ git });
    await c.start('pc-1');
    c.signal('SIGTERM');
    await c.clock.tickAsync(3 * MINUTE);
    c.signal('SIGTERM');
    // The wait phase ends after 10 minutes; then the snapshot may take up to 15 s.
    await c.clock.tickAsync(DRAIN_WAIT_LIMIT_MS - 3 * MINUTE + 2_000);
    expect(log).toContain('push-start');
    // A second drain polling every 5 s would have seen the frozen agent as finished by now.
    await c.clock.tickAsync(2 * DRAIN_POLL_MS);
    expect(c.exits).toEqual([]);
    finishPush();
    await c.clock.tickAsync(1_000);
    expect(log).toContain('push-done');
    expect(c.exits).toEqual([0]);
  });

  it('R6: an idle timer armed before SIGTERM is cleared before the nudge and cannot end the agent as completed', async () => {
    const c = makeContainer();
    await c.start('pc-1');
    c.sessions.byAgent.get('pc-1')!.emit({ type: 'idle' });
    await c.clock.tickAsync(100_000);
    c.signal('SIGTERM');
    await c.clock.tickAsync(5 * MINUTE);
    expect(c.workerCalls.filter((w) => w.path.endsWith('/completed'))).toEqual([]);
    expect(c.container.manager.agents()[0]!.status).toBe('running');
  });

  it('PC4: an agent that goes idle during the drain is not ended by a new idle timer; it is force-saved', async () => {
    const c = makeContainer();
    await c.start('pc-1');
    c.signal('SIGTERM');
    await c.clock.tickAsync(1000);
    c.sessions.byAgent.get('pc-1')!.emit({ type: 'idle' });
    await c.clock.tickAsync(11 * MINUTE);
    expect(c.workerCalls.filter((w) => w.path.endsWith('/completed'))).toEqual([]);
    expect(c.log).toContain('push-set-upstream:pc-1');
  });

  it('R7: every straggler is frozen before any snapshot starts', async () => {
    const c = makeContainer();
    await c.start('pc-1');
    await c.start('pc-2');
    c.signal('SIGTERM');
    await c.clock.tickAsync(11 * MINUTE);
    const firstAdd = c.log.findIndex((l) => l.startsWith('add:'));
    expect(firstAdd).toBeGreaterThan(-1);
    expect(c.log.indexOf('abort:pc-2')).toBeLessThan(firstAdd);
    expect(c.log.indexOf('abort:pc-1')).toBeLessThan(firstAdd);
  });

  it('R8: an agent whose session abort throws is not snapshotted; the others are', async () => {
    const c = makeContainer();
    await c.start('pc-1');
    await c.start('pc-2');
    c.sessions.byAgent.get('pc-1')!.abortBehaviour = 'throw';
    c.signal('SIGTERM');
    await c.clock.tickAsync(11 * MINUTE);
    expect(c.log).not.toContain('add:pc-1');
    expect(c.log).toContain('push-set-upstream:pc-2');
    expect(c.exits).toEqual([0]);
  });

  it('PC1: a hung abort or a hung push never keeps the container past its drain deadline', async () => {
    const log: string[] = [];
    const hang = () => new Promise<void>(() => {});
    const git = { ...recordingGit(log), pushHeadSetUpstream: hang };
    const c = makeContainer({ git });
    await c.start('pc-1');
    await c.start('pc-2');
    c.sessions.byAgent.get('pc-1')!.abortBehaviour = 'hang';
    c.signal('SIGTERM');
    await c.clock.tickAsync(DRAIN_DEADLINE_MS + 5_000);
    expect(c.exits).toEqual([0]);
    expect(log).not.toContain('add:pc-1');
  });

  it('PC12: a session that never takes the nudge, and more hung aborts than the reserve holds, never keep the container past its drain deadline', async () => {
    const c = makeContainer();
    const agents = Array.from({ length: 10 }, (_, i) => `pc-${i + 1}`);
    for (const agent of agents) await c.start(agent);
    c.sessions.byAgent.get('pc-1')!.sendMessage = () => new Promise<void>(() => {});
    for (const agent of agents.slice(1)) c.sessions.byAgent.get(agent)!.abortBehaviour = 'hang';
    c.signal('SIGTERM');
    await c.clock.tickAsync(DRAIN_DEADLINE_MS + 5_000);
    expect(c.exits).toEqual([0]);
    // pc-1 was still nudged-and-waiting when the others' nudges went out, and was force-saved.
    expect(c.log).toContain('message:pc-10');
    expect(c.log).toContain('push-set-upstream:pc-1');
  });

  it('an agent idle after gt_done at SIGTERM completes at once: not nudged, not force-saved; one busy after gt_done is drained', async () => {
    const c = makeContainer();
    await c.start('pc-1');
    await c.start('pc-2');
    for (const agent of ['pc-1', 'pc-2']) c.sessions.byAgent.get(agent)!.emit({ type: 'gt_done' });
    c.sessions.byAgent.get('pc-1')!.emit({ type: 'idle' });
    c.sessions.byAgent.get('pc-2')!.emit({ type: 'busy' });
    await c.clock.tickAsync(10_000);
    c.signal('SIGTERM');
    await c.clock.tickAsync(11 * MINUTE);
    expect(c.workerCalls.filter((w) => w.path.endsWith('/completed')).map((w) => w.path.split('/').at(-2))).toEqual(['pc-1']);
    expect(c.log).not.toContain('message:pc-1');
    expect(c.log).not.toContain('add:pc-1');
    expect(c.log).toContain('message:pc-2');
    expect(c.log).toContain('push-set-upstream:pc-2');
  });

  it('R9: the snapshot pushes HEAD setting upstream; R10: without origin it commits locally and never pushes', async () => {
    const log: string[] = [];
    const c = makeContainer({ git: recordingGit(log, { origin: (dir) => !dir.endsWith('mayor-1') }) });
    await c.start('pc-1');
    await c.start('mayor-1', 'mayor');
    c.signal('SIGTERM');
    await c.clock.tickAsync(11 * MINUTE);
    expect(log).toContain('push-set-upstream:pc-1');
    expect(log).toContain('commit:mayor-1');
    expect(log).not.toContain('push-set-upstream:mayor-1');
  });

  it('R11: a hung notify delays the drain by at most 10 s of virtual time', async () => {
    const c = makeContainer({ worker: (path) => (path.endsWith('/container-eviction') ? new Promise<Response>(() => {}) : Response.json({ success: true, data: {} })) });
    await c.start('pc-1');
    c.signal('SIGTERM');
    await c.clock.tickAsync(9_999);
    expect(c.log).not.toContain('message:pc-1');
    await c.clock.tickAsync(1);
    await settle();
    expect(c.log).toContain('message:pc-1');
  });

  it('swallows every failure: notify, nudge, abort and git all throwing still end in exit(0)', async () => {
    const log: string[] = [];
    const c = makeContainer({ worker: () => Promise.reject(new TypeError('fetch failed')), git: recordingGit(log, { fail: (op) => op !== 'prepare' }) });
    await c.start('pc-1');
    await c.start('pc-2');
    c.sessions.byAgent.get('pc-1')!.sendMessage = async () => {
      throw new Error('nudge failed');
    };
    c.sessions.byAgent.get('pc-2')!.abortBehaviour = 'throw';
    c.signal('SIGTERM');
    await c.clock.tickAsync(11 * MINUTE);
    expect(c.exits).toEqual([0]);
  });

  it('the wait stops early enough to leave the force-save reserve before the deadline', async () => {
    const c = makeContainer();
    await c.start('pc-1');
    c.signal('SIGTERM');
    await c.clock.tickAsync(DRAIN_DEADLINE_MS - FORCE_SAVE_RESERVE_MS + 5_000);
    expect(c.log).toContain('abort:pc-1');
  });

  it('PC3: a draining container refuses new agents with 503', async () => {
    const c = makeContainer();
    await c.start('pc-1');
    c.signal('SIGTERM');
    const response = await c.start('pc-2');
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ success: false });
  });

  it('PC10: a draining container answers a repeat of a start under way with that run; other starts, and one for a finished run, get 503', async () => {
    const c = makeContainer();
    await c.start('pc-1', 'polecat', 'b-1');
    await c.start('pc-2', 'polecat', 'b-2');
    c.signal('SIGTERM');
    const again = await c.start('pc-1', 'polecat', 'b-1');
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ success: true, data: { agentId: 'pc-1', beadId: 'b-1', status: 'running' } });
    expect(c.log.filter((line) => line === 'prepare:pc-1')).toHaveLength(1);
    expect((await c.start('pc-1', 'polecat', 'b-9')).status).toBe(503);
    c.sessions.byAgent.get('pc-2')!.emit({ type: 'gt_done' });
    expect((await c.start('pc-2', 'polecat', 'b-2')).status).toBe(503);
  });

  it('a start the drain interrupts answers 503 and leaves the agent exited, not starting', async () => {
    const log: string[] = [];
    let finishClone!: () => void;
    const cloned = new Promise<void>((resolve) => (finishClone = resolve));
    const c = makeContainer({ git: { ...recordingGit(log), prepare: () => cloned } });
    const pending = c.start('pc-1');
    await settle();
    c.signal('SIGTERM');
    finishClone();
    expect((await pending).status).toBe(503);
    expect(c.container.manager.agents()[0]).toMatchObject({ status: 'exited', exitReason: 'container shutdown' });
  });
});

describe('signals', () => {
  it('SIGINT never drains: no notify, no nudge, no snapshot; it stops and exits', async () => {
    const c = makeContainer();
    await c.start('pc-1');
    c.signal('SIGINT');
    await c.clock.tickAsync(11 * MINUTE);
    expect(c.workerCalls.map((w) => w.path)).not.toContainEqual(expect.stringContaining('container-eviction'));
    expect(c.log.filter((l) => l.startsWith('message') || l.startsWith('add'))).toEqual([]);
    expect(c.exits).toEqual([0]);
    expect(c.container.manager.agents()[0]).toMatchObject({ status: 'exited', exitReason: 'container shutdown' });
  });
});

describe('normal completion path', () => {
  it('idle then the idle timer: exited, completed reported, session closed; activity cancels it', async () => {
    const c = makeContainer();
    await c.start('pc-1');
    const session = c.sessions.byAgent.get('pc-1')!;
    session.emit({ type: 'idle' });
    await c.clock.tickAsync(60_000);
    session.emit({ type: 'busy' });
    await c.clock.tickAsync(120_000);
    expect(c.workerCalls.filter((w) => w.path.endsWith('/completed'))).toEqual([]);
    session.emit({ type: 'idle' });
    await c.clock.tickAsync(120_000);
    expect(c.workerCalls.filter((w) => w.path.endsWith('/completed')).map((w) => w.body)).toEqual([{ reason: 'completed' }]);
    expect(session.closed).toBe(true);
  });
});

describe('heartbeat and the drain acknowledgement', () => {
  it('beats every 30 s, one POST per live agent in turn; none without agents', async () => {
    const c = makeContainer();
    await c.clock.tickAsync(30_000);
    expect(c.workerCalls).toEqual([]);
    await c.start('pc-1');
    await c.start('pc-2');
    await c.clock.tickAsync(30_000);
    expect(c.workerCalls.map((w) => w.path)).toEqual(['/api/towns/town-1/rigs/rig-1/agents/pc-1/heartbeat', '/api/towns/town-1/rigs/rig-1/agents/pc-2/heartbeat']);
  });

  it("a heartbeat the worker never answers is abandoned after 10 s: the round goes on to the next agent", async () => {
    const c = makeContainer({
      worker: (path) => (path.includes('/pc-1/') ? new Promise<Response>(() => {}) : Response.json({ success: true, data: { heartbeat: true } })),
    });
    await c.start('pc-1');
    await c.start('pc-2');
    await c.clock.tickAsync(30_000 + 9_999);
    expect(c.workerCalls.map((w) => w.path.split('/').at(-2))).toEqual(['pc-1']);
    await c.clock.tickAsync(1);
    const [first, second] = c.workerCalls;
    expect(second?.path.split('/').at(-2)).toBe('pc-2');
    expect(second!.at - first!.at).toBe(10_000);
  });

  it('acknowledges a nonce from a heartbeat exactly once', async () => {
    const c = makeContainer({
      worker: (path) => Response.json({ success: true, data: path.endsWith('/heartbeat') ? { heartbeat: true, drainNonce: 'n-1' } : { cleared: true } }),
    });
    await c.start('pc-1');
    await c.start('pc-2');
    await c.clock.tickAsync(95_000);
    const acks = c.workerCalls.filter((w) => w.path.endsWith('/container-ready'));
    expect(acks).toEqual([expect.objectContaining({ path: '/api/towns/town-1/container-ready', body: { nonce: 'n-1' } })]);
  });

  it('health with both nonce headers acknowledges; with one header it does not', async () => {
    const c = makeContainer();
    const health = (headers: Record<string, string>) => c.container.handle(new Request('http://container/health', { headers }));
    const one = await health({ 'x-drain-nonce': 'n-1' });
    expect((await one.json()).data).toMatchObject({ status: 'ok', agents: 0 });
    await Promise.resolve();
    expect(c.workerCalls).toEqual([]);
    await health({ 'x-drain-nonce': 'n-1', 'x-town-id': 'town-9' });
    await c.clock.tickAsync(1);
    expect(c.workerCalls).toEqual([expect.objectContaining({ path: '/api/towns/town-9/container-ready', body: { nonce: 'n-1' } })]);
  });
});

describe('control server input', () => {
  it('bad requests are 4xx with the envelope, never 500', async () => {
    const c = makeContainer();
    const post = (path: string, body: string) => c.container.handle(new Request(`http://container${path}`, { method: 'POST', body }));
    for (const [path, body, status] of [
      ['/agents/start', '{nope', 400],
      ['/agents/start', '{"agentId":"x"}', 400],
      ['/agents/start', JSON.stringify({ townId: 't', rigId: 'r', agentId: 'a', role: 'wizard', beadId: 'b', prompt: '', branch: 'x' }), 400],
      // An id becomes a folder name and a URL segment: none may climb out of either.
      ['/agents/start', JSON.stringify({ townId: 't', rigId: 'r', agentId: '../escape', role: 'polecat', beadId: 'b', prompt: '', branch: 'x' }), 400],
      ['/agents/start', JSON.stringify({ townId: 't/x', rigId: 'r', agentId: 'a', role: 'polecat', beadId: 'b', prompt: '', branch: 'x' }), 400],
      ['/agents/nobody/message', '{"message":"hi"}', 404],
      ['/agents/nobody/message', '{}', 400],
      ['/nowhere', '{}', 404],
    ] as const) {
      const response = await post(path, body);
      expect(response.status, `${path} ${body}`).toBe(status);
      expect(await response.json()).toMatchObject({ success: false, error: expect.any(String) });
    }
  });

  it("a message the agent's session refuses is a 502, one it never takes a 504 after 10 s; neither is a 500", async () => {
    const c = makeContainer();
    await c.start('pc-1');
    await c.start('pc-2');
    c.sessions.byAgent.get('pc-1')!.sendMessage = () => Promise.reject(new Error('session gone'));
    c.sessions.byAgent.get('pc-2')!.sendMessage = () => new Promise<void>(() => {});
    const message = (agent: string) => c.container.handle(new Request(`http://container/agents/${agent}/message`, { method: 'POST', body: '{"message":"hi"}' }));
    const refused = await message('pc-1');
    expect(refused.status).toBe(502);
    expect(await refused.json()).toMatchObject({ success: false, error: expect.stringContaining('session gone') });
    const silent = message('pc-2');
    await c.clock.tickAsync(10_000);
    expect((await silent).status).toBe(504);
  });

  it('starting an agent that is already running on another bead is a 409', async () => {
    const c = makeContainer();
    expect((await c.start('pc-1', 'polecat', 'b-1')).status).toBe(200);
    expect((await c.start('pc-1', 'polecat', 'b-2')).status).toBe(409);
  });

  it('PC8: the same start delivered twice answers 200 both times and runs one session', async () => {
    const c = makeContainer();
    const [first, second] = await Promise.all([c.start('pc-1', 'polecat', 'b-1'), c.start('pc-1', 'polecat', 'b-1')]);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(c.log.filter((line) => line === 'prepare:pc-1')).toHaveLength(1);
  });

  it('PC13: a start that retires a finished run is one start, even when the old session is slow to close and the start arrives twice', async () => {
    const c = makeContainer();
    await c.start('pc-1', 'polecat', 'b-1');
    const old = c.sessions.byAgent.get('pc-1')!;
    let closed!: () => void;
    old.close = () => new Promise<void>((resolve) => (closed = resolve));
    old.emit({ type: 'gt_done' });
    const both = Promise.all([c.start('pc-1', 'polecat', 'b-2'), c.start('pc-1', 'polecat', 'b-2')]);
    await c.clock.tickAsync(1_000);
    closed();
    const answers = await both;
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    expect(c.log.filter((line) => line === 'prepare:pc-1')).toHaveLength(2); // b-1, then b-2 once
    expect(c.container.manager.agents()).toMatchObject([{ agentId: 'pc-1', beadId: 'b-2', status: 'running' }]);
  });

  it('PC11: a repeat of a start still preparing waits for its outcome: both fail together', async () => {
    const log: string[] = [];
    const c = makeContainer({ git: recordingGit(log, { fail: (op) => op === 'prepare' }) });
    const [first, second] = await Promise.all([c.start('pc-1', 'polecat', 'b-1'), c.start('pc-1', 'polecat', 'b-1')]);
    expect([first.status, second.status]).toEqual([502, 502]);
    expect(log.filter((line) => line === 'prepare:pc-1')).toHaveLength(1);
  });

  it('PC11: a repeat of a start still preparing answers once the session has begun', async () => {
    const c = makeContainer();
    const [first, second] = await Promise.all([c.start('pc-1', 'polecat', 'b-1'), c.start('pc-1', 'polecat', 'b-1')]);
    expect(await first.json()).toMatchObject({ success: true, data: { status: 'running' } });
    expect(await second.json()).toMatchObject({ success: true, data: { status: 'running' } });
  });
});

describe('acknowledgement retries', () => {
  it('a hung container-ready is abandoned after 10 s and the next nonce delivery tries again', async () => {
    let acks = 0;
    const c = makeContainer({
      worker: (path) => {
        if (path.endsWith('/container-ready')) return ++acks === 1 ? new Promise<Response>(() => {}) : Response.json({ success: true, data: { cleared: true } });
        return Response.json({ success: true, data: {} });
      },
    });
    const health = () => c.container.handle(new Request('http://container/health', { headers: { 'x-drain-nonce': 'n-1', 'x-town-id': 'town-1' } }));
    await health();
    await c.clock.tickAsync(5_000);
    await health();
    expect(acks).toBe(1);
    await c.clock.tickAsync(5_001);
    await health();
    await c.clock.tickAsync(1);
    expect(acks).toBe(2);
    await health();
    await c.clock.tickAsync(1);
    expect(acks).toBe(2);
  });
});
