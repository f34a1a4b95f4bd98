/**
 * Durable Object storage in memory: key-value (values structured-cloned, as the platform does) and
 * SQL on a real SQLite compiled to WebAssembly (sql.js), with atomic transactions over both and
 * the single alarm. Every async method completes on microtasks, so a simulated step that only
 * touches its own storage finishes without yielding to other steps: the Durable Object input gate.
 */
import initSqlJs, { type Database, type SqlJsStatic, type Statement } from 'sql.js';
import { trusted } from '../kernel/guard.ts';
import type { DurableStorage, KeyValueStorage, SqlCursor, SqlRow, SqlStorage, SqlValue, StorageListOptions } from '../../src/ports.ts';

let sqlModule: Promise<SqlJsStatic> | undefined;

/** Loads the SQLite WebAssembly module once per process (it is the only slow part). */
export function loadSql(): Promise<SqlJsStatic> {
  sqlModule ??= initSqlJs();
  return sqlModule;
}

export async function createFakeStorage(): Promise<FakeDurableStorage> {
  const db = new (await loadSql()).Database();
  // Journal in memory: the database lives in memory anyway, and sql.js's emulated file system
  // for an on-disk journal was a tenth of the simulator's time.
  db.exec('PRAGMA journal_mode = MEMORY; PRAGMA temp_store = MEMORY;');
  return new FakeDurableStorage(db);
}

class Cursor<T extends SqlRow> implements SqlCursor<T> {
  constructor(
    private readonly rows: T[],
    readonly rowsWritten: number,
  ) {}
  [Symbol.iterator](): Iterator<T> {
    return this.rows[Symbol.iterator]();
  }
  toArray(): T[] {
    return this.rows;
  }
  one(): T {
    if (this.rows.length !== 1) throw new Error(`expected exactly one row, got ${this.rows.length}`);
    return this.rows[0] as T;
  }
}

export class FakeDurableStorage implements DurableStorage {
  private kv = new Map<string, unknown>();
  private alarm: number | null = null;
  private readonly alarmListeners: ((time: number | null) => void)[] = [];
  private savepoints = 0;
  readonly sql: SqlStorage;

  constructor(private readonly db: Database) {
    this.sql = { exec: (query, ...bindings) => this.exec(query, bindings) };
  }

  /** Prepared statements by query text: the town runs the same few statements every tick. */
  private readonly statements = new Map<string, Statement>();

  // sql.js reads the real clock inside SQLite's time functions; no query here depends on them.
  private exec<T extends SqlRow>(query: string, bindings: SqlValue[]): SqlCursor<T> {
    return trusted(() => this.execTrusted<T>(query, bindings));
  }

  private execTrusted<T extends SqlRow>(query: string, bindings: SqlValue[]): SqlCursor<T> {
    let statement = this.statements.get(query);
    if (!statement) {
      statement = this.db.prepare(query);
      this.statements.set(query, statement);
    }
    try {
      if (bindings.length > 0) statement.bind(bindings as never);
      const rows: T[] = [];
      while (statement.step()) rows.push(statement.getAsObject() as T);
      return new Cursor(rows, this.db.getRowsModified());
    } finally {
      statement.reset();
    }
  }

  // --- key-value ---------------------------------------------------------------------------------

  get<T = unknown>(key: string): Promise<T | undefined>;
  get<T = unknown>(keys: string[]): Promise<Map<string, T>>;
  async get<T>(keyOrKeys: string | string[]): Promise<T | undefined | Map<string, T>> {
    if (Array.isArray(keyOrKeys)) {
      const found = new Map<string, T>();
      for (const key of keyOrKeys) if (this.kv.has(key)) found.set(key, structuredClone(this.kv.get(key)) as T);
      return found;
    }
    return this.kv.has(keyOrKeys) ? (structuredClone(this.kv.get(keyOrKeys)) as T) : undefined;
  }

  put<T>(key: string, value: T): Promise<void>;
  put<T>(entries: Record<string, T>): Promise<void>;
  async put<T>(keyOrEntries: string | Record<string, T>, value?: T): Promise<void> {
    if (typeof keyOrEntries === 'string') this.kv.set(keyOrEntries, structuredClone(value));
    else for (const [key, v] of Object.entries(keyOrEntries)) this.kv.set(key, structuredClone(v));
  }

  delete(key: string): Promise<boolean>;
  delete(keys: string[]): Promise<number>;
  async delete(keyOrKeys: string | string[]): Promise<boolean | number> {
    if (Array.isArray(keyOrKeys)) return keyOrKeys.filter((key) => this.kv.delete(key)).length;
    return this.kv.delete(keyOrKeys);
  }

  async list<T = unknown>(options: StorageListOptions = {}): Promise<Map<string, T>> {
    let keys = [...this.kv.keys()].sort();
    if (options.prefix !== undefined) keys = keys.filter((k) => k.startsWith(options.prefix as string));
    if (options.start !== undefined) keys = keys.filter((k) => k >= (options.start as string));
    if (options.end !== undefined) keys = keys.filter((k) => k < (options.end as string));
    if (options.reverse) keys.reverse();
    if (options.limit !== undefined) keys = keys.slice(0, options.limit);
    return new Map(keys.map((k) => [k, structuredClone(this.kv.get(k)) as T]));
  }

  // --- transactions ------------------------------------------------------------------------------

  transactionSync<T>(closure: () => T): T {
    const undo = this.begin();
    try {
      const result = closure();
      this.commit();
      return result;
    } catch (error) {
      undo();
      throw error;
    }
  }

  async transaction<T>(closure: (txn: KeyValueStorage) => Promise<T>): Promise<T> {
    const undo = this.begin();
    try {
      const result = await closure(this);
      this.commit();
      return result;
    } catch (error) {
      undo();
      throw error;
    }
  }

  /** Opens a SQL savepoint and snapshots the key-value map; returns the rollback. */
  private begin(): () => void {
    const name = `sp${++this.savepoints}`;
    trusted(() => this.db.exec(`SAVEPOINT ${name}`));
    const kvBefore = new Map(this.kv);
    const alarmBefore = this.alarm;
    return () => {
      this.db.exec(`ROLLBACK TO ${name}`);
      this.db.exec(`RELEASE ${name}`);
      this.savepoints--;
      this.kv = kvBefore;
      this.alarm = alarmBefore;
    };
  }

  private commit(): void {
    this.db.exec(`RELEASE sp${this.savepoints--}`);
  }

  // --- the alarm ---------------------------------------------------------------------------------

  async getAlarm(): Promise<number | null> {
    return this.alarm;
  }

  async setAlarm(scheduledTime: number): Promise<void> {
    this.alarm = scheduledTime;
    for (const listener of this.alarmListeners) listener(scheduledTime);
  }

  async deleteAlarm(): Promise<void> {
    this.alarm = null;
    for (const listener of this.alarmListeners) listener(null);
  }

  /** For the Durable Object host: told whenever the alarm is set or deleted. */
  onAlarmChange(listener: (time: number | null) => void): void {
    this.alarmListeners.push(listener);
  }

  /** For the host: the alarm fired and is consumed before its handler runs. */
  consumeAlarm(): void {
    this.alarm = null;
  }
}
