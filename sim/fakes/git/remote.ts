/**
 * An in-memory git server speaking smart HTTP v1, so the real isomorphic-git client clones,
 * fetches and pushes over it exactly as it would over the network. Each repository is a bare
 * repository on its own virtual volume. Pushes are serialised per repository and update refs by
 * compare-and-swap: a racing push loses with a rejection, never silently. Faults (reject, fail,
 * hang) and latency are injected per request.
 */
import git, { type GitHttpRequest, type GitHttpResponse, type HttpClient } from 'isomorphic-git';
import { createVirtualFs, type VirtualFs } from './fs.ts';
import { concat, FLUSH, pkt, readPktLines, sideBand } from './pkt-line.ts';

export type PushFault = 'ok' | 'reject' | 'fail' | 'hang';

export interface RemoteFaults {
  /** Decides the fate of each push (receive-pack request) to `repo` updating `refs`. */
  onPush?: (repo: string, refs: string[]) => PushFault;
}

export interface GitRemoteOptions {
  /** Waits `ms` (the simulator passes a virtual-time sleep). */
  delay?: (ms: number) => Promise<void>;
  /** Latency of each request; used with `delay`. */
  latencyMs?: () => number;
  faults?: RemoteFaults;
  /** Timestamp source for the seed commits (virtual ms). */
  now?: () => number;
}

export interface GitRemote {
  http: HttpClient;
  createRepo(name: string, options?: { files?: Record<string, string>; branch?: string }): Promise<void>;
  url(name: string): string;
  readBranch(name: string, branch: string): Promise<{ commit: string; files: Record<string, string> } | undefined>;
  branches(name: string): Promise<string[]>;
  setFaults(faults: RemoteFaults): void;
  /** Pushes that a fault broke, as `repo:branch`. */
  readonly faultedPushes: ReadonlySet<string>;
  /** Requests served so far: fetches (upload-pack; a clone is one) and pushes (receive-pack, faulted ones too). */
  stats(): { fetches: number; pushes: number };
}

const ZERO = '0000000000000000000000000000000000000000';
const HOST = 'http://git/';
const encoder = new TextEncoder();

interface Repo {
  vfs: VirtualFs;
  gitdir: string;
  /** Tail of the chain of pushes to this repository (serialisation). */
  pushes: Promise<unknown>;
}

