/**
 * isomorphic-git hashes with `crypto.subtle` and deflates with `CompressionStream` when they
 * exist; both complete on the libuv thread pool, so the same seed could give different runs. Its
 * feature detection is cached in module state on first use: running that first use while both are
 * hidden makes it settle on its pure-JS SHA-1 and pako for the rest of the process (also 3-4x
 * faster for these small objects).
 */
import git from 'isomorphic-git';
import { createVirtualFs } from './fs.ts';

let forced: Promise<void> | undefined;

export function forcePureJsGit(): Promise<void> {
  forced ??= force();
  return forced;
}

async function force(): Promise<void> {
  const subtle = globalThis.crypto.subtle;
  const realCompressionStream = globalThis.CompressionStream;
  Object.defineProperty(subtle, 'digest', { value: () => Promise.reject(new Error('hidden')), configurable: true, writable: true });
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
