import { describe, expect, it } from 'vitest';
import { createKernel, type Kernel } from '../../sim/kernel/index.ts';
import { createNetwork, type Network } from '../../sim/fakes/network.ts';
import { createPlatform, SIGKILL_AFTER_MS, type InstanceContext, type Platform, type PlatformEvent, type Routing } from '../../sim/fakes/platform.ts';

const MINUTE = 60_000;

interface Setup {
  kernel: Kernel;
  net: Network;
  platform: Platform;
  events: PlatformEvent[];
  booted: InstanceContext[];
  /** Per instance: how many times its 1 s interval fired. */
  ticks: Map<string, number>;
  /** Sends a stub request from the town; resolves with the id of the instance that answered. */
  ask(path?: string): Promise<string>;
}

/**
 * A platform whose instances tick every second and answer with their id. `onSigterm` decides
 * what an instance does with SIGTERM (default: nothing, so it runs into the SIGKILL).
 */
function setup(options: { routing?: Routing; coldStartMs?: { min: number; max: number }; onSigterm?: (ctx: InstanceContext) => void; seed?: number } = {}): Setup {
  const kernel = createKernel({ seed: options.seed ?? 1 });
  const net = createNetwork(kernel, { latencyMs: { min: 10, max: 10 } });
  const ticks = new Map<string, number>();
  const booted: InstanceContext[] = [];
  const platform = createPlatform(kernel, net, {
    coldStartMs: options.coldStartMs ?? { min: 2_000, max: 2_000 },
    routing: options.routing ?? 'old-until-exit',
    boot: (ctx) => {
      booted.push(ctx);
      ctx.clock.setInterval(() => ticks.set(ctx.id, (ticks.get(ctx.id) ?? 0) + 1), 1_000);
      ctx.process.onSignal('SIGTERM', () => options.onSigterm?.(ctx));
      return { handle: async () => Response.json({ id: ctx.id }) };
    },
  });
  const events: PlatformEvent[] = [];
  platform.observe((e) => events.push(e));
  const ask = async (path = '/health') => {
    const response = await net.fetchFor('town')(new Request(`http://container${path}`));
    return ((await response.json()) as { id: string }).id;
  };
  return { kernel, net, platform, events, booted, ticks, ask };
}

/** Virtual ms since the start, for an absolute virtual time. */
const since = (kernel: Kernel, time: number | undefined) => (time === undefined ? undefined : time - (kernel.now() - kernel.elapsed()));

