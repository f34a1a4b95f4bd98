/**
 * Simulated implementations of the small ports that need no fake of their own: identifiers drawn
 * from the run's seed, and a logger that writes into the trace.
 */
import type { Logger, LogFields, Random } from '../../src/ports.ts';
import type { Actor, Sim } from '../kernel/api.ts';
import { createStream } from '../kernel/prng.ts';

/**
 * UUID-shaped ids from a generator seeded by the run's seed. Deliberately not a recorded choice:
 * ids are not something the shrinker should edit (lowering them would make them collide).
 */
export function seededRandom(seed: number, name: string): Random {
  const next = createStream(seed, `ids:${name}`);
  const hex = (n: number) => n.toString(16).padStart(8, '0');
  return {
    uuid() {
      const a = hex(next());
      const b = hex(next());
      const c = hex(next());
      const d = hex(next());
      return `${a}-${b.slice(0, 4)}-4${b.slice(5, 8)}-${((parseInt(c[0] as string, 16) & 3) | 8).toString(16)}${c.slice(1, 4)}-${c.slice(4)}${d}`;
    },
  };
}

/** Warnings and errors go into the trace; info lines only when `verbose`. */
export function traceLogger(sim: Sim, actor: Actor, verbose = false): Logger {
  return {
    info(message: string, fields?: LogFields) {
      if (verbose) sim.trace(actor, message, fields);
    },
    warn(message: string, fields?: LogFields) {
      sim.trace(actor, `warn: ${message}`, fields);
    },
    error(message: string, fields?: LogFields) {
      sim.trace(actor, `error: ${message}`, fields);
    },
  };
}
