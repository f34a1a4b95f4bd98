/**
 * The only doors from the eviction system to the outside world.
 *
 * Every port has the shape of the platform API it stands for (Durable Object storage, `fetch`,
 * timers, the coding-agent SDK, `process`), so production adapters stay thin and the simulator's
 * fakes can be swapped in without the system noticing. Nothing in `src/` outside `src/adapters/`
 * may reach time, randomness, network, file system or processes except through these.
 */

/** Opaque timer handle: Node returns objects, fake-timers returns numbers or objects. */
export type TimerHandle = unknown;

/** Time and timers, shaped like the timer globals plus `Date.now` (sim/fakes/clock.ts adapts a fake-timers clock). */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  setInterval(callback: () => void, ms: number): TimerHandle;
  clearInterval(handle: TimerHandle): void;
}

/** Randomness for identifiers and nonces. Production: `crypto.randomUUID`. */
export interface Random {
  /** A fresh, unguessable identifier (UUID-shaped). */
  uuid(): string;
}

export type LogFields = Record<string, unknown>;

export interface Logger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/** The standard `fetch`, narrowed to one `Request` argument. Honours `request.signal`. */
export type Fetch = (request: Request) => Promise<Response>;

/** An HTTP handler: what a server (worker, container control server) exposes. */
export type HttpHandler = (request: Request) => Promise<Response>;

// ---------------------------------------------------------------------------------------------
// Durable Object storage (the subset of `DurableObjectStorage` this system uses)
// ---------------------------------------------------------------------------------------------

export type SqlValue = string | number | null | Uint8Array;
export type SqlRow = Record<string, SqlValue>;

/** Shaped like the Durable Object `SqlStorageCursor`. Synchronous, as on the platform. */
export interface SqlCursor<T extends SqlRow = SqlRow> extends Iterable<T> {
  toArray(): T[];
  /** The single row; throws when the result does not have exactly one row. */
  one(): T;
  readonly rowsWritten: number;
}

/** Shaped like `ctx.storage.sql`. */
export interface SqlStorage {
  exec<T extends SqlRow = SqlRow>(query: string, ...bindings: SqlValue[]): SqlCursor<T>;
}

export interface StorageListOptions {
  prefix?: string;
  start?: string;
  end?: string;
  limit?: number;
  reverse?: boolean;
}

/** Key-value operations, shaped like `DurableObjectStorage` (values are structured-cloned). */
export interface KeyValueStorage {
  get<T = unknown>(key: string): Promise<T | undefined>;
  get<T = unknown>(keys: string[]): Promise<Map<string, T>>;
  put<T>(key: string, value: T): Promise<void>;
  put<T>(entries: Record<string, T>): Promise<void>;
  delete(key: string): Promise<boolean>;
  delete(keys: string[]): Promise<number>;
  list<T = unknown>(options?: StorageListOptions): Promise<Map<string, T>>;
}

/** `ctx.storage`: key-value, SQL, transactions and the single alarm. */
export interface DurableStorage extends KeyValueStorage {
  readonly sql: SqlStorage;
  /** Runs `closure` atomically: if it throws, every write it made (KV and SQL) is rolled back. */
  transaction<T>(closure: (txn: KeyValueStorage) => Promise<T>): Promise<T>;
  /** Synchronous atomic block over SQL and KV writes, like `ctx.storage.transactionSync`. */
  transactionSync<T>(closure: () => T): T;
  getAlarm(): Promise<number | null>;
  /** One alarm per object: setting it again replaces it. */
  setAlarm(scheduledTime: number): Promise<void>;
  deleteAlarm(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Domain vocabulary shared by the town and the container
// ---------------------------------------------------------------------------------------------

export type AgentRole = 'polecat' | 'refinery' | 'mayor' | 'triage';

/** Reasons the container gives when it reports an agent process as completed. */
export type CompletionReason = 'completed' | 'container eviction';

/** The TownDO's RPC surface as the worker sees it (a Durable Object stub). */
export interface TownRpc {
  recordContainerEviction(): Promise<string>;
  acknowledgeContainerReady(nonce: string): Promise<boolean>;
  isDraining(): Promise<boolean>;
  getDrainNonce(): Promise<string | null>;
  touchAgentHeartbeat(agentId: string, watermark?: number): Promise<{ drainNonce: string | null }>;
  agentDone(agentId: string, report: AgentDoneReport): Promise<void>;
  agentCompleted(agentId: string, report: AgentCompletedReport): Promise<void>;
}

export interface AgentDoneReport {
  /** The branch the agent pushed its work to. */
  branch?: string | undefined;
  summary?: string | undefined;
}

export interface AgentCompletedReport {
  reason: CompletionReason;
  exitCode?: number | undefined;
}

/** Resolves the TownDO stub for a town id (`env.TOWN.get(idFromName(townId))` in production). */
export type TownDirectory = (townId: string) => TownRpc;

// ---------------------------------------------------------------------------------------------
// Container side
// ---------------------------------------------------------------------------------------------

/** Git operations on one workspace directory, as the eviction snapshot needs them. */
export interface GitWorkspace {
  /** Creates a workspace: a clone of `remoteUrl` on a new `branch`, or `git init` when no remote. */
  prepare(options: { dir: string; remoteUrl?: string; branch: string }): Promise<void>;
  /** Whether the workspace has an `origin` remote (`git remote get-url origin` succeeds). */
  hasOrigin(dir: string): Promise<boolean>;
  /** `git add -A`. */
  addAll(dir: string): Promise<void>;
  /** `git commit [--allow-empty] -m message`; returns the new commit id. */
  commit(dir: string, message: string, options?: { allowEmpty?: boolean }): Promise<string>;
  /** `git push --set-upstream origin HEAD [--no-verify]`. Rejects when the push fails. */
  pushHeadSetUpstream(dir: string, options?: { noVerify?: boolean }): Promise<void>;
  /** `git push origin HEAD:refs/heads/<remoteBranch> [--no-verify]`, tracking nothing. Rejects when the push fails. */
  pushHeadTo(dir: string, remoteBranch: string, options?: { noVerify?: boolean }): Promise<void>;
}

export type SessionEvent =
  /** The agent is doing something: any activity cancels a pending idle timer. */
  | { type: 'busy' }
  /** The agent has nothing more to do for now. */
  | { type: 'idle' }
  /** The agent called its `gt_done` tool: its work is finished and pushed to `branch`. */
  | { type: 'gt_done'; branch?: string; summary?: string };

/** One coding-agent session (the SDK's session object). */
export interface AgentSession {
  readonly id: string;
  /** Delivers events to `listener` until `signal` aborts. */
  subscribe(listener: (event: SessionEvent) => void, signal: AbortSignal): void;
  /** Sends a user message into the session (a nudge). */
  sendMessage(text: string): Promise<void>;
  /** Stops whatever the session is doing. May throw. */
  abort(): Promise<void>;
  /** Releases the session. */
  close(): Promise<void>;
}

/** The coding-agent SDK: starts sessions for agents. */
export interface AgentSessions {
  start(options: {
    agentId: string;
    role: AgentRole;
    workdir: string;
    prompt: string;
  }): Promise<AgentSession>;
}

export type ProcessSignal = 'SIGTERM' | 'SIGINT';

/** The container's own process: signal handlers and exit. */
export interface ProcessPort {
  onSignal(signal: ProcessSignal, handler: () => void): void;
  exit(code: number): void;
}
