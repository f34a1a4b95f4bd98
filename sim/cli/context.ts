/** Exit codes of `drainsim`, and what a command reports back to `main`. */
export const EXIT_OK = 0;
/** An invariant was violated, or a hunted mutant survived. */
export const EXIT_VIOLATION = 1;
/** Bad input: unknown scenario, invalid file, bad option. */
export const EXIT_USAGE = 2;

export interface CliContext {
  exit: number;
}
