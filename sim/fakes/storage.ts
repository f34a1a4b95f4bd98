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
  // for an on-disk journal was a tenth of the simulator's time. And the lock held: this is the
  // file's only connection, and in the default mode SQLite looks for a hot journal at the start
  // of every statement, a stat() on the emulated file system that fails (measured: 7% of a run).
  db.exec('PRAGMA journal_mode = MEMORY; PRAGMA temp_store = MEMORY; PRAGMA locking_mode = EXCLUSIVE;');
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

/** A query text that holds several statements: run one after the other, never cached. */
const MULTIPLE = Symbol('multiple statements');
/** A single statement that only reads. */
const SELECT = /^\s*SELECT\b/i;

/** A statement that may change the schema, and with it the columns a cached `SELECT *` returns. */
const DDL = /^\s*(CREATE|ALTER|DROP)\b/i;

/** A cached single statement, and whether it only reads or may change the schema (decided once, when it is prepared). */
interface Prepared {
  statement: Statement;
  readOnly: boolean;
  changesSchema: boolean;
  /**
   * Its result's column names, read at its first row: sql.js's getAsObject() reads them out of
   * WebAssembly again for every row (measured: 9% of a run). Forgotten when the schema changes.
   */
  columns?: string[] | undefined;
}

export class FakeDurableStorage implements DurableStorage {
  private kv = new Map<string, unknown>();
  private alarm: number | null = null;
  private readonly alarmListeners: ((time: number | null) => void)[] = [];
  private savepoints = 0;
  /** Async transactions run one at a time: interleaved, one's rollback would undo the other's writes. */
  private transactions: Promise<unknown> = Promise.resolve();
  /** Prepared statements by query text: the town runs the same few statements every tick. */
  private readonly statements = new Map<string, Prepared | typeof MULTIPLE>();
  /** `rowsWritten` is the change in SQLite's total_changes(): sqlite3_changes() keeps the last write's count through later SELECTs. */
  private readonly totalChanges: Statement;
  readonly sql: SqlStorage;
  /** `sql.exec` calls so far: what a run asked of SQLite (`npm run profile` reports it per seed). */
  queries = 0;

  constructor(private readonly db: Database) {
    this.totalChanges = db.prepare('SELECT total_changes()');
    this.sql = { exec: (query, ...bindings) => trusted(() => this.exec(query, bindings)) };
  }

  /**
   * Frees the database. SQLite lives in the WebAssembly module's memory, which the garbage
   * collector never shrinks: an unclosed database stays there for good (measured: about 60 KB a
   * seed, out of memory after some 30,000 seeds in one process).
   */
  close(): void {
    trusted(() => this.db.close());
    this.statements.clear();
  }

  // sql.js reads the real clock inside SQLite's time functions; no query here depends on them,
  // hence the `trusted` around every call into the database.
  private exec<T extends SqlRow>(query: string, bindings: SqlValue[]): SqlCursor<T> {
    this.queries++;
    let prepared = this.statements.get(query);
    if (prepared === undefined) {
      prepared = this.prepareOnce(query);
      this.statements.set(query, prepared);
    }
    // Most statements are single SELECTs, which write nothing: two fewer calls into SQLite each.
    if (prepared !== MULTIPLE && prepared.readOnly) return new Cursor(run<T>(prepared.statement, bindings, prepared), 0);
    const before = this.changes();
    const rows = prepared === MULTIPLE ? this.runMultiple<T>(query, bindings) : run<T>(prepared.statement, bindings, prepared);
    if (prepared === MULTIPLE || prepared.changesSchema) this.forgetColumns();
    return new Cursor(rows, this.changes() - before);
  }

  /** SQLite re-prepares a statement after a schema change; `SELECT *` may then return other columns. */
  private forgetColumns(): void {
    for (const prepared of this.statements.values()) if (prepared !== MULTIPLE) prepared.columns = undefined;
  }

  private changes(): number {
    this.totalChanges.step();
    const [count] = this.totalChanges.get();
    this.totalChanges.reset();
    return Number(count);
  }

