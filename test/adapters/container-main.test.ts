import { describe, expect, it } from 'vitest';
import { containerConfigFromEnv, startContainer } from '../../src/adapters/container-main.ts';
import { silentLogger } from '../town/harness.ts';

describe('container entry point', () => {
  it('serves the control server on a real loopback port', async () => {
    const sessions = { start: () => Promise.reject(new Error('no agents in this test')) };
    const running = await startContainer({
      sessions,
      env: { WORKER_URL: 'http://127.0.0.1:9', CONTAINER_TOKEN: 't', PORT: '0' },
      logger: silentLogger,
      hostname: '127.0.0.1',
    });
    try {
      const response = await fetch(`http://127.0.0.1:${running.port}/health`);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ success: true, data: { status: 'ok', agents: 0 } });
      const bad = await fetch(`http://127.0.0.1:${running.port}/agents/start`, { method: 'POST', body: '{nope' });
      expect(bad.status).toBe(400);
    } finally {
      await running.close();
    }
  });

  it('refuses to start without its configuration, naming what is missing', () => {
    expect(() => containerConfigFromEnv({})).toThrowError('missing environment: WORKER_URL, CONTAINER_TOKEN');
    expect(() => containerConfigFromEnv({ WORKER_URL: 'x', CONTAINER_TOKEN: 'y', PORT: 'abc' })).toThrowError(/PORT/);
  });
});
