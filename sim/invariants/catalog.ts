/**
 * Every invariant the simulator checks, by stable name. Safety invariants are checked after every
 * step (or at the exact moment their fact is observed); liveness invariants are hot monitors: once
 * faults have healed, the town must converge before a stated deadline.
 */
export type InvariantKind = 'safety' | 'liveness';

export interface InvariantInfo {
  name: string;
  kind: InvariantKind;
  description: string;
}

export const INVARIANTS = [
  { name: 'no-dispatch-while-draining', kind: 'safety', description: 'the TownDO sends no agent start to a container while the town is draining' },
  { name: 'refused-start-runs-nothing', kind: 'safety', description: 'a container that refuses an agent start is not working that agent on that bead (it has not called gt_done): the town takes a refusal for a failed dispatch' },
  { name: 'accepted-start-runs', kind: 'safety', description: 'a container that accepts an agent start has begun that agent\'s session on that bead: the town takes acceptance for a running agent' },
  { name: 'no-start-after-sigterm', kind: 'safety', description: 'no agent is ever started in a container instance that has received SIGTERM' },
  { name: 'drain-ends-by-valid-ack', kind: 'safety', description: 'drain ends only by an acknowledgement from a replacement container (newer than the evicted one, never itself SIGTERMed), or by the 15-minute expiry' },
  { name: 'no-lost-work', kind: 'safety', description: 'for every agent running at SIGTERM, everything it wrote is on the remote (or committed locally without origin) before its container dies' },
  { name: 'no-snapshot-on-live-worktree', kind: 'safety', description: 'no git snapshot starts in a worktree whose session can still act' },
  { name: 'snapshot-succeeds', kind: 'safety', description: 'a WIP snapshot reaches the remote (its branch, or a rescue branch when the branch refuses it) unless an injected fault broke it' },
  { name: 'agent-ends-once', kind: 'safety', description: 'each agent run ends exactly once: completed normally or force-saved, never both' },
  { name: 'exit-before-sigkill', kind: 'safety', description: 'a container that received SIGTERM exits by itself before SIGKILL' },
  { name: 'drain-survives-restart', kind: 'safety', description: 'a TownDO restart keeps the drain state' },
  { name: 'sigint-never-drains', kind: 'safety', description: 'SIGINT never notifies the town of an eviction' },
  { name: 'no-crash', kind: 'safety', description: 'no step throws and no promise rejection goes unhandled' },
  { name: 'determinism', kind: 'safety', description: 'code under src/ and sim/ reaches time, randomness and I/O only through ports; steps settle on microtasks' },
  { name: 'drain-ends', kind: 'liveness', description: 'once faults heal, the drain ends: by the hand-off a few minutes after the later of 11 minutes and the replacement being reachable, else by its expiry plus one idle alarm period, even in a town with no agents' },
  { name: 'work-resumes', kind: 'liveness', description: 'after the drain ends and faults heal, every open issue is dispatched again within the convergence bound (or, if later, once its dispatch backoff ends)' },
] as const satisfies readonly InvariantInfo[];

export type InvariantName = (typeof INVARIANTS)[number]['name'];
