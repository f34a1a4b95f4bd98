/**
 * What a scenario file says: the town, when the platform evicts it, and which faults may strike.
 * Scenarios are data; every random detail inside the ranges they give is drawn per seed.
 */
import { z } from 'zod';

export const FAULT_KINDS = [
  'net.loss',
  'net.duplicate',
  'net.hang',
  'net.slow',
  'net.partition',
  'worker.hang',
  'town.restart',
  'sigterm.twice',
  'git.push-reject',
  'git.push-fail',
  'git.push-hang',
  'agent.ignore-nudge',
  'agent.hang-on-nudge',
  'agent.abort-throws',
  'agent.abort-hangs',
  'agent.finish-at-drain',
  'agent.message-hangs',
  'agent.close-slow',
] as const;

export const FaultKind = z.enum(FAULT_KINDS);
export type FaultKind = z.infer<typeof FaultKind>;

/** One-line meaning of each fault kind, for `drainsim list` and the docs. */
export const FAULT_DESCRIPTIONS: Record<FaultKind, string> = {
  'net.loss': 'a request fails with a connection error',
  'net.duplicate': 'a request is delivered twice',
  'net.hang': 'a request never gets its response',
  'net.slow': 'a request takes extra time (reorders traffic)',
  'net.partition': 'the container and the worker cannot reach each other for a while',
  'worker.hang': 'the worker holds the container-eviction notify without answering',
  'town.restart': 'the TownDO restarts (memory lost, storage kept) at a random moment',
  'sigterm.twice': 'the platform sends SIGTERM a second time during the drain',
  'git.push-reject': 'the git remote rejects a push',
  'git.push-fail': 'the git remote answers a push with HTTP 500',
  'git.push-hang': 'the git remote never answers a push',
  'agent.ignore-nudge': 'an agent ignores the eviction nudge',
  'agent.hang-on-nudge': 'an agent answers the nudge by working on forever',
  'agent.abort-throws': "an agent's session throws when aborted and stays live",
  'agent.abort-hangs': "an agent's session never returns from abort",
  'agent.finish-at-drain': 'an agent finishes its work just as the drain starts',
  'agent.message-hangs': "an agent's session never returns from a message (the nudge), and the agent goes on with its plan",
  'agent.close-slow': "an agent's session takes seconds to close (its process is slow to shut down)",
};

const Range = z
  .strictObject({ min: z.number().int().nonnegative(), max: z.number().int().nonnegative() })
  .refine((r) => r.min <= r.max, { message: 'min must be <= max' });

const Rate = z.number().min(0).max(1);

export const ScenarioSchema = z
  .strictObject({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lowercase words joined by dashes'),
    description: z.string().min(1),
    town: z.strictObject({
      rigs: z.number().int().min(0).max(4).default(1),
      /** Open issue beads at the start; Rule 1 dispatches them to polecats. */
      issues: z.number().int().min(0).max(20).default(0),
      /** Agents created idle at the start; `mayor` and `triage` get lightweight workspaces. */
      agents: z
        .strictObject({
          polecat: z.number().int().min(0).max(8).default(0),
          refinery: z.number().int().min(0).max(2).default(0),
          mayor: z.number().int().min(0).max(1).default(0),
          triage: z.number().int().min(0).max(2).default(0),
        })
        .default({ polecat: 0, refinery: 0, mayor: 0, triage: 0 }),
      /** Issues that arrive while the run goes on, one every `every` minutes (0: none). */
      arrivals: z.strictObject({ count: z.number().int().min(0).max(20), everyMinutes: z.number().int().min(1) }).optional(),
    }),
    /** Virtual minutes of the whole run; liveness is judged at its end. */
    durationMinutes: z.number().int().min(1).max(24 * 60),
    /** When the platform sends SIGTERM, in minutes from the start (drawn per seed); omit for no eviction. */
    eviction: z
      .strictObject({
        atSeconds: Range,
        /** Local development: SIGINT instead of SIGTERM. */
        signal: z.enum(['SIGTERM', 'SIGINT']).default('SIGTERM'),
      })
      .optional(),
    platform: z
      .strictObject({
        routing: z.enum(['old-until-exit', 'new-at-once', 'either']).default('either'),
        coldStartMs: Range.default({ min: 500, max: 5000 }),
      })
      .default({ routing: 'either', coldStartMs: { min: 500, max: 5000 } }),
    network: z.strictObject({ latencyMs: Range.default({ min: 1, max: 80 }) }).default({ latencyMs: { min: 1, max: 80 } }),
    faults: z
      .strictObject({
        /**
         * `fixed`: every listed kind is on at its rate. `swarm`: each seed first draws which of the
         * listed kinds are on and at what fraction of their rate, so quiet and hostile runs both occur.
         */
        mode: z.enum(['fixed', 'swarm']).default('fixed'),
        kinds: z.partialRecord(FaultKind, Rate).default({}),
        /** Faults stop at this minute; from then on the town must converge (liveness). */
        healAtMinute: z.number().int().min(0).optional(),
      })
      .default({ mode: 'fixed', kinds: {} }),
    /** Virtual minutes after healing (and after the last eviction's expiry) by which the town must have converged. */
    convergeWithinMinutes: z.number().int().min(1).default(20),
  });

export type Scenario = z.infer<typeof ScenarioSchema>;
export type ScenarioInput = z.input<typeof ScenarioSchema>;

/** JSON Schema of a scenario file, for editors (`drainsim schema`). */
export function scenarioJsonSchema(): unknown {
  return z.toJSONSchema(ScenarioSchema, { io: 'input' });
}
