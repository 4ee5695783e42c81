import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
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

@Injectable()
export class AuditLogRepository {
  /** Inside the caller's transaction, so the rows exist exactly when the change does. */
  async insert(db: EntityManager, records: AuditRecord[], origin: AuditOrigin): Promise<void> {
    if (records.length === 0) return;
    await rowsOf(db, AUDIT_LOG_SQL.insert, auditInsertValues(records, origin));
  }
}
