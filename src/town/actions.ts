/**
 * What the reconciler asks for: a closed union, applied by the TownDO. A zod schema, so code
 * reading actions from outside (logs, `drainsim/system` users) can validate them.
 */
import { z } from 'zod';
import { AgentRole, AgentStatus, BeadStatus } from './model.ts';

export const Action = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('dispatch_agent'),
    beadId: z.string(),
    rigId: z.string(),
    role: AgentRole,
    /** null: find an idle, unhooked agent of the role in the rig at apply time, or create one. */
    agentId: z.string().nullable(),
    rule: z.string(),
  }),
  z.object({
    type: z.literal('transition_bead'),
    beadId: z.string(),
    to: BeadStatus,
    clearAssignee: z.boolean().default(false),
    rule: z.string(),
  }),
  z.object({ type: z.literal('transition_agent'), agentId: z.string(), to: AgentStatus, rule: z.string() }),
  z.object({ type: z.literal('unhook_agent'), agentId: z.string(), rule: z.string() }),
]);

export type Action = z.infer<typeof Action>;
export type DispatchAction = Extract<Action, { type: 'dispatch_agent' }>;
