/**
 * Makes determinism leaks loud. While a run is in progress, the real sources of nondeterminism
 * (`Date.now`, `new Date()`, `Math.random`, timers, `setImmediate`, `fetch`, `crypto.randomUUID`)
 * are wrapped: a call whose immediate caller is code under a watched folder (by default the
 * system's `src/`, minus its production adapters, and the simulator's own fakes) is reported
 * with the file and line that made it. Calls from libraries and from the test runner go through
 * untouched, so only our own code is held to the rule. Work that completes on the thread pool
 * (`crypto.subtle.digest`, `CompressionStream`) is reported whoever starts it.
 */
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export const defaultWatchedPaths: readonly string[] = [path.join(projectRoot, 'src') + path.sep, path.join(projectRoot, 'sim') + path.sep];
const exemptPaths: readonly string[] = [
  path.join(projectRoot, 'src', 'adapters') + path.sep,
  path.join(projectRoot, 'sim', 'kernel') + path.sep,
];

export type LeakListener = (api: string, caller: string) => void;

/** The real functions, captured at load time: the kernel itself uses these. */
export const real = {
  setImmediate: globalThis.setImmediate,
  Date: globalThis.Date,
};

const thisFile = fileURLToPath(import.meta.url);

/**
 * The first stack frame outside this file, as `file:line:column`, or undefined. Reads V8's
 * structured call sites from a short stack: formatting full (source-mapped) stack traces on every
 * trapped call (memfs alone calls `new Date()` tens of thousands of times a run) made the guard
 * the simulator's top cost.
 */
function immediateCaller(): string | undefined {
  const previousPrepare = Error.prepareStackTrace;
  const previousLimit = Error.stackTraceLimit;
  Error.prepareStackTrace = (_error, callSites) => callSites;
  Error.stackTraceLimit = 4;
  const holder: { stack?: NodeJS.CallSite[] } = {};
  try {
    Error.captureStackTrace(holder, immediateCaller);
    for (const site of holder.stack ?? []) {
      const name = site.getFileName();
      if (!name) continue;
      const file = name.startsWith('file://') ? fileURLToPath(name) : name;
      if (file === thisFile) continue;
      return `${file}:${site.getLineNumber()}:${site.getColumnNumber()}`;
    }
    return undefined;
  } finally {
    Error.prepareStackTrace = previousPrepare;
    Error.stackTraceLimit = previousLimit;
  }
}

let active: { listener: LeakListener; watched: readonly string[] } | undefined;
let installed = false;

function isWatched(caller: string | undefined): caller is string {
  if (!active || !caller) return false;
  if (exemptPaths.some((p) => caller.startsWith(p))) return false;
  return active.watched.some((p) => caller.startsWith(p));
}

let trustedDepth = 0;

/**
 * Runs `fn` with the guard looking away: for library internals that read the real clock for
 * bookkeeping whose result the simulation overrides or never uses (memfs's own file times,
 * sql.js's time functions). Cheap, so the fakes can wrap every such call.
 */
export function trusted<T>(fn: () => T): T {
  trustedDepth++;
  try {
    return fn();
  } finally {
    trustedDepth--;
  }
}

function report(api: string): void {
  if (!active || trustedDepth > 0) return;
  const caller = immediateCaller();
  if (isWatched(caller)) active.listener(api, path.relative(projectRoot, caller));
}

/** Thread-pool work completes in real time whatever calls it: reported from any caller. */
function reportAlways(api: string): void {
  if (!active || trustedDepth > 0) return;
  const caller = immediateCaller();
  // isomorphic-git is the usual caller: it uses both APIs when it finds them on its first use.
  const fix = caller?.includes(`${path.sep}isomorphic-git${path.sep}`) ? "; await forcePureJsGit() from 'drainsim/fakes' before isomorphic-git's first use" : '';
  active.listener(`${api} (thread pool${fix})`, caller ? path.relative(projectRoot, caller) : 'unknown caller');
}

function trap<F extends (...args: any[]) => any>(api: string, fn: F): F {
  return function (this: unknown, ...args: any[]) {
    if (active) report(api);
    return fn.apply(this, args);
  } as F;
}

/** Installs the traps once per process; they cost one branch while no run is active. */
function installTraps(): void {
  if (installed) return;
  installed = true;
  const RealDate = real.Date;
  const realNow = RealDate.now.bind(RealDate);
  class GuardedDate extends RealDate {
    constructor(...args: any[]) {
      if (args.length === 0 && active) report('new Date()');
      // @ts-expect-error forwarding the Date constructor's overloads
      super(...args);
    }
    static override now(): number {
      if (active) report('Date.now()');
      return realNow();
    }
    static override [Symbol.hasInstance](value: unknown): boolean {
      return value instanceof RealDate;
    }
  }
  globalThis.Date = GuardedDate as DateConstructor;
  Math.random = trap('Math.random()', Math.random);
  globalThis.setTimeout = trap('setTimeout()', globalThis.setTimeout);
  globalThis.setInterval = trap('setInterval()', globalThis.setInterval);
  globalThis.setImmediate = trap('setImmediate()', globalThis.setImmediate);
  if (typeof globalThis.fetch === 'function') globalThis.fetch = trap('fetch()', globalThis.fetch);
  const subtle = globalThis.crypto?.subtle;
  if (subtle) {
    const proto = Object.getPrototypeOf(subtle) as { digest: (...args: unknown[]) => unknown };
    const digest = proto.digest;
    proto.digest = function (this: unknown, ...args: unknown[]) {
      if (active) reportAlways('crypto.subtle.digest()');
      return digest.apply(this, args);
    };
  }
  if (typeof globalThis.CompressionStream === 'function') {
    const RealCompressionStream = globalThis.CompressionStream;
    globalThis.CompressionStream = class extends RealCompressionStream {
      constructor(...args: ConstructorParameters<typeof CompressionStream>) {
        if (active) reportAlways('CompressionStream');
        super(...args);
      }
    };
  }
  if (globalThis.crypto?.randomUUID) {
    const uuid = globalThis.crypto.randomUUID.bind(globalThis.crypto);
    Object.defineProperty(globalThis.crypto, 'randomUUID', { value: trap('crypto.randomUUID()', uuid), configurable: true });
  }
}

/** Starts reporting leaks to `listener` until the returned function is called. */
export function watchForLeaks(listener: LeakListener, watched: readonly string[] = defaultWatchedPaths): () => void {
  installTraps();
  const previous = active;
  active = { listener, watched };
  return () => {
    active = previous;
  };
}
