/**
 * The town's records in the Durable Object's SQL storage: rigs, beads, agents. Plain statements,
 * no ORM: the tables are small and the reconciler reads them whole every tick.
 */
import type { SqlStorage, SqlValue } from '../ports.ts';
import type { Agent, AgentStatus, Bead, BeadStatus, Rig, TownState } from './model.ts';

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS rigs (rig_id TEXT PRIMARY KEY, git_url TEXT NOT NULL, created_at INTEGER NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS beads (
     bead_id TEXT PRIMARY KEY, type TEXT NOT NULL, status TEXT NOT NULL, rig_id TEXT NOT NULL, title TEXT NOT NULL,
     assignee TEXT, blocked_by TEXT NOT NULL, source_bead_id TEXT, branch TEXT,
     dispatch_attempts INTEGER NOT NULL, next_dispatch_at INTEGER, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS agents (
     agent_id TEXT PRIMARY KEY, role TEXT NOT NULL, rig_id TEXT NOT NULL, status TEXT NOT NULL,
     hooked_bead_id TEXT, last_activity_at INTEGER, created_at INTEGER NOT NULL)`,
];

type Row = Record<string, SqlValue>;

export class TownStore {
  constructor(private readonly sql: SqlStorage) {}

  migrate(): void {
    for (const statement of SCHEMA) this.sql.exec(statement);
  }

  load(): TownState {
    return { rigs: this.rigs(), beads: this.beads(), agents: this.agents() };
  }

  rigs(): Rig[] {
    return this.sql.exec('SELECT * FROM rigs ORDER BY created_at, rig_id').toArray().map(toRig);
  }

  beads(): Bead[] {
    return this.sql.exec('SELECT * FROM beads ORDER BY created_at, bead_id').toArray().map(toBead);
  }

  agents(): Agent[] {
    return this.sql.exec('SELECT * FROM agents ORDER BY created_at, agent_id').toArray().map(toAgent);
  }

  /**
   * Whether work keeps the alarm on its fast cadence: the rule of `hasActiveWork(load())` (spec §3),
   * asked of SQLite instead of reading every bead and agent: every alarm tick asks it twice.
   */
  hasActiveWork(): boolean {
    const { active } = this.sql
      .exec(
        `SELECT EXISTS (SELECT 1 FROM agents WHERE status IN ('working', 'stalled') OR (status = 'idle' AND hooked_bead_id IS NOT NULL))
             OR EXISTS (SELECT 1 FROM beads WHERE type = 'merge_request' AND status IN ('open', 'in_progress')) AS active`,
      )
      .one();
    return active === 1;
  }

  bead(beadId: string): Bead | undefined {
    const row = this.sql.exec('SELECT * FROM beads WHERE bead_id = ?', beadId).toArray()[0];
    return row ? toBead(row) : undefined;
  }

  agent(agentId: string): Agent | undefined {
    const row = this.sql.exec('SELECT * FROM agents WHERE agent_id = ?', agentId).toArray()[0];
    return row ? toAgent(row) : undefined;
  }

  insertRig(rig: Rig): void {
    this.sql.exec('INSERT OR REPLACE INTO rigs (rig_id, git_url, created_at) VALUES (?, ?, ?)', rig.rigId, rig.gitUrl, rig.createdAt);
  }

  insertBead(bead: Bead): void {
    this.sql.exec(
      `INSERT INTO beads (bead_id, type, status, rig_id, title, assignee, blocked_by, source_bead_id, branch,
         dispatch_attempts, next_dispatch_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      bead.beadId, bead.type, bead.status, bead.rigId, bead.title, bead.assignee, JSON.stringify(bead.blockedBy),
      bead.sourceBeadId, bead.branch, bead.dispatchAttempts, bead.nextDispatchAt, bead.createdAt, bead.updatedAt,
    );
  }

  insertAgent(agent: Agent): void {
    this.sql.exec(
      'INSERT INTO agents (agent_id, role, rig_id, status, hooked_bead_id, last_activity_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      agent.agentId, agent.role, agent.rigId, agent.status, agent.hookedBeadId, agent.lastActivityAt, agent.createdAt,
    );
  }

  setBeadStatus(beadId: string, status: BeadStatus, now: number): void {
    this.sql.exec('UPDATE beads SET status = ?, updated_at = ? WHERE bead_id = ?', status, now, beadId);
  }

  setBeadAssignee(beadId: string, assignee: string | null, now: number): void {
    this.sql.exec('UPDATE beads SET assignee = ?, updated_at = ? WHERE bead_id = ?', assignee, now, beadId);
  }

  setDispatchBackoff(beadId: string, attempts: number, nextDispatchAt: number | null, now: number): void {
    this.sql.exec('UPDATE beads SET dispatch_attempts = ?, next_dispatch_at = ?, updated_at = ? WHERE bead_id = ?', attempts, nextDispatchAt, now, beadId);
  }

  setAgentStatus(agentId: string, status: AgentStatus): void {
    this.sql.exec('UPDATE agents SET status = ? WHERE agent_id = ?', status, agentId);
  }

  setAgentHook(agentId: string, beadId: string | null): void {
    this.sql.exec('UPDATE agents SET hooked_bead_id = ? WHERE agent_id = ?', beadId, agentId);
  }

  touchAgent(agentId: string, now: number): void {
    this.sql.exec('UPDATE agents SET last_activity_at = ? WHERE agent_id = ?', now, agentId);
  }
}

const text = (value: SqlValue | undefined): string => String(value);
const nullableText = (value: SqlValue | undefined): string | null => (value === null || value === undefined ? null : String(value));
const nullableNumber = (value: SqlValue | undefined): number | null => (value === null || value === undefined ? null : Number(value));

function toRig(row: Row): Rig {
  return { rigId: text(row.rig_id), gitUrl: text(row.git_url), createdAt: Number(row.created_at) };
}

function toBead(row: Row): Bead {
  return {
    beadId: text(row.bead_id),
    type: text(row.type) as Bead['type'],
    status: text(row.status) as BeadStatus,
    rigId: text(row.rig_id),
    title: text(row.title),
    assignee: nullableText(row.assignee),
    blockedBy: JSON.parse(text(row.blocked_by)) as string[],
    sourceBeadId: nullableText(row.source_bead_id),
    branch: nullableText(row.branch),
    dispatchAttempts: Number(row.dispatch_attempts),
    nextDispatchAt: nullableNumber(row.next_dispatch_at),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

function toAgent(row: Row): Agent {
  return {
    agentId: text(row.agent_id),
    role: text(row.role) as Agent['role'],
    rigId: text(row.rig_id),
    status: text(row.status) as AgentStatus,
    hookedBeadId: nullableText(row.hooked_bead_id),
    lastActivityAt: nullableNumber(row.last_activity_at),
    createdAt: Number(row.created_at),
  };
}
