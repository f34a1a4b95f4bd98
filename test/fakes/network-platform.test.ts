import { describe, expect, it } from 'vitest';
import { createKernel, VIRTUAL_EPOCH } from '../../sim/kernel/index.ts';
import { createNetwork } from '../../sim/fakes/network.ts';
import { createPlatform, SIGKILL_AFTER_MS } from '../../sim/fakes/platform.ts';
import { abortAfter } from '../../src/lib/timeout.ts';

const ok = () => Promise.resolve(Response.json({ ok: true }));

describe('network fake', () => {
  it('delivers after a seeded latency within bounds, the same for the same seed', async () => {
    const times = async (seed: number) => {
      const kernel = createKernel({ seed });
      const net = createNetwork(kernel, { latencyMs: { min: 10, max: 50 } });
      const seen: number[] = [];
      net.register('worker', async () => (seen.push(kernel.elapsed()), Response.json({})));
      kernel.schedule(0, 'a', 'send', () => Promise.all([1, 2, 3].map(() => net.fetchFor('a')(new Request('http://worker/x')))));
      await kernel.run(1000);
      return seen;
    };
    const a = await times(3);
    expect(a).toHaveLength(3);
    for (const t of a) expect(t).toBeGreaterThanOrEqual(10), expect(t).toBeLessThanOrEqual(50);
    expect(await times(3)).toEqual(a);
  });

  it('an aborted request rejects at the virtual moment its signal fires, while the handler hangs', async () => {
    const kernel = createKernel({ seed: 1 });
    const net = createNetwork(kernel);
    net.register('worker', () => new Promise<Response>(() => {}));
    let rejectedAt = -1;
    kernel.schedule(0, 'c', 'call', async () => {
      const clock = kernel.clockFor('c');
      const timeout = abortAfter(clock, 10_000);
      await net.fetchFor('c')(new Request('http://worker/slow', { signal: timeout.signal })).catch(() => (rejectedAt = kernel.elapsed()));
    });
    await kernel.run(60_000);
    expect(rejectedAt).toBe(10_000);
  });

  it('loss rejects with a connection error; duplication delivers twice', async () => {
    const kernel = createKernel({ seed: 1 });
    const net = createNetwork(kernel);
    let delivered = 0;
    net.register('worker', async () => (delivered++, Response.json({})));
    const outcomes: string[] = [];
    kernel.schedule(0, 'c', 'calls', async () => {
      net.setFaults({ loss: 1 });
      await net.fetchFor('c')(new Request('http://worker/x')).then(() => outcomes.push('ok'), (e: Error) => outcomes.push(e.name));
      net.setFaults({ loss: 0, duplicate: 1 });
      await net.fetchFor('c')(new Request('http://worker/x', { method: 'POST', body: 'b' })).then(() => outcomes.push('ok'));
    });
    await kernel.run(10_000);
    expect(outcomes).toEqual(['TypeError', 'ok']);
    expect(delivered).toBe(2);
  });

  it('a partition drops both directions, and healing restores traffic', async () => {
    const kernel = createKernel({ seed: 1 });
    const net = createNetwork(kernel);
    net.register('worker', ok);
    net.register('container', ok);
    const outcomes: string[] = [];
    const attempt = (from: string, url: string) => net.fetchFor(from)(new Request(url)).then(() => 'ok', () => 'failed');
    kernel.schedule(0, 'x', 'calls', async () => {
      net.partition('container', 'worker');
      outcomes.push(await attempt('container#1', 'http://worker/a'));
      outcomes.push(await attempt('worker', 'http://container/b'));
      outcomes.push(await attempt('town', 'http://container/c'));
      net.heal('container', 'worker');
      outcomes.push(await attempt('container#1', 'http://worker/a'));
    });
    await kernel.run(10_000);
    expect(outcomes).toEqual(['failed', 'failed', 'ok', 'ok']);
  });
});

describe('platform fake', () => {
  function setup(routing: 'old-until-exit' | 'new-at-once' = 'old-until-exit') {
    const kernel = createKernel({ seed: 1 });
    const net = createNetwork(kernel);
    const ticks = new Map<string, number>();
    const platform = createPlatform(kernel, net, {
      coldStartMs: { min: 1000, max: 1000 },
      routing,
      boot: (ctx) => {
        ctx.clock.setInterval(() => ticks.set(ctx.id, (ticks.get(ctx.id) ?? 0) + 1), 1000);
        ctx.process.onSignal('SIGTERM', () => undefined);
        return { handle: async () => Response.json({ id: ctx.id }) };
      },
    });
    const who = () => net.fetchFor('town')(new Request('http://container/health')).then(async (r) => ((await r.json()) as { id: string }).id);
    return { kernel, platform, who, ticks };
  }

  it('SIGKILL lands exactly 15 virtual minutes after SIGTERM when the instance does not exit', async () => {
    const { kernel, platform, who } = setup();
    kernel.schedule(0, 'town', 'boot', who);
    kernel.schedule(5_000, 'platform', 'evict', () => platform.evict());
    await kernel.run(30 * 60_000);
    const [info] = platform.instances();
    expect(info).toMatchObject({ killed: true, sigtermAt: VIRTUAL_EPOCH + 5_000 });
    expect(info!.exitedAt! - info!.sigtermAt!).toBe(SIGKILL_AFTER_MS);
  });

  it('a dead instance never runs a timer again; the next request boots a fresh one after the cold start', async () => {
    const { kernel, platform, who, ticks } = setup();
    const answers: string[] = [];
    kernel.schedule(0, 'town', 'first', async () => answers.push(await who()));
    kernel.schedule(10_000, 'platform', 'evict', () => platform.evict());
    kernel.schedule(SIGKILL_AFTER_MS + 20_000, 'town', 'second', async () => answers.push(await who()));
    await kernel.run(SIGKILL_AFTER_MS + 60_000);
    expect(answers).toEqual(['container#1', 'container#2']);
    const [first, second] = platform.instances();
    expect(ticks.get('container#1')).toBe(Math.floor((first!.exitedAt! - first!.readyAt!) / 1000));
    expect(second!.readyAt! - second!.startedAt).toBe(1000);
  });

  it('routing: old-until-exit keeps serving the draining instance; new-at-once boots the replacement at once', async () => {
    for (const [routing, expected] of [['old-until-exit', 'container#1'], ['new-at-once', 'container#2']] as const) {
      const { kernel, platform, who } = setup(routing);
      const answers: string[] = [];
      kernel.schedule(0, 'town', 'first', who);
      kernel.schedule(5_000, 'platform', 'evict', () => platform.evict());
      kernel.schedule(6_000, 'town', 'after SIGTERM', async () => answers.push(await who()));
      await kernel.run(20_000);
      expect(answers).toEqual([expected]);
    }
  });

  it('SIGTERM before the instance installed its handler terminates it at once (the default action)', async () => {
    const kernel = createKernel({ seed: 1 });
    const net = createNetwork(kernel);
    const platform = createPlatform(kernel, net, { coldStartMs: { min: 5000, max: 5000 }, routing: 'old-until-exit', boot: () => ({ handle: ok }) });
    kernel.schedule(0, 'town', 'boot', () => net.fetchFor('town')(new Request('http://container/health')).catch(() => undefined));
    kernel.schedule(1000, 'platform', 'evict', () => platform.evict());
    await kernel.run(10_000);
    expect(platform.instances()[0]).toMatchObject({ exitCode: 143, killed: false });
  });
});
