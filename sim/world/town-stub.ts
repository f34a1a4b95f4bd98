/**
 * The worker's view of the TownDO: a Durable Object stub whose every method call is one RPC.
 * Each call is delivered as its own step after a latency and answered as another, so two RPCs
 * made by one request are two separate steps with room for other requests in between, as on the
 * platform. The delivery step keeps the caller's origin: that is how the invariants know which
 * container a drain acknowledgement really came from.
 */
import type { TownRpc } from '../../src/ports.ts';
import type { Sim } from '../kernel/api.ts';

type RpcMethod = keyof TownRpc;

const METHODS: readonly RpcMethod[] = [
  'recordContainerEviction',
  'acknowledgeContainerReady',
  'isDraining',
  'getDrainNonce',
  'touchAgentHeartbeat',
  'agentDone',
  'agentCompleted',
];

export function createTownStub(sim: Sim, target: () => Promise<TownRpc>, latencyMs: { min: number; max: number }): TownRpc {
  const latency = () => sim.choices.int('rpc.latency', latencyMs.min, latencyMs.max);
  const call = (method: RpcMethod, args: unknown[]) =>
    new Promise<unknown>((resolve, reject) => {
      const origin = sim.origin;
      sim.schedule(latency(), origin, `rpc ${method}`, async () => {
        let outcome: { ok: true; value: unknown } | { ok: false; error: unknown };
        try {
          const town = await target();
          const fn = town[method] as (...a: unknown[]) => Promise<unknown>;
          // Arguments and results cross the RPC boundary by structured clone, never by reference.
          outcome = { ok: true, value: structuredClone(await fn.apply(town, structuredClone(args))) };
        } catch (error) {
          outcome = { ok: false, error };
        }
        sim.schedule(latency(), origin, `rpc ${method} reply`, () => (outcome.ok ? resolve(outcome.value) : reject(outcome.error)));
      });
    });
  const stub = {} as Record<RpcMethod, (...args: unknown[]) => Promise<unknown>>;
  for (const method of METHODS) stub[method] = (...args: unknown[]) => call(method, args);
  return stub as unknown as TownRpc;
}
