/**
 * The reconciler: a pure function from the town's stored state to the actions that move it
 * forward. It reads nothing else and changes nothing itself, so it is tested with plain data and
 * every decision can be replayed.
 *
 * While the town is draining, the dispatching rules (1, 2, 5, 6) emit nothing at all: a container
 * that is shutting down must not be given new work. Health and staleness rules keep running.
 */
import type { Action, DispatchAction } from './actions.ts';
import { HEARTBEAT_STALE_MS, STALE_IN_PROGRESS_MS } from './constants.ts';
import { TERMINAL_BEAD_STATUSES, type Agent, type Bead, type TownState } from './model.ts';

export interface ReconcileContext {
  draining: boolean;
  now: number;
}

export function reconcile(state: TownState, context: ReconcileContext): Action[] {
  const actions: Action[] = [];
  const agents = new Map(state.agents.map((a) => [a.agentId, a]));
  const beads = new Map(state.beads.map((b) => [b.beadId, b]));
  actions.push(...agentHealth(state.agents, context.now));
  actions.push(...staleInProgressBeads(state.beads, agents, context.now));
  if (!context.draining) {
    actions.push(...unassignedOpenIssues(state.beads, beads, context.now));
    actions.push(...idleHookedAgents(state.agents, beads, context.now));
    actions.push(...reviewQueue(state, context.now));
  }
  return actions;
}

/** Agent health: a working agent silent for longer than the heartbeat staleness is idle. */
function agentHealth(agents: Agent[], now: number): Action[] {
  return agents
    .filter((a) => a.status === 'working' && silentFor(a, now) > HEARTBEAT_STALE_MS)
    .map((a) => ({ type: 'transition_agent', agentId: a.agentId, to: 'idle', rule: 'health' }));
}

/** Rule 3: an in-progress bead whose agent stopped working and went silent goes back to open. */
function staleInProgressBeads(beads: Bead[], agents: Map<string, Agent>, now: number): Action[] {
  const actions: Action[] = [];
  for (const bead of beads) {
    if (bead.status !== 'in_progress' || bead.type === 'agent') continue;
    const agent = bead.assignee ? agents.get(bead.assignee) : undefined;
    if (agent && (agent.status === 'working' || silentFor(agent, now) <= STALE_IN_PROGRESS_MS)) continue;
    actions.push({ type: 'transition_bead', beadId: bead.beadId, to: 'open', clearAssignee: true, rule: 'rule-3' });
    if (agent?.hookedBeadId === bead.beadId) actions.push({ type: 'unhook_agent', agentId: agent.agentId, rule: 'rule-3' });
  }
  return actions;
}

/** Rule 1: an open issue with no assignee and no open blocker gets a polecat. */
function unassignedOpenIssues(beads: Bead[], byId: Map<string, Bead>, now: number): DispatchAction[] {
  return beads
    .filter((b) => b.type === 'issue' && b.status === 'open' && b.assignee === null && !blocked(b, byId) && dispatchDue(b, now))
    .map((b) => ({ type: 'dispatch_agent', beadId: b.beadId, rigId: b.rigId, role: 'polecat', agentId: null, rule: 'rule-1' }));
}

/** Rule 2: an idle agent (not a refinery) hooked to an open bead is dispatched on it again. */
function idleHookedAgents(agents: Agent[], beads: Map<string, Bead>, now: number): DispatchAction[] {
  const actions: DispatchAction[] = [];
  for (const agent of agents) {
    if (agent.status !== 'idle' || agent.role === 'refinery' || !agent.hookedBeadId) continue;
    const bead = beads.get(agent.hookedBeadId);
    if (!bead || bead.status !== 'open' || !dispatchDue(bead, now)) continue;
    actions.push({ type: 'dispatch_agent', beadId: bead.beadId, rigId: bead.rigId, role: agent.role, agentId: agent.agentId, rule: 'rule-2' });
  }
  return actions;
}

/**
 * Rule 5: per rig, when no review is under way, the oldest open merge request goes in progress
 * and a refinery is dispatched on it. Rule 6: an idle refinery hooked to an in-progress merge
 * request is dispatched again.
 */
function reviewQueue(state: TownState, now: number): Action[] {
  const actions: Action[] = [];
  const requests = state.beads.filter((b) => b.type === 'merge_request');
  for (const rig of state.rigs) {
    const mine = requests.filter((b) => b.rigId === rig.rigId);
    if (mine.some((b) => b.status === 'in_progress')) continue;
    const oldest = mine.filter((b) => b.status === 'open' && dispatchDue(b, now)).sort((a, b) => a.createdAt - b.createdAt || a.beadId.localeCompare(b.beadId))[0];
    if (!oldest) continue;
    actions.push({ type: 'transition_bead', beadId: oldest.beadId, to: 'in_progress', clearAssignee: false, rule: 'rule-5' });
    actions.push({ type: 'dispatch_agent', beadId: oldest.beadId, rigId: rig.rigId, role: 'refinery', agentId: null, rule: 'rule-5' });
  }
  const byId = new Map(requests.map((b) => [b.beadId, b]));
  for (const agent of state.agents) {
    if (agent.role !== 'refinery' || agent.status !== 'idle' || !agent.hookedBeadId) continue;
    const request = byId.get(agent.hookedBeadId);
    if (!request || request.status !== 'in_progress' || !dispatchDue(request, now)) continue;
    actions.push({ type: 'dispatch_agent', beadId: request.beadId, rigId: request.rigId, role: 'refinery', agentId: agent.agentId, rule: 'rule-6' });
  }
  return actions;
}

function silentFor(agent: Agent, now: number): number {
  return agent.lastActivityAt === null ? Number.POSITIVE_INFINITY : now - agent.lastActivityAt;
}

function blocked(bead: Bead, byId: Map<string, Bead>): boolean {
  return bead.blockedBy.some((id) => {
    const blocker = byId.get(id);
    return blocker !== undefined && !TERMINAL_BEAD_STATUSES.includes(blocker.status);
  });
}

function dispatchDue(bead: Bead, now: number): boolean {
  return bead.nextDispatchAt === null || bead.nextDispatchAt <= now;
}
