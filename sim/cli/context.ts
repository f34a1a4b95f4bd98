/** Exit codes of `drainsim`, and what a command reports back to `main`. */
export const EXIT_OK = 0;
/** An invariant was violated, or a hunted mutant survived. */
export const EXIT_VIOLATION = 1;
/** Bad input: unknown scenario, invalid file, bad option. */
export const EXIT_USAGE = 2;
/** drainsim itself failed (a bug): never mistaken for a violation or for bad input. */
export const EXIT_INTERNAL = 3;

export interface CliContext {
  exit: number;
  /** `--quiet`: no progress output. */
  quiet?: boolean;
}
