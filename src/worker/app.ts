/**
 * The worker: the stateless HTTP front the container talks to. It authenticates the container
 * token and turns each request into TownDO RPCs, one step each; the heartbeat is exactly one RPC,
 * so the nonce it returns was read in the same step as the touch.
 */
import { Hono } from 'hono';
import type { Clock, HttpHandler, Logger, TownDirectory } from '../ports.ts';
import { fail, ok, readJson, useEnvelope } from '../http/envelope.ts';
import { checkContainerToken, containerTokenKey } from './auth.ts';
import { AgentCompletedBody, AgentDoneBody, ContainerReadyBody, HeartbeatBody } from './schemas.ts';

export interface WorkerDeps {
  towns: TownDirectory;
  tokenSecret: string;
  clock: Clock;
  logger: Logger;
}

export function createWorkerApp(deps: WorkerDeps): { fetch: HttpHandler } {
  const app = new Hono();
  const tokenKey = containerTokenKey(deps.tokenSecret);
  useEnvelope(app, (error) => deps.logger.error('unexpected error in the worker', { error: String(error) }));

  app.use('/api/towns/:townId/*', async (c, next) => {
    const check = checkContainerToken(c.req.header('authorization'), c.req.param('townId'), tokenKey, deps.clock.now());
    if (!check.ok) return fail(check.status, check.error);
    return next();
  });

  app.post('/api/towns/:townId/container-eviction', async (c) => {
    const drainNonce = await deps.towns(c.req.param('townId')).recordContainerEviction();
    return ok(c, { acknowledged: true, drainNonce });
  });

  app.post('/api/towns/:townId/container-ready', async (c) => {
    const { nonce } = await readJson(c, ContainerReadyBody);
    const cleared = await deps.towns(c.req.param('townId')).acknowledgeContainerReady(nonce);
    return ok(c, { cleared });
  });

  app.get('/api/towns/:townId/drain-status', async (c) => {
    const town = deps.towns(c.req.param('townId'));
    const draining = await town.isDraining();
    const drainNonce = await town.getDrainNonce();
    return ok(c, { draining, drainNonce });
  });

  app.post('/api/towns/:townId/rigs/:rigId/agents/:agentId/heartbeat', async (c) => {
    const { watermark } = await readJson(c, HeartbeatBody, { optional: true });
    const { drainNonce } = await deps.towns(c.req.param('townId')).touchAgentHeartbeat(c.req.param('agentId'), watermark);
    return ok(c, drainNonce === null ? { heartbeat: true } : { heartbeat: true, drainNonce });
  });

  app.post('/api/towns/:townId/rigs/:rigId/agents/:agentId/done', async (c) => {
    const report = await readJson(c, AgentDoneBody, { optional: true });
    await deps.towns(c.req.param('townId')).agentDone(c.req.param('agentId'), report);
    return ok(c, { recorded: true });
  });

  app.post('/api/towns/:townId/rigs/:rigId/agents/:agentId/completed', async (c) => {
    const report = await readJson(c, AgentCompletedBody);
    await deps.towns(c.req.param('townId')).agentCompleted(c.req.param('agentId'), report);
    return ok(c, { recorded: true });
  });

  return { fetch: (request) => Promise.resolve(app.fetch(request)) };
}