describe('platform fake', () => {
  it('SIGKILL lands exactly 15 virtual minutes after SIGTERM when the instance does not exit', async () => {
    const s = setup();
    s.kernel.schedule(0, 'town', 'boot', () => s.ask());
    s.kernel.schedule(7_000, 'platform', 'evict', () => s.platform.evict());
    await s.kernel.run(30 * MINUTE);
    const [info] = s.platform.instances();
    expect(info).toMatchObject({ id: 'container#1', killed: true });
    expect(since(s.kernel, info!.sigtermAt)).toBe(7_000);
    expect(info!.exitedAt! - info!.sigtermAt!).toBe(15 * MINUTE);
    expect(s.events.map((e) => e.kind)).toEqual(['booting', 'ready', 'signal', 'killed']);
    expect(since(s.kernel, s.events[3]!.time)).toBe(7_000 + SIGKILL_AFTER_MS);
  });

  it('an exit before the deadline cancels the SIGKILL', async () => {
    const s = setup({ onSigterm: (ctx) => ctx.clock.setTimeout(() => ctx.process.exit(0), 3 * MINUTE) });
    s.kernel.schedule(0, 'town', 'boot', () => s.ask());
    s.kernel.schedule(10_000, 'platform', 'evict', () => s.platform.evict());
    await s.kernel.run(40 * MINUTE);
    const [info] = s.platform.instances();
    expect(info).toMatchObject({ killed: false, exitCode: 0 });
    expect(info!.exitedAt! - info!.sigtermAt!).toBe(3 * MINUTE);
    expect(s.events.map((e) => e.kind)).toEqual(['booting', 'ready', 'signal', 'exit']);
  });

  it('a stub request after the exit boots a fresh instance, with a new id, after the cold start', async () => {
    const s = setup({ coldStartMs: { min: 1_000, max: 9_000 }, onSigterm: (ctx) => ctx.process.exit(0) });
    const answers: [string, number][] = [];
    s.kernel.schedule(0, 'town', 'first', async () => answers.push([await s.ask(), s.kernel.elapsed()]));
    s.kernel.schedule(MINUTE, 'platform', 'evict', () => s.platform.evict());
    s.kernel.schedule(2 * MINUTE, 'town', 'second', async () => answers.push([await s.ask(), s.kernel.elapsed()]));
    await s.kernel.run(10 * MINUTE);
    const [first, second] = s.platform.instances();
    expect(answers.map(([id]) => id)).toEqual(['container#1', 'container#2']);
    expect(second).toMatchObject({ id: 'container#2', killed: false });
    expect(since(s.kernel, second!.startedAt)).toBe(2 * MINUTE + 10); // booted by the request's arrival
    const coldStart = second!.readyAt! - second!.startedAt;
    expect(coldStart).toBeGreaterThanOrEqual(1_000);
    expect(coldStart).toBeLessThanOrEqual(9_000);
    // The request waited for the cold start, then came back after one more leg.
    expect(answers[1]![1]).toBe(2 * MINUTE + 10 + coldStart + 10);
    expect(first!.exitedAt).toBeLessThan(second!.startedAt);
    expect(s.booted.map((c) => c.id)).toEqual(['container#1', 'container#2']);
  });

  it("a dead instance's timers never fire again, its requests never leave, and answers to it are dropped", async () => {
    const s = setup();
    let lateTimerFired = false;
    let workerSaw = 0;
    s.net.register('worker', async () => {
      workerSaw++;
      return new Response('ok');
    });
    const settled: string[] = [];
    s.kernel.schedule(0, 'town', 'boot', () => s.ask());
    s.kernel.schedule(5_000, 'test', 'arm', () => {
      const ctx = s.booted[0]!;
      ctx.clock.setTimeout(() => (lateTimerFired = true), SIGKILL_AFTER_MS + 60_000);
    });
    s.kernel.schedule(10_000, 'platform', 'evict', () => s.platform.evict());
    // Sent 5 ms before the SIGKILL: it reaches the worker, but its answer arrives at a dead process.
    s.kernel.schedule(10_000 + SIGKILL_AFTER_MS - 5, 'test', 'last words', () => {
      s.booted[0]!.fetch(new Request('http://worker/a')).then(() => settled.push('answer'), () => settled.push('error'));
    });
    s.kernel.schedule(10_000 + SIGKILL_AFTER_MS + 1_000, 'test', 'after death', () => {
      s.booted[0]!.fetch(new Request('http://worker/b')).then(() => settled.push('answer'), () => settled.push('error'));
    });
    await s.kernel.run(40 * MINUTE);
    const [info] = s.platform.instances();
    expect(info!.killed).toBe(true);
    const ticks = s.ticks.get('container#1')!;
    expect(ticks).toBe(Math.floor((info!.exitedAt! - info!.readyAt!) / 1_000));
    expect(lateTimerFired).toBe(false);
    expect(workerSaw).toBe(1);
    expect(settled).toEqual([]);
  });

  it('a request held by an instance that dies ends in a connection error for the caller', async () => {
    const kernel = createKernel({ seed: 1 });
    const net = createNetwork(kernel, { latencyMs: { min: 10, max: 10 } });
    const platform = createPlatform(kernel, net, {
      coldStartMs: { min: 1_000, max: 1_000 },
      routing: 'old-until-exit',
      boot: (ctx) => ({
        handle: async (request) => {
          if (new URL(request.url).pathname === '/slow') await new Promise<void>((resolve) => ctx.clock.setTimeout(resolve, 60_000));
          return new Response('ok');
        },
      }),
    });
    let outcome = '';
    kernel.schedule(0, 'town', 'slow', () =>
      net.fetchFor('town')(new Request('http://container/slow')).then(
        () => (outcome = 'answer'),
        (error: unknown) => (outcome = `${(error as Error).name} at ${kernel.elapsed()}`),
      ),
    );
    // No SIGTERM handler: the default action ends the process at once.
    kernel.schedule(5_000, 'platform', 'evict', () => platform.evict());
    await kernel.run(5 * MINUTE);
    // The instance's timer never fired; the held request was reset, not answered.
    expect(outcome).toBe('TypeError at 5010');
  });

  it('old-until-exit: the draining instance serves until it exits, then the next request boots the replacement', async () => {
    const s = setup({ routing: 'old-until-exit', onSigterm: (ctx) => ctx.clock.setTimeout(() => ctx.process.exit(0), 5 * MINUTE) });
    const answers: string[] = [];
    s.kernel.schedule(0, 'town', 'first', async () => answers.push(await s.ask()));
    s.kernel.schedule(MINUTE, 'platform', 'evict', () => s.platform.evict());
    s.kernel.schedule(2 * MINUTE, 'town', 'while draining', async () => answers.push(await s.ask()));
    s.kernel.schedule(7 * MINUTE, 'town', 'after exit', async () => answers.push(await s.ask()));
    await s.kernel.run(10 * MINUTE);
    expect(answers).toEqual(['container#1', 'container#1', 'container#2']);
    expect(s.platform.instances().map((i) => i.id)).toEqual(['container#1', 'container#2']);
  });

  it('new-at-once: after the eviction the next request boots the replacement and goes there while the old one drains', async () => {
    const s = setup({ routing: 'new-at-once', onSigterm: (ctx) => ctx.clock.setTimeout(() => ctx.process.exit(0), 5 * MINUTE) });
    const answers: string[] = [];
    s.kernel.schedule(0, 'town', 'first', async () => answers.push(await s.ask()));
    s.kernel.schedule(MINUTE, 'platform', 'evict', () => s.platform.evict());
    s.kernel.schedule(2 * MINUTE, 'town', 'while draining', async () => answers.push(await s.ask()));
    s.kernel.schedule(3 * MINUTE, 'town', 'again', async () => answers.push(await s.ask()));
    await s.kernel.run(10 * MINUTE);
    expect(answers).toEqual(['container#1', 'container#2', 'container#2']);
    const [old, replacement] = s.platform.instances();
    // The replacement was up while the old instance was still draining.
    expect(replacement!.readyAt!).toBeLessThan(old!.exitedAt!);
    expect(old).toMatchObject({ exitCode: 0, killed: false });
  });

  it('SIGTERM during the cold start: the default action ends it, boot never runs, waiting requests fail', async () => {
    const s = setup({ coldStartMs: { min: 5_000, max: 5_000 } });
    let outcome = '';
    s.kernel.schedule(0, 'town', 'boot', () => s.ask().then(() => (outcome = 'answer'), (e: unknown) => (outcome = (e as Error).name)));
    s.kernel.schedule(1_000, 'platform', 'evict', () => s.platform.evict());
    await s.kernel.run(MINUTE);
    expect(s.platform.instances()[0]).toMatchObject({ exitCode: 143, killed: false });
    expect(s.platform.instances()[0]!.readyAt).toBeUndefined();
    expect(s.booted).toEqual([]);
    expect(outcome).toBe('TypeError');
  });

  it('a second SIGTERM runs the handlers again but does not move the SIGKILL; SIGINT reaches its own handlers', async () => {
    const kernel = createKernel({ seed: 1 });
    const net = createNetwork(kernel, { latencyMs: { min: 10, max: 10 } });
    const seen: string[] = [];
    const platform = createPlatform(kernel, net, {
      coldStartMs: { min: 1_000, max: 1_000 },
      routing: 'old-until-exit',
      boot: (ctx) => {
        ctx.process.onSignal('SIGTERM', () => seen.push(`TERM@${kernel.elapsed()}`));
        ctx.process.onSignal('SIGINT', () => seen.push(`INT@${kernel.elapsed()}`));
        return { handle: async () => new Response('ok') };
      },
    });
    kernel.schedule(0, 'town', 'boot', () => net.fetchFor('town')(new Request('http://container/health')));
    kernel.schedule(10_000, 'platform', 'evict', () => platform.evict());
    kernel.schedule(70_000, 'platform', 'again', () => platform.signal('container#1', 'SIGTERM'));
    kernel.schedule(80_000, 'platform', 'int', () => platform.signal('container#1', 'SIGINT'));
    await kernel.run(30 * MINUTE);
    expect(seen).toEqual(['TERM@10000', 'TERM@70000', 'INT@80000']);
    const [info] = platform.instances();
    expect(info!.exitedAt! - info!.sigtermAt!).toBe(15 * MINUTE);
    expect(since(kernel, info!.sigtermAt)).toBe(10_000);
  });
});
