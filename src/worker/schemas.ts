/** Request bodies of the container-facing endpoints. */
import { z } from 'zod';

export const ContainerReadyBody = z.object({ nonce: z.string().min(1) });
export const HeartbeatBody = z.object({ watermark: z.number().int().nonnegative().optional() });
export const AgentDoneBody = z.object({ branch: z.string().min(1).optional(), summary: z.string().optional() });
export const AgentCompletedBody = z.object({
  reason: z.enum(['completed', 'container eviction']),
  exitCode: z.number().int().optional(),
});
