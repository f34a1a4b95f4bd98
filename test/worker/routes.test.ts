import jwt from 'jsonwebtoken';
import { describe, expect, it } from 'vitest';
import type { TownRpc } from '../../src/ports.ts';
import { createWorkerApp, signContainerToken } from '../../src/worker/index.ts';
import { createFakeClock } from '../../sim/fakes/clock.ts';
import { silentLogger } from '../town/harness.ts';

const SECRET = 'test-secret';

/** `nonce`: what the town's drain holds; `laterNonce`: what a second read would see (an eviction landed in between). */
function setup(nonce: string | null = null, laterNonce: string | null = nonce) {
  const clock = createFakeClock();
  const calls: string[] = [];
  const town: TownRpc = {
    recordContainerEviction: async () => (calls.push('recordContainerEviction'), 'nonce-1'),
    acknowledgeContainerReady: async (n) => (calls.push(`ack:${n}`), n === 'nonce-1'),
    isDraining: async () => (calls.push('isDraining'), nonce !== null),
    getDrainNonce: async () => (calls.push('getDrainNonce'), laterNonce),
    touchAgentHeartbeat: async (agentId, watermark) => (calls.push(`touch:${agentId}:${watermark}`), { drainNonce: nonce }),
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
const AGENT = '/api/towns/town-1/rigs/rig-1/agents/pc-1';
/** Every container endpoint, with a body it accepts. */
const ENDPOINTS: [method: string, path: string, body: string | undefined][] = [
  ['POST', '/api/towns/town-1/container-eviction', undefined],
  ['POST', '/api/towns/town-1/container-ready', '{"nonce":"x"}'],
  ['GET', '/api/towns/town-1/drain-status', undefined],
  ['POST', HEARTBEAT, '{}'],
  ['POST', `${AGENT}/done`, '{"branch":"gt/pc-1/b-1"}'],
  ['POST', `${AGENT}/completed`, '{"reason":"completed"}'],
];

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

  it('R2: a heartbeat is exactly one touchAgentHeartbeat RPC, no getDrainNonce, and the nonce comes from it', async () => {
    const { call, calls } = setup('nonce-1', 'nonce-2');
    expect((await call(HEARTBEAT, { body: '{"watermark":7}' })).json.data).toEqual({ heartbeat: true, drainNonce: 'nonce-1' });
    expect(calls).toEqual(['touch:pc-1:7']);
  });

  it('R2: the drainNonce key is absent when the touch saw no drain, whatever a later read would say', async () => {
    const { call, calls } = setup(null, 'nonce-2');
    const { json } = await call(HEARTBEAT);
    expect(json.data).toEqual({ heartbeat: true });
    expect('drainNonce' in json.data).toBe(false);
    expect(calls).toEqual(['touch:pc-1:undefined']);
  });

  it('agent done and completed reports reach the town', async () => {
    const { call, calls } = setup();
    expect((await call('/api/towns/town-1/rigs/rig-1/agents/pc-1/done', { body: '{"branch":"gt/pc-1"}' })).status).toBe(200);
    expect((await call('/api/towns/town-1/rigs/rig-1/agents/pc-1/completed', { body: '{"reason":"container eviction"}' })).status).toBe(200);
    expect((await call('/api/towns/town-1/rigs/rig-1/agents/pc-1/done')).status).toBe(200);
    expect((await call('/api/towns/town-1/rigs/rig-1/agents/pc-1/completed', { body: '{"reason":"completed","exitCode":0}' })).status).toBe(200);
    expect(calls).toEqual(['done:pc-1', 'completed:pc-1:container eviction', 'done:pc-1', 'completed:pc-1:completed']);
  });

  describe('auth: every bad token is a 4xx with the envelope', () => {
    const cases: [string, (t: { clock: ReturnType<typeof createFakeClock> }) => string | null, number][] = [
      ['missing token', () => null, 401],
      ['bad signature', ({ clock }) => signContainerToken({ townId: 'town-1', userId: 'u' }, 'wrong-secret', clock.now()), 401],
      ['expired token', ({ clock }) => signContainerToken({ townId: 'town-1', userId: 'u' }, SECRET, clock.now() - 9 * 3600_000), 401],
      ['token older than 8 h without exp', ({ clock }) => jwt.sign({ townId: 'town-1', userId: 'u', scope: 'container', iat: Math.floor(clock.now() / 1000) - 8 * 3600 - 1 }, SECRET), 401],
      ['wrong scope', ({ clock }) => jwt.sign({ townId: 'town-1', userId: 'u', scope: 'user', iat: Math.floor(clock.now() / 1000) }, SECRET), 401],
      ['payload without userId', ({ clock }) => jwt.sign({ townId: 'town-1', scope: 'container', iat: Math.floor(clock.now() / 1000) }, SECRET), 401],
      ['another algorithm (none)', ({ clock }) => jwt.sign({ townId: 'town-1', userId: 'u', scope: 'container', iat: Math.floor(clock.now() / 1000) }, '', { algorithm: 'none' }), 401],
      ['garbage', () => 'not-a-jwt', 401],
      ["another town's token", ({ clock }) => signContainerToken({ townId: 'town-2', userId: 'u' }, SECRET, clock.now()), 403],
    ];
    for (const [name, token, status] of cases) {
      it(`${name} -> ${status}`, async () => {
        const { call, clock, calls } = setup();
        for (const [method, path, body] of ENDPOINTS) {
          const response = await call(path, { method, token: token({ clock }), ...(body !== undefined ? { body } : {}) });
          expect(response.status).toBe(status);
          expect(response.json).toMatchObject({ success: false, error: expect.any(String) });
        }
        expect(calls).toEqual([]);
      });
    }
  });

  describe('bad bodies are 4xx with the envelope, never 500, and reach no RPC', () => {
    const READY = '/api/towns/town-1/container-ready';
    const oversized = JSON.stringify({ nonce: 'x'.repeat(100_000) });
    const cases: [string, string, string, number][] = [
      ['container-ready: not JSON', READY, '{nope', 400],
      ['container-ready: missing nonce', READY, '{}', 400],
      ['container-ready: nonce of the wrong type', READY, '{"nonce":42}', 400],
      ['container-ready: no body', READY, '', 400],
      ['container-ready: a JSON array', READY, '["x"]', 400],
      ['container-ready: oversized body', READY, oversized, 413],
      ['heartbeat: not JSON', HEARTBEAT, '{nope', 400],
      ['heartbeat: watermark of the wrong type', HEARTBEAT, '{"watermark":"high"}', 400],
      ['heartbeat: oversized body', HEARTBEAT, oversized, 413],
      ['done: not JSON', `${AGENT}/done`, 'nope', 400],
      ['done: branch of the wrong type', `${AGENT}/done`, '{"branch":42}', 400],
      ['done: oversized body', `${AGENT}/done`, oversized, 413],
      ['completed: not JSON', `${AGENT}/completed`, '{', 400],
      ['completed: no body', `${AGENT}/completed`, '', 400],
      ['completed: unknown reason', `${AGENT}/completed`, '{"reason":"crashed"}', 400],
      ['completed: exitCode of the wrong type', `${AGENT}/completed`, '{"reason":"completed","exitCode":"0"}', 400],
      ['completed: oversized body', `${AGENT}/completed`, oversized, 413],
      ['container-eviction: oversized body', '/api/towns/town-1/container-eviction', oversized, 413],
    ];
    for (const [name, path, body, status] of cases) {
      it(`${name} -> ${status}`, async () => {
        const { call, calls } = setup();
        const response = await call(path, { body });
        expect(response.status).toBe(status);
        expect(response.json).toMatchObject({ success: false, error: expect.any(String) });
        expect(calls).toEqual([]);
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
