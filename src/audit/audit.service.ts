import { Injectable } from '@nestjs/common';
import type { Statements, Transaction } from '../database/sql-transaction.js';
import type { AuditAction } from './audit-log-entry.entity.js';

export interface AuditRecord {
  organisationId: string;
  actorId: string | null;
  action: AuditAction;
  targetEmail?: string | null;
  invitationId?: string | null;
  requestId?: string | null;
  createdAt: Date;
}

/**
 * Writes audit rows inside the caller's transaction, so they exist exactly when the change does.
 * One statement for all the rows, with array parameters (one text whatever their number, nothing
 * built per call): it runs in every invitation request.
 */
@Injectable()
export class AuditService {
  async record(tx: Transaction, records: AuditRecord[]): Promise<void> {
    if (records.length === 0) return;
    const statements: Statements = tx;
    await statements.query(
      `INSERT INTO audit_log
         (organisation_id, actor_id, action, target_email, invitation_id, request_id, created_at)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::uuid[],
                            $6::text[], $7::timestamptz[])`,
      [
        records.map((r) => r.organisationId),
        records.map((r) => r.actorId),
        records.map((r) => r.action),
        records.map((r) => r.targetEmail ?? null),
        records.map((r) => r.invitationId ?? null),
        records.map((r) => r.requestId ?? null),
        records.map((r) => r.createdAt),
      ],
    );
  }
}
