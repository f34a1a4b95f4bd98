/** Option parsing shared by the commands. */
import { closeSync, existsSync, mkdirSync, openSync, rmSync } from 'node:fs';
import path from 'node:path';
import { parsePositiveInt, parseSeedRange, parseShard, seedsOf, UsageError, type SeedRange } from '../../run/seeds.ts';
import { findMutant, MutantError } from '../../../mutants/catalog.ts';
import { isSeed } from '../../kernel/kernel.ts';

export interface SeedOptions {
  seeds?: string;
  seedRange?: string;
  shard?: string;
}

export function selectSeeds(options: SeedOptions, defaultCount: number): { seeds: number[]; range: SeedRange } {
  if (options.seeds !== undefined && options.seedRange !== undefined) throw new UsageError('give either --seeds or --seed-range, not both');
  const range = options.seedRange !== undefined ? parseSeedRange(options.seedRange) : { first: 1, last: options.seeds !== undefined ? parsePositiveInt(options.seeds, '--seeds') : defaultCount };
  const shard = options.shard !== undefined ? parseShard(options.shard) : undefined;
  return { seeds: seedsOf(range, shard), range };
}

export function parseJobs(text: string | undefined, fallback: number): number {
  return text === undefined ? fallback : parsePositiveInt(text, '--jobs');
}

export function parseSeed(text: string): number {
  // Digits only: Number() would also take '1e3', '0x10' or ''.
  if (!/^\d+$/.test(text.trim()) || !isSeed(Number(text))) throw new UsageError(`bad seed "${text}": expected a whole number >= 0`);
  return Number(text);
}

export function checkMutant(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  try {
    return findMutant(name).name;
  } catch (error) {
    if (error instanceof MutantError) throw new UsageError(error.message);
    throw error;
  }
}

/**
 * Checks an output file before the run it reports on, creating its folder: a sweep of an hour
 * must not end in a result that cannot be written. Opening the file for appending is the one test
 * that permissions, read-only mounts and special folders all answer truly; a file that did not
 * exist is removed again.
 */
export function checkOutputFile(file: string | undefined, option: string): string | undefined {
  if (file === undefined) return undefined;
  const existed = existsSync(file);
  try {
    mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    closeSync(openSync(file, 'a'));
    if (!existed) rmSync(file);
  } catch (error) {
    throw new UsageError(`cannot write ${option} ${file}: ${(error as Error).message}`);
  }
  return file;
}
