import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { KeysetPage, type KeyedRow, type PageRequest } from '../common/keyset-page.js';
import { rowsOf } from '../database/statements.js';
import type { AuditAction, AuditLogEntry } from './audit-log-entry.entity.js';

export type AuditRecord = Omit<AuditLogEntry, 'id' | 'targetEmail' | 'invitationId' | 'requestId'> &
  Partial<Pick<AuditLogEntry, 'targetEmail' | 'invitationId' | 'requestId'>>;

export interface AuditLogFilter extends PageRequest {
  action?: AuditAction;
  from?: string;
  to?: string;
}

/** Every statement on `audit_log`. */
export const AUDIT_LOG_SQL = {
  // One statement for all the rows, with array parameters: one text whatever their number.
  insert: `INSERT INTO audit_log
         (organisation_id, actor_id, action, target_email, invitation_id, request_id, created_at)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::uuid[],
                            $6::text[], $7::timestamptz[])`,
} as const;

/** The parameters of AUDIT_LOG_SQL.insert for these records. */
export function auditInsertValues(records: AuditRecord[]): unknown[] {
  return [
    records.map((r) => r.organisationId),
    records.map((r) => r.actorId),
    records.map((r) => r.action),
    records.map((r) => r.targetEmail ?? null),
    records.map((r) => r.invitationId ?? null),
    records.map((r) => r.requestId ?? null),
    records.map((r) => r.createdAt),
  ];
}

@Injectable()
export class AuditLogRepository {
  /** Inside the caller's transaction, so the rows exist exactly when the change does. */
  async insert(db: EntityManager, records: AuditRecord[]): Promise<void> {
    if (records.length === 0) return;
    await rowsOf(db, AUDIT_LOG_SQL.insert, auditInsertValues(records));
  }

  /** One organisation's entries, newest first. */
  async page(
    db: EntityManager,
    organisationId: string,
    filter: AuditLogFilter,
  ): Promise<{ rows: (AuditLogEntry & KeyedRow)[]; nextCursor: string | null }> {
    const page = new KeysetPage(filter);
    page.where(`organisation_id = ${page.param(organisationId)}`);
    if (filter.action) page.where(`action = ${page.param(filter.action)}`);
    if (filter.from) page.where(`created_at >= ${page.param(filter.from)}::timestamptz`);
    if (filter.to) page.where(`created_at < ${page.param(filter.to)}::timestamptz`);
    const tail = page.tail();
    const rows = await rowsOf<AuditLogEntry & KeyedRow>(
      db,
      `SELECT id, organisation_id AS "organisationId", action, actor_id AS "actorId",
              target_email AS "targetEmail", invitation_id AS "invitationId",
              request_id AS "requestId", created_at AS "createdAt", created_at::text AS "createdKey"
         FROM audit_log ${tail}`,
      page.values,
    );
    return page.page(rows);
  }
}
