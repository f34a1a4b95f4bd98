/**
 * Small, fast, seedable generators. One independent stream per concern: the stream's state is
 * derived from the run's seed and the stream's name, so drawing more from one stream never shifts
 * the values another stream produces.
 */

/** FNV-1a over the name: a stable 32-bit salt per stream name. */
export function hashName(name: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    hash ^= name.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** splitmix32: spreads a seed into well-mixed state words. */
function splitmix32(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** sfc32: a 32-bit generator with a 128-bit state; returns uint32 values. */
export function createStream(seed: number, name: string): () => number {
  const init = splitmix32((seed >>> 0) ^ hashName(name) ^ Math.imul(Math.floor(seed / 2 ** 32), 0x27d4eb2d));
  let a = init();
  let b = init();
  let c = init();
  let d = init();
  return () => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    return t;
  };
}
