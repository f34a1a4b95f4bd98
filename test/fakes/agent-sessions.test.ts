import { describe, expect, it } from 'vitest';
import { createKernel, type Kernel } from '../../sim/kernel/index.ts';
import { COOPERATIVE, createAgentModels, type AgentModels, type AgentProfile } from '../../sim/fakes/agent-sessions.ts';
import type { AgentRole, AgentSession, GitWorkspace, SessionEvent } from '../../src/ports.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** Everything that happened, in order, with virtual ms since the start. */
type Entry = { at: number; what: string; detail?: string };

interface Bench {
  kernel: Kernel;
  models: AgentModels;
  log: Entry[];
  files: Map<string, string>;
  start(agentId: string, role: AgentRole): Promise<AgentSession>;
  of(what: string): Entry[];
}

function bench(options: { seed?: number; profile?: Partial<AgentProfile>; origin?: boolean; failPushes?: number; hangPushes?: number; writeMs?: number } = {}): Bench {
  const kernel = createKernel({ seed: options.seed ?? 1 });
  const log: Entry[] = [];
  const note = (what: string, detail?: string) => log.push(detail === undefined ? { at: kernel.elapsed(), what } : { at: kernel.elapsed(), what, detail });
  const files = new Map<string, string>();
  let failPushes = options.failPushes ?? 0;
  let hangPushes = options.hangPushes ?? 0;
  const git: GitWorkspace = {
    prepare: async () => undefined,
    hasOrigin: async () => options.origin ?? true,
    addAll: async (dir) => void note('add', dir),
    commit: async (_dir, message) => (note('commit', message), `c${log.length}`),
    pushHeadSetUpstream: async (dir) => {
      if (hangPushes > 0) {
        hangPushes--;
        note('push hangs', dir);
        return new Promise<never>(() => {});
      }
      if (failPushes > 0) {
        failPushes--;
        note('push failed', dir);
        throw new Error('push rejected');
      }
      note('push', dir);
    },
    pushHeadTo: async () => {
      throw new Error('agents push their own branch only');
    },
  };
  const fs = {
    writeFile: async (path: string, data: string) => {
      if (options.writeMs) {
        note('write starts', path);
        await kernel.sleep(options.writeMs, 'fs', 'slow write');
      }
      files.set(path, data);
      note('write', path);
    },
    readFile: async (path: string) => files.get(path),
  };
  const models = createAgentModels(kernel, { fs, git, clock: kernel.clockFor('container#1'), actor: 'container#1', ...(options.profile ? { profile: options.profile } : {}) });
  const start = async (agentId: string, role: AgentRole) => {
    const workdir = `/workspace/${agentId}`;
    files.set(`${workdir}/.git/HEAD`, `ref: refs/heads/gt/${agentId}\n`);
    const session = await models.start({ agentId, role, workdir, prompt: 'work' });
    session.subscribe((event: SessionEvent) => note(`event:${event.type}`, event.type === 'gt_done' ? event.branch : undefined), new AbortController().signal);
    return session;
  };
  return { kernel, models, log, files, start, of: (what) => log.filter((e) => e.what === what) };
}

/** Runs `body` as a step at virtual time `at`. */
function at(kernel: Kernel, time: number, body: () => unknown): void {
  kernel.schedule(time, 'test', 'test step', body);
}

