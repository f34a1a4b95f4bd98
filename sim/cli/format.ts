/** Text output of the CLI: tables, the violation block, progress. */
import { SingleBar } from 'cli-progress';
import { formatTrace, formatVirtualTime, type TraceEntry } from '../kernel/trace.ts';
import type { Violation } from '../kernel/kernel.ts';

export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, c) => Math.max(...cells.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

export function describeViolation(scenario: string, seed: number, violation: Violation, replay: string): string {
  return [
    `VIOLATION ${violation.invariant} in ${scenario} seed ${seed} at ${formatVirtualTime(violation.time)} (step ${violation.step})`,
    `  ${violation.message}`,
    `  replay: ${replay}`,
  ].join('\n');
}

export function printTrace(entries: readonly TraceEntry[]): string {
  return formatTrace(entries);
}

/** A progress bar on a terminal, a plain line every so often elsewhere (CI logs). */
export function progress(total: number, label: string, quiet = false): { tick(failed: boolean): void; stop(): void } {
  let done = 0;
  let failures = 0;
  if (quiet) return { tick() {}, stop() {} };
  if (process.stderr.isTTY) {
    const bar = new SingleBar(
      { format: `${label} [{bar}] {value}/{total} seeds | {failures} violations | {eta}s left`, stream: process.stderr, hideCursor: true },
    );
    bar.start(total, 0, { failures: 0 });
    return {
      tick(failed) {
        if (failed) failures++;
        bar.increment(1, { failures });
      },
      stop: () => bar.stop(),
    };
  }
  const every = Math.max(1, Math.ceil(total / 10));
  return {
    tick(failed) {
      done++;
      if (failed) failures++;
      if (done % every === 0 || done === total) process.stderr.write(`${label}: ${done}/${total} seeds, ${failures} violation${failures === 1 ? '' : 's'}\n`);
    },
    stop() {},
  };
}
