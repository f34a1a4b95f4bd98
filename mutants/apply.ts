/**
 * Builds a mutant's tree: a copy of `src/`, `sim/` and `scenarios/` (and `test/` in a checkout)
 * under `out/mutants/` beside them, so the copy resolves the same `node_modules`, with the
 * mutant's patches applied to the copy. `src/` itself is never touched. Every patch must match its
 * file exactly once: when `src/` evolves and a patch no longer applies, this throws (and the
 * mutant test fails) instead of silently testing the unmutated code.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, type Dirent } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { threadId } from 'node:worker_threads';
import { findMutant, MutantError, type Mutant, type Patch } from './catalog.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** What a mutant run loads; all three ship in the package (package.json "files"). */
const MUTANT_TREE_FOLDERS = ['src', 'sim', 'scenarios'] as const;
// test/ comes along in a checkout so the unit suite can be run against a mutant (R12); an
// installed package has no test/ and needs none.
const COPIED = [...MUTANT_TREE_FOLDERS, ...(existsSync(path.join(ROOT, 'test')) ? ['test'] : [])];

/** Applies one patch to a file's text; throws when `find` does not occur exactly once. */
export function applyPatch(text: string, patch: Patch, mutant: string): string {
  const first = text.indexOf(patch.find);
  if (first === -1 || text.indexOf(patch.find, first + 1) !== -1) {
    throw new MutantError(
      `mutant ${mutant} no longer applies: ${patch.file} contains the patched text ${first === -1 ? 'nowhere' : 'more than once'}:\n${patch.find}`,
    );
  }
  return text.slice(0, first) + patch.replace + text.slice(first + patch.find.length);
}

/** The patched text of every file the mutant changes (validates that every patch applies). */
export function patchedFiles(mutant: Mutant): Map<string, string> {
  const files = new Map<string, string>();
  for (const patch of mutant.patches) {
    const current = files.get(patch.file) ?? readFileSync(path.join(ROOT, patch.file), 'utf8');
    files.set(patch.file, applyPatch(current, patch, mutant.name));
  }
  return files;
}

/** A fingerprint of the tree a mutant is built from, so a changed `src/` gets a fresh copy. */
function fingerprint(mutant: Mutant, files: Map<string, string>): string {
  const hash = createHash('sha256').update(JSON.stringify(mutant.patches));
  for (const [file, text] of [...files].sort()) hash.update(file).update(text);
  hash.update(readTreeStamp());
  return hash.digest('hex').slice(0, 16);
}

/** Change detector for the copied folders: every file's path and content hash. */
function readTreeStamp(): string {
  const parts: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSorted(dir)) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else {
        const text = readFileSync(full);
        parts.push(`${path.relative(ROOT, full)}:${createHash('sha1').update(text).digest('hex')}`);
      }
    }
  };
  for (const folder of COPIED) walk(path.join(ROOT, folder));
  return parts.join('\n');
}

function readdirSorted(dir: string): Dirent[] {
  return readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
}

/** Returns the root of the named mutant's patched tree, building it once per fingerprint. */
export function prepareMutantTree(name: string): string {
  return prepareTree(findMutant(name));
}

/** Returns the root of a patched tree for any mutant (also one made up by a test). */
export function prepareTree(mutant: Mutant): string {
  const files = patchedFiles(mutant);
  const target = path.join(ROOT, 'out', 'mutants', `${mutant.name}-${fingerprint(mutant, files)}`);
  if (existsSync(target)) return target;
  // Build beside the target and rename: pool workers (threads of one process) may race to build
  // the same tree, so the staging folder is the thread's own.
  const staging = `${target}.${process.pid}.${threadId}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  for (const folder of COPIED) cpSync(path.join(ROOT, folder), path.join(staging, folder), { recursive: true });
  for (const [file, text] of files) writeFileSync(path.join(staging, file), text);
  try {
    renameSync(staging, target);
  } catch {
    rmSync(staging, { recursive: true, force: true });
    return target;
  }
  removeOlderTrees(mutant.name, target);
  return target;
}

/** A tree built from an older `src/` is never used again: without this, `out/mutants` grows by a full copy per mutant per edit. */
function removeOlderTrees(name: string, current: string): void {
  const folder = path.dirname(current);
  for (const entry of readdirSync(folder)) {
    const isTreeOfName = entry.startsWith(`${name}-`) && /^[0-9a-f]{16}$/.test(entry.slice(name.length + 1));
    if (isTreeOfName && entry !== path.basename(current)) rmSync(path.join(folder, entry), { recursive: true, force: true });
  }
}
