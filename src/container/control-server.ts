/**
 * The container's control server, the TownDO's way in: health (with the nonce hand-off), agent
 * starts and messages. Same envelope and 4xx rules as the worker.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import type { Clock, HttpHandler, Logger } from '../ports.ts';
import { fail, ok, readJson, useEnvelope } from '../http/envelope.ts';
import { TimeoutError, withTimeout } from '../lib/timeout.ts';
import { NUDGE_TIMEOUT_MS } from './constants.ts';
import type { DrainAcknowledger } from './drain-ack.ts';
import { AgentConflictError, ContainerClosingError, type ProcessManager } from './process-manager.ts';

/** Ids become folder names and worker URL segments: `../` or `/` in one would escape them. */
const PathSafeId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, ".", "_" and "-", starting with a letter or digit');

const StartBody = z.object({
  townId: PathSafeId,
  rigId: PathSafeId,
  agentId: PathSafeId,
  role: z.enum(['polecat', 'refinery', 'mayor', 'triage']),
  beadId: z.string().min(1),
  prompt: z.string(),
  remoteUrl: z.string().min(1).optional(),
  branch: z.string().min(1),
});
const MessageBody = z.object({ message: z.string().min(1) });

export function createControlServer(deps: {
  manager: ProcessManager;
  acknowledger: DrainAcknowledger;
  clock: Clock;
  logger: Logger;
  startedAt: number;
}): HttpHandler {
  const app = new Hono();
  useEnvelope(app, (error) => deps.logger.error('unexpected error in the control server', { error: String(error) }));

  app.get('/health', (c) => {
    const nonce = c.req.header('x-drain-nonce');
    const townId = c.req.header('x-town-id');
    // The town's way to reach an idle replacement, which has no agents and sends no heartbeats.
    if (nonce && townId) deps.acknowledger.acknowledge(townId, nonce);
    return ok(c, { status: 'ok', agents: deps.manager.registry.live().length, uptime: deps.clock.now() - deps.startedAt });
  });

  app.post('/agents/start', async (c) => {
    const body = await readJson(c, StartBody);
    try {
      return ok(c, await deps.manager.startAgent(body));
    } catch (error) {
      if (error instanceof AgentConflictError) return fail(409, error.message);
      if (error instanceof ContainerClosingError) return fail(503, error.message);
      return fail(502, `agent failed to start: ${String(error)}`);
    }
  });

  // The session is the agent's, not ours: its failure is a bad gateway, its silence a timeout.
  app.post('/agents/:agentId/message', async (c) => {
    const { message } = await readJson(c, MessageBody);
    let delivered: boolean;
    try {
      delivered = await withTimeout(deps.clock, NUDGE_TIMEOUT_MS, deps.manager.sendMessage(c.req.param('agentId'), message), 'message');
    } catch (error) {
      return error instanceof TimeoutError ? fail(504, `the agent's session did not take the message: ${error.message}`) : fail(502, `message not delivered: ${String(error)}`);
    }
    return delivered ? ok(c, { delivered: true }) : fail(404, `no running agent ${c.req.param('agentId')}`);
  });

  return (request) => Promise.resolve(app.fetch(request));
}