export function createGitRemote(options: GitRemoteOptions = {}): GitRemote {
  const repos = new Map<string, Repo>();
  let faults = options.faults ?? {};
  const faultedPushes = new Set<string>();
  const now = options.now ?? (() => 0);
  const served = { fetches: 0, pushes: 0 };

  const repoOf = (url: string): { name: string; repo: Repo; rest: string } => {
    const match = /^http:\/\/git\/([^/]+)\.git\/(.*)$/.exec(url);
    const repo = match?.[1] ? repos.get(match[1]) : undefined;
    if (!match?.[1] || !repo) throw new Error(`no such repository: ${url}`);
    return { name: match[1], repo, rest: match[2] ?? '' };
  };

  const refsOf = async (repo: Repo) => {
    const fs = repo.vfs.fs;
    const names = await git.listBranches({ fs, gitdir: repo.gitdir });
    const refs: [string, string][] = [];
    for (const name of names.sort()) refs.push([`refs/heads/${name}`, await git.resolveRef({ fs, gitdir: repo.gitdir, ref: `refs/heads/${name}` })]);
    let head: string | undefined;
    let headTarget: string | undefined;
    try {
      headTarget = (await git.resolveRef({ fs, gitdir: repo.gitdir, ref: 'HEAD', depth: 2 })).replace(/^ref: /, '');
      head = await git.resolveRef({ fs, gitdir: repo.gitdir, ref: 'HEAD' });
    } catch {
      head = undefined;
    }
    return { refs, head, headTarget };
  };

  const advertise = async (repo: Repo, service: 'git-upload-pack' | 'git-receive-pack'): Promise<Uint8Array> => {
    const { refs, head, headTarget } = await refsOf(repo);
    const caps =
      service === 'git-upload-pack'
        ? `side-band-64k ofs-delta agent=drainsim${headTarget ? ` symref=HEAD:${headTarget}` : ''}`
        : 'report-status side-band-64k delete-refs agent=drainsim';
    const lines: [string, string][] = service === 'git-upload-pack' && head ? [[head, 'HEAD'], ...refs.map(([r, o]): [string, string] => [o, r])] : refs.map(([r, o]) => [o, r]);
    const parts = [pkt(`# service=${service}\n`), FLUSH];
    if (lines.length === 0) parts.push(pkt(`${ZERO} capabilities^{}\0${caps}\n`));
    lines.forEach(([oid, ref], i) => parts.push(pkt(i === 0 ? `${oid} ${ref}\0${caps}\n` : `${oid} ${ref}\n`)));
    parts.push(FLUSH);
    return concat(parts);
  };

  /** Every object reachable from `wants`: the pack a fetch needs (haves are ignored: extra objects are harmless). */
  const reachable = async (repo: Repo, wants: string[]): Promise<string[]> => {
    const fs = repo.vfs.fs;
    const seen = new Set<string>();
    const walkTree = async (oid: string): Promise<void> => {
      if (seen.has(oid)) return;
      seen.add(oid);
      const { tree } = await git.readTree({ fs, gitdir: repo.gitdir, oid });
      for (const entry of tree) {
        if (entry.type === 'tree') await walkTree(entry.oid);
        else seen.add(entry.oid);
      }
    };
    const commits = [...wants];
    while (commits.length > 0) {
      const oid = commits.pop() as string;
      if (seen.has(oid)) continue;
      seen.add(oid);
      const { commit } = await git.readCommit({ fs, gitdir: repo.gitdir, oid });
      await walkTree(commit.tree);
      commits.push(...commit.parent);
    }
    return [...seen].sort();
  };

  const uploadPack = async (repo: Repo, body: Uint8Array): Promise<Uint8Array> => {
    const { lines } = readPktLines(body);
    const wants = lines.filter((l) => l.startsWith('want ')).map((l) => l.slice(5, 45));
    const sideband = lines[0]?.includes('side-band-64k') ?? false;
    const { packfile } = await git.packObjects({ fs: repo.vfs.fs, gitdir: repo.gitdir, oids: await reachable(repo, wants) });
    const pack = packfile as Uint8Array;
    return concat([pkt('NAK\n'), sideband ? sideBand(pack) : pack]);
  };

  const parseCommands = (lines: string[]) =>
    lines.map((line) => {
      const [oldOid, newOid, refWithCaps] = line.replace(/\n$/, '').split(' ') as [string, string, string];
      return { oldOid, newOid, ref: refWithCaps.split('\0')[0] as string };
    });

  const receivePack = async (repo: Repo, body: Uint8Array, fault: PushFault): Promise<GitHttpResponseParts> => {
    const { lines, rest } = readPktLines(body);
    const commands = parseCommands(lines);
    const fs = repo.vfs.fs;
    const statuses: string[] = [];
    if (rest.length > 0 && fault === 'ok') {
      // A pack is named after its trailing checksum.
      const filepath = `objects/pack/pack-${toHex(rest.subarray(rest.length - 20))}.pack`;
      repo.vfs.volume.mkdirSync(`${repo.gitdir}/objects/pack`, { recursive: true });
      await fs.promises.writeFile(`${repo.gitdir}/${filepath}`, rest);
      await git.indexPack({ fs, dir: repo.gitdir, gitdir: repo.gitdir, filepath });
    }
    for (const command of commands) {
      if (fault === 'reject') {
        statuses.push(`ng ${command.ref} rejected by the remote`);
        continue;
      }
      let current = ZERO;
      try {
        current = await git.resolveRef({ fs, gitdir: repo.gitdir, ref: command.ref });
      } catch {
        current = ZERO;
      }
      if (current !== command.oldOid) {
        statuses.push(`ng ${command.ref} fetch first`);
        continue;
      }
      if (command.newOid === ZERO) await git.deleteRef({ fs, gitdir: repo.gitdir, ref: command.ref });
      else await git.writeRef({ fs, gitdir: repo.gitdir, ref: command.ref, value: command.newOid, force: true });
      statuses.push(`ok ${command.ref}`);
    }
    const report = concat([pkt('unpack ok\n'), ...statuses.map((s) => pkt(`${s}\n`)), FLUSH]);
    return { status: 200, body: sideBand(report) };
  };

  const handle = async (request: GitHttpRequest): Promise<GitHttpResponseParts> => {
    if (options.delay && options.latencyMs) await options.delay(options.latencyMs());
    const { name, repo, rest } = repoOf(request.url);
    const body = request.body ? await collect(request.body) : new Uint8Array();
    if (request.method === 'GET' && rest.startsWith('info/refs')) {
      const service = new URL(request.url).searchParams.get('service') as 'git-upload-pack' | 'git-receive-pack';
      return { status: 200, body: await advertise(repo, service), contentType: `application/x-${service}-advertisement` };
    }
    if (request.method === 'POST' && rest === 'git-upload-pack') {
      served.fetches++;
      return { status: 200, body: await uploadPack(repo, body), contentType: 'application/x-git-upload-pack-result' };
    }
    if (request.method === 'POST' && rest === 'git-receive-pack') {
      served.pushes++;
      const refs = parseCommands(readPktLines(body).lines).map((c) => c.ref);
      const fault = faults.onPush?.(name, refs) ?? 'ok';
      if (fault !== 'ok') for (const ref of refs) faultedPushes.add(`${name}:${ref.replace('refs/heads/', '')}`);
      // A hung connection never reaches the repository, so it holds no lock.
      if (fault === 'hang') return new Promise<never>(() => {});
      if (fault === 'fail') return { status: 500, body: encoder.encode('remote failure') };
      // One push at a time per repository, so compare-and-swap sees every earlier update.
      const result = repo.pushes.then(() => receivePack(repo, body, fault));
      repo.pushes = result.catch(() => undefined);
      return { ...(await result), contentType: 'application/x-git-receive-pack-result' };
    }
    return { status: 404, body: encoder.encode('not found') };
  };

  const http: HttpClient = {
    async request(request: GitHttpRequest): Promise<GitHttpResponse> {
      const response = await handle(request);
      return {
        url: request.url,
        method: request.method ?? 'GET',
        statusCode: response.status,
        statusMessage: response.status === 200 ? 'OK' : 'Error',
        headers: response.contentType ? { 'content-type': response.contentType } : {},
        body: single(response.body),
      };
    },
  };

  return {
    http,
    faultedPushes,
    stats: () => ({ ...served }),
    url: (name) => `${HOST}${name}.git`,
    setFaults(next) {
      faults = next;
    },
    async createRepo(name, { files = {}, branch = 'main' } = {}) {
      const vfs = createVirtualFs({ now });
      const gitdir = `/remote/${name}.git`;
      const fs = vfs.fs;
      await git.init({ fs, gitdir, bare: true, defaultBranch: branch });
      const entries = [];
      for (const [path, content] of Object.entries(files).sort(([a], [b]) => a.localeCompare(b))) {
        entries.push({ mode: '100644', path, type: 'blob' as const, oid: await git.writeBlob({ fs, gitdir, blob: encoder.encode(content) }) });
      }
      const tree = await git.writeTree({ fs, gitdir, tree: entries });
      const author = { name: 'seed', email: 'seed@drainsim.invalid', timestamp: Math.floor(now() / 1000), timezoneOffset: 0 };
      const commit = await git.writeCommit({ fs, gitdir, commit: { message: 'initial commit\n', tree, parent: [], author, committer: author } });
      await git.writeRef({ fs, gitdir, ref: `refs/heads/${branch}`, value: commit, force: true });
      repos.set(name, { vfs, gitdir, pushes: Promise.resolve() });
    },
    async readBranch(name, branch) {
      const repo = repos.get(name);
      if (!repo) return undefined;
      let commit: string;
      try {
        commit = await git.resolveRef({ fs: repo.vfs.fs, gitdir: repo.gitdir, ref: `refs/heads/${branch}` });
      } catch {
        return undefined;
      }
      const files: Record<string, string> = {};
      const decoder = new TextDecoder();
      const walk = async (oid: string, prefix: string): Promise<void> => {
        const { tree } = await git.readTree({ fs: repo.vfs.fs, gitdir: repo.gitdir, oid });
        for (const entry of tree) {
          if (entry.type === 'tree') await walk(entry.oid, `${prefix}${entry.path}/`);
          else {
            const { blob } = await git.readBlob({ fs: repo.vfs.fs, gitdir: repo.gitdir, oid: entry.oid });
            files[`${prefix}${entry.path}`] = decoder.decode(blob);
          }
        }
      };
      const { commit: c } = await git.readCommit({ fs: repo.vfs.fs, gitdir: repo.gitdir, oid: commit });
      await walk(c.tree, '');
      return { commit, files };
    },
    async branches(name) {
      const repo = repos.get(name);
      return repo ? (await git.listBranches({ fs: repo.vfs.fs, gitdir: repo.gitdir })).sort() : [];
    },
  };
}

interface GitHttpResponseParts {
  status: number;
  body: Uint8Array;
  contentType?: string;
}

async function collect(body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const part of body as AsyncIterable<Uint8Array>) parts.push(part);
  return concat(parts);
}

async function* single(data: Uint8Array): AsyncIterableIterator<Uint8Array> {
  yield data;
}

function toHex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}
