/** A TownDO on the fake storage and a fake-timers clock, with a scripted container stub. */
import type { Fetch, Logger, Random } from '../../src/ports.ts';
import { TownDO } from '../../src/town/town-do.ts';
import { createFakeStorage, type FakeDurableStorage } from '../../sim/fakes/storage.ts';
import { createFakeClock } from '../../sim/fakes/clock.ts';

export const START = Date.UTC(2026, 0, 1);
export const MINUTE = 60_000;

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };

export function counterRandom(): Random {
  let n = 0;
  return { uuid: () => `${String(++n).padStart(8, '0')}-0000-4000-8000-000000000000` };
}

export interface ContainerCall {
  method: string;
  path: string;
  headers: Headers;
  body?: any;
}

/**
 * `status`: the container's answer per path; `'throw'` makes the fetch itself fail, `'hang'` never
 * answers (the fetch rejects only when its signal aborts, as a real one does).
 */
export async function makeTown(options: { status?: (path: string) => number | 'throw' | 'hang' } = {}) {
  const clock = createFakeClock(START);
  const storage: FakeDurableStorage = await createFakeStorage();
  const calls: ContainerCall[] = [];
  const container: Fetch = async (request) => {
    const path = new URL(request.url).pathname;
    const text = await request.text();
    calls.push({ method: request.method, path, headers: request.headers, ...(text ? { body: JSON.parse(text) } : {}) });
    const status = options.status?.(path) ?? 200;
    if (status === 'throw') throw new TypeError('fetch failed');
    if (status === 'hang') {
      return new Promise<never>((_, reject) => request.signal.addEventListener('abort', () => reject(request.signal.reason)));
    }
    return Response.json({ success: true, data: {} }, { status });
  };
  const random = counterRandom();
  const create = async () => {
    const town = new TownDO({ townId: 'town-1', storage, clock, random, logger: silentLogger, container });
    await town.init();
    return town;
  };
  const town = await create();
  return { clock, storage, calls, town, restart: create, dispatches: () => calls.filter((c) => c.path === '/agents/start') };
}
