import jwt from 'jsonwebtoken';
import { describe, expect, it } from 'vitest';
import type { TownRpc } from '../../src/ports.ts';
import { createWorkerApp, signContainerToken } from '../../src/worker/index.ts';
import { createFakeClock } from '../../sim/fakes/clock.ts';
import { silentLogger } from '../town/harness.ts';

const SECRET = 'test-secret';

function setup(nonce: string | null = null) {
  const clock = createFakeClock();
  const calls: string[] = [];
  const town: TownRpc = {
    recordContainerEviction: async () => (calls.push('recordContainerEviction'), 'nonce-1'),
    acknowledgeContainerReady: async (n) => (calls.push(`ack:${n}`), n === 'nonce-1'),
    isDraining: async () => (calls.push('isDraining'), nonce !== null),
    getDrainNonce: async () => (calls.push('getDrainNonce'), nonce),
    touchAgentHeartbeat: async (agentId) => (calls.push(`touch:${agentId}`), { drainNonce: nonce }),
    agentDone: async (agentId) => void calls.push(`done:${agentId}`),
    agentCompleted: async (agentId, report) => void calls.push(`completed:${agentId}:${report.reason}`),
  };
  const app = createWorkerApp({ towns: () => town, tokenSecret: SECRET, clock, logger: silentLogger });
  const token = signContainerToken({ townId: 'town-1', userId: 'u-1' }, SECRET, clock.now());
  const call = async (path: string, init: { method?: string; body?: string; token?: string | null; headers?: Record<string, string> } = {}) => {
    const headers: Record<string, string> = { 'content-type': 'application/json', ...init.headers };
    const bearer = init.token === undefined ? token : init.token;
    if (bearer !== null) headers.authorization = `Bearer ${bearer}`;
    const response = await app.fetch(new Request(`http://worker${path}`, { method: init.method ?? 'POST', headers, ...(init.body !== undefined ? { body: init.body } : {}) }));
    return { status: response.status, json: (await response.json()) as any };
  };
  return { call, calls, clock, token };
}

const HEARTBEAT = '/api/towns/town-1/rigs/rig-1/agents/pc-1/heartbeat';

describe('worker endpoints', () => {
  it('container-eviction records the eviction and returns the nonce', async () => {
    const { call } = setup();
    expect(await call('/api/towns/town-1/container-eviction')).toEqual({ status: 200, json: { success: true, data: { acknowledged: true, drainNonce: 'nonce-1' } } });
  });

  it('container-ready answers cleared true or false, a mismatch is not an HTTP error', async () => {
    const { call } = setup('nonce-1');
    expect((await call('/api/towns/town-1/container-ready', { body: '{"nonce":"nonce-1"}' })).json).toEqual({ success: true, data: { cleared: true } });
    expect(await call('/api/towns/town-1/container-ready', { body: '{"nonce":"other"}' })).toEqual({ status: 200, json: { success: true, data: { cleared: false } } });
  });

  it('drain-status reports the drain', async () => {
    const { call } = setup('nonce-1');
    expect((await call('/api/towns/town-1/drain-status', { method: 'GET' })).json.data).toEqual({ draining: true, drainNonce: 'nonce-1' });
  });

  it('R2: a heartbeat is exactly one RPC, and the nonce it returns comes from it', async () => {
    const { call, calls } = setup('nonce-1');
    expect((await call(HEARTBEAT, { body: '{}' })).json.data).toEqual({ heartbeat: true, drainNonce: 'nonce-1' });
    expect(calls).toEqual(['touch:pc-1']);
  });

  it('the heartbeat answer has no drainNonce key when there is none; an empty body is fine', async () => {
    const { call } = setup(null);
    expect((await call(HEARTBEAT)).json.data).toEqual({ heartbeat: true });
  });

  it('agent done and completed reports reach the town', async () => {
    const { call, calls } = setup();
    expect((await call('/api/towns/town-1/rigs/rig-1/agents/pc-1/done', { body: '{"branch":"gt/pc-1"}' })).status).toBe(200);
    expect((await call('/api/towns/town-1/rigs/rig-1/agents/pc-1/completed', { body: '{"reason":"container eviction"}' })).status).toBe(200);
    expect(calls).toEqual(['done:pc-1', 'completed:pc-1:container eviction']);
  });

  describe('auth: every bad token is a 4xx with the envelope', () => {
    const cases: [string, (t: { clock: ReturnType<typeof createFakeClock> }) => string | null, number][] = [
      ['missing token', () => null, 401],
      ['bad signature', ({ clock }) => signContainerToken({ townId: 'town-1', userId: 'u' }, 'wrong-secret', clock.now()), 401],
      ['expired token', ({ clock }) => signContainerToken({ townId: 'town-1', userId: 'u' }, SECRET, clock.now() - 9 * 3600_000), 401],
      ['wrong scope', ({ clock }) => jwt.sign({ townId: 'town-1', userId: 'u', scope: 'user', iat: Math.floor(clock.now() / 1000) }, SECRET), 401],
      ['garbage', () => 'not-a-jwt', 401],
      ["another town's token", ({ clock }) => signContainerToken({ townId: 'town-2', userId: 'u' }, SECRET, clock.now()), 403],
    ];
    for (const [name, token, status] of cases) {
      it(`${name} -> ${status}`, async () => {
        const { call, clock, calls } = setup();
        for (const path of ['/api/towns/town-1/container-eviction', '/api/towns/town-1/container-ready', HEARTBEAT]) {
          const response = await call(path, { token: token({ clock }), body: '{"nonce":"x"}' });
          expect(response.status).toBe(status);
          expect(response.json).toMatchObject({ success: false, error: expect.any(String) });
        }
        expect(calls).toEqual([]);
      });
    }
  });

  describe('bad bodies are 4xx with the envelope, never 500', () => {
    const cases: [string, string, number][] = [
      ['not JSON', '{nope', 400],
      ['missing nonce', '{}', 400],
      ['nonce of the wrong type', '{"nonce":42}', 400],
      ['no body', '', 400],
      ['oversized body', JSON.stringify({ nonce: 'x'.repeat(100_000) }), 413],
    ];
    for (const [name, body, status] of cases) {
      it(`${name} -> ${status}`, async () => {
        const { call } = setup();
        const response = await call('/api/towns/town-1/container-ready', { body });
        expect(response.status).toBe(status);
        expect(response.json).toMatchObject({ success: false, error: expect.any(String) });
      });
    }
    it('the 400 names the field', async () => {
      const { call } = setup();
      expect((await call('/api/towns/town-1/container-ready', { body: '{"nonce":42}' })).json.error).toContain('nonce');
    });
    it('an unknown route is a 404 with the envelope', async () => {
      const { call } = setup();
      expect(await call('/api/nope')).toEqual({ status: 404, json: { success: false, error: 'not found' } });
    });
  });
});