  /** Prepares a single-statement query for the cache, or marks a multi-statement one. */
  private prepareOnce(query: string): Prepared | typeof MULTIPLE {
    const statements = this.db.iterateStatements(query);
    statements.next();
    const single = statements.getRemainingSQL().trim() === '';
    // Frees the iterator's statement and its copy of the query; the rest is not prepared (it may
    // depend on the first statement having run).
    (statements as Iterator<Statement>).return?.();
    return single ? { statement: this.db.prepare(query), readOnly: SELECT.test(query), changesSchema: DDL.test(query) } : MULTIPLE;
  }

  /** As on the platform: the bindings apply to the last statement, and so does the cursor. */
  private runMultiple<T extends SqlRow>(query: string, bindings: SqlValue[]): T[] {
    let rows: T[] = [];
    const statements = this.db.iterateStatements(query);
    for (const statement of statements) {
      const last = statements.getRemainingSQL().trim() === '';
      rows = run<T>(statement, last ? bindings : []);
    }
    return rows;
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
    const { prefix, start, end, limit, reverse } = options;
    const keys = [...this.kv.keys()]
      .filter((k) => (prefix === undefined || k.startsWith(prefix)) && (start === undefined || k >= start) && (end === undefined || k < end))
      .sort();
    if (reverse) keys.reverse();
    const selected = limit === undefined ? keys : keys.slice(0, limit);
    return new Map(selected.map((k) => [k, structuredClone(this.kv.get(k)) as T]));
  }

  // --- transactions ------------------------------------------------------------------------------

  transactionSync<T>(closure: () => T): T {
    const undo = this.begin();
    let result: T;
    try {
      result = closure();
    } catch (error) {
      undo();
      throw error;
    }
    this.release();
    return result;
  }

  transaction<T>(closure: (txn: KeyValueStorage) => Promise<T>): Promise<T> {
    const run = async () => {
      const undo = this.begin();
      let result: T;
      try {
        result = await closure(this);
      } catch (error) {
        undo();
        throw error;
      }
      this.release();
      return result;
    };
    const done = this.transactions.then(run, run);
    this.transactions = done.catch(() => undefined);
    return done;
  }

  /** Opens a SQL savepoint and snapshots the key-value map and the alarm; returns the rollback. */
  private begin(): () => void {
    const name = `sp${++this.savepoints}`;
    trusted(() => this.db.exec(`SAVEPOINT ${name}`));
    const kvBefore = new Map(this.kv);
    const alarmBefore = this.alarm;
    return () => {
      trusted(() => this.db.exec(`ROLLBACK TO ${name}; RELEASE ${name}`));
      this.savepoints--;
      this.forgetColumns(); // the rollback may undo a schema change
      this.kv = kvBefore;
      if (this.alarm !== alarmBefore) this.changeAlarm(alarmBefore);
    };
  }

  private release(): void {
    trusted(() => this.db.exec(`RELEASE sp${this.savepoints--}`));
  }

  // --- the alarm ---------------------------------------------------------------------------------

  async getAlarm(): Promise<number | null> {
    return this.alarm;
  }

  async setAlarm(scheduledTime: number): Promise<void> {
    this.changeAlarm(scheduledTime);
  }

  async deleteAlarm(): Promise<void> {
    this.changeAlarm(null);
  }

  /** For the Durable Object host: told whenever the alarm is set, deleted or rolled back. */
  onAlarmChange(listener: (time: number | null) => void): void {
    this.alarmListeners.push(listener);
  }

  /** For the host: the alarm fired and is consumed before its handler runs (listeners are not told). */
  consumeAlarm(): void {
    this.alarm = null;
  }

  private changeAlarm(time: number | null): void {
    this.alarm = time;
    for (const listener of this.alarmListeners) listener(time);
  }
}

/** Runs a statement to its end; rows as getAsObject() makes them, with the column names read once. */
function run<T extends SqlRow>(statement: Statement, bindings: SqlValue[], prepared?: Prepared): T[] {
  try {
    if (bindings.length > 0) statement.bind(bindings as never);
    const rows: T[] = [];
    let columns = prepared?.columns;
    while (statement.step()) {
      columns ??= statement.getColumnNames();
      const values = statement.get();
      const row: SqlRow = {};
      for (let i = 0; i < columns.length; i++) row[columns[i] as string] = values[i] as SqlValue;
      rows.push(row as T);
    }
    if (prepared) prepared.columns = columns;
    return rows;
  } finally {
    statement.reset();
  }
}
