/**
 * A file system for isomorphic-git on a memfs volume, built from memfs's synchronous methods so
 * every call completes on a microtask. memfs stamps files with the real clock; git decides whether
 * a file changed by comparing those stamps, so a same-size rewrite within one real millisecond was
 * missed (measured: 23 in 200 runs). Here every write is stamped from the virtual clock plus a
 * per-volume write counter instead: reproducible, and never equal for two writes.
 */
import { Volume } from 'memfs';
import type { PromiseFsClient } from 'isomorphic-git';
import { real, trusted } from '../../kernel/guard.ts';

export interface VirtualFs {
  /** The isomorphic-git fs client (`{ promises }`). */
  fs: PromiseFsClient;
  volume: InstanceType<typeof Volume>;
  writeFile(path: string, content: string): Promise<void>;
  readFile(path: string): Promise<string | undefined>;
}

/** Seconds and nanoseconds kept apart: at epoch scale a double cannot hold a sub-ms counter. */
interface Stamp {
  seconds: number;
  nanoseconds: number;
}

/**
 * The process memfs consults: without one it asks the real process for the user and group ids on
 * every path walk and every node it creates, two system calls each (measured: 8% of a run). The
 * ids are read once here, so ownership and permission checks come out as before on any machine.
 */
const getuid = constant(process.getuid?.() ?? 0);
const getgid = constant(process.getgid?.() ?? 0);
const volumeProcess: NonNullable<NonNullable<Parameters<typeof Volume.fromJSON>[2]>['process']> = {
  cwd: () => '/',
  platform: 'linux',
  emitWarning: () => {},
  env: {},
  getuid,
  getgid,
};

/** The global process's id getters (absent on Windows), swapped by `memfsCall`. */
const ids = process as { getuid?: (() => number) | undefined; getgid?: (() => number) | undefined };

function constant(value: number): () => number {
  return () => value;
}

/**
 * Runs one synchronous memfs call cheaply. memfs's file nodes check permissions against the
 * global `process` (not the volume's), two system calls per check (measured: 2% of a run): for
 * the length of the call the global answers with the ids read above, the same values. And
 * isomorphic-git probes for files that do not exist all the time; each probe's ENOENT error
 * captured a stack trace nobody reads (measured: 3% of a run): errors made during the call carry
 * no stack frames (their message, code and path are unchanged). memfs also dates every node it
 * walks with `new Date()` (the times git sees come from the stamps below): it gets the real `Date`,
 * not the leak guard's subclass, which would only look away (`trusted`) at a higher cost.
 * Nothing else runs meanwhile.
 */
function memfsCall<T>(fn: () => T): T {
  const realUid = ids.getuid;
  const realGid = ids.getgid;
  const limit = Error.stackTraceLimit;
  const date = globalThis.Date;
  ids.getuid = getuid;
  ids.getgid = getgid;
  Error.stackTraceLimit = 0;
  globalThis.Date = real.Date;
  try {
    return trusted(fn);
  } finally {
    ids.getuid = realUid;
    ids.getgid = realGid;
    Error.stackTraceLimit = limit;
    globalThis.Date = date;
  }
}

const NO_PATH = Object.assign(new TypeError('The "path" argument must be of type string or an instance of Buffer or URL. Received undefined'), {
  code: 'ERR_INVALID_ARG_TYPE',
});

export function createVirtualFs(options: { now: () => number }): VirtualFs {
  const volume = Volume.fromJSON({}, '/', { process: volumeProcess });
  const stamps = new Map<string, Stamp>();
  let writes = 0;
  const stamp = (path: string) => {
    writes++;
    const now = options.now();
    // The nanoseconds below the virtual millisecond come from the counter: distinct for every
    // write, the same on every replay.
    stamps.set(normalise(path), { seconds: Math.floor(now / 1000), nanoseconds: (now % 1000) * 1_000_000 + (writes % 1_000_000) });
  };
  const withStamp = (path: string, stats: any) => {
    const own = stamps.get(normalise(path)) ?? { seconds: 0, nanoseconds: 0 };
    return {
      dev: 0,
      ino: Number(stats.ino),
      mode: Number(stats.mode),
      uid: 0,
      gid: 0,
      size: Number(stats.size),
      mtimeSeconds: own.seconds,
      mtimeNanoseconds: own.nanoseconds,
      ctimeSeconds: own.seconds,
      ctimeNanoseconds: own.nanoseconds,
      mtimeMs: own.seconds * 1000 + Math.floor(own.nanoseconds / 1_000_000),
      ctimeMs: own.seconds * 1000 + Math.floor(own.nanoseconds / 1_000_000),
      isFile: () => stats.isFile(),
      isDirectory: () => stats.isDirectory(),
      isSymbolicLink: () => stats.isSymbolicLink(),
    };
  };
  // memfs stamps its own times with the real clock; the stamps reported to git come from `stamps`.
  const run = <T>(fn: () => T): Promise<T> => {
    try {
      return Promise.resolve(memfsCall(fn));
    } catch (error) {
      return Promise.reject(error);
    }
  };
  const promises = {
    // isomorphic-git calls readFile() with no path to tell a promise fs from a callback one, twice
    // for every command it runs; memfs's argument error reads its own stack, which source maps make
    // slow (measured: 6% of a run). The probe only looks for a promise.
    readFile: (path: string, opts?: any) => (path === undefined ? Promise.reject(NO_PATH) : run(() => volume.readFileSync(path, opts))),
    writeFile: (path: string, data: any, opts?: any) =>
      run(() => {
        volume.writeFileSync(path, data, opts);
        stamp(path);
      }),
    unlink: (path: string) =>
      run(() => {
        volume.unlinkSync(path);
        stamps.delete(normalise(path));
      }),
    readdir: (path: string) => run(() => volume.readdirSync(path) as string[]),
    mkdir: (path: string, opts?: any) =>
      run(() => {
        volume.mkdirSync(path, opts);
        stamp(path);
      }),
    rmdir: (path: string) => run(() => volume.rmdirSync(path)),
    stat: (path: string) => run(() => withStamp(path, volume.statSync(path))),
    lstat: (path: string) => run(() => withStamp(path, volume.lstatSync(path))),
    readlink: (path: string) => run(() => volume.readlinkSync(path)),
    symlink: (target: string, path: string) =>
      run(() => {
        volume.symlinkSync(target, path);
        stamp(path);
      }),
    chmod: (path: string, mode: number) => run(() => volume.chmodSync(path, mode)),
  };
  return {
    fs: { promises } as unknown as PromiseFsClient,
    volume,
    async writeFile(path, content) {
      const dir = path.slice(0, path.lastIndexOf('/'));
      if (dir) memfsCall(() => volume.mkdirSync(dir, { recursive: true }));
      await promises.writeFile(path, content, 'utf8');
    },
    async readFile(path) {
      try {
        return memfsCall(() => volume.readFileSync(path, 'utf8') as string);
      } catch {
        return undefined;
      }
    },
  };
}

function normalise(path: string): string {
  return path.replace(/\/+/g, '/').replace(/\/$/, '');
}
