/** A container on a fake clock with scripted sessions, git and worker. */
import type { AgentSession, AgentSessions, Fetch, GitWorkspace, ProcessPort, ProcessSignal, SessionEvent } from '../../src/ports.ts';
import { createContainer } from '../../src/container/container.ts';
import { createFakeClock } from '../../sim/fakes/clock.ts';
import { silentLogger } from '../town/harness.ts';

export interface ScriptedSession extends AgentSession {
  emit(event: SessionEvent): void;
  messages: string[];
  aborted: boolean;
  closed: boolean;
  abortBehaviour: 'ok' | 'throw' | 'hang';
  onMessage?: (text: string) => void;
}

export function scriptedSessions(log: string[]): AgentSessions & { byAgent: Map<string, ScriptedSession> } {
  const byAgent = new Map<string, ScriptedSession>();
  return {
    byAgent,
    async start({ agentId }) {
      let listener: ((e: SessionEvent) => void) | undefined;
      const session: ScriptedSession = {
        id: `s-${agentId}`,
        messages: [],
        aborted: false,
        closed: false,
        abortBehaviour: 'ok',
        emit: (event) => listener?.(event),
        subscribe(l, signal) {
          listener = l;
          signal.addEventListener('abort', () => (listener = undefined));
        },
        async sendMessage(text) {
          session.messages.push(text);
          log.push(`message:${agentId}`);
          session.onMessage?.(text);
        },
        async abort() {
          log.push(`abort:${agentId}`);
          if (session.abortBehaviour === 'throw') throw new Error('abort failed');
          if (session.abortBehaviour === 'hang') return new Promise<void>(() => {});
          session.aborted = true;
        },
        async close() {
          session.closed = true;
        },
      };
      byAgent.set(agentId, session);
      return session;
    },
  };
}

export function recordingGit(log: string[], options: { origin?: (dir: string) => boolean; fail?: (op: string, dir: string) => boolean } = {}): GitWorkspace {
  const step = (op: string, dir: string) => {
    log.push(`${op}:${dir.split('/').pop()}`);
    if (options.fail?.(op, dir)) throw new Error(`${op} failed`);
  };
  return {
    async prepare({ dir }) {
      step('prepare', dir);
    },
    async hasOrigin(dir) {
      return options.origin?.(dir) ?? true;
    },
    async addAll(dir) {
      step('add', dir);
    },
    async commit(dir) {
      step('commit', dir);
      return 'c0ffee';
    },
    async pushHeadSetUpstream(dir) {
      step('push-set-upstream', dir);
    },
    async pushHeadTo(dir) {
      step('push-rescue', dir);
    },
  };
}

export interface WorkerCall {
  path: string;
  body: any;
  at: number;
}

export function makeContainer(options: { worker?: (path: string) => Response | Promise<Response>; git?: GitWorkspace } = {}) {
  const clock = createFakeClock();
  const log: string[] = [];
  const workerCalls: WorkerCall[] = [];
  const fetch: Fetch = async (request) => {
    const path = new URL(request.url).pathname;
    const text = await request.text();
    workerCalls.push({ path, body: text ? JSON.parse(text) : undefined, at: clock.now() });
    log.push(`worker:${path.split('/').slice(-1)[0]}`);
    if (options.worker) {
      const answer = options.worker(path);
      if (request.signal) {
        return new Promise<Response>((resolve, reject) => {
          request.signal.addEventListener('abort', () => reject(request.signal.reason));
          Promise.resolve(answer).then(resolve, reject);
        });
      }
      return answer;
    }
    return Response.json({ success: true, data: path.endsWith('/heartbeat') ? { heartbeat: true } : {} });
  };
  const handlers = new Map<ProcessSignal, () => void>();
  const exits: number[] = [];
  const process: ProcessPort = {
    onSignal: (signal, handler) => void handlers.set(signal, handler),
    exit: (code) => void exits.push(code),
  };
  const sessions = scriptedSessions(log);
  const git = options.git ?? recordingGit(log);
  const container = createContainer({ workerUrl: 'http://worker', containerToken: 't', workRoot: '/ws' }, { clock, fetch, git, sessions, process, logger: silentLogger });
  container.start();
  const start = async (agentId: string, role = 'polecat', beadId = `b-${agentId}`) => {
    const response = await container.handle(
      new Request('http://container/agents/start', {
        method: 'POST',
        body: JSON.stringify({ townId: 'town-1', rigId: 'rig-1', agentId, role, beadId, prompt: 'go', branch: `gt/${agentId}`, remoteUrl: 'http://git/r.git' }),
      }),
    );
    return response;
  };
  const signal = (name: ProcessSignal) => handlers.get(name)!();
  return { clock, log, workerCalls, container, sessions, exits, start, signal };
}
