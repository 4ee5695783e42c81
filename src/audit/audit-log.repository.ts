import type { Readable } from 'node:stream';
import { Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import QueryStream from 'pg-query-stream';
import type { EntityManager, QueryRunner } from 'typeorm';
import { rowsOf } from '../database/statements.js';
import type { AuditAction, AuditType } from './audit-log-entry.entity.js';

/** One audited change, as a feature describes it. */
export interface AuditRecord {
  organisationId: string;
  /** The user who acted; null = the system (mail worker). */
  actorId: string | null;
  type: AuditType;
  action: AuditAction;
  /** The affected resource's id. */
  refId: string | null;
  /** Before/after values etc.; never secrets or tokens. */
  data?: Record<string, unknown>;
  createdAt: Date;
}

/** Where the change came from: the current request's, all null outside one. */
export interface AuditOrigin {
  ipAddress: string | null;
  userAgent: string | null;
  requestId: string | null;
}

/** Every statement on `audit_log`. */
export const AUDIT_LOG_SQL = {
  // One statement for all the rows, with array parameters: one text whatever their number.
  insert: `INSERT INTO audit_log
         (organisation_id, actor_id, type, action, ref_id, data, ip_address, user_agent,
          request_id, created_at)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::uuid[],
                            $6::jsonb[], $7::text[], $8::text[], $9::text[], $10::timestamptz[])`,
} as const;

/** The parameters of AUDIT_LOG_SQL.insert for these records, all from one origin. */
export function auditInsertValues(records: AuditRecord[], origin: AuditOrigin): unknown[] {
  return [
    records.map((r) => r.organisationId),
    records.map((r) => r.actorId),
    records.map((r) => r.type),
    records.map((r) => r.action),
    records.map((r) => r.refId),
    records.map((r) => JSON.stringify(r.data ?? {})),
    records.map(() => origin.ipAddress),
    records.map(() => origin.userAgent),
    records.map(() => origin.requestId),
    records.map((r) => r.createdAt),
  ];
}

/** What listAuditLogs and exportAuditLogs filter by; the instants are already inclusive bounds. */
export interface AuditLogFilter {
  organisationId: string;
  /** A project filter matches nothing: there are no projects. */
  projectId?: string;
  userId?: string;
  /** created_at >= from */
  from?: Date;
  /** created_at < before */
  before?: Date;
  type?: AuditType;
  action?: AuditAction;
  ascending: boolean;
}

/** A user as an entry names them. */
export interface AuditLogUser {
  id: string;
  email: string;
  firstName: string | null;
  lastName: string | null;
}

/** An entry as listed and exported. */
export interface AuditLogRow {
  id: string;
  organisationId: string;
  createdAt: Date;
  type: AuditType;
  action: AuditAction;
  refId: string | null;
  ipAddress: string | null;
  userAgent: string | null;
  user: AuditLogUser | null;
}

const ROW_COLUMNS = `a.id, a.organisation_id AS "organisationId", a.created_at AS "createdAt",
  a.type, a.action, a.ref_id AS "refId", a.ip_address AS "ipAddress",
  a.user_agent AS "userAgent",
  CASE WHEN u.id IS NULL THEN NULL ELSE json_build_object('id', u.id, 'email', u.email,
    'firstName', u.first_name, 'lastName', u.last_name) END AS "user"`;

/** The WHERE conditions of a filter, shared by the page, the count and the export. */
function conditions(filter: AuditLogFilter, param: (value: unknown) => string, alias = ''): string {
  if (filter.projectId !== undefined) return 'false';
  const where = [`${alias}organisation_id = ${param(filter.organisationId)}`];
  if (filter.userId !== undefined) where.push(`${alias}actor_id = ${param(filter.userId)}::uuid`);
  if (filter.from !== undefined) where.push(`${alias}created_at >= ${param(filter.from)}`);
  if (filter.before !== undefined) where.push(`${alias}created_at < ${param(filter.before)}`);
  if (filter.type !== undefined) where.push(`${alias}type = ${param(filter.type)}`);
  if (filter.action !== undefined) where.push(`${alias}action = ${param(filter.action)}`);
  return where.join(' AND ');
}

function order(filter: AuditLogFilter, alias = ''): string {
  const direction = filter.ascending ? 'ASC' : 'DESC';
  return `ORDER BY ${alias}created_at ${direction}, ${alias}id ${direction}`;
}

/** Placeholders numbered as they are taken. */
function parameters(): { values: unknown[]; param: (value: unknown) => string } {
  const values: unknown[] = [];
  return { values, param: (value) => `$${values.push(value)}` };
}

@Injectable()
export class AuditLogRepository {
  /** Inside the caller's transaction, so the rows exist exactly when the change does. */
  async insert(db: EntityManager, records: AuditRecord[], origin: AuditOrigin): Promise<void> {
    if (records.length === 0) return;
    await rowsOf(db, AUDIT_LOG_SQL.insert, auditInsertValues(records, origin));
  }

  /**
   * A numbered page in the filter's order: cut from `audit_log` alone (its index on
   * organisation, time and id) and only then joined to the users who acted.
   */
  page(
    db: EntityManager,
    filter: AuditLogFilter,
    page: { offset: number; limit: number },
  ): Promise<AuditLogRow[]> {
    const { values, param } = parameters();
    const where = conditions(filter, param);
    return rowsOf<AuditLogRow>(
      db,
      `WITH page AS (
         SELECT * FROM audit_log WHERE ${where}
         ${order(filter)} LIMIT ${param(page.limit)} OFFSET ${param(page.offset)})
       SELECT ${ROW_COLUMNS}
         FROM page AS a LEFT JOIN users AS u ON u.id = a.actor_id
        ${order(filter, 'a.')}`,
      values,
    );
  }

  /**
   * How many entries match. Without a user or time filter it is the count the database keeps
   * (`audit_log_counts`, a few rows whatever the organisation's size); otherwise those filters
   * narrow what is counted, along an index.
   */
  async count(db: EntityManager, filter: AuditLogFilter): Promise<number> {
    if (filter.projectId !== undefined) return 0;
    const { values, param } = parameters();
    const kept =
      filter.userId === undefined && filter.from === undefined && filter.before === undefined;
    const [row] = await rowsOf<{ n: number }>(
      db,
      kept
        ? `SELECT coalesce(sum(n), 0)::int AS n FROM audit_log_counts
            WHERE ${conditions(filter, param)}`
        : `SELECT count(*)::int AS n FROM audit_log WHERE ${conditions(filter, param)}`,
      values,
    );
    return row.n;
  }

  /** One entry of the organisation, with its data; undefined when it has no such entry. */
  async findOne(
    db: EntityManager,
    organisationId: string,
    id: string,
  ): Promise<(AuditLogRow & { data: Record<string, unknown> }) | undefined> {
    const [row] = await rowsOf<AuditLogRow & { data: Record<string, unknown> }>(
      db,
      `SELECT ${ROW_COLUMNS}, a.data
         FROM audit_log AS a LEFT JOIN users AS u ON u.id = a.actor_id
        WHERE a.organisation_id = $1 AND a.id = $2`,
      [organisationId, id],
    );
    return row;
  }

  /**
   * Every matching entry, with its data, read through a cursor (pg-query-stream) a batch at a
   * time as the consumer asks: memory stays flat whatever the number. The query runner is the
   * caller's, connected, and released by it when the stream ends or fails.
   */
  async stream(runner: QueryRunner, filter: AuditLogFilter): Promise<Readable> {
    const { values, param } = parameters();
    const text = `SELECT ${ROW_COLUMNS}, a.data
         FROM audit_log AS a LEFT JOIN users AS u ON u.id = a.actor_id
        WHERE ${conditions(filter, param, 'a.')}
        ${order(filter, 'a.')}`;
    // TypeORM's own stream() fetches 100 rows a round trip; a thousand cost a tenth of the trips
    // and still hold only a thousand rows at most.
    const client = (await runner.connect()) as PoolClient;
    return client.query(new QueryStream(text, values, { batchSize: 1000, highWaterMark: 1000 }));
  }
}
