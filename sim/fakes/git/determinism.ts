/**
 * isomorphic-git hashes with `crypto.subtle` and deflates with `CompressionStream` when they
 * exist; both complete on the libuv thread pool, so the same seed could give different runs. Its
 * feature detection is cached in module state on first use: running that first use while both are
 * hidden makes it settle on its pure-JS SHA-1 and pako for the rest of the process (also 3-4x
 * faster for these small objects).
 */
import git from 'isomorphic-git';
import { createRequire } from 'node:module';
import { createVirtualFs } from './fs.ts';

let forced: Promise<void> | undefined;

/**
 * Call (and await) before the first isomorphic-git operation of the process; the simulator's
 * world does. Idempotent. Rejects when isomorphic-git has already been used: its choice is made
 * for good, so every later call rejects the same way.
 */
export function forcePureJsGit(): Promise<void> {
  forced ??= force();
  return forced;
}

export class GitAlreadyUsedError extends Error {
  override readonly name = 'GitAlreadyUsedError';
  constructor() {
    super(
      'forcePureJsGit() ran after isomorphic-git was first used in this process, which by then has chosen crypto.subtle ' +
        '(hashing on the thread pool, so runs are not reproducible); await forcePureJsGit() before any git operation, e.g. in beforeAll',
    );
  }
}

/**
 * isomorphic-git deflates every object it writes (loose objects, packs) with `pako.deflate(data)`
 * at zlib's defaults; each call allocates and clears about 256 KB of compressor state, which cost
 * more than the compression itself on these small objects (measured: 2-3% of a run). Objects are
 * stored instead (zlib level 0, like git's `core.compression 0`), with the smallest window: still
 * zlib streams any git inflates, and the same object ids (git hashes the inflated content). pako
 * is isomorphic-git's own copy's module object; only calls without options change.
 */
function storeObjectsUncompressed(): void {
  const pako = createRequire(createRequire(import.meta.url).resolve('isomorphic-git'))('pako') as {
    deflate: ((data: Uint8Array, options?: object) => Uint8Array) & { [STORED]?: true };
  };
  if (pako.deflate[STORED]) return;
  const deflate = pako.deflate;
  const stored = Object.assign((data: Uint8Array, options?: object) => deflate(data, options ?? STORE), { [STORED]: true as const });
  pako.deflate = stored;
}

const STORED = Symbol.for('drainsim.pako.stored');
const STORE = { level: 0, memLevel: 1, windowBits: 9 };

async function force(): Promise<void> {
  storeObjectsUncompressed();
  const subtle = globalThis.crypto.subtle;
  const realCompressionStream = globalThis.CompressionStream;
  const hidden = new GitAlreadyUsedError();
  Object.defineProperty(subtle, 'digest', { value: () => Promise.reject(hidden), configurable: true, writable: true });
  (globalThis as { CompressionStream?: unknown }).CompressionStream = undefined;
  try {
    const scratch = createVirtualFs({ now: () => 0 });
    await git.init({ fs: scratch.fs, dir: '/probe' });
    await git.writeBlob({ fs: scratch.fs, dir: '/probe', blob: new Uint8Array([1]) });
  } finally {
    // The own property shadowed SubtleCrypto.prototype.digest; deleting it restores the real one.
    delete (subtle as { digest?: unknown }).digest;
    globalThis.CompressionStream = realCompressionStream;
  }
}
