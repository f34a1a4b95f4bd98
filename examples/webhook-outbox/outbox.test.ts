/**
 * Testing the outbox with drainsim's fakes only: a seeded kernel (virtual time), the Durable Object
 * storage and host, and the network with loss and hangs. Imports go through the package's public
 * exports, exactly as in a project that depends on drainsim.
 */
import { describe, expect, it } from 'vitest';
import { createKernel, hashTrace } from 'drainsim/kernel';
import { createDurableObjectHost, createFakeStorage, createNetwork } from 'drainsim/fakes';
import { WebhookOutbox } from './outbox.ts';

async function world(seed: number, faults: { loss: number; hang: number }) {
  const kernel = createKernel({ seed });
  const network = createNetwork(kernel, { latencyMs: { min: 5, max: 200 } });
  const received: string[] = [];
  network.register('hooks', async (request) => {
    const { id } = (await request.json()) as { id: string };
    received.push(id);
    kernel.trace('hooks', 'received', { id });
    return new Response('ok');
  });
  network.setFaults({ ...faults, duplicate: 0, slow: 0 });
  const storage = await createFakeStorage();
  const host = createDurableObjectHost({
    storage,
    clock: kernel.clockFor('outbox'),
    create: (s) => new WebhookOutbox({ storage: s, clock: kernel.clockFor('outbox'), fetch: network.fetchFor('outbox') }),
  });
  return { kernel, host, received, network };
}

describe('webhook outbox on drainsim fakes', () => {
  it('delivers every job at least once through a lossy, hanging network, even across a restart', async () => {
    const { kernel, host, received } = await world(7, { loss: 0.4, hang: 0.2 });
    kernel.schedule(0, 'user', 'enqueue', async () => {
      const outbox = await host.instance();
      for (const id of ['a', 'b', 'c']) await outbox.enqueue(id, 'http://hooks/in', { id });
    });
    kernel.schedule(1500, 'platform', 'restart', () => host.restart());
    await kernel.run(10 * 60_000);
    expect(new Set(received)).toEqual(new Set(['a', 'b', 'c']));
    expect(await (await host.instance()).pending()).toBe(0);
  });

  it('is deterministic: the same seed gives the same trace, another seed another', async () => {
    const trace = async (seed: number) => {
      const { kernel, host } = await world(seed, { loss: 0.5, hang: 0 });
      kernel.schedule(0, 'user', 'enqueue', async () => (await host.instance()).enqueue('x', 'http://hooks/in', {}));
      return hashTrace((await kernel.run(5 * 60_000)).trace);
    };
    expect(await trace(3)).toBe(await trace(3));
    expect(await trace(3)).not.toBe(await trace(4));
  });
});
