/**
 * `npm run profile`: where a warm seed's time goes. Runs warm-up seeds, then samples the CPU (V8's
 * profiler, as `node --cpu-prof` does, but over the measured seeds only) and prints self time by
 * layer: SQLite, git, memfs, HTTP objects, the system under test, the simulator, garbage
 * collection; and what a seed asks of each (steps, HTTP requests, SQL queries, git fetches and
 * pushes). Options: --scenario NAME --seeds N --warmup N --top N --out FILE (the .cpuprofile,
 * for Chrome DevTools or speedscope).
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { runBatch } from '../sim/run/sweep.ts';
import { seedsOf } from '../sim/run/seeds.ts';
import { buildWorld } from '../sim/world/world.ts';
import { countArg, scenarioArg, scriptArgs } from './script-args.ts';

const values = scriptArgs(
  {
    scenario: { type: 'string', default: 'default' },
    seeds: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '20' },
    top: { type: 'string', default: '15' },
    out: { type: 'string' },
  },
  'usage: npm run profile -- [--scenario NAME] [--seeds N] [--warmup N] [--top N] [--out FILE.cpuprofile]',
);
const scenario = scenarioArg(values.scenario);
const SEEDS = countArg('seeds', values.seeds);
const WARMUP = countArg('warmup', values.warmup, 0);
const TOP = countArg('top', values.top, 0);

/** First match wins: a sample's layer is the layer of the function it was in. */
const LAYERS: [string, (url: string, name: string) => boolean][] = [
  ['SQLite (sql.js wasm, the fake storage)', (u) => u.startsWith('wasm://') || u.includes('/node_modules/sql.js/') || u.endsWith('/sim/fakes/storage.ts')],
  ['git (isomorphic-git, pako, the fake remote)', (u) => /\/node_modules\/(isomorphic-git|pako|async-lock|sha\.js|crc-32|diff3|ignore|clean-git-ref)\//.test(u) || u.includes('/sim/fakes/git/')],
  ['memfs', (u) => /\/node_modules\/(memfs|@jsonjoy\.com|thingies|tree-dump)\//.test(u)],
  [
    'HTTP objects (undici Request/Response, web streams, abort signals, Hono)',
    (u) => /^node:internal\/(deps\/undici|webstreams|abort_controller|event_target|worker\/js_transferable|url|encoding)/.test(u) || u.includes('/node_modules/hono/'),
  ],
  ['zod', (u) => u.includes('/node_modules/zod/')],
  ['JWT and hashing', (u) => /\/node_modules\/(jsonwebtoken|jws|jwa|safe-buffer|ecdsa-sig-formatter)\//.test(u) || u.startsWith('node:internal/crypto')],
  ['the system under test (src/)', (u) => u.includes('/src/')],
  ['fake-timers and the kernel', (u) => u.includes('/node_modules/@sinonjs/') || u.includes('/sim/kernel/')],
  ['the rest of the simulator (sim/)', (u) => u.includes('/sim/')],
  ['garbage collection', (_, n) => n === '(garbage collector)'],
  ['event-loop turns (idle)', (_, n) => n === '(idle)'],
  ['other Node.js internals', (u) => u.startsWith('node:')],
];
const OTHER = 'other (V8 native, builtins, other packages)';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

await runBatch({ scenario: values.scenario, seeds: seedsOf({ first: 900_000, last: 900_000 + WARMUP - 1 }) });
const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 250 });
await session.post('Profiler.start');
const started = performance.now();
await runBatch({ scenario: values.scenario, seeds: seedsOf({ first: 1, last: SEEDS }) });
const wallMs = performance.now() - started;
const { profile } = (await session.post('Profiler.stop')) as { profile: Profile };
session.disconnect();
if (values.out) writeFileSync(values.out, JSON.stringify(profile));

const selfMicros = new Map<number, number>();
profile.samples.forEach((id, i) => selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const byLayer = new Map<string, number>();
const byFunction = new Map<string, number>();
let total = 0;
for (const node of profile.nodes) {
  const micros = selfMicros.get(node.id) ?? 0;
  if (micros === 0) continue;
  total += micros;
  const { url, functionName, lineNumber } = node.callFrame;
  const layer = LAYERS.find(([, test]) => test(url, functionName))?.[0] ?? OTHER;
  byLayer.set(layer, (byLayer.get(layer) ?? 0) + micros);
  const where = url ? `${url.replace(/^file:\/\/.*?\/(node_modules|src|sim)\//, '$1/')}:${lineNumber + 1}` : '';
  const fn = `${functionName || '(anonymous)'} ${where}`.trim();
  byFunction.set(fn, (byFunction.get(fn) ?? 0) + micros);
}

// What the same seeds ask of each layer, counted on a second, unprofiled pass.
const asked = { steps: 0, requests: 0, queries: 0, fetches: 0, pushes: 0 };
for (let seed = 1; seed <= SEEDS; seed++) {
  const world = await buildWorld({ scenario, seed });
  const { steps } = await world.run();
  const git = world.remote.stats();
  asked.steps += steps;
  asked.requests += world.network.stats().sent;
  asked.queries += world.storage.queries;
  asked.fetches += git.fetches;
  asked.pushes += git.pushes;
}
const mean = (n: number) => (n / SEEDS).toLocaleString('en-US', { maximumFractionDigits: 1 });

const perSeed = (micros: number) => (micros / 1000 / SEEDS).toFixed(1).padStart(7);
const share = (micros: number) => `${((100 * micros) / total).toFixed(1)}%`.padStart(6);
const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
const lines = [
  `${values.scenario}: ${SEEDS} seeds after ${WARMUP} warm-up seeds, ${(wallMs / SEEDS).toFixed(0)} ms a seed (profiler on)`,
  `a seed asks for ${mean(asked.steps)} steps, ${mean(asked.requests)} HTTP requests, ${mean(asked.queries)} SQL queries, ${mean(asked.fetches)} git fetches (clones) and ${mean(asked.pushes)} git pushes`,
  '',
  '  share  ms/seed  layer (self time)',
  ...sorted(byLayer).map(([layer, micros]) => `${share(micros)}  ${perSeed(micros)}  ${layer}`),
  '',
  `  share  ms/seed  top ${TOP} functions (self time)`,
  ...sorted(byFunction)
    .slice(0, TOP)
    .map(([fn, micros]) => `${share(micros)}  ${perSeed(micros)}  ${fn}`),
];
if (values.out) lines.push('', `profile written to ${values.out}`);
process.stdout.write(lines.join('\n') + '\n');
