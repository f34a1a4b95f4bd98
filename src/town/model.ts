/** The town's records: rigs, beads and agents, as stored and as the reconciler reads them. */
import { z } from 'zod';

export const AgentRole = z.enum(['polecat', 'refinery', 'mayor', 'triage']);
export const AgentStatus = z.enum(['idle', 'working', 'stalled', 'dead']);
export const BeadType = z.enum(['issue', 'merge_request', 'agent']);
export const BeadStatus = z.enum(['open', 'in_progress', 'in_review', 'closed', 'failed']);

export type AgentStatus = z.infer<typeof AgentStatus>;
export type BeadType = z.infer<typeof BeadType>;
export type BeadStatus = z.infer<typeof BeadStatus>;

export const TERMINAL_BEAD_STATUSES: readonly BeadStatus[] = ['closed', 'failed'];

export interface Rig {
  rigId: string;
  gitUrl: string;
  createdAt: number;
}

export interface Bead {
  beadId: string;
  type: BeadType;
  status: BeadStatus;
  rigId: string;
  title: string;
  /** The agent the bead is assigned to (its hook), if any. */
  assignee: string | null;
  /** Beads that must be closed before this one may be dispatched. */
  blockedBy: string[];
  /** For a merge request: the issue bead it delivers. */
  sourceBeadId: string | null;
  /** For a merge request: the branch holding the work. */
  branch: string | null;
  dispatchAttempts: number;
  /** Not before this time (backoff after a failed dispatch); null when none is pending. */
  nextDispatchAt: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface Agent {
  agentId: string;
  role: z.infer<typeof AgentRole>;
  rigId: string;
  status: AgentStatus;
  /** The bead the agent is bound to. An agent has at most one hook. */
  hookedBeadId: string | null;
  /** Last proof of life (dispatch or heartbeat); null before the first. */
  lastActivityAt: number | null;
  createdAt: number;
}

/** Everything the reconciler decides from. */
export interface TownState {
  rigs: Rig[];
  beads: Bead[];
  agents: Agent[];
}
