/** The container's agent registry: one record per agent process it hosts. */
import type { AgentRole, AgentSession } from '../ports.ts';

export type ProcessStatus = 'starting' | 'running' | 'stopping' | 'exited' | 'failed';
export type ExitReason = 'completed' | 'container eviction' | 'container shutdown' | 'start failed';

export interface AgentProcess {
  agentId: string;
  rigId: string;
  townId: string;
  role: AgentRole;
  beadId: string;
  workdir: string;
  status: ProcessStatus;
  exitReason?: ExitReason;
  /** It called gt_done: its work is pushed and it only lingers until its idle timer. */
  done?: boolean;
  session?: AgentSession;
  /** Aborts the session's event subscription. */
  subscription?: AbortController;
}

/** What callers outside the manager may see of an agent. */
export type AgentView = Readonly<Omit<AgentProcess, 'session' | 'subscription'>>;

export const isLive = (agent: Pick<AgentProcess, 'status'>) => agent.status === 'running' || agent.status === 'starting';

export class AgentRegistry {
  private readonly byId = new Map<string, AgentProcess>();

  add(agent: AgentProcess): void {
    this.byId.set(agent.agentId, agent);
  }

  get(agentId: string): AgentProcess | undefined {
    return this.byId.get(agentId);
  }

  all(): AgentProcess[] {
    return [...this.byId.values()];
  }

  live(): AgentProcess[] {
    return this.all().filter(isLive);
  }

  views(): AgentView[] {
    return this.all().map(viewOf);
  }
}

export function viewOf({ session: _session, subscription: _subscription, ...view }: AgentProcess): AgentView {
  return view;
}