describe('agent models', () => {
  it('a cooperative polecat writes files, commits, pushes, then calls gt_done with its branch and goes idle', async () => {
    for (let seed = 1; seed <= 8; seed++) {
      const b = bench({ seed });
      at(b.kernel, 0, () => b.start('polecat-1', 'polecat'));
      await b.kernel.run(3 * HOUR);
      const events = b.log.filter((e) => e.what.startsWith('event:'));
      expect(events[0]!.what).toBe('event:busy');
      expect(events.slice(-2)).toMatchObject([{ what: 'event:gt_done', detail: 'gt/polecat-1' }, { what: 'event:idle' }]);
      expect(b.of('event:gt_done')).toHaveLength(1);
      const writes = b.of('write');
      expect(writes.length).toBeGreaterThan(0);
      // The last thing before gt_done: a commit after the last write, then the push.
      const lastWrite = b.log.lastIndexOf(writes.at(-1)!);
      const push = b.log.findIndex((e) => e.what === 'push');
      const done = b.log.findIndex((e) => e.what === 'event:gt_done');
      expect(b.log.slice(lastWrite, push).some((e) => e.what === 'commit')).toBe(true);
      expect(lastWrite).toBeLessThan(push);
      expect(push).toBeLessThan(done);
      // Every write is busy-announced, and what the model says it wrote is what is on disk.
      expect(b.of('event:busy').length).toBeGreaterThanOrEqual(writes.length);
      const written = b.models.written('polecat-1');
      expect(Object.keys(written).length).toBeGreaterThan(0);
      for (const [path, content] of Object.entries(written)) expect(b.files.get(`/workspace/polecat-1/${path}`)).toBe(content);
      expect(b.models.sessionState('polecat-1')).toMatchObject({ live: true, aborted: false, closed: false, done: true });
    }
  });

  it('the same seed gives the same behaviour; another seed another', async () => {
    const timeline = async (seed: number) => {
      const b = bench({ seed });
      at(b.kernel, 0, () => b.start('polecat-1', 'polecat'));
      await b.kernel.run(3 * HOUR);
      return b.log;
    };
    const a = await timeline(5);
    expect(await timeline(5)).toEqual(a);
    expect(await timeline(6)).not.toEqual(a);
  });

  it('a workspace without origin commits and calls gt_done without pushing', async () => {
    const b = bench({ origin: false });
    at(b.kernel, 0, () => b.start('triage-1', 'triage'));
    await b.kernel.run(3 * HOUR);
    expect(b.of('event:gt_done')).toHaveLength(1);
    expect(b.of('push')).toEqual([]);
    expect(b.of('commit').length).toBeGreaterThan(0);
  });

  it('a failed push is retried, and gt_done only comes once the work is pushed', async () => {
    const b = bench({ failPushes: 2 });
    at(b.kernel, 0, () => b.start('polecat-1', 'polecat'));
    await b.kernel.run(3 * HOUR);
    expect(b.of('push failed')).toHaveLength(2);
    expect(b.of('push')).toHaveLength(1);
    expect(b.log.findIndex((e) => e.what === 'push')).toBeLessThan(b.log.findIndex((e) => e.what === 'event:gt_done'));
  });

  it('a push that hangs is given up after the tool timeout (2 min) and retried: the agent is never stuck for good', async () => {
    const b = bench({ hangPushes: 1 });
    at(b.kernel, 0, () => b.start('polecat-1', 'polecat'));
    await b.kernel.run(3 * HOUR);
    const [hung] = b.of('push hangs');
    const [pushed] = b.of('push');
    expect(hung).toBeDefined();
    expect(pushed!.at - hung!.at).toBeGreaterThanOrEqual(2 * MINUTE);
    expect(b.of('event:gt_done')).toHaveLength(1);
  });

  it('the mayor never finishes: it keeps writing for hours, with idle spells, and never calls gt_done', async () => {
    const b = bench({ seed: 3 });
    at(b.kernel, 0, () => b.start('mayor-1', 'mayor'));
    await b.kernel.run(6 * HOUR);
    expect(b.of('event:gt_done')).toEqual([]);
    expect(b.of('push')).toEqual([]);
    expect(b.of('write').length).toBeGreaterThan(50);
    expect(b.of('write').at(-1)!.at).toBeGreaterThan(5 * HOUR);
    expect(b.of('event:idle').length).toBeGreaterThan(0);
  });

  it('nudged, a cooperative polecat commits, pushes and calls gt_done within a minute', async () => {
    for (let seed = 1; seed <= 8; seed++) {
      const b = bench({ seed });
      at(b.kernel, 0, async () => {
        const session = await b.start('polecat-1', 'polecat');
        await session.sendMessage('The container is being evicted. Commit and push your work now, then call gt_done.');
      });
      await b.kernel.run(3 * HOUR);
      const done = b.of('event:gt_done');
      expect(done).toHaveLength(1);
      expect(done[0]!.at).toBeLessThanOrEqual(MINUTE);
      expect(b.of('push')).toHaveLength(1);
      // Nothing is written after it wrapped up.
      expect(b.of('write').every((w) => w.at <= done[0]!.at)).toBe(true);
    }
  });

  it('finishesAtDrainStart: the nudge ends the work at once', async () => {
    const b = bench({ profile: { finishesAtDrainStart: true } });
    at(b.kernel, 0, async () => {
      const session = await b.start('polecat-1', 'polecat');
      await session.sendMessage('evicted');
    });
    await b.kernel.run(HOUR);
    expect(b.of('event:gt_done')).toMatchObject([{ at: 0 }]);
  });

  it('ignoresNudge: a nudged agent behaves exactly as if it had not been nudged', async () => {
    const timeline = async (nudge: boolean) => {
      const b = bench({ seed: 9, profile: { ignoresNudge: true } });
      at(b.kernel, 0, async () => {
        const session = await b.start('polecat-1', 'polecat');
        if (nudge) await session.sendMessage('evicted');
      });
      await b.kernel.run(3 * HOUR);
      return b.log;
    };
    const nudged = await timeline(true);
    expect(nudged).toEqual(await timeline(false));
    expect(nudged.some((e) => e.what === 'event:gt_done')).toBe(true);
  });

  it('messageHangs: sendMessage never returns, and the agent goes on exactly as if no message came', async () => {
    const timeline = async (nudge: boolean) => {
      const b = bench({ seed: 9, profile: { messageHangs: true } });
      let answered = false;
      at(b.kernel, 0, async () => {
        const session = await b.start('polecat-1', 'polecat');
        if (nudge) void session.sendMessage('evicted').then(() => (answered = true));
      });
      await b.kernel.run(3 * HOUR);
      return { log: b.log, answered };
    };
    const nudged = await timeline(true);
    expect(nudged.answered).toBe(false);
    expect(nudged.log).toEqual((await timeline(false)).log);
    expect(nudged.log.some((e) => e.what === 'event:gt_done')).toBe(true);
  });

  it('hangsOnNudge: a nudged agent works on forever and never calls gt_done', async () => {
    const b = bench({ profile: { hangsOnNudge: true } });
    at(b.kernel, 0, async () => {
      const session = await b.start('polecat-1', 'polecat');
      await session.sendMessage('evicted');
    });
    await b.kernel.run(6 * HOUR);
    expect(b.of('event:gt_done')).toEqual([]);
    expect(b.of('write').at(-1)!.at).toBeGreaterThan(5 * HOUR);
  });

  it('a successful abort stops everything: no write, no git call, no event afterwards', async () => {
    for (let seed = 1; seed <= 5; seed++) {
      const b = bench({ seed });
      let session!: AgentSession;
      let abortedAt = -1;
      at(b.kernel, 0, async () => (session = await b.start('mayor-1', 'mayor')));
      at(b.kernel, 20 * MINUTE, async () => {
        await session.abort();
        abortedAt = b.log.length;
      });
      await b.kernel.run(4 * HOUR);
      expect(abortedAt).toBeGreaterThan(0);
      expect(b.log.slice(abortedAt)).toEqual([]);
      expect(b.models.sessionState('mayor-1')).toMatchObject({ aborted: true, live: false, abortFaulted: false });
      // The same agent, not aborted, would have gone on writing (so the check above means something).
      const control = bench({ seed });
      at(control.kernel, 0, () => control.start('mayor-1', 'mayor'));
      await control.kernel.run(4 * HOUR);
      expect(control.of('write').some((w) => w.at > 20 * MINUTE)).toBe(true);
    }
  });

  it('an abort during a write waits for the write to land, and then nothing follows', async () => {
    for (let seed = 1; seed <= 5; seed++) {
      const b = bench({ seed, writeMs: 1_000 });
      let session!: AgentSession;
      let abortedAt = -1;
      let abortedTime = -1;
      at(b.kernel, 0, async () => (session = await b.start('mayor-1', 'mayor')));
      // Abort half-way through the first write.
      b.kernel.schedule(0, 'test', 'watch', () => {
        const poll = () => {
          const started = b.of('write starts')[0];
          if (!started) return void b.kernel.schedule(100, 'test', 'poll', poll);
          b.kernel.schedule(started.at + 500 - b.kernel.elapsed(), 'test', 'abort', async () => {
            await session.abort();
            abortedAt = b.log.length;
            abortedTime = b.kernel.elapsed();
          });
        };
        poll();
      });
      await b.kernel.run(4 * HOUR);
      const started = b.of('write starts')[0]!;
      expect(b.of('write')).toEqual([{ at: started.at + 1_000, what: 'write', detail: started.detail }]);
      expect(abortedTime).toBe(started.at + 1_000);
      expect(b.log.slice(abortedAt)).toEqual([]);
      expect(b.models.written('mayor-1')).toEqual({ [started.detail!.replace('/workspace/mayor-1/', '')]: b.files.get(started.detail!) });
    }
  });

  it('abortThrows: abort() throws, the session reports live and keeps writing', async () => {
    const b = bench({ profile: { abortThrows: true } });
    let session!: AgentSession;
    let abortError: unknown;
    at(b.kernel, 0, async () => (session = await b.start('mayor-1', 'mayor')));
    at(b.kernel, 20 * MINUTE, () => session.abort().catch((error: unknown) => (abortError = error)));
    await b.kernel.run(4 * HOUR);
    expect(abortError).toBeInstanceOf(Error);
    expect(b.of('write').some((w) => w.at > 30 * MINUTE)).toBe(true);
    expect(b.models.sessionState('mayor-1')).toMatchObject({ live: true, aborted: false, abortFaulted: true });
  });

  it('abortHangs: abort() never returns and the session goes on', async () => {
    const b = bench({ profile: { abortHangs: true } });
    let session!: AgentSession;
    let settled = false;
    at(b.kernel, 0, async () => (session = await b.start('mayor-1', 'mayor')));
    at(b.kernel, 20 * MINUTE, () => session.abort().finally(() => (settled = true)));
    await b.kernel.run(4 * HOUR);
    expect(settled).toBe(false);
    expect(b.of('write').some((w) => w.at > 30 * MINUTE)).toBe(true);
    expect(b.models.sessionState('mayor-1')).toMatchObject({ live: true, abortFaulted: true });
  });

  it('after close, nothing happens any more, even for a session whose abort throws', async () => {
    const b = bench({ profile: { abortThrows: true } });
    let session!: AgentSession;
    let closedAt = -1;
    at(b.kernel, 0, async () => (session = await b.start('mayor-1', 'mayor')));
    at(b.kernel, 20 * MINUTE, async () => {
      await session.abort().catch(() => undefined);
      await session.close();
      closedAt = b.log.length;
    });
    await b.kernel.run(4 * HOUR);
    expect(b.log.slice(closedAt)).toEqual([]);
    expect(b.models.sessionState('mayor-1')).toMatchObject({ live: false, closed: true });
  });

  it('closeSlow: close() takes 1-10 s; the session starts nothing meanwhile, and a second close() waits for the same one', async () => {
    const b = bench({ profile: { closeSlow: true } });
    let session!: AgentSession;
    const closed: number[] = [];
    let writesAtClose = 0;
    at(b.kernel, 0, async () => (session = await b.start('mayor-1', 'mayor')));
    at(b.kernel, 20 * MINUTE, () => {
      writesAtClose = b.of('write').length;
      for (let i = 0; i < 2; i++) void session.close().then(() => closed.push(b.kernel.elapsed()));
    });
    let closedMidway: boolean | undefined;
    at(b.kernel, 20 * MINUTE + 500, () => (closedMidway = b.models.sessionState('mayor-1')?.closed));
    await b.kernel.run(HOUR);
    expect(closedMidway).toBe(false);
    expect(closed).toHaveLength(2);
    expect(closed[0]).toBe(closed[1]);
    expect(closed[0]! - 20 * MINUTE).toBeGreaterThanOrEqual(1_000);
    expect(closed[0]! - 20 * MINUTE).toBeLessThanOrEqual(10_000);
    // At most the write already under way lands; nothing starts after close().
    expect(b.of('write').length - writesAtClose).toBeLessThanOrEqual(1);
    expect(b.models.sessionState('mayor-1')).toMatchObject({ live: false, closed: true });
  });

  it('profiles come from the fault roll when no fixed profile is given; sessions() lists every session', async () => {
    const kernel = createKernel({ seed: 1 });
    const rolled: string[] = [];
    const models = createAgentModels(kernel, {
      fs: { writeFile: async () => undefined },
      git: { prepare: async () => undefined, hasOrigin: async () => true, addAll: async () => undefined, commit: async () => 'c', pushHeadSetUpstream: async () => undefined, pushHeadTo: async () => undefined },
      faults: (kind) => (rolled.push(kind), kind === 'agent.abort-throws'),
    });
    at(kernel, 0, async () => {
      await models.start({ agentId: 'polecat-1', role: 'polecat', workdir: '/w/polecat-1', prompt: '' });
      await models.start({ agentId: 'refinery-1', role: 'refinery', workdir: '/w/refinery-1', prompt: '' });
    });
    await kernel.run(MINUTE);
    // Each agent rolls every agent fault kind once.
    expect(rolled).toHaveLength(2 * Object.keys(COOPERATIVE).length);
    expect(models.sessions().map((s) => [s.agentId, s.profile.abortThrows, s.profile.ignoresNudge])).toEqual([
      ['polecat-1', true, false],
      ['refinery-1', true, false],
    ]);
  });
});
