import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { createKernel, type Kernel } from '../../sim/kernel/index.ts';
import { ConnectionReset, createNetwork, type Network, type TrafficEvent } from '../../sim/fakes/network.ts';

function world(seed = 1, latencyMs = { min: 10, max: 40 }): { kernel: Kernel; net: Network } {
  const kernel = createKernel({ seed });
  return { kernel, net: createNetwork(kernel, { latencyMs }) };
}

/** Settles `promise` into a record of what happened and when (virtual ms since the start). */
function watch(kernel: Kernel, promise: Promise<Response>): { outcome?: string; at?: number; error?: unknown; response?: Response } {
  const seen: { outcome?: string; at?: number; error?: unknown; response?: Response } = {};
  promise.then(
    (response) => Object.assign(seen, { outcome: 'ok', at: kernel.elapsed(), response }),
    (error: unknown) => Object.assign(seen, { outcome: 'error', at: kernel.elapsed(), error }),
  );
  return seen;
}

describe('network fake', () => {
  it('each leg takes a latency within bounds; the same seed gives the same times, another seed others', async () => {
    const timeline = async (seed: number) => {
      const { kernel, net } = world(seed);
      const legs: number[] = [];
      net.register('worker', async (request) => {
        const sentAt = Number(await request.text());
        legs.push(kernel.elapsed() - sentAt);
        return new Response(String(kernel.elapsed()));
      });
      for (let i = 0; i < 20; i++) {
        kernel.schedule(i * 100, 'town', 'call', async () => {
          const response = await net.fetchFor('town')(new Request('http://worker/x', { method: 'POST', body: String(kernel.elapsed()) }));
          legs.push(kernel.elapsed() - Number(await response.text()));
        });
      }
      await kernel.run(10_000);
      return legs;
    };
    const a = await timeline(42);
    expect(a).toHaveLength(40);
    for (const leg of a) {
      expect(leg).toBeGreaterThanOrEqual(10);
      expect(leg).toBeLessThanOrEqual(40);
    }
    expect(new Set(a).size).toBeGreaterThan(5);
    expect(await timeline(42)).toEqual(a);
    expect(await timeline(43)).not.toEqual(a);
  });

  it('delivers as a step of the sending actor, and answers with the handler response', async () => {
    const { kernel, net } = world();
    const origins: string[] = [];
    net.register('worker', async (request) => {
      origins.push(kernel.origin);
      return Response.json({ path: new URL(request.url).pathname });
    });
    let body: unknown;
    kernel.schedule(0, 'container#1', 'call', async () => {
      body = await (await net.fetchFor('container#1')(new Request('http://worker/api/x'))).json();
      origins.push(kernel.origin);
    });
    await kernel.run(1_000);
    expect(body).toEqual({ path: '/api/x' });
    expect(origins).toEqual(['container#1', 'container#1']);
    expect(net.stats()).toEqual({ sent: 1, delivered: 1, dropped: 0, duplicated: 0, hung: 0 });
  });

  it('an aborted request rejects at the moment its clock timer aborts it; the late answer is ignored', async () => {
    const { kernel, net } = world();
    let answered = false;
    net.register('worker', async () => {
      await kernel.sleep(20_000, 'worker', 'slow handler');
      answered = true;
      return new Response('late');
    });
    let seen: ReturnType<typeof watch> = {};
    kernel.schedule(1_000, 'container#1', 'call', () => {
      const controller = new AbortController();
      kernel.clockFor('container#1').setTimeout(() => controller.abort(new Error('notify timed out')), 10_000);
      seen = watch(kernel, net.fetchFor('container#1')(new Request('http://worker/slow', { signal: controller.signal })));
    });
    await kernel.run(60_000);
    expect(seen.outcome).toBe('error');
    expect(seen.at).toBe(11_000);
    expect((seen.error as Error).message).toBe('notify timed out');
    expect(answered).toBe(true); // the handler did answer, later; the caller had given up
  });

  it('an abort without a reason rejects with an AbortError; an already aborted signal never reaches the host', async () => {
    const { kernel, net } = world();
    let delivered = 0;
    net.register('worker', () => (delivered++, new Promise<Response>(() => {})));
    const seen: ReturnType<typeof watch>[] = [];
    kernel.schedule(0, 'c', 'call', () => {
      const controller = new AbortController();
      seen.push(watch(kernel, net.fetchFor('c')(new Request('http://worker/a', { signal: controller.signal }))));
      kernel.clockFor('c').setTimeout(() => controller.abort(), 5_000);
      seen.push(watch(kernel, net.fetchFor('c')(new Request('http://worker/b', { signal: AbortSignal.abort() }))));
    });
    await kernel.run(10_000);
    expect(seen[0]).toMatchObject({ outcome: 'error', at: 5_000 });
    expect((seen[0]!.error as DOMException).name).toBe('AbortError');
    expect(seen[1]).toMatchObject({ outcome: 'error', at: 0 });
    expect(delivered).toBe(1);
  });

  it('a request its host never answers still honours its abort after a garbage collection', async () => {
    // Node's Request follows the caller's signal through a WeakRef: if only the fake's closures
    // reached the request, a collection would unhook the abort and the caller would wait forever.
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const { kernel, net } = world();
    net.register('worker', () => new Promise<Response>(() => {}));
    let seen: ReturnType<typeof watch> = {};
    kernel.schedule(0, 'c', 'call', () => {
      const controller = new AbortController();
      kernel.clockFor('c').setTimeout(() => controller.abort(new Error('gave up')), 10_000);
      seen = watch(kernel, net.fetchFor('c')(new Request('http://worker/hangs', { method: 'POST', signal: controller.signal })));
    });
    kernel.schedule(5_000, 'gc', 'collect garbage', () => gc());
    await kernel.run(20_000);
    expect(seen).toMatchObject({ outcome: 'error', at: 10_000 });
  });

  it('loss rejects with a connection error after one latency, and the handler never sees the request', async () => {
    const { kernel, net } = world(1, { min: 25, max: 25 });
    let delivered = 0;
    net.register('worker', async () => (delivered++, new Response('ok')));
    net.setFaults({ loss: 1 });
    let seen: ReturnType<typeof watch> = {};
    kernel.schedule(0, 'c', 'call', () => void (seen = watch(kernel, net.fetchFor('c')(new Request('http://worker/x')))));
    await kernel.run(1_000);
    expect(seen).toMatchObject({ outcome: 'error', at: 25 });
    expect(seen.error).toBeInstanceOf(TypeError);
    expect((seen.error as Error).message).toBe('fetch failed');
    expect(delivered).toBe(0);
    expect(net.stats()).toMatchObject({ sent: 1, delivered: 0, dropped: 1 });
  });

  it('a fault weight scales the rates per exchange: weighted paths see the fault more often, weight 0 never', async () => {
    const kernel = createKernel({ seed: 3 });
    const weights: Record<string, number> = { '/rare': 4, '/routine': 1, '/immune': 0 };
    const net = createNetwork(kernel, { faultWeight: ({ path }) => weights[path] ?? 1 });
    net.register('worker', async () => new Response('ok'));
    net.setFaults({ loss: 0.2 });
    const lost: Record<string, number> = { '/rare': 0, '/routine': 0, '/immune': 0 };
    for (let i = 0; i < 200; i++) {
      for (const path of Object.keys(lost)) {
        kernel.schedule(i * 10, 'c', 'call', () => net.fetchFor('c')(new Request(`http://worker${path}`)).catch(() => void lost[path]!++));
      }
    }
    await kernel.run(10_000);
    expect(lost['/immune']).toBe(0);
    expect(lost['/routine']).toBeGreaterThan(20);
    expect(lost['/routine']).toBeLessThan(60);
    // 0.2 x 4 = 0.8.
    expect(lost['/rare']).toBeGreaterThan(140);
  });

  it('an unknown host is a connection error after one latency', async () => {
    const { kernel, net } = world(1, { min: 7, max: 7 });
    let seen: ReturnType<typeof watch> = {};
    kernel.schedule(0, 'c', 'call', () => void (seen = watch(kernel, net.fetchFor('c')(new Request('http://nowhere/x')))));
    await kernel.run(1_000);
    expect(seen).toMatchObject({ outcome: 'error', at: 7 });
    expect(seen.error).toBeInstanceOf(TypeError);
  });

  it('duplication delivers the request twice, both with a readable body; the caller gets one answer', async () => {
    const { kernel, net } = world();
    const bodies: string[] = [];
    net.register('worker', async (request) => {
      bodies.push(await request.text());
      return new Response(`answer ${bodies.length}`);
    });
    net.setFaults({ duplicate: 1 });
    let text: string | undefined;
    let answers = 0;
    kernel.schedule(0, 'c', 'call', async () => {
      const response = await net.fetchFor('c')(new Request('http://worker/x', { method: 'POST', body: 'payload' }));
      answers++;
      text = await response.text();
    });
    await kernel.run(10_000);
    expect(bodies).toEqual(['payload', 'payload']);
    expect(answers).toBe(1);
    expect(text).toMatch(/^answer [12]$/);
    expect(net.stats()).toMatchObject({ delivered: 2, duplicated: 1 });
  });

  it('a hang: the answer never comes back; the request reaches the handler or not (simplest: it does)', async () => {
    const hang = async (kernel: Kernel) => {
      const net = createNetwork(kernel);
      let delivered = 0;
      net.register('worker', async () => (delivered++, new Response('ok')));
      net.setFaults({ hang: 1 });
      let seen: ReturnType<typeof watch> = {};
      kernel.schedule(0, 'c', 'call', () => void (seen = watch(kernel, net.fetchFor('c')(new Request('http://worker/x')))));
      await kernel.run(60_000);
      expect(seen.outcome).toBeUndefined();
      expect(net.stats().hung).toBe(1);
      return delivered;
    };
    // An empty record replays every choice as its simplest value.
    expect(await hang(createKernel({ seed: 1, record: {} }))).toBe(1);
    const reached = new Set<number>();
    for (let seed = 1; seed <= 20; seed++) reached.add(await hang(createKernel({ seed })));
    expect([...reached].sort()).toEqual([0, 1]);
  });

  it('slow legs add the drawn extra delay', async () => {
    const { kernel, net } = world(1, { min: 10, max: 10 });
    net.register('worker', async () => new Response('ok'));
    net.setFaults({ slow: 1, slowMs: { min: 5_000, max: 5_000 } });
    let seen: ReturnType<typeof watch> = {};
    kernel.schedule(0, 'c', 'call', () => void (seen = watch(kernel, net.fetchFor('c')(new Request('http://worker/x')))));
    await kernel.run(60_000);
    expect(seen).toMatchObject({ outcome: 'ok', at: 2 * (10 + 5_000) });
  });

  it('a partition drops both directions (requests fail, answers in flight are lost) and heal restores traffic', async () => {
    const { kernel, net } = world(1, { min: 10, max: 10 });
    let workerSaw = 0;
    let containerSaw = 0;
    net.register('worker', async () => (workerSaw++, new Response('w')));
    net.register('container', async () => (containerSaw++, new Response('c')));
    net.partition('container', 'worker');
    const seen: Record<string, ReturnType<typeof watch>> = {};
    kernel.schedule(0, 'x', 'calls', () => {
      seen.up = watch(kernel, net.fetchFor('container#1')(new Request('http://worker/a')));
      seen.down = watch(kernel, net.fetchFor('worker')(new Request('http://container/b')));
      seen.other = watch(kernel, net.fetchFor('town')(new Request('http://container/c')));
    });
    // Heal, send a request, and cut again while its answer is on the way back.
    kernel.schedule(100, 'x', 'heal', () => {
      net.heal('worker', 'container');
      seen.healed = watch(kernel, net.fetchFor('container#1')(new Request('http://worker/d')));
      seen.answerLost = watch(kernel, net.fetchFor('container#1')(new Request('http://worker/e')));
    });
    kernel.schedule(115, 'x', 'cut again', () => net.partition('worker', 'container'));
    kernel.schedule(200, 'x', 'heal all', () => {
      net.healAll();
      seen.afterHealAll = watch(kernel, net.fetchFor('worker')(new Request('http://container/f')));
    });
    await kernel.run(60_000);
    expect(seen.up).toMatchObject({ outcome: 'error', at: 10 });
    expect(seen.up!.error).toBeInstanceOf(TypeError);
    expect(seen.down).toMatchObject({ outcome: 'error', at: 10 });
    expect(seen.other).toMatchObject({ outcome: 'ok', at: 20 });
    // Both reached the worker at 110; both answers were cut at 120 (the partition came at 115).
    expect(seen.healed!.outcome).toBeUndefined();
    expect(seen.answerLost!.outcome).toBeUndefined();
    expect(seen.afterHealAll).toMatchObject({ outcome: 'ok', at: 220 });
    expect(workerSaw).toBe(2);
    expect(containerSaw).toBe(2);
  });

  it('a handler that throws answers 500; one that rejects with ConnectionReset is a connection error', async () => {
    const { kernel, net } = world();
    net.register('crashy', async () => {
      throw new Error('bug');
    });
    net.register('gone', async () => {
      throw new ConnectionReset();
    });
    const seen: ReturnType<typeof watch>[] = [];
    kernel.schedule(0, 'c', 'calls', () => {
      seen.push(watch(kernel, net.fetchFor('c')(new Request('http://crashy/x'))));
      seen.push(watch(kernel, net.fetchFor('c')(new Request('http://gone/x'))));
    });
    await kernel.run(1_000);
    expect(seen[0]!.outcome).toBe('ok');
    expect(seen[0]!.response!.status).toBe(500);
    expect(seen[1]!.outcome).toBe('error');
    expect(seen[1]!.error).toBeInstanceOf(TypeError);
  });

  it('observers see each request and each answer, with status and virtual time', async () => {
    const { kernel, net } = world(1, { min: 5, max: 5 });
    const events: Omit<TrafficEvent, 'time'>[] = [];
    const times: number[] = [];
    net.observe(({ time, ...rest }) => (events.push(rest), times.push(time - kernel.now() + kernel.elapsed())));
    net.register('worker', async () => new Response(null, { status: 204 }));
    kernel.schedule(0, 'container#2', 'call', () => net.fetchFor('container#2')(new Request('http://worker/api/towns/t/heartbeat', { method: 'POST' })));
    await kernel.run(1_000);
    expect(events).toEqual([
      { kind: 'request', from: 'container#2', host: 'worker', method: 'POST', path: '/api/towns/t/heartbeat', outcome: 'delivered' },
      { kind: 'response', from: 'container#2', host: 'worker', method: 'POST', path: '/api/towns/t/heartbeat', status: 204, outcome: 'answered' },
    ]);
    expect(times).toEqual([5, 10]);
  });
});
