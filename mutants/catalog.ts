/**
 * The regression corpus: each historical race of the protocol (spec §8), reintroduced into a copy
 * of the real code by a small textual patch, with the invariant expected to catch it.
 */
import type { InvariantName } from '../sim/invariants/catalog.ts';

export interface Patch {
  /** Path from the repository root. */
  file: string;
  /** Text that must occur exactly once in the file. */
  find: string;
  replace: string;
}

export interface Mutant {
  name: string;
  /** The race of the spec's §8 (or the protocol change of docs/protocol-changes.md) it brings back. */
  race: string;
  description: string;
  expect: InvariantName;
  patches: Patch[];
}

export const MUTANTS: Mutant[] = [];
